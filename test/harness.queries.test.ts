/**
 * Every query the program generates (dashboards, alert rules, and the recording rules behind them)
 * parses with the real grammars, and names only what the real telemetry has:
 *
 * - PromQL with Prometheus' own Lezer grammar (@prometheus-io/lezer-promql, Prometheus' UI),
 *   LogQL with Grafana's (@grafana/lezer-logql); any error node fails, with its position.
 * - Claude Code metric names are those the fixtures produce through the collector's translation;
 *   recorded `claude_code:…` names are records of incrementRuleGroups().
 * - Labels (matchers, by/without, on/ignoring/group_*) are on the series they are used on: raw
 *   series carry the fixture point labels plus scrape labels, recorded series what their rule keeps.
 * - LogQL event names occur as `event.name` in the fixture logs; filtered, kept, unwrapped and
 *   grouped labels are on the records of the selected event; the selector uses index labels; no `| json`.
 *
 * Pipeline queries (otelcol_*, prometheus_*, loki_*, up) are exempt from the name checks: they are
 * the collector's, Prometheus' and Loki's own metrics, which the Claude Code fixtures cannot contain
 * (their syntax is still checked).
 */
import { describe, expect, it } from "vitest";
import { incrementRuleGroups } from "../configs/rules";
import { DEFAULTS } from "../configs/settings";
import {
    CLAUDE_RAW_METRIC,
    CLAUDE_RECORDED_METRIC,
    LABEL_ALLOWLIST,
    type LintResult,
    type ProblemKind,
    SCRAPE_LABELS,
    checkLogQL,
    checkPromQL,
    fixtureTelemetry,
    logqlSyntaxErrors,
    lokiTruth,
    promTruth,
    promqlSyntaxErrors,
} from "./support/queryLint";
import { generatedQueries, interpolate, variableAsPromQL } from "../harness/queries";

/** Dashboard ranges and steps Grafana interpolates with: 6 hours at 1 minute, 30 days at 1 hour. */
const RANGES: readonly [rangeSeconds: number, stepSeconds: number][] = [
    [6 * 3600, 60],
    [30 * 86400, 3600],
];

interface Query {
    source: string;
    expr: string;
}

const generated = generatedQueries();
const ruleGroups = incrementRuleGroups();
const rules: Query[] = ruleGroups.flatMap((g) => g.rules.map((r) => ({ source: `recording rule ${"record" in r ? r.record : r.alert}`, expr: r.expr })));

/** The queries as Prometheus/Loki receive them: variables interpolated, `label_values` macros as series queries. */
function promQueries([range, step]: readonly [number, number]): Query[] {
    const dashboardsAndAlerts = generated.filter((q) => q.datasource === "prometheus").map((q) => ({ source: q.source, expr: interpolate(variableAsPromQL(q.expr), range, step) }));
    return [...dashboardsAndAlerts, ...rules];
}
function lokiQueries([range, step]: readonly [number, number]): Query[] {
    return generated.filter((q) => q.datasource === "loki").map((q) => ({ source: q.source, expr: interpolate(q.expr, range, step) }));
}

const fx = fixtureTelemetry();
const prom = promTruth(fx, ruleGroups);
const loki = lokiTruth(fx);
const records = new Set(ruleGroups.flatMap((g) => g.rules.flatMap((r) => ("record" in r ? [r.record] : []))));

/** Label names the collector gives the fixture points (before any allowlist). */
const fixtureLabels = new Set([...fx.metricLabels.values()].flatMap((s) => [...s]));

const show = (q: Query, message: string) => `${q.source}: ${message}\n    ${q.expr}`;

function lint(queries: Query[], check: (expr: string) => LintResult) {
    return queries.map((q) => ({ q, result: check(q.expr) }));
}
const problemsOf = (linted: { q: Query; result: LintResult }[], kinds: ProblemKind[]) =>
    linted.flatMap(({ q, result }) => result.problems.filter((p) => kinds.includes(p.kind)).map((p) => show(q, `[${p.kind}] ${p.message}`)));

