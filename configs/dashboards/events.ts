/**
 * Events: API calls, latency, errors and tools, from Claude Code's events in Loki.
 */
import { CLAUDE_CODE_STREAM } from "../signals";
import { eventSignals } from "../events";
import { type Dashboard, LOKI, type PanelSpec, RANGE, type Target, barGauge, dashboard, row, stat, timeseries } from "./model";
import { lokiFilter, variables } from "./variables";

export const EVENTS_UID = "claude-code-events";

const BUCKET = "$__auto";

const loki = (refId: string, expr: string, legendFormat?: string, instant = false): Target => ({
    refId,
    expr,
    queryType: instant ? "instant" : "range",
    ...(legendFormat ? { legendFormat } : {}),
});

export function eventsDashboard(teamLabel: string): Dashboard {
    const f = lokiFilter();
    const fTools = lokiFilter(false);
    const lokiPanel = (spec: PanelSpec): PanelSpec => ({ ...spec, datasource: LOKI, targets: spec.targets?.map((t) => ({ ...t, queryType: t.instant ? "instant" : "range" })) });
    const panels: PanelSpec[] = [
        row("API calls"),
        lokiPanel(stat("API requests", "Successful model calls (api_request events).", eventSignals.apiRequests(RANGE, f), "short", { decimals: 0 })),
        lokiPanel(stat("API errors", "Calls that failed after Claude Code's own retries (api_error is sent for the final attempt only).", eventSignals.apiErrors(RANGE, f), "short", { decimals: 0 })),
        lokiPanel(stat("Retries exhausted", "api_retries_exhausted events: every retry failed.", eventSignals.retriesExhausted(RANGE, f), "short", { decimals: 0 })),
        lokiPanel(stat("Error rate", "api_error / (api_request + api_error).", eventSignals.apiErrorRatio(RANGE, f), "percentunit", { decimals: 1 })),
        lokiPanel(stat("Cost from events", "Sum of cost_usd over api_request events: the per-request figure the overview's counters are checked against.", eventSignals.eventCostUsd(RANGE, f), "currencyUSD", { decimals: 2, w: 8 })),
        {
            ...timeseries("API requests by model", "Successful calls per bucket.", [loki("A", eventSignals.apiRequests(BUCKET, f, ["model"]), "{{model}}")], "short"),
            datasource: LOKI,
        },
        {
            ...timeseries(
                "API latency p50 / p95 by model",
                "duration_ms of successful calls.",
                [loki("A", eventSignals.apiLatencyQuantile(0.5, BUCKET, f), "p50 {{model}}"), loki("B", eventSignals.apiLatencyQuantile(0.95, BUCKET, f), "p95 {{model}}")],
                "ms",
            ),
            datasource: LOKI,
        },
        {
            ...timeseries(
                "Errors and exhausted retries",
                "Per bucket, by HTTP status.",
                [loki("A", eventSignals.apiErrors(BUCKET, f, ["status_code"]), "error {{status_code}}"), loki("B", eventSignals.retriesExhausted(BUCKET, f), "retries exhausted")],
                "short",
            ),
            datasource: LOKI,
            w: 24,
        },
        row("Tools"),
        lokiPanel(barGauge("Tool calls", "Executed tool calls by tool (tool_result events; rejected calls are not executed).", eventSignals.toolCalls(RANGE, fTools), "{{tool_name}}", "short")),
        lokiPanel(barGauge("Tool success rate", "Share of executed calls that succeeded.", eventSignals.toolSuccessRatio(RANGE, fTools), "{{tool_name}}", "percentunit", { min: 0, max: 1 })),
        lokiPanel(barGauge("Tool rejections", "Permission decisions that rejected a tool call.", eventSignals.toolRejections(RANGE, fTools), "{{tool_name}}", "short")),
        row("Recent events"),
        {
            type: "logs",
            title: "Recent events",
            description: "Every Claude Code event; expand a line for its attributes (structured metadata).",
            w: 24,
            h: 14,
            datasource: LOKI,
            targets: [loki("A", `${CLAUDE_CODE_STREAM} ${f}`)],
            options: { showTime: true, wrapLogMessage: false, sortOrder: "Descending", enableLogDetails: true, dedupStrategy: "none" },
        },
    ];
    return dashboard({
        uid: EVENTS_UID,
        title: "Claude Code: API and tools",
        description: "API calls, latency, errors and tool use, from Claude Code's events in Loki.",
        panels,
        variables: variables(teamLabel).filter((v) => ["user", "model"].includes((v as { name: string }).name)),
    });
}
