/**
 * Unit tests of the increment recording rules with `promtool test rules` (Prometheus 3.x).
 *
 * Each story is a counter series as Prometheus stores it after the collector, and the story's
 * true spend, stated in words and numbers. The rules must give exactly that, where increase()
 * would not.
 */
import { describe, expect, it } from "vitest";
import { buildRuleFiles } from "../configs/prometheus";
import { INCREMENT_QUERY_OFFSET, incrementRecords, incrementRuleGroups, teamIncrementRecords } from "../configs/rules";
import { DEFAULTS } from "../configs/settings";
import { METRICS, type Measure, recordedIncrease, recordedRequestIncrease, recordedSessionIncrease } from "../configs/signals";
import { promtoolTestRules } from "../harness/tools";
import { COLLECTOR_SELF_JOB } from "../configs/collector";

const STEP_S = 10; // scrape interval of the stories
const END_MIN = 10;

/** A counter's scraped values: [minute, value] points held until the next one; `stale` ends the series. */
type Point = [minute: number, value: number | "stale"];

/** promtool's input notation, one entry per 10 s scrape from 0 to END_MIN. */
function values(points: Point[]): string {
    const out: string[] = [];
    let current: number | "stale" | undefined;
    let justWentStale = false;
    for (let i = 0; i <= (END_MIN * 60) / STEP_S; i++) {
        const t = (i * STEP_S) / 60;
        const hit = points.filter(([m]) => Math.abs(m - t) < 1e-9).at(-1);
        if (hit) {
            current = hit[1];
            justWentStale = current === "stale";
        }
        if (current === undefined) out.push("_");
        else if (current === "stale") {
            out.push(justWentStale ? "stale" : "_");
            justWentStale = false;
        } else out.push(String(current));
    }
    return out.join(" ");
}

interface Story {
    session: string;
    user: string;
    what: string;
    points: Point[];
    /** What was really spent, from the story. */
    spent: number;
}

const STORIES: Story[] = [
    { session: "short", user: "u1", what: "a `claude -p` run that exported once, at exit", points: [[2, 0.7]], spent: 0.7 },
    { session: "growing", user: "u1", what: "a session spending 0.5, then 1, then 0.5 more", points: [[1, 0.5], [3, 1.5], [5, 2]], spent: 2 },
    {
        session: "resumed",
        user: "u1",
        what: "spent 3; later resumed (--resume, same session id) in a new process that spent 2 from zero",
        points: [[1, 3], [4, 1], [6, 2]],
        spent: 5,
    },
    {
        session: "collector-restart",
        user: "u1",
        what: "spent 4; the collector restarted (scrapes failed, series stale) and its delta-to-cumulative state restarted at 1",
        points: [[1, 4], [3, "stale"], [5, 1]],
        spent: 5,
    },
    {
        session: "restart-within-a-minute",
        user: "u1",
        what: "spent 3.5; the collector restarted and the series came back from zero, all inside one rule interval; then 1 more",
        points: [[1, 3], [4 + 1 / 6, 3.5], [4 + 4 / 6, 0.5], [6, 1]],
        spent: 4.5,
    },
    { session: "idle", user: "u1", what: "spent 1, idle for 8 minutes, then 0.5 more", points: [[1, 1], [9, 1.5]], spent: 1.5 },
    { session: "other-user", user: "u2", what: "another user's session", points: [[2, 2.5]], spent: 2.5 },
];

/** The idle session's requests came from a subagent, the rest from the main thread. */
const querySource = (s: Story) => (s.session === "idle" ? "subagent" : "main");
const labels = (s: Story) =>
    `{job="claude-code",instance="otel-collector:8889",otel_scope_name="com.anthropic.claude_code",otel_scope_version="2.1.332",terminal_type="xterm",team="platform",model="claude-opus-5-5",query_source="${querySource(s)}",effort="high",user_id="${s.user}",session_id="${s.session}"}`;

