/**
 * Static checks of generated PromQL and LogQL: syntax with the real grammars (the Lezer grammars
 * that Prometheus' UI and Grafana's Loki editor use), and names checked against the real
 * telemetry (the Claude Code 2.1.332 OTLP fixtures, translated as the collector and Loki do).
 *
 * Everything is read from the parse trees, never from the query text with regexes:
 * - PromQL (@prometheus-io/lezer-promql): `VectorSelector` › `Identifier` is the metric name,
 *   `UnquotedLabelMatcher`/`QuotedLabelMatcher` › `LabelName`/`QuotedLabelName` the matched label,
 *   `AggregateModifier` and `MatchingModifierClause` › `GroupingLabels` › `LabelName` the labels of
 *   `by`/`without` and `on`/`ignoring`/`group_left`/`group_right`.
 * - LogQL (@grafana/lezer-logql): `Selector` › `Matcher` the stream selector, `PipelineStage` ›
 *   `LabelFilter` › `Matcher`/`NumberFilter`/… the label filters, `KeepLabelsExpr` › `KeepLabel`,
 *   `DropLabelsExpr` › `DropLabel`, `UnwrapExpr` › `Identifier`, `Grouping` › `Labels` › `Identifier`.
 *
 * Label checks follow the labels through the expression (which labels a selector's series carry,
 * what an aggregation or a `keep` leaves), so `sum by (type)` of a series without `type` is caught
 * even though `type` exists on other series.
 */
import { parser as logqlParser } from "@grafana/lezer-logql";
import type { SyntaxNode } from "@lezer/common";
import type { LRParser } from "@lezer/lr";
import { parser as promqlParser } from "@prometheus-io/lezer-promql";
import { STREAM_START } from "../../configs/collector";
import { LOKI_INDEX_LABELS } from "../../configs/loki";
import type { RuleGroup } from "../../configs/prometheus";
import { loadScenario, scenarioNames } from "../../harness/otlp";
import { prometheusLabelName, prometheusMetricName } from "../../harness/promNames";

// ---------------------------------------------------------------------------------------------
// Syntax

/** Every error node (`⚠`) of the grammar's parse, with its position; empty when the query parses. */
export function syntaxErrors(parser: LRParser, expr: string): string[] {
    const out: string[] = [];
    parser.parse(expr).iterate({
        enter: (n) => {
            if (n.type.isError) out.push(`syntax error at offset ${n.from} (column ${n.from + 1}): ${excerpt(expr, n.from, n.to)}`);
        },
    });
    return out;
}

export const promqlSyntaxErrors = (expr: string): string[] => syntaxErrors(promqlParser, expr);
export const logqlSyntaxErrors = (expr: string): string[] => syntaxErrors(logqlParser, expr);

function excerpt(expr: string, from: number, to: number): string {
    const before = expr.slice(Math.max(0, from - 40), from);
    const bad = expr.slice(from, Math.max(to, from + 1));
    const after = expr.slice(Math.max(to, from + 1), Math.max(to, from + 1) + 40);
    return `${from > 40 ? "…" : ""}${before}⟪${bad}⟫${after}${after.length === 40 ? "…" : ""}`;
}

// ---------------------------------------------------------------------------------------------
// Small tree and string helpers

const kids = (n: SyntaxNode): SyntaxNode[] => {
    const out: SyntaxNode[] = [];
    for (let c = n.firstChild; c; c = c.nextSibling) out.push(c);
    return out;
};

/** Descendants named `name`, in document order, not descending into a match. */
function find(n: SyntaxNode, name: string): SyntaxNode[] {
    const out: SyntaxNode[] = [];
    for (const c of kids(n)) {
        if (c.name === name) out.push(c);
        else out.push(...find(c, name));
    }
    return out;
}

/** A PromQL/LogQL string literal's value: "…" and '…' with Go escapes, `…` raw. */
export function unquote(lit: string): string {
    const q = lit[0];
    const body = lit.slice(1, -1);
    if (q === "`") return body;
    const simple: Record<string, string> = { a: "\x07", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v", "\\": "\\", "'": "'", '"': '"' };
    return body.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}|.)/gs, (_m, e: string) => {
        if (e in simple) return simple[e];
        if (/^[xuU]/.test(e)) return String.fromCodePoint(parseInt(e.slice(1), 16));
        if (/^[0-7]{3}$/.test(e)) return String.fromCodePoint(parseInt(e, 8));
        return `\\${e}`;
    });
}

