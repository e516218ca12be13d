/**
 * Events: API calls, latency, errors and tools, from Claude Code's events in Loki.
 */
import * as logs from "@grafana/grafana-foundation-sdk/logs";
import { LogsDedupStrategy, LogsSortOrder } from "@grafana/grafana-foundation-sdk/common";
import { CLAUDE_CODE_STREAM } from "../signals";
import { eventSignals } from "../events";
import { type Dashboard, type Item, RANGE, barGauge, dashboard, logql, panel, row, stat, timeseries } from "./model";
import { lokiFilter, variables } from "./variables";

export const EVENTS_UID = "claude-code-events";

/** Panel ids: fixed, because alerts and users' links name panels by id. */
export const EVENTS_PANELS = {
    apiRow: 1,
    apiRequests: 2,
    apiErrors: 3,
    retriesExhausted: 4,
    errorRate: 5,
    eventCost: 6,
    requestsByModel: 7,
    latencyByModel: 8,
    errorsAndRetries: 9,
    toolsRow: 10,
    toolCalls: 11,
    toolSuccessRate: 12,
    toolRejections: 13,
    recentRow: 14,
    recentEvents: 15,
} as const;

const BUCKET = "$__auto";

export function eventsDashboard(teamLabel: string): Dashboard {
    const P = EVENTS_PANELS;
    const f = lokiFilter();
    const fTools = lokiFilter(false);
    const panels: Item[] = [
        row(P.apiRow, "API calls"),
        stat(P.apiRequests, "API requests", "Successful model calls (api_request events).", logql(eventSignals.apiRequests(RANGE, f)), "short").decimals(0),
        stat(P.apiErrors, "API errors", "Calls that failed after Claude Code's own retries (api_error is sent for the final attempt only).", logql(eventSignals.apiErrors(RANGE, f)), "short").decimals(0),
        stat(P.retriesExhausted, "Retries exhausted", "api_retries_exhausted events: every retry failed.", logql(eventSignals.retriesExhausted(RANGE, f)), "short").decimals(0),
        stat(P.errorRate, "Error rate", "api_error / (api_request + api_error).", logql(eventSignals.apiErrorRatio(RANGE, f)), "percentunit").decimals(1),
        stat(P.eventCost, "Cost from events", "Sum of cost_usd over api_request events: the per-request figure the overview's counters are checked against.", logql(eventSignals.eventCostUsd(RANGE, f)), "currencyUSD")
            .decimals(2)
            .span(8),
        timeseries(P.requestsByModel, "API requests by model", "Successful calls per bucket.", [{ refId: "A", expr: logql(eventSignals.apiRequests(BUCKET, f, ["model"])), legendFormat: "{{model}}" }], "short"),
        timeseries(
            P.latencyByModel,
            "API latency p50 / p95 by model",
            "duration_ms of successful calls.",
            [
                { refId: "A", expr: logql(eventSignals.apiLatencyQuantile(0.5, BUCKET, f)), legendFormat: "p50 {{model}}" },
                { refId: "B", expr: logql(eventSignals.apiLatencyQuantile(0.95, BUCKET, f)), legendFormat: "p95 {{model}}" },
            ],
            "ms",
        ),
        timeseries(
            P.errorsAndRetries,
            "Errors and exhausted retries",
            "Per bucket, by HTTP status.",
            [
                { refId: "A", expr: logql(eventSignals.apiErrors(BUCKET, f, ["status_code"])), legendFormat: "error {{status_code}}" },
                { refId: "B", expr: logql(eventSignals.retriesExhausted(BUCKET, f)), legendFormat: "retries exhausted" },
            ],
            "short",
        ).span(24),
        row(P.toolsRow, "Tools"),
        barGauge(P.toolCalls, "Tool calls", "Executed tool calls by tool (tool_result events; rejected calls are not executed).", logql(eventSignals.toolCalls(RANGE, fTools)), "{{tool_name}}", "short"),
        barGauge(P.toolSuccessRate, "Tool success rate", "Share of executed calls that succeeded.", logql(eventSignals.toolSuccessRatio(RANGE, fTools)), "{{tool_name}}", "percentunit").min(0).max(1),
        barGauge(P.toolRejections, "Tool rejections", "Permission decisions that rejected a tool call.", logql(eventSignals.toolRejections(RANGE, fTools)), "{{tool_name}}", "short"),
        row(P.recentRow, "Recent events"),
        panel(new logs.PanelBuilder(), P.recentEvents, "Recent events", "Every Claude Code event; expand a line for its attributes (structured metadata).", 24, 14, [
            { refId: "A", expr: logql(`${CLAUDE_CODE_STREAM} ${f}`) },
        ])
            .showTime(true)
            .wrapLogMessage(false)
            .sortOrder(LogsSortOrder.Descending)
            .enableLogDetails(true)
            .dedupStrategy(LogsDedupStrategy.None),
    ];
    return dashboard({
        uid: EVENTS_UID,
        title: "Claude Code: API and tools",
        description: "API calls, latency, errors and tool use, from Claude Code's events in Loki.",
        panels,
        variables: variables(teamLabel, ["user", "model"]),
    });
}