const spentBy = (user: string, fromMin = 0) =>
    STORIES.filter((s) => s.user === user).reduce((sum, s) => {
        // Growth after fromMin, counted as the stories describe it (restarts count from zero).
        let total = 0;
        let last: number | undefined;
        for (const [m, v] of s.points) {
            if (v === "stale") {
                last = undefined;
                continue;
            }
            const growth = last === undefined || v < last ? v : v - last;
            if (m > fromMin) total += growth;
            last = v;
        }
        return sum + total;
    }, 0);

/** promtool's input notation for `minutes` minutes, one entry per STEP_S scrape: f gives each scrape's value. */
const sampled = (minutes: number, f: (minute: number) => number | "_" | "stale") =>
    Array.from({ length: (minutes * 60) / STEP_S + 1 }, (_, i) => f((i * STEP_S) / 60)).join(" ");

/** Prometheus scraping the collector's own metrics the whole time: monitoring was never down. */
const collectorUp = (minutes = END_MIN) => ({ series: `up{job="${COLLECTOR_SELF_JOB}",instance="otel-collector:8888"}`, values: `1x${(minutes * 60) / STEP_S}` });

/** The stories as input series of one raw counter, sampled every STEP_S seconds. */
const storyInput = (metric: string) => ({
    interval: `${STEP_S}s`,
    input_series: [collectorUp(), ...STORIES.map((s) => ({ series: `${metric}${labels(s)}`, values: values(s.points) }))],
});

const runPromtoolTest = (tests: unknown[], skip: (note?: string) => void) => promtoolTestRules(buildRuleFiles(incrementRuleGroups()), tests, skip);