export type MatchOp = "=" | "!=" | "=~" | "!~";

/** Prometheus and Loki regexes are fully anchored (RE2; the simple patterns used here mean the same in JS). */
function fullRegex(re: string): RegExp {
    return new RegExp(`^(?:${re})$`);
}

export function matcherMatches(op: MatchOp, value: string, s: string): boolean {
    switch (op) {
        case "=":
            return s === value;
        case "!=":
            return s !== value;
        case "=~":
            return fullRegex(value).test(s);
        case "!~":
            return !fullRegex(value).test(s);
    }
}

const PROM_OPS: Record<string, MatchOp> = { EqlSingle: "=", Neq: "!=", EqlRegex: "=~", NeqRegex: "!~" };
const LOGQL_OPS: Record<string, MatchOp> = { Eq: "=", Neq: "!=", Re: "=~", Nre: "!~" };

/** A label set, or `any` where the checker cannot know it (pipeline metrics, parsers). */
export type Labels = ReadonlySet<string> | "any";
const union = (a: Labels, b: Labels): Labels => (a === "any" || b === "any" ? "any" : new Set([...a, ...b]));
const minus = (a: Labels, drop: Iterable<string>): Labels => {
    if (a === "any") return a;
    const out = new Set(a);
    for (const d of drop) out.delete(d);
    return out;
};
const EMPTY: ReadonlySet<string> = new Set();

/**
 * metric: unknown metric or recorded series; label: a label the series or log lines do not carry;
 * event: unknown event name; stage: a pipeline stage that cannot work on these lines (`| json`);
 * selector: a stream selector that is not on index labels or selects no Claude Code stream;
 * checker: a construct this checker does not model (so it cannot vouch for the query).
 */
export type ProblemKind = "metric" | "label" | "event" | "stage" | "selector" | "checker";
export interface Problem {
    kind: ProblemKind;
    message: string;
}

/** What a checker found: problems fail the test; tolerated findings are reported, not failed. */
export interface LintResult {
    problems: Problem[];
    /**
     * Matchers on a label that exists on other Claude Code series but not on this one, whose value
     * matches the empty string: a no-op (an absent label reads as ""), the dashboards' variable
     * "All" idiom. With a specific value selected such a selector matches nothing.
     */
    tolerated: { label: string; message: string }[];
    /** Metric names (PromQL) or event names (LogQL) the query uses. */
    names: Set<string>;
    /** Label names the query uses on Claude Code data (matchers, grouping, keep, unwrap…). */
    labels: Set<string>;
}
const newResult = (): LintResult => ({ problems: [], tolerated: [], names: new Set(), labels: new Set() });
const problem = (r: LintResult, kind: ProblemKind, message: string) => r.problems.push({ kind, message });
const tolerate = (r: LintResult, label: string, message: string) => r.tolerated.push({ label, message });

// ---------------------------------------------------------------------------------------------
// The real telemetry, from the fixtures

/**
 * Labels that are not in the fixtures but that Claude Code really sends, each with its reason.
 * They are asserted absent from the fixtures (so this list cannot hide a real label).
 */
export const LABEL_ALLOWLIST: Readonly<Record<string, string>> = {
    vcs_repository_name:
        "vcs.repository.name, a standard attribute on every point and record with OTEL_METRICS_INCLUDE_REPOSITORY=true (claude-code-telemetry.md §4, observed); the fixtures ran without it",
};

/** Labels on every Claude Code series besides the point attributes. */
export const SCRAPE_LABELS: Readonly<Record<string, string>> = {
    job: "service.name, set by the collector's prometheus exporter (kept with honor_labels)",
    instance: "added by Prometheus at scrape time (the exporter sets none: no service.instance.id)",
    otel_scope_name: "instrumentation scope name, added by the prometheus exporter",
    otel_scope_version: "instrumentation scope version, added by the prometheus exporter",
    [STREAM_START.label]: "the point's start time, added by the collector's transform/stream_start (configs/collector.ts)",
};

/** Metrics of the pipeline itself: the collector's, Prometheus' and Loki's own, and scrape health. */
export const PIPELINE_METRIC = /^(otelcol_|prometheus_|loki_)|^up$/;
export const CLAUDE_RAW_METRIC = /^claude_code_/;
export const CLAUDE_RECORDED_METRIC = /^claude_code:/;

