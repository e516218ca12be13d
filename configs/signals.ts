/**
 * Every measure the dashboards and alerts show, defined once (mixin style: signals → panels).
 *
 * Names are those the collector's prometheus exporter produces with
 * translation_strategy UnderscoreEscapingWithSuffixes from Claude Code's OTLP metrics.
 */

/** Prometheus metric names of Claude Code's eight counters. */
export const METRICS = {
    cost: "claude_code_cost_usage_USD_total",
    tokens: "claude_code_token_usage_tokens_total",
    activeTime: "claude_code_active_time_seconds_total",
    sessions: "claude_code_session_count_total",
    linesOfCode: "claude_code_lines_of_code_count_total",
    commits: "claude_code_commit_count_total",
    pullRequests: "claude_code_pull_request_count_total",
    editDecisions: "claude_code_code_edit_tool_decision_total",
} as const;

/** Matches the CLI and the Desktop app (service.name claude-code-desktop), which the exporter puts in `job`. */
export const CLAUDE_CODE_SELECTOR = `job=~"claude-code(-desktop)?"`;

/** Loki stream selector for Claude Code events (CLI and Desktop). */
export const CLAUDE_CODE_STREAM = `{service_name=~"claude-code(-desktop)?"}`;

const sel = (metric: string, extra = "") => `${metric}{${CLAUDE_CODE_SELECTOR}${extra ? `, ${extra}` : ""}}`;

/** Growth of a Claude Code counter over a range, summed by the given labels. */
export function increaseBy(metric: string, range: string, by: string[] = [], extra = ""): string {
    const grouping = by.length > 0 ? ` by (${by.join(", ")})` : "";
    return `sum${grouping} (increase(${sel(metric, extra)}[${range}]))`;
}

/** The measures, each a function of the range it covers (`$__range` on dashboards, `24h` in alerts). */
export const signals = {
    costUsd: (range: string) => increaseBy(METRICS.cost, range),
    costUsdByModel: (range: string) => increaseBy(METRICS.cost, range, ["model"]),
    tokens: (range: string) => increaseBy(METRICS.tokens, range),
    tokensByType: (range: string) => increaseBy(METRICS.tokens, range, ["type"]),
    activeSeconds: (range: string) => increaseBy(METRICS.activeTime, range),
    activeSecondsByType: (range: string) => increaseBy(METRICS.activeTime, range, ["type"]),
    /** Sessions seen in the range: the session counter is 1 per session series, so count distinct session ids. */
    sessions: (range: string) => `count(count by (session_id) (last_over_time(${sel(METRICS.sessions)}[${range}])))`,
    /**
     * Share of prompt tokens served from the cache: cacheRead / (input + cacheRead + cacheCreation).
     * Claude Code's `input` type excludes cache tokens, so the three together are all prompt tokens.
     */
    cacheHitRatio: (range: string) =>
        `${increaseBy(METRICS.tokens, range, [], `type="cacheRead"`)} / ${increaseBy(METRICS.tokens, range, [], `type=~"input|cacheRead|cacheCreation"`)}`,
    costRateByModel: (range: string) => `sum by (model) (rate(${sel(METRICS.cost)}[${range}]))`,
    tokenRateByType: (range: string) => `sum by (type) (rate(${sel(METRICS.tokens)}[${range}]))`,
    sessionCost: (range: string) => increaseBy(METRICS.cost, range, ["session_id", "user_id"]),
    sessionTokens: (range: string) => increaseBy(METRICS.tokens, range, ["session_id", "user_id"]),
    sessionActiveSeconds: (range: string) => increaseBy(METRICS.activeTime, range, ["session_id", "user_id"]),
};
