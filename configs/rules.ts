/**
 * Prometheus recording rules: exact per-minute increments of every Claude Code counter, with the
 * per-session labels aggregated away.
 *
 * Why not `increase()` on the raw series: every Claude Code session is its own series, and a
 * series appears in Prometheus already holding its first exported value. `increase()` counts only
 * growth between samples, so it misses that first value (a one-export session counts as 0), and
 * it extrapolates to the window edges. Here a series with no sample in the previous window counts
 * in full, a drop counts as a restart from zero, and nothing is extrapolated:
 *
 *     now       = last_over_time(x[1m])              (the latest sample of this minute)
 *     before    = last_over_time(x[15m] offset 1m)   (the latest sample before it)
 *     increment = (now - before >= 0) unless (resets(x[1m]) > 0)               growth
 *              or ((max_over_time(x[1m]) - before >= 0) + now) and (resets(x[1m]) > 0)
 *                                                   a restart inside the minute: growth up to it, then from zero
 *              or now unless monitoring was down       new series, or a restart just before the minute
 *
 * Consecutive evaluations are exactly one interval apart, so the increments telescope: summed over
 * any run of evaluations they give exactly the growth of the counters (sum_over_time of the
 * recorded series over a range is the range's total).
 *
 * Minutes without growth are not written (`> 0`): a counter is exported, and so would be recorded,
 * every minute for hours after its session ends (the collector's series TTL), and those zeros were
 * about 98 % of all recorded samples. Leaving them out changes no sum and makes long ranges read
 * a fraction of the data. Each record also drops every label no panel reads at that level
 * (RECORDS), because a long-range query costs about one chunk per series per two hours of data.
 *
 * Both values skip staleness markers, so a sample written just before a scrape failure (a
 * collector restart) is still counted. Each raw series is one cumulative stream: the collector
 * labels it with the stream's start (STREAM_START in configs/collector.ts). A total the collector
 * rebuilds from zero (a delta client after a collector restart, or after its session idled past
 * the series TTL) is therefore a new series and counts in full, whatever its first value; so is a
 * second process on the same session id. The previous value is looked up over 15 minutes: after a
 * shorter gap (a collector or Prometheus restart) a cumulative client's series continues from its
 * old total and only the growth counts. After a longer gap while Prometheus ran (the collector
 * down for more than 15 minutes), its first value counts in full, so its growth before the gap is
 * counted a second time (test/configs.rules.promtool.test.ts states it).
 *
 * "Monitoring was down" means no scrape of the collector's own metrics at all over the window
 * where the previous value is looked for (`up{job="claude-code-otel-collector"}` absent, not 0): the machine
 * slept, or Prometheus was stopped. A series found then has usually been there all along: the
 * collector's expiry clock (Go's monotonic clock) does not advance while a machine sleeps, so it
 * exports the same totals again on wake, and counting them as new would count every session that
 * was open at bedtime twice. Its growth counts again from the next minute on. A collector that
 * crashed while Prometheus ran shows `up == 0`, not absence, so its restarted series still count.
 */
import { type AlertQuery, dataQuery, providerQuery } from "./alerts";
import { STREAM_START } from "./collector";
import type { RuleGroup } from "./prometheus";
import { pipelineSignals } from "./pipeline";
import { type PlainSettings, parseDuration } from "./settings";
import {
    CLAUDE_CODE_SELECTOR,
    INCREMENT_INTERVAL,
    METRICS,
    type Measure,
    REQUEST_MEASURES,
    SESSION_MEASURES,
    recordedIncrease,
    recordedRequestIncrease,
    recordedSessionIncrease,
    requestLabelsOf,
} from "./signals";
import { DATASOURCE_UIDS } from "./topology";

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
export const PER_SESSION_LABELS = ["session_id", STREAM_START.label, "instance", "otel_scope_name", "otel_scope_version", "terminal_type"] as const;

/** How far back the previous value of a scraped series is looked for (longer gaps make it new). */
export const PREVIOUS_VALUE_LOOKBACK = "15m";

/**
 * The look-back for pushed series (team mode). The collector's exporter serves every series at
 * every scrape for the whole TTL, but remote write and OTLP push a delta session's total only when
 * it changes, so an idle session leaves a gap as long as its idle time. Its total continues after
 * any gap shorter than the TTL (same stream_start), so the previous value is looked for over the
 * TTL, plus the minute delta_to_cumulative's once-a-minute sweep may keep a stream beyond it and one
 * more for delivery. A longer gap means the stream was forgotten: a new series.
 */
export function pushedPreviousValueLookback(seriesTtl: string): string {
    return `${(parseDuration(seriesTtl)! + 2 * 60e3) / 1000}s`;
}

/** How an increment expression reads: `delay` stands in for query_offset; `lookback` for the previous value. */
export interface IncrementReading {
    delay?: string;
    lookback?: string;
}

/** What team mode's recording rules depend on. */
export type TeamRecordingSettings = Pick<PlainSettings, "collectorSeriesTtl" | "teamRecordingDelay">;

/**
 * How team mode reads: on pushed series, with the delay written into each selector. Points keep
 * their timestamps, so one the backend gets more than the delay after the collector stamped it
 * (the backend unreachable meanwhile) lands in a minute already read and is not counted
 * (test/e2e.team.late.test.ts); teamRecordingDelay trades that against how far the dashboards lag.
 */
export function teamReading(s: TeamRecordingSettings): IncrementReading {
    return { delay: s.teamRecordingDelay, lookback: pushedPreviousValueLookback(s.collectorSeriesTtl) };
}