export interface FixtureTelemetry {
    /** Prometheus name (collector translation, monotonic sums) → label names on its points. */
    metricLabels: Map<string, Set<string>>;
    /** Resource attributes also copied onto every point/record (OTEL_RESOURCE_ATTRIBUTES), as label names. */
    copiedResourceLabels: Set<string>;
    /** event.name value → Loki names (dots → underscores) of the attribute keys of its records. */
    eventKeys: Map<string, Set<string>>;
    /** The distinct resources of the log records (Loki names → values). */
    logResources: Record<string, string>[];
    /** Log record bodies. */
    bodies: Set<string>;
}

/** Loki stores OTLP attribute names normalized like Prometheus label names (dots → underscores). */
export const lokiLabelName = prometheusLabelName;

export function fixtureTelemetry(): FixtureTelemetry {
    const fx: FixtureTelemetry = { metricLabels: new Map(), copiedResourceLabels: new Set(), eventKeys: new Map(), logResources: [], bodies: new Set() };
    const resourcesSeen = new Set<string>();
    for (const scenario of scenarioNames()) {
        for (const req of loadScenario(scenario).requests) {
            if (req.kind === "metrics") {
                for (const p of req.points) {
                    // Claude Code sends only monotonic sums (parseMetricsRequest rejects anything but sums).
                    if (!p.monotonic) throw new Error(`${scenario}: ${p.name} is not monotonic; its Prometheus name would differ`);
                    const name = prometheusMetricName(p.name, p.unit, "monotonic_sum");
                    const labels = fx.metricLabels.get(name) ?? new Set<string>();
                    fx.metricLabels.set(name, labels);
                    for (const k of Object.keys(p.attributes)) {
                        labels.add(prometheusLabelName(k));
                        if (k in p.resource) fx.copiedResourceLabels.add(prometheusLabelName(k));
                    }
                }
            } else {
                for (const e of req.events) {
                    const name = String(e.attributes["event.name"]);
                    const keys = fx.eventKeys.get(name) ?? new Set<string>();
                    fx.eventKeys.set(name, keys);
                    for (const k of Object.keys(e.attributes)) {
                        keys.add(lokiLabelName(k));
                        if (k in e.resource) fx.copiedResourceLabels.add(lokiLabelName(k));
                    }
                    fx.bodies.add(e.body);
                    const resource = Object.fromEntries(Object.entries(e.resource).map(([k, v]) => [lokiLabelName(k), String(v)]));
                    const key = JSON.stringify(resource);
                    if (!resourcesSeen.has(key)) {
                        resourcesSeen.add(key);
                        fx.logResources.push(resource);
                    }
                }
            }
        }
    }
    return fx;
}

// ---------------------------------------------------------------------------------------------
// PromQL

export interface PromTruth {
    /** Claude Code series name (raw and recorded) → the labels its series carry. */
    series: ReadonlyMap<string, ReadonlySet<string>>;
    /** Every label on some Claude Code series (incl. allowlisted and scrape labels, `__name__`). */
    anyLabel: ReadonlySet<string>;
}

/**
 * Raw series: fixture point labels + resource attributes copied onto points (on every point, not
 * only the fixture runs that set them) + allowlist + scrape labels. Recorded series: the labels the
 * recording rule's own expression leaves (inferred from its tree against the raw series).
 */
export function promTruth(fx: FixtureTelemetry, ruleGroups: RuleGroup[]): PromTruth {
    const raw = new Map<string, ReadonlySet<string>>();
    const extra = [...fx.copiedResourceLabels, ...Object.keys(LABEL_ALLOWLIST), ...Object.keys(SCRAPE_LABELS)];
    for (const [name, labels] of fx.metricLabels) raw.set(name, new Set([...labels, ...extra]));
    const anyLabel = new Set<string>(["__name__"]);
    for (const labels of raw.values()) for (const l of labels) anyLabel.add(l);
    const rawTruth: PromTruth = { series: raw, anyLabel };

    const series = new Map(raw);
    for (const group of ruleGroups) {
        for (const rule of group.rules) {
            if (!("record" in rule)) continue;
            const result = newResult();
            const labels = promLabelsOf(promqlParser.parse(rule.expr).topNode, rule.expr, rawTruth, result);
            if (labels === "any" || result.problems.length > 0) {
                throw new Error(`cannot infer the labels of recorded series ${rule.record}: ${result.problems.map((p) => p.message).join("; ") || "unknown labels"}`);
            }
            series.set(rule.record, minus(labels, ["__name__"]) as ReadonlySet<string>);
        }
    }
    return { series, anyLabel };
}