describe("syntax: the real grammars accept every generated query", () => {
    it.each(RANGES)("PromQL (Prometheus' Lezer grammar), range %ss step %ss", (range, step) => {
        const queries = promQueries([range, step]);
        expect(queries.length).toBeGreaterThan(rules.length);
        const errors = queries.flatMap((q) => promqlSyntaxErrors(q.expr).map((e) => show(q, e)));
        expect(errors).toEqual([]);
    });

    it.each(RANGES)("LogQL (Grafana's Lezer grammar), range %ss step %ss", (range, step) => {
        const queries = lokiQueries([range, step]);
        expect(queries.length).toBeGreaterThan(0);
        const errors = queries.flatMap((q) => logqlSyntaxErrors(q.expr).map((e) => show(q, e)));
        expect(errors).toEqual([]);
    });
});

describe("the truth the names are checked against", () => {
    it("comes from the fixtures: eight Claude Code counters, their labels and events", () => {
        expect([...fx.metricLabels.keys()].sort()).toEqual([
            "claude_code_active_time_seconds_total",
            "claude_code_code_edit_tool_decision_total",
            "claude_code_commit_count_total",
            "claude_code_cost_usage_USD_total",
            "claude_code_lines_of_code_count_total",
            "claude_code_pull_request_count_total",
            "claude_code_session_count_total",
            "claude_code_token_usage_tokens_total",
        ]);
        expect(fx.eventKeys.get("api_request")).toContain("cost_usd");
        expect(loki.streamLabels).toEqual(new Set(["service_name"]));
    });

    it("the team label is really on the fixture series (s05, OTEL_RESOURCE_ATTRIBUTES), so it is not allowlisted", () => {
        expect(fixtureLabels).toContain(DEFAULTS.teamLabel);
        expect(fx.copiedResourceLabels).toContain(DEFAULTS.teamLabel);
        expect(Object.keys(LABEL_ALLOWLIST)).not.toContain(DEFAULTS.teamLabel);
    });

    it("the allowlist holds only labels the fixtures lack, each with a reason", () => {
        for (const [label, reason] of Object.entries(LABEL_ALLOWLIST)) {
            expect(fixtureLabels, label).not.toContain(label);
            expect([...fx.eventKeys.values()].some((keys) => keys.has(label)), label).toBe(false);
            expect(reason.length, label).toBeGreaterThan(20);
        }
        for (const [label, reason] of Object.entries(SCRAPE_LABELS)) expect(reason.length, label).toBeGreaterThan(20);
    });

    it("every recorded series has the labels its rule keeps (session labels aggregated away)", () => {
        expect([...prom.series.keys()].filter((k) => CLAUDE_RECORDED_METRIC.test(k)).sort()).toEqual([...records].sort());
        const cost = prom.series.get("claude_code:cost_usd:increase1m")!;
        expect(cost).toContain("model");
        expect(cost).toContain(DEFAULTS.teamLabel);
        expect(cost).not.toContain("session_id");
        expect(cost).not.toContain("type");
        expect(prom.series.get("claude_code:cost_usd:session_increase1m")).toContain("session_id");
    });
});