/** Where the previous-value window ends: the interval back, and the delay further. */
function beforeOffsetOf(interval: string, delay: string | undefined): string {
    return delay ? `${(parseDuration(interval)! + parseDuration(delay)!) / 1000}s` : interval;
}

/** Non-empty while the collector's own metrics went unseen over the whole previous-value window (see file comment). */
export function monitoringWasDown({ delay, lookback = PREVIOUS_VALUE_LOOKBACK }: IncrementReading = {}): string {
    return `absent_over_time(${pipelineSignals.collectorUp}[${lookback}] offset ${beforeOffsetOf(INCREMENT_INTERVAL, delay)})`;
}

/**
 * The exact increment of a counter over the last interval, per series (see file comment). With a
 * `delay`, every selector reads that much further back: the same result as a rule group's
 * query_offset, for rule engines that have none (Grafana-managed recording rules).
 */
export function incrementExpr(metric: string, { delay, lookback = PREVIOUS_VALUE_LOOKBACK }: IncrementReading = {}): string {
    const interval = INCREMENT_INTERVAL;
    const series = `${metric}{${CLAUDE_CODE_SELECTOR}}`;
    const back = (d: string | undefined) => (d ? ` offset ${d}` : "");
    const within = `[${interval}]${back(delay)}`;
    const beforeOffset = beforeOffsetOf(interval, delay);
    const now = `last_over_time(${series}${within})`;
    const before = `last_over_time(${series}[${lookback}] offset ${beforeOffset})`;
    const restarted = `(resets(${series}${within}) > 0)`;
    return [
        `((${now} - ${before} >= 0) unless ${restarted})`,
        `(((max_over_time(${series}${within}) - ${before} >= 0) + ${now}) and ${restarted})`,
        `(${now} unless on () ${monitoringWasDown({ delay, lookback })})`,
    ].join(" or ");
}

/** A recorded series: which counter it sums and the labels it sums away. */
export interface RecordSpec {
    record: string;
    measure: Measure;
    summedAway: readonly string[];
}

/**
 * Every record: per measure without sessions and requests (what almost every panel reads); cost
 * with the request labels kept (cost by query source and by effort); and per session, for the
 * session dashboard.
 */
export const RECORDS: readonly RecordSpec[] = [
    ...(Object.keys(METRICS) as Measure[]).map((measure) => ({ record: recordedIncrease(measure), measure, summedAway: [...PER_SESSION_LABELS, ...requestLabelsOf(measure)] })),
    ...REQUEST_MEASURES.map((measure) => ({ record: recordedRequestIncrease(measure), measure, summedAway: [...PER_SESSION_LABELS] })),
    ...SESSION_MEASURES.map((measure) => ({
        record: recordedSessionIncrease(measure),
        measure,
        summedAway: [...PER_SESSION_LABELS.filter((l) => l !== "session_id"), ...requestLabelsOf(measure)],
    })),
];

/** One recording rule per record: the recorded name and its expression (growth only, see file comment). */
export function incrementRecords(reading: IncrementReading = {}): { record: string; expr: string }[] {
    return RECORDS.map(({ record, measure, summedAway }) => ({
        record,
        expr: `sum without (${summedAway.join(", ")}) (${incrementExpr(METRICS[measure], reading)}) > 0`,
    }));
}

/** The records as team mode evaluates them (teamReading). */
export function teamIncrementRecords(s: TeamRecordingSettings): { record: string; expr: string }[] {
    return incrementRecords(teamReading(s));
}

/** The rules for the stack's own Prometheus. */
export function incrementRuleGroups(): RuleGroup[] {
    return [{ name: "claude-code-increments", interval: INCREMENT_INTERVAL, query_offset: INCREMENT_QUERY_OFFSET, rules: incrementRecords() }];
}

/** A Grafana-managed recording rule, as plain data for `grafana.alerting.RuleGroup`. */
export interface RecordingRule {
    name: string;
    uid: string;
    datas: AlertQuery[];
    record: { metric: string; from: string; targetDatasourceUid: string };
}

export interface RecordingGroup {
    name: string;
    intervalSeconds: number;
    rules: RecordingRule[];
}

/**
 * Team mode has no Prometheus of its own to run rules, so the same increments become
 * Grafana-managed recording rules: Grafana evaluates each expression every minute against the
 * team's Prometheus-compatible data source and writes the result back to it. Grafana's scheduler
 * evaluates on exact interval ticks, so the increments still telescope; the delay stands in for
 * query_offset. The series are pushed, so the previous value is looked for over the series TTL
 * (pushedPreviousValueLookback).
 */
export function grafanaRecordingGroups(s: TeamRecordingSettings): RecordingGroup[] {
    const uid = DATASOURCE_UIDS.prometheus;
    const lookback = (parseDuration(pushedPreviousValueLookback(s.collectorSeriesTtl))! + parseDuration(INCREMENT_INTERVAL)! + parseDuration(s.teamRecordingDelay)!) / 1000;
    return [
        {
            name: "Claude Code increments",
            intervalSeconds: parseDuration(INCREMENT_INTERVAL)! / 1000,
            rules: teamIncrementRecords(s).map(({ record, expr }) => ({
                name: record,
                // uids are at most 40 characters: the recorded name without its fixed parts.
                uid: `ccrec-${record.replace(/^claude_code:/, "").replace(/:increase1m$/, "").replace(/:(\w+)_increase1m$/, "-by-$1").replace(/_/g, "-")}`,
                datas: [providerQuery(dataQuery({ name: "A", datasource: "prometheus", expr, lookbackSeconds: lookback }))],
                record: { metric: record, from: "A", targetDatasourceUid: uid },
            })),
        },
    ];
}