/** Checks one PromQL expression's metric names and label names against the truth. */
export function checkPromQL(expr: string, truth: PromTruth): LintResult {
    const result = newResult();
    const tree = promqlParser.parse(expr);
    promLabelsOf(tree.topNode, expr, truth, result);
    return result;
}

/** Labels of the series an expression returns; checks names on the way. */
function promLabelsOf(n: SyntaxNode, src: string, truth: PromTruth, r: LintResult): Labels {
    const text = (x: SyntaxNode) => src.slice(x.from, x.to);
    const rec = (x: SyntaxNode) => promLabelsOf(x, src, truth, r);
    switch (n.name) {
        case "PromQL": {
            const e = kids(n).find((c) => c.name !== "LineComment");
            return e ? rec(e) : EMPTY;
        }
        case "ParenExpr":
        case "MatrixSelector":
        case "SubqueryExpr":
        case "OffsetExpr":
        case "StepInvariantExpr":
        case "AnchoredExpr":
        case "SmoothedExpr":
            // The expression is the first child; the rest are durations, offsets, `@` modifiers.
            return rec(n.firstChild!);
        case "UnaryExpr":
            return minus(rec(n.lastChild!), ["__name__"]);
        case "NumberDurationLiteral":
        case "StringLiteral":
            return EMPTY;
        case "VectorSelector":
            return promSelector(n, src, truth, r);
        case "FunctionCall": {
            const fn = n.getChild("FunctionIdentifier")!.firstChild!.name;
            const args = kids(n.getChild("FunctionCallBody") ?? n).filter((c) => c.name !== "FunctionIdentifier");
            const argLabels = args.map(rec);
            if (fn === "Vector" || fn === "Scalar" || fn === "Time" || fn === "Pi") return EMPTY;
            if (fn === "Absent" || fn === "AbsentOverTime") return EMPTY;
            if (fn === "Info") return "any";
            let out = argLabels.reduce<Labels>((a, b) => union(a, b), EMPTY);
            if ((fn === "LabelReplace" || fn === "LabelJoin") && args[1]?.name === "StringLiteral") out = union(out, new Set([unquote(text(args[1]))]));
            return minus(out, ["__name__"]);
        }
        case "AggregateExpr": {
            const op = n.getChild("AggregateOp")!.firstChild!.name;
            const args = kids(n.getChild("FunctionCallBody")!);
            const argLabels = args.map(rec);
            const input = minus(argLabels[argLabels.length - 1] ?? EMPTY, ["__name__"]);
            const added = op === "CountValues" && args[0]?.name === "StringLiteral" ? [unquote(text(args[0]))] : [];
            const modifier = n.getChild("AggregateModifier");
            if (modifier) {
                const grouping = grouped(modifier, src);
                checkGrouping(grouping, input, `${text(modifier.firstChild!)} (…)`, r, truth);
                if (modifier.getChild("Without")) return union(minus(input, grouping), new Set(added));
                return new Set([...grouping, ...added]);
            }
            if (op === "Topk" || op === "Bottomk" || op === "LimitK" || op === "LimitRatio") return input;
            return new Set(added);
        }
        case "BinaryExpr": {
            const lhsNode = n.firstChild!;
            const rhsNode = n.lastChild!;
            const lhs = rec(lhsNode);
            const rhs = rec(rhsNode);
            const op = lhsNode.nextSibling!.name;
            const matching = n.getChild("MatchingModifierClause");
            let on: string[] | undefined;
            let ignoring: string[] = [];
            let include: string[] = [];
            let side: "left" | "right" | undefined;
            if (matching) {
                // Children in order: On|Ignoring, GroupingLabels?, GroupLeft|GroupRight?, GroupingLabels?
                let current: "on" | "ignoring" | "include" | undefined;
                for (const c of kids(matching)) {
                    if (c.name === "On") [current, on] = ["on", []];
                    else if (c.name === "Ignoring") current = "ignoring";
                    else if (c.name === "GroupLeft" || c.name === "GroupRight") [current, side] = ["include", c.name === "GroupLeft" ? "left" : "right"];
                    else if (c.name === "GroupingLabels") {
                        const list = labelList(c, src);
                        if (current === "on") on = list;
                        else if (current === "ignoring") ignoring = list;
                        else if (current === "include") include = list;
                    }
                }
                const clause = text(matching);
                for (const l of [...(on ?? []), ...ignoring]) {
                    r.labels.add(l);
                    for (const [sideLabels, which] of [[lhs, "left"], [rhs, "right"]] as const) {
                        if (sideLabels !== "any" && !sideLabels.has(l)) problem(r, "label", `\`${clause}\`: label ${l} is not on the ${which}-hand side's series (${describe(sideLabels)})`);
                    }
                }
                const one = side === "left" ? rhs : lhs;
                checkGrouping(include, one, clause, r, truth);
            }
            if (op === "Or") return union(lhs, rhs);
            if (op === "And" || op === "Unless") return lhs;
            let out: Labels;
            if (side === "left") out = union(lhs, new Set(include));
            else if (side === "right") out = union(rhs, new Set(include));
            else if (on) out = new Set(on);
            else out = minus(union(lhs, rhs), ignoring);
            return minus(out, ["__name__"]);
        }
        default:
            problem(r, "checker", `the checker does not understand PromQL node ${n.name} in ${text(n)}`);
            return "any";
    }
}