describe("names: every generated query names only what the telemetry has", () => {
    const [range] = RANGES;
    const promLinted = lint(promQueries(range), (e) => checkPromQL(e, prom));
    const lokiLinted = lint(lokiQueries(range), (e) => checkLogQL(e, loki));

    it("PromQL: Claude Code metrics are produced by the fixtures, recorded series are recording rules", () => {
        expect(problemsOf(promLinted, ["metric", "checker"])).toEqual([]);
        const used = new Set(promLinted.flatMap(({ result }) => [...result.names]));
        // Not vacuous: the recording rules read every raw counter, the dashboards read recorded series.
        expect([...used].filter((n) => CLAUDE_RAW_METRIC.test(n)).sort()).toEqual([...fx.metricLabels.keys()].sort());
        expect([...used].filter((n) => CLAUDE_RECORDED_METRIC.test(n)).length).toBeGreaterThan(3);
    });

    it("PromQL: labels in matchers, by/without and on/ignoring are on the series they are used on", () => {
        expect(problemsOf(promLinted, ["label"])).toEqual([]);
        expect(new Set(promLinted.flatMap(({ result }) => [...result.labels]))).toContain("user_id");
    });

    it("PromQL: no filter names a label its series lack (picking a model would empty the panel)", () => {
        const tolerated = promLinted.flatMap(({ q, result }) => result.tolerated.map((t) => ({ q, ...t })));
        expect(tolerated.map((t) => show(t.q, t.message))).toEqual([]);
    });

    it("LogQL: event names occur as event.name in the fixture logs", () => {
        expect(problemsOf(lokiLinted, ["event", "checker"])).toEqual([]);
        const used = new Set(lokiLinted.flatMap(({ result }) => [...result.names]));
        expect(used.size).toBeGreaterThan(2);
        for (const name of used) expect(loki.events.has(name), name).toBe(true);
    });

    it("LogQL: filtered, kept, unwrapped and grouped labels are on the selected event's records", () => {
        expect(problemsOf(lokiLinted, ["label"])).toEqual([]);
        const used = new Set(lokiLinted.flatMap(({ result }) => [...result.labels]));
        for (const l of ["service_name", "event_name", "cost_usd", "duration_ms", "tool_name"]) expect(used, l).toContain(l);
    });

    it("LogQL: stream selectors use index labels and select the Claude Code streams; no `| json` on the bare-string lines", () => {
        expect(problemsOf(lokiLinted, ["selector", "stage"])).toEqual([]);
        for (const body of fx.bodies) expect(body).toMatch(/^claude_code\.[a-z_]+$/);
    });

    it("LogQL: no filter names a label the selected events lack (tool events have no model)", () => {
        const tolerated = lokiLinted.flatMap(({ q, result }) => result.tolerated.map((t) => ({ q, ...t })));
        expect(tolerated.map((t) => show(t.q, t.message))).toEqual([]);
    });
});