describe("increment recording rules (promtool test rules)", () => {
    it("story totals add up to what the stories spent", () => {
        // The expectations below come from the stories' words; this checks the arithmetic.
        expect(spentBy("u1")).toBeCloseTo(0.7 + 2 + 5 + 5 + 4.5 + 1.5, 12);
        expect(STORIES.filter((s) => s.user === "u1").reduce((a, s) => a + s.spent, 0)).toBeCloseTo(spentBy("u1"), 12);
    });

    it("sum over any window equals the true spend: first samples, restarts, staleness and idle gaps included", (ctx) => {
        const cost = recordedIncrease("cost");
        const aggregated = '{job="claude-code",team="platform",model="claude-opus-5-5",user_id="USER"}';
        const out = runPromtoolTest(
            [
                {
                    ...storyInput("claude_code_cost_usage_USD_total"),
                    promql_expr_test: [
                        {
                            expr: `sum by (user_id) (sum_over_time(${cost}[${END_MIN}m]))`,
                            eval_time: `${END_MIN}m`,
                            exp_samples: [
                                { labels: '{user_id="u1"}', value: spentBy("u1") },
                                { labels: '{user_id="u2"}', value: spentBy("u2") },
                            ],
                        },
                        {
                            // Only the idle session's last 0.5 happened in the last 3 minutes (7m, 10m];
                            // u2 grew nothing there, and minutes without growth are not recorded.
                            expr: `sum by (user_id) (sum_over_time(${cost}[3m]))`,
                            eval_time: `${END_MIN}m`,
                            exp_samples: [{ labels: '{user_id="u1"}', value: spentBy("u1", 7) }],
                        },
                        {
                            // No recorded minute is zero.
                            expr: `min_over_time(${cost}[${END_MIN}m]) <= 0`,
                            eval_time: `${END_MIN}m`,
                            exp_samples: [],
                        },
                        {
                            // Session, instance, scope, terminal and request labels are aggregated away; team and model stay.
                            expr: `count(last_over_time(${cost}[${END_MIN}m]))`,
                            eval_time: `${END_MIN}m`,
                            exp_samples: [{ labels: "{}", value: 2 }],
                        },
                        {
                            expr: `group by (__name__, job, team, model, user_id) (last_over_time(${cost}{user_id="u1"}[${END_MIN}m]))`,
                            eval_time: `${END_MIN}m`,
                            exp_samples: [{ labels: `${cost}${aggregated.replace("USER", "u1")}`, value: 1 }],
                        },
                        {
                            expr: `count(last_over_time(${cost}{query_source!=""}[${END_MIN}m]) or last_over_time(${cost}{effort!=""}[${END_MIN}m]))`,
                            eval_time: `${END_MIN}m`,
                            exp_samples: [],
                        },
                        {
                            // The cost record that keeps the request labels splits the same total by them.
                            expr: `sum by (query_source, effort) (sum_over_time(${recordedRequestIncrease("cost")}[${END_MIN}m]))`,
                            eval_time: `${END_MIN}m`,
                            exp_samples: [
                                { labels: '{query_source="main",effort="high"}', value: spentBy("u1") + spentBy("u2") - 1.5 },
                                { labels: '{query_source="subagent",effort="high"}', value: 1.5 },
                            ],
                        },
                    ],
                },
            ],
            ctx.skip,
        );
        expect(out).toContain("SUCCESS");
    });

    it("every recorded measure follows the same stories (tokens, sessions, lines, …)", (ctx) => {
        const measures = Object.keys(METRICS) as Measure[];
        const out = runPromtoolTest(
            [
                {
                    interval: `${STEP_S}s`,
                    input_series: [collectorUp(), ...measures.flatMap((m) => STORIES.map((s) => ({ series: `${METRICS[m]}${labels(s)}`, values: values(s.points) })))],
                    promql_expr_test: measures.map((m) => ({
                        expr: `sum by (user_id) (sum_over_time(${recordedIncrease(m)}[${END_MIN}m]))`,
                        eval_time: `${END_MIN}m`,
                        exp_samples: [
                            { labels: '{user_id="u1"}', value: spentBy("u1") },
                            { labels: '{user_id="u2"}', value: spentBy("u2") },
                        ],
                    })),
                },
            ],
            ctx.skip,
        );
        expect(out).toContain("SUCCESS");
    });

    it("per-session increments total each session's true spend", (ctx) => {
        const session = recordedSessionIncrease("cost");
        const out = runPromtoolTest(
            [
                {
                    ...storyInput("claude_code_cost_usage_USD_total"),
                    promql_expr_test: [
                        {
                            expr: `sum by (session_id) (sum_over_time(${session}[${END_MIN}m]))`,
                            eval_time: `${END_MIN}m`,
                            exp_samples: STORIES.map((s) => ({ labels: `{session_id="${s.session}"}`, value: s.spent })),
                        },
                    ],
                },
            ],
            ctx.skip,
        );
        expect(out).toContain("SUCCESS");
    });

    it("team mode's delayed expressions (Grafana-managed rules have no query_offset) give the same totals", (ctx) => {
        // The expressions Grafana evaluates, run by Prometheus with no query_offset of its own.
        const delayed = buildRuleFiles([{ name: "delayed", interval: "1m", rules: teamIncrementRecords(DEFAULTS) }]);
        expect(delayed["claude-code.yml"]).not.toContain("query_offset");
        const measures = Object.keys(METRICS) as Measure[];
        const out = promtoolTestRules(
            delayed,
            [
                {
                    interval: `${STEP_S}s`,
                    input_series: [collectorUp(), ...measures.flatMap((m) => STORIES.map((s) => ({ series: `${METRICS[m]}${labels(s)}`, values: values(s.points) })))],
                    promql_expr_test: [
                        ...measures.map((m) => ({
                            expr: `sum by (user_id) (sum_over_time(${recordedIncrease(m)}[${END_MIN}m]))`,
                            eval_time: `${END_MIN}m`,
                            exp_samples: [
                                { labels: '{user_id="u1"}', value: spentBy("u1") },
                                { labels: '{user_id="u2"}', value: spentBy("u2") },
                            ],
                        })),
                        {
                            expr: `sum by (session_id) (sum_over_time(${recordedSessionIncrease("cost")}[${END_MIN}m]))`,
                            eval_time: `${END_MIN}m`,
                            exp_samples: STORIES.map((s) => ({ labels: `{session_id="${s.session}"}`, value: s.spent })),
                        },
                    ],
                },
            ],
            ctx.skip,
        );
        expect(out).toContain("SUCCESS");
    });

    it("team mode's pushed series: a delta session idle for 20 minutes counts once (its total is pushed only when it changes)", (ctx) => {
        // Remote write and OTLP push a delta session's total only when a new delta arrives, so its
        // series has a gap as long as the session idles; the collector's own metrics keep arriving.
        // Spent: 2 before the break, 0.5 after it (its total 2.5, same stream). The team
        // expressions look the previous value up over the series TTL; the local ones, over 15
        // minutes, would count the 2 again (locally the exporter serves every series at every
        // scrape, so there is no such gap).
        const END = 40;
        const pushedAt = (m: number) => (Math.abs(m - 1) < 1e-9 ? 2 : Math.abs(m - 25) < 1e-9 ? 2.5 : "_");
        const cost = recordedIncrease("cost");
        const series = `claude_code_cost_usage_USD_total${labels({ session: "pushed", user: "pushed", what: "", points: [], spent: 0 })}`;
        const test = (rules: { record: string; expr: string }[], spent: number) =>
            promtoolTestRules(
                buildRuleFiles([{ name: "pushed", interval: "1m", rules }]),
                [
                    {
                        interval: `${STEP_S}s`,
                        input_series: [collectorUp(END), { series, values: sampled(END, pushedAt) }],
                        promql_expr_test: [{ expr: `sum by (user_id) (sum_over_time(${cost}[${END}m]))`, eval_time: `${END}m`, exp_samples: [{ labels: '{user_id="pushed"}', value: spent }] }],
                    },
                ],
                ctx.skip,
            );
        expect(test(teamIncrementRecords(DEFAULTS), 2.5)).toContain("SUCCESS");
        expect(test(incrementRecords({ delay: INCREMENT_QUERY_OFFSET }), 2 + 2.5)).toContain("SUCCESS");
    });

    it("a machine that slept counts the sessions open at bedtime once, and a crashed collector's restart still counts", (ctx) => {
        // 40 minutes, one sample every 10 s. From minute 5 to 25 the machine sleeps: nothing is
        // scraped at all (no up either). On wake the collector, whose expiry clock did not advance,
        // exports the same total again. At minute 30 the collector crashes while Prometheus runs
        // (up = 0, the series go stale) and comes back with its state reset.
        const END = 40;
        const at = (f: (minute: number) => number | "_" | "stale") => sampled(END, f);
        const asleep = (m: number) => m > 5 && m < 25;
        const bedtime = at((m) => (m < 1 || asleep(m) ? "_" : m < 28 ? 2 : 2.5));
        const crashed = at((m) => (m < 1 || asleep(m) ? "_" : m < 30 ? 1 : m === 30 ? "stale" : m < 32 ? "_" : 0.4));
        const up = at((m) => (asleep(m) ? "_" : m >= 30 && m < 32 ? 0 : 1));
        const cost = recordedIncrease("cost");
        const s = (session: string) => labels({ session, user: session, what: "", points: [], spent: 0 });
        const out = runPromtoolTest(
            [
                {
                    interval: `${STEP_S}s`,
                    input_series: [
                        { series: `up{job="${COLLECTOR_SELF_JOB}",instance="otel-collector:8888"}`, values: up },
                        { series: `claude_code_cost_usage_USD_total${s("bedtime")}`, values: bedtime },
                        { series: `claude_code_cost_usage_USD_total${s("crashed")}`, values: crashed },
                    ],
                    promql_expr_test: [
                        {
                            expr: `sum by (user_id) (sum_over_time(${cost}[${END}m]))`,
                            eval_time: `${END}m`,
                            // bedtime: 2, then 0.5 after waking; crashed: 1, then 0.4 after the restart.
                            exp_samples: [
                                { labels: '{user_id="bedtime"}', value: 2.5 },
                                { labels: '{user_id="crashed"}', value: 1.4 },
                            ],
                        },
                    ],
                },
            ],
            ctx.skip,
        );
        expect(out).toContain("SUCCESS");
    });

    it("the collector down longer than the look-back, Prometheus running: a rebuilt delta stream counts in full, a cumulative total counts twice", (ctx) => {
        // 40 minutes, one sample every 10 s. The collector is down from minute 5 to 25 (up = 0, the
        // series stale), longer than the 15 minutes the previous value is looked for. The delta
        // client spent 2 before and 1 after: the collector rebuilds its total from zero as a new
        // stream (a new stream_start, configs/collector.ts). The cumulative client spent 2 before
        // and 0.5 after, and continues its own total (same stream_start): with no previous value in
        // the look-back, its 2.5 counts in full, so the 2 before the outage is counted a second time.
        const END = 40;
        const at = (f: (minute: number) => number | "_" | "stale") => sampled(END, f);
        const down = (m: number) => m >= 5 && m < 25;
        const gap = (m: number, value: () => number) => (m < 1 ? "_" : m === 5 ? "stale" : down(m) ? "_" : value());
        const deltaBefore = at((m) => (m >= 25 ? "_" : gap(m, () => 2)));
        const deltaAfter = at((m) => (m < 25 ? "_" : m < 30 ? 0.5 : 1));
        const cumulative = at((m) => gap(m, () => (m < 25 ? 2 : 2.5)));
        const up = at((m) => (down(m) ? 0 : 1));
        const series = (session: string, streamStart: string) =>
            `claude_code_cost_usage_USD_total${labels({ session, user: session, what: "", points: [], spent: 0 }).replace(/}$/, `,stream_start="${streamStart}"}`)}`;
        const out = runPromtoolTest(
            [
                {
                    interval: `${STEP_S}s`,
                    input_series: [
                        { series: `up{job="${COLLECTOR_SELF_JOB}",instance="otel-collector:8888"}`, values: up },
                        { series: series("delta", "1000"), values: deltaBefore },
                        { series: series("delta", "2000"), values: deltaAfter },
                        { series: series("cumulative", "1000"), values: cumulative },
                    ],
                    promql_expr_test: [
                        {
                            expr: `sum by (user_id) (sum_over_time(${recordedIncrease("cost")}[${END}m]))`,
                            eval_time: `${END}m`,
                            exp_samples: [
                                { labels: '{user_id="delta"}', value: 2 + 1 },
                                { labels: '{user_id="cumulative"}', value: 2 + 2.5 },
                            ],
                        },
                    ],
                },
            ],
            ctx.skip,
        );
        expect(out).toContain("SUCCESS");
    });

    it("increase() on the raw series gets these stories wrong (why the rules exist)", (ctx) => {
        // Documented by measurement: the naive query most stacks use misses first samples and
        // extrapolates. promtool reports the mismatch, which this test expects.
        expect(() =>
            runPromtoolTest(
                [
                    {
                        ...storyInput("claude_code_cost_usage_USD_total"),
                        promql_expr_test: [
                            {
                                expr: `sum by (user_id) (increase(claude_code_cost_usage_USD_total[${END_MIN}m]))`,
                                eval_time: `${END_MIN}m`,
                                exp_samples: [
                                    { labels: '{user_id="u1"}', value: spentBy("u1") },
                                    { labels: '{user_id="u2"}', value: spentBy("u2") },
                                ],
                            },
                        ],
                    },
                ],
                ctx.skip,
            ),
        ).toThrow(/FAILED/);
    });
});