/** Label names of a `GroupingLabels` node. */
function labelList(g: SyntaxNode, src: string): string[] {
    return kids(g).map((c) => (c.name === "QuotedLabelName" ? unquote(src.slice(c.firstChild!.from, c.firstChild!.to)) : src.slice(c.from, c.to)));
}

/** The labels of an `AggregateModifier` (`by (…)` / `without (…)`). */
function grouped(modifier: SyntaxNode, src: string): string[] {
    const g = modifier.getChild("GroupingLabels");
    return g ? labelList(g, src) : [];
}

function checkGrouping(labels: string[], input: Labels, clause: string, r: LintResult, truth: { anyLabel: ReadonlySet<string> }): void {
    for (const l of labels) {
        if (input === "any") continue;
        r.labels.add(l);
        if (!input.has(l)) {
            const where = truth.anyLabel.has(l) ? "exists on other series but not on these" : "occurs on no Claude Code series";
            problem(r, "label", `${clause}: label ${l} ${where} (input labels: ${describe(input)})`);
        }
    }
}

const describe = (l: Labels) => (l === "any" ? "any" : [...l].sort().join(", ") || "none");

function promSelector(n: SyntaxNode, src: string, truth: PromTruth, r: LintResult): Labels {
    const text = (x: SyntaxNode) => src.slice(x.from, x.to);
    const matchers: { label: string; op: MatchOp; value: string }[] = [];
    let name: string | undefined = n.getChild("Identifier") ? text(n.getChild("Identifier")!) : undefined;
    const lm = n.getChild("LabelMatchers");
    for (const m of lm ? kids(lm) : []) {
        if (m.name === "QuotedLabelName") {
            name = unquote(text(m.firstChild!)); // `{"metric.name", …}`
            continue;
        }
        const labelNode = m.getChild("LabelName") ?? m.getChild("QuotedLabelName")!;
        const label = labelNode.name === "QuotedLabelName" ? unquote(text(labelNode.firstChild!)) : text(labelNode);
        const op = PROM_OPS[m.getChild("MatchOp")!.firstChild!.name];
        const value = unquote(text(m.getChild("StringLiteral")!));
        matchers.push({ label, op, value });
    }
    const nameMatcher = matchers.find((m) => m.label === "__name__");
    if (!name && nameMatcher?.op === "=") name = nameMatcher.value;

    let candidates: string[];
    if (name) {
        r.names.add(name);
        if (PIPELINE_METRIC.test(name)) return "any"; // the pipeline's own metrics: not in the Claude Code fixtures
        if (!truth.series.has(name)) {
            if (CLAUDE_RAW_METRIC.test(name)) problem(r, "metric", `metric ${name} is not produced by Claude Code (fixtures translated by the collector: ${[...truth.series.keys()].filter((k) => CLAUDE_RAW_METRIC.test(k)).sort().join(", ")})`);
            else if (CLAUDE_RECORDED_METRIC.test(name)) problem(r, "metric", `recorded series ${name} is not a record of incrementRuleGroups()`);
            else problem(r, "metric", `metric ${name} is neither a Claude Code metric nor a pipeline metric`);
            return "any";
        }
        candidates = [name];
    } else if (nameMatcher) {
        // `{__name__=~"otelcol_…(_total)?"}`: a pipeline pattern when its literal prefix is one.
        if (PIPELINE_METRIC.test(/^\^?([a-zA-Z0-9_:]*)/.exec(nameMatcher.value)![1])) {
            r.names.add(nameMatcher.value);
            return "any";
        }
        candidates = [...truth.series.keys()].filter((k) => matcherMatches(nameMatcher.op, nameMatcher.value, k));
        if (candidates.length === 0) {
            problem(r, "metric", `__name__${nameMatcher.op}"${nameMatcher.value}" matches no Claude Code metric`);
            return "any";
        }
        for (const c of candidates) r.names.add(c);
    } else {
        problem(r, "metric", `selector ${text(n)} has no metric name`);
        return "any";
    }

    const labels = new Set<string>(["__name__"]);
    for (const c of candidates) for (const l of truth.series.get(c)!) labels.add(l);
    for (const m of matchers) {
        if (m.label === "__name__") continue;
        r.labels.add(m.label);
        if (labels.has(m.label)) continue;
        const shown = `${text(n)}: ${m.label}${m.op}"${m.value}"`;
        if (truth.anyLabel.has(m.label) && matcherMatches(m.op, m.value, "")) tolerate(r, m.label, `${shown}: ${m.label} is not on ${candidates.join(", ")}; the matcher matches the absent label`);
        else if (truth.anyLabel.has(m.label)) problem(r, "label", `${shown}: ${m.label} is not on ${candidates.join(", ")}, so the selector matches nothing`);
        else problem(r, "label", `${shown}: label ${m.label} occurs on no Claude Code series`);
    }
    return labels;
}