describe("the checkers are not vacuous: each reports a deliberately broken query", () => {
    const kinds = (r: LintResult) => r.problems.map((p) => p.kind);

    it("PromQL syntax: an unclosed grouping, a leftover Grafana variable, a dangling operator", () => {
        expect(promqlSyntaxErrors("sum by (model (claude_code:cost_usd:increase1m)")).not.toEqual([]);
        expect(promqlSyntaxErrors("sum(sum_over_time(claude_code:cost_usd:increase1m[$__range]))")).not.toEqual([]);
        const [err] = promqlSyntaxErrors("sum(claude_code:cost_usd:increase1m) /");
        expect(err).toMatch(/offset 38/);
        expect(promqlSyntaxErrors("sum(claude_code:cost_usd:increase1m)")).toEqual([]);
    });

    it("LogQL syntax: an unclosed call, an unquoted value", () => {
        expect(logqlSyntaxErrors('sum(count_over_time({service_name="claude-code"} | event_name="api_request" [5m])')).not.toEqual([]);
        expect(logqlSyntaxErrors('{service_name="claude-code"} | event_name=api_request')).not.toEqual([]);
        expect(logqlSyntaxErrors('{service_name="claude-code"} | event_name="api_request"')).toEqual([]);
    });

    it("unknown metrics: the built-in exporter's unit-less name, an unknown record, a foreign metric", () => {
        expect(kinds(checkPromQL("sum(claude_code_cost_usage_total)", prom))).toEqual(["metric"]);
        expect(kinds(checkPromQL("sum(claude_code:cost_usd:increase5m)", prom))).toEqual(["metric"]);
        expect(kinds(checkPromQL('sum({__name__=~"claude_code_cost_.*_EUR_total"})', prom))).toEqual(["metric"]);
        expect(kinds(checkPromQL("sum(target_info)", prom))).toEqual(["metric"]);
        expect(kinds(checkPromQL("sum(claude_code_cost_usage_USD_total)", prom))).toEqual([]);
        expect(kinds(checkPromQL('sum(rate({__name__=~"otelcol_receiver_accepted_metric_points(_total)?"}[5m]))', prom))).toEqual([]);
    });

    it("unknown PromQL labels: nowhere, not on this series, aggregated away, lost in an inner aggregation, one side of on()", () => {
        expect(kinds(checkPromQL("sum by (project) (claude_code:cost_usd:increase1m)", prom))).toEqual(["label"]);
        expect(kinds(checkPromQL('claude_code:cost_usd:increase1m{project="x"}', prom))).toEqual(["label"]);
        expect(kinds(checkPromQL("sum by (type) (claude_code:cost_usd:increase1m)", prom))).toEqual(["label"]);
        expect(kinds(checkPromQL("sum by (session_id) (claude_code:cost_usd:increase1m)", prom))).toEqual(["label"]);
        expect(kinds(checkPromQL("sum without (session_id) (claude_code_cost_usage_USD_total)", prom))).toEqual([]);
        expect(kinds(checkPromQL("sum by (model) (sum by (user_id) (claude_code:cost_usd:increase1m))", prom))).toEqual(["label"]);
        expect(kinds(checkPromQL("sum by (model) (claude_code:cost_usd:increase1m) / on (model) sum (claude_code:commits:increase1m)", prom))).toEqual(["label"]);
        // A label absent from this series: a no-op when the matcher accepts "", an empty result otherwise.
        const all = checkPromQL('claude_code:commits:increase1m{model=~".*"}', prom);
        expect([kinds(all), all.tolerated.map((t) => t.label)]).toEqual([[], ["model"]]);
        expect(kinds(checkPromQL('claude_code:commits:increase1m{model="claude-opus-5-5"}', prom))).toEqual(["label"]);
    });

    it("unknown LogQL labels: not on the selected event, dropped by keep, an unwrap of a missing label", () => {
        const stream = '{service_name=~"claude-code(-desktop)?"}';
        expect(kinds(checkLogQL(`sum by (model) (count_over_time(${stream} | event_name="tool_result" [5m]))`, loki))).toEqual(["label"]);
        expect(kinds(checkLogQL(`sum by (model) (count_over_time(${stream} | event_name="api_request" | keep tool_name [5m]))`, loki))).toEqual(["label", "label"]);
        expect(kinds(checkLogQL(`sum(sum_over_time(${stream} | event_name="tool_result" | unwrap cost_usd [5m]))`, loki))).toEqual(["label"]);
        expect(kinds(checkLogQL(`${stream} | event_name="api_request" | project="x"`, loki))).toEqual(["label"]);
        expect(kinds(checkLogQL(`${stream} | event_name="api_error" | status_code >= 500`, loki))).toEqual([]);
        expect(kinds(checkLogQL(`${stream} | event_name="tool_result" | status_code >= 500`, loki))).toEqual(["label"]);
    });

    it("unknown event names: the long name that 2.1.332 does not send, a typo", () => {
        const stream = '{service_name="claude-code"}';
        expect(kinds(checkLogQL(`${stream} | event_name="claude_code.api_request"`, loki))).toEqual(["event"]);
        expect(kinds(checkLogQL(`sum(count_over_time(${stream} | event_name="api_requests" [5m]))`, loki))).toEqual(["event"]);
        expect(kinds(checkLogQL(`${stream} | event_name=~"api_(request|error)"`, loki))).toEqual([]);
    });

    it("LogQL stages and selectors: `| json`, a non-index selector label, a selector that selects nothing", () => {
        expect(kinds(checkLogQL('{service_name="claude-code"} | json | event_name="api_request"', loki))).toEqual(["stage"]);
        expect(kinds(checkLogQL('{job="claude-code"} | event_name="api_request"', loki))).toEqual(["selector", "selector"]);
        expect(kinds(checkLogQL('{service_name="claude"} | event_name="api_request"', loki))).toEqual(["selector"]);
    });
});
