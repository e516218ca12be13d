/**
 * LogQL measures over Claude Code's events in Loki, defined once for panels and alerts.
 *
 * Claude Code's log records have the body `claude_code.<event>` and the short name in the
 * `event.name` attribute, which Loki stores as structured metadata `event_name`: filter on it
 * directly, never with `| json` (the line is not JSON).
 */
import { CLAUDE_CODE_STREAM } from "./signals";

/** Event names as Claude Code 2.1.332 sends them in `event.name`. */
export const EVENTS = {
    apiRequest: "api_request",
    apiError: "api_error",
    retriesExhausted: "api_retries_exhausted",
    toolResult: "tool_result",
    toolDecision: "tool_decision",
    userPrompt: "user_prompt",
} as const;

/** A stream of one event type, with optional further pipeline stages (filters, keep). */
export function events(name: string, stages = ""): string {
    return `${CLAUDE_CODE_STREAM} | event_name="${name}"${stages ? ` ${stages}` : ""}`;
}

const grouping = (by: readonly string[]) => (by.length > 0 ? ` by (${by.join(", ")})` : "");

/** Number of events in each window, summed by structured-metadata labels (kept before counting). */
export function eventCount(name: string, range: string, by: readonly string[] = [], filters = ""): string {
    const keep = by.length > 0 ? `| keep ${by.join(", ")}` : "";
    return `sum${grouping(by)} (count_over_time(${events(name, [filters, keep].filter(Boolean).join(" "))} [${range}]))`;
}

export const eventSignals = {
    apiRequests: (range: string, filters = "", by: readonly string[] = []) => eventCount(EVENTS.apiRequest, range, by, filters),
    apiErrors: (range: string, filters = "", by: readonly string[] = []) => eventCount(EVENTS.apiError, range, by, filters),
    retriesExhausted: (range: string, filters = "", by: readonly string[] = []) => eventCount(EVENTS.retriesExhausted, range, by, filters),
    /** Failed API calls (after Claude Code's own retries) per call attempted. */
    apiErrorRatio: (range: string, filters = "") =>
        `${eventCount(EVENTS.apiError, range, [], filters)} / (${eventCount(EVENTS.apiRequest, range, [], filters)} + ${eventCount(EVENTS.apiError, range, [], filters)})`,
    /** Latency quantile of successful API calls by model (duration_ms of api_request). */
    apiLatencyQuantile: (q: number, range: string, filters = "") =>
        `quantile_over_time(${q}, ${events(EVENTS.apiRequest, [filters, "| keep model, duration_ms | unwrap duration_ms"].filter(Boolean).join(" "))} [${range}]) by (model)`,
    /** Exact cost from the per-request events: the ground truth the counters are checked against. */
    eventCostUsd: (range: string, filters = "") =>
        `sum(sum_over_time(${events(EVENTS.apiRequest, [filters, "| keep cost_usd | unwrap cost_usd"].filter(Boolean).join(" "))} [${range}]))`,
    toolCalls: (range: string, filters = "") => eventCount(EVENTS.toolResult, range, ["tool_name"], filters),
    /** Share of executed tool calls that succeeded (`success` is sent as the string "true"/"false"). */
    toolSuccessRatio: (range: string, filters = "") =>
        `${eventCount(EVENTS.toolResult, range, ["tool_name"], [filters, `| success="true"`].filter(Boolean).join(" "))} / ${eventCount(EVENTS.toolResult, range, ["tool_name"], filters)}`,
    toolRejections: (range: string, filters = "") => eventCount(EVENTS.toolDecision, range, ["tool_name"], [filters, `| decision="reject"`].filter(Boolean).join(" ")),
};