// ---------------------------------------------------------------------------------------------
// LogQL

export interface LokiTruth {
    /** Index (stream) labels: the configured LOKI_INDEX_LABELS the fixture resources carry. */
    streamLabels: ReadonlySet<string>;
    /** The streams of the fixtures (their index labels). */
    streams: Record<string, string>[];
    /** event name → structured metadata and labels on its log lines. */
    events: ReadonlyMap<string, ReadonlySet<string>>;
    /** Every label on some Claude Code log line. */
    anyLabel: ReadonlySet<string>;
}

/**
 * What Loki's OTLP endpoint stores (claude-code-telemetry.md §6.4): resource attributes in
 * LOKI_INDEX_LABELS become index labels, other resource attributes and every log attribute
 * structured metadata, names normalized (dots → underscores). Resource attributes copied onto
 * records (OTEL_RESOURCE_ATTRIBUTES) are on every record of every event.
 */
export function lokiTruth(fx: FixtureTelemetry): LokiTruth {
    const index = new Set(LOKI_INDEX_LABELS.map(lokiLabelName));
    const streamLabels = new Set<string>();
    const resourceMetadata = new Set<string>();
    for (const res of fx.logResources) for (const k of Object.keys(res)) (index.has(k) ? streamLabels : resourceMetadata).add(k);
    const streamKeys = new Set(fx.logResources.map((res) => JSON.stringify(Object.entries(res).filter(([k]) => index.has(k)))));
    const streams = [...streamKeys].map((k) => Object.fromEntries(JSON.parse(k) as [string, string][]));
    const common = [...streamLabels, ...resourceMetadata, ...fx.copiedResourceLabels, ...Object.keys(LABEL_ALLOWLIST)];
    const events = new Map<string, ReadonlySet<string>>();
    const anyLabel = new Set<string>(common);
    for (const [name, keys] of fx.eventKeys) {
        events.set(name, new Set([...keys, ...common]));
        for (const k of keys) anyLabel.add(k);
    }
    return { streamLabels, streams, events, anyLabel };
}

/** Checks one LogQL expression's stream selector, event names, stages and labels against the truth. */
export function checkLogQL(expr: string, truth: LokiTruth): LintResult {
    const result = newResult();
    logLabelsOf(logqlParser.parse(expr).topNode, expr, truth, result);
    return result;
}

