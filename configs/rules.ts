/**
 * Prometheus recording rules: exact per-minute increments of every Claude Code counter, with the
 * per-session labels aggregated away.
 *
 * Why not `increase()` on the raw series: every Claude Code session is its own series, and a
 * series appears in Prometheus already holding its first exported value. `increase()` counts only
 * growth between samples, so it misses that first value (a one-export session counts as 0), and
 * it extrapolates to the window edges. Here a series that was not present one interval earlier
 * counts in full, a drop counts as a restart from zero, and nothing is extrapolated:
 *
 *     increment = (x - x offset 1m >= 0) or x
 *
 * Consecutive evaluations are exactly one interval apart, so the increments telescope: summed over
 * any run of evaluations they give exactly the growth of the counters (sum_over_time of the
 * recorded series over a range is the range's total). A series that went stale (its exporter
 * forgot it, or the collector restarted) is new when it returns, which is right for the
 * collector's delta-to-cumulative state, which also restarts from zero.
 */
import { CLAUDE_CODE_SELECTOR, INCREMENT_INTERVAL, METRICS, Measure, SESSION_MEASURES, recordedIncrease, recordedSessionIncrease } from "./signals";
import type { RuleGroup } from "./prometheus";

/**
 * Rules run this far behind real time, so a scrape whose timestamp falls just before an
 * evaluation has surely been written when the rule reads it (otherwise its growth is lost).
 */
export const INCREMENT_QUERY_OFFSET = "30s";

/**
 * Labels that only identify a process or a client build: aggregated away in the long-range
 * series. Everything else (user, model, type, query_source, effort, team and other
 * OTEL_RESOURCE_ATTRIBUTES keys, repository, decision, tool, language, …) is kept.
 */
export const PER_SESSION_LABELS = ["session_id", "instance", "otel_scope_name", "otel_scope_version", "terminal_type"] as const;

/** The exact increment of a counter over the last interval, per series (see file comment). */
export function incrementExpr(metric: string, interval = INCREMENT_INTERVAL): string {
    const series = `${metric}{${CLAUDE_CODE_SELECTOR}}`;
    return `(${series} - ${series} offset ${interval} >= 0) or ${series}`;
}

export function incrementRuleGroups(): RuleGroup[] {
    const measures = Object.keys(METRICS) as Measure[];
    return [
        {
            name: "claude-code-increments",
            interval: INCREMENT_INTERVAL,
            query_offset: INCREMENT_QUERY_OFFSET,
            rules: [
                ...measures.map((measure) => ({
                    record: recordedIncrease(measure),
                    expr: `sum without (${PER_SESSION_LABELS.join(", ")}) (${incrementExpr(METRICS[measure])})`,
                })),
                ...SESSION_MEASURES.map((measure) => ({
                    record: recordedSessionIncrease(measure),
                    expr: `sum without (${PER_SESSION_LABELS.filter((l) => l !== "session_id").join(", ")}) (${incrementExpr(METRICS[measure])})`,
                })),
            ],
        },
    ];
}