function logLabelsOf(n: SyntaxNode, src: string, truth: LokiTruth, r: LintResult): Labels {
    const text = (x: SyntaxNode) => src.slice(x.from, x.to);
    const rec = (x: SyntaxNode) => logLabelsOf(x, src, truth, r);
    switch (n.name) {
        case "LogQL":
        case "Expr":
        case "MetricExpr": {
            const e = kids(n).find((c) => c.name !== "LineComment");
            return e ? rec(e) : EMPTY;
        }
        case "LogExpr":
        case "LogRangeExpr":
            return logStream(n, src, truth, r);
        case "LiteralExpr":
        case "VectorExpr":
            return EMPTY;
        case "RangeAggregationExpr": {
            const input = rec(n.getChild("LogRangeExpr")!);
            return applyGrouping(n.getChild("Grouping"), input, src, r, truth, "");
        }
        case "VectorAggregationExpr": {
            const op = n.getChild("VectorOp")!.firstChild!.name;
            const input = rec(n.getChild("MetricExpr")!);
            const keepsInput = ["Topk", "Bottomk", "Sort", "Sort_Desc", "Approx_Topk"].includes(op);
            return applyGrouping(n.getChild("Grouping"), input, src, r, truth, keepsInput ? "keep" : "drop");
        }
        case "BinOpExpr": {
            const [lhsNode, rhsNode] = n.getChildren("Expr");
            const lhs = rec(lhsNode);
            const rhs = rec(rhsNode);
            const op = lhsNode.nextSibling!.name;
            const mod = n.getChild("BinOpModifier");
            const onOrIgnoring = mod?.getChild("OnOrIgnoringModifier");
            let on: string[] | undefined;
            let ignoring: string[] = [];
            let include: string[] = [];
            let side: "left" | "right" | undefined;
            if (onOrIgnoring) {
                const list = find(onOrIgnoring, "LabelName").map(text);
                if (onOrIgnoring.getChild("On")) on = list;
                else ignoring = list;
                for (const l of list) {
                    r.labels.add(l);
                    for (const [sideLabels, which] of [[lhs, "left"], [rhs, "right"]] as const) {
                        if (sideLabels !== "any" && !sideLabels.has(l)) problem(r, "label", `\`${text(onOrIgnoring)}\`: label ${l} is not on the ${which}-hand side (${describe(sideLabels)})`);
                    }
                }
                const g = mod!.getChild("GroupLeft") ?? mod!.getChild("GroupRight");
                if (g) {
                    side = g.name === "GroupLeft" ? "left" : "right";
                    const after = mod!.getChildren("GroupingLabels").find((x) => x.from > g.from);
                    include = after ? find(after, "LabelName").map(text) : [];
                    checkGrouping(include, side === "left" ? rhs : lhs, text(mod!), r, truth);
                }
            }
            if (op === "Or") return union(lhs, rhs);
            if (op === "And" || op === "Unless") return lhs;
            if (side === "left") return union(lhs, new Set(include));
            if (side === "right") return union(rhs, new Set(include));
            if (on) return new Set(on);
            return minus(union(lhs, rhs), ignoring);
        }
        case "LabelReplaceExpr": {
            const input = rec(n.getChild("MetricExpr")!);
            const dst = n.getChildren("String")[0];
            return dst ? union(input, new Set([unquote(text(dst))])) : input;
        }
        default:
            problem(r, "checker", `the checker does not understand LogQL node ${n.name} in ${text(n)}`);
            return "any";
    }
}

/** `by (…)` / `without (…)` of a range or vector aggregation; without one, `keep` or `drop` the input labels. */
function applyGrouping(grouping: SyntaxNode | null, input: Labels, src: string, r: LintResult, truth: LokiTruth, none: "keep" | "drop" | ""): Labels {
    if (!grouping) return none === "drop" ? EMPTY : input;
    const labels = find(grouping, "Identifier").map((x) => src.slice(x.from, x.to));
    checkGrouping(labels, input, src.slice(grouping.from, grouping.to), r, truth);
    return grouping.getChild("Without") ? minus(input, labels) : new Set(labels);
}

/**
 * A stream selector and its pipeline, stage by stage: the labels available start as the stream's
 * index labels plus the structured metadata of the selected event (or of any event when the query
 * does not select exactly one), `keep`/`drop`/`label_format` change them, parsers make them unknown.
 */
function logStream(n: SyntaxNode, src: string, truth: LokiTruth, r: LintResult): Labels {
    const text = (x: SyntaxNode) => src.slice(x.from, x.to);
    const matcherOf = (m: SyntaxNode) => ({
        label: text(m.getChild("Identifier")!),
        op: LOGQL_OPS[m.getChild("Identifier")!.nextSibling!.name],
        value: unquote(text(m.getChild("String")!)),
    });

    // Stream selector: index labels only, and it must select the fixtures' streams.
    const selector = find(n, "Selector")[0];
    const streamMatchers = selector ? find(selector, "Matcher").map(matcherOf) : [];
    for (const m of streamMatchers) {
        r.labels.add(m.label);
        if (!truth.streamLabels.has(m.label)) problem(r, "selector", `stream selector ${text(selector!)}: ${m.label} is not an index label (index labels: ${describe(truth.streamLabels)})`);
    }
    if (selector && !truth.streams.some((s) => streamMatchers.every((m) => matcherMatches(m.op, m.value, s[m.label] ?? "")))) {
        problem(r, "selector", `stream selector ${text(selector)} selects none of the Claude Code streams (${truth.streams.map((s) => JSON.stringify(s)).join(", ")})`);
    }

    // Pipeline stages in order, and unwrap after them.
    const stages = find(n, "PipelineStage");
    const filterMatchers = stages.filter((s) => s.getChild("LabelFilter")).flatMap((s) => find(s, "Matcher").map(matcherOf));
    const selected = new Set<string>();
    for (const m of filterMatchers.filter((m) => m.label === "event_name")) {
        const known = [...truth.events.keys()];
        const hits = known.filter((e) => matcherMatches(m.op, m.value, e));
        if (m.op === "=" || m.op === "!=" ? !truth.events.has(m.value) : hits.length === 0) {
            problem(r, "event", `event_name${m.op}"${m.value}": no such event name in the fixtures (${known.sort().join(", ")})`);
        }
        if (m.op === "=") selected.add(m.value);
        r.names.add(m.value);
    }
    const scopeEvent = selected.size === 1 ? [...selected][0] : undefined;
    let available: Labels;
    if (scopeEvent && truth.events.has(scopeEvent)) available = truth.events.get(scopeEvent)!;
    else available = new Set([...truth.events.values()].flatMap((s) => [...s]));
    const scope = scopeEvent ? `${scopeEvent} events` : "any event";

    const use = (label: string, where: string, op?: MatchOp, value?: string) => {
        r.labels.add(label);
        if (available === "any" || available.has(label) || label === "__error__" || label === "__error_details__") return;
        const shown = `${where}: ${label}`;
        if (op && value !== undefined && truth.anyLabel.has(label) && matcherMatches(op, value, "")) tolerate(r, label, `${shown}${op}"${value}": ${label} is not on ${scope}; the filter matches the absent label`);
        else if (truth.anyLabel.has(label)) problem(r, "label", `${shown} is not on ${scope} (available: ${describe(available)})`);
        else problem(r, "label", `${shown} occurs on no Claude Code log line`);
    };

    for (const stage of stages) {
        const s = stage.lastChild!;
        const where = `\`${text(stage).trim()}\``;
        switch (s.name) {
            case "LineFilters":
            case "LineFormatExpr":
            case "DecolorizeExpr":
                break;
            case "LabelParser":
            case "JsonExpressionParser":
            case "LogfmtParser":
            case "LogfmtExpressionParser":
                if (s.getChild("Json") || s.getChild("Unpack")) problem(r, "stage", `${where}: the log line is a bare string such as claude_code.api_request, not JSON; filter on the structured metadata instead`);
                available = "any";
                break;
            case "LabelFilter":
                for (const f of [...find(s, "Matcher"), ...find(s, "NumberFilter"), ...find(s, "DurationFilter"), ...find(s, "BytesFilter"), ...find(s, "IpLabelFilter")]) {
                    if (f.name === "Matcher") {
                        const m = matcherOf(f);
                        use(m.label, where, m.op, m.value);
                    } else use(text(f.getChild("Identifier")!), where);
                }
                break;
            case "KeepLabelsExpr": {
                const kept = find(s, "KeepLabel").map((k) => text(find(k, "Identifier")[0] ?? k));
                for (const l of kept) use(l, where);
                available = new Set(kept);
                break;
            }
            case "DropLabelsExpr": {
                const dropped = find(s, "DropLabel").map((k) => text(find(k, "Identifier")[0] ?? k));
                for (const l of dropped) use(l, where);
                available = minus(available, dropped);
                break;
            }
            case "LabelFormatExpr":
                for (const m of find(s, "LabelFormatMatcher")) {
                    const [target, source] = m.getChildren("Identifier");
                    if (source) use(text(source), where);
                    available = union(available, new Set([text(target)]));
                }
                break;
            default:
                problem(r, "checker", `${where}: the checker does not understand LogQL stage ${s.name}`);
                available = "any";
        }
    }
    for (const u of find(n, "UnwrapExpr").flatMap((x) => [x, ...find(x, "UnwrapExpr")])) {
        const id = u.getChild("Identifier");
        if (id) use(text(id), `\`${text(u).trim()}\``);
        for (const f of u.getChildren("LabelFilter")) for (const m of find(f, "Matcher").map(matcherOf)) use(m.label, `\`${text(f)}\``, m.op, m.value);
    }
    return available;
}
