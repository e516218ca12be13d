/**
 * Grafana-managed alert rules, as plain data for `grafana.alerting.RuleGroup`.
 *
 * Every rule is one or more data queries (Prometheus or Loki, instant) followed by Grafana
 * server-side expressions: a reduce per query, then a math condition, the shape Grafana's own
 * rule editor produces. Expressions come from the same measures as the dashboards, and links
 * name panels by the ids the dashboards declare.
 *
 * Queries and expressions are built with the foundation SDK's alerting and expr builders. The
 * rule around them stays in the provider's shape (name, datas, model as a JSON string): the
 * SDK's Rule is the provisioning API's (title, data, model as an object, org and folder ids).
 */
import { QueryBuilder } from "@grafana/grafana-foundation-sdk/alerting";
import { TypeMathBuilder, TypeReduceBuilder } from "@grafana/grafana-foundation-sdk/expr";
import { EVENTS_PANELS, EVENTS_UID } from "./dashboards/events";
import { logql, query } from "./dashboards/model";
import { OVERVIEW_PANELS, OVERVIEW_UID } from "./dashboards/overview";
import { PIPELINE_PANELS, PIPELINE_UID } from "./dashboards/pipeline";
import { PRODUCTIVITY_PANELS, PRODUCTIVITY_UID } from "./dashboards/productivity";
import { eventSignals } from "./events";
import { pipelineSignals } from "./pipeline";
import type { BudgetPeriod, BudgetScope, PlainSettings } from "./settings";
import { PROMPT_TOKEN_TYPES, recordedIncrease, signals, total } from "./signals";
import { DATASOURCE_UIDS } from "./topology";

export interface AlertQuery {
    refId: string;
    datasourceUid: string;
    queryType?: string;
    relativeTimeRange: { from: number; to: number };
    model: string;
}

export interface AlertRule {
    name: string;
    uid: string;
    condition: string;
    for: string;
    noDataState: string;
    execErrState: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
    datas: AlertQuery[];
}

export interface AlertGroup {
    name: string;
    intervalSeconds: number;
    rules: AlertRule[];
}

const EXPR = { type: "__expr__", uid: "__expr__" };

export interface DataQuery {
    /** Variable name in the condition, e.g. "spend". */
    name: string;
    datasource: "prometheus" | "loki";
    expr: string;
    /** How far back the query reads, in seconds (the range its expression covers). */
    lookbackSeconds: number;
}

/** An instant query of a Grafana-managed rule (alert or recording), with the same model the dashboards' queries have. */
export function dataQuery(q: DataQuery): QueryBuilder {
    const data = new QueryBuilder(q.name)
        .datasourceUid(DATASOURCE_UIDS[q.datasource])
        .relativeTimeRange({ from: q.lookbackSeconds, to: 0 })
        .model(query({ refId: q.name, expr: q.datasource === "loki" ? logql(q.expr) : q.expr, instant: true }));
    return q.datasource === "loki" ? data.queryType("instant") : data;
}

/** The provider takes each query's model as a JSON string; the builders set every other field. */
export function providerQuery(q: QueryBuilder): AlertQuery {
    const { model, ...rest } = q.build();
    return { ...(rest as Omit<AlertQuery, "model">), model: JSON.stringify(model) };
}

/**
 * A rule from data queries and a math condition over their reduced values (`$spend > 20`).
 * Each query Q becomes refId Q (data) and Q_value (reduce: last, no-data as 0 so sums of nothing
 * read as 0), and the condition is refId "condition".
 */
export function rule(args: {
    name: string;
    uid: string;
    queries: DataQuery[];
    condition: string;
    forDuration: string;
    noDataState?: "OK" | "NoData" | "Alerting";
    severity: "info" | "warning" | "critical";
    summary: string;
    description: string;
    dashboardUid: string;
    panelId?: number;
    grafanaUrl: string;
    labels?: Record<string, string>;
}): AlertRule {
    const datas: QueryBuilder[] = [];
    let math = args.condition;
    for (const q of args.queries) {
        datas.push(dataQuery(q));
        const value = `${q.name}_value`;
        datas.push(
            new QueryBuilder(value)
                .datasourceUid(EXPR.uid)
                .relativeTimeRange({ from: 0, to: 0 })
                .model(new TypeReduceBuilder().refId(value).expression(q.name).reducer("last").settings({ mode: "replaceNN", replaceWithValue: 0 }).datasource(EXPR)),
        );
        math = math.replaceAll(`$${q.name}`, `$${value}`);
    }
    datas.push(
        new QueryBuilder("condition")
            .datasourceUid(EXPR.uid)
            .relativeTimeRange({ from: 0, to: 0 })
            .model(new TypeMathBuilder().refId("condition").expression(math).datasource(EXPR)),
    );
    return {
        name: args.name,
        uid: args.uid,
        condition: "condition",
        for: args.forDuration,
        noDataState: args.noDataState ?? "OK",
        execErrState: "Error",
        labels: { severity: args.severity, component: "claude-code", ...(args.labels ?? {}) },
        annotations: {
            summary: args.summary,
            description: args.description,
            runbook_url: `${args.grafanaUrl}/d/${args.dashboardUid}${args.panelId ? `?viewPanel=${args.panelId}` : ""}`,
            __dashboardUid__: args.dashboardUid,
            ...(args.panelId ? { __panelId__: String(args.panelId) } : {}),
        },
        datas: datas.map(providerQuery),
    };
}

// ---------------------------------------------------------------------------------------------
// Calendar periods (UTC). PromQL has no "since midnight", so:
// - today so far: a subquery walks the last day minute by minute; each step reads the
//   increments of its own minute and keeps them if the step (less 1 ms: a minute ending at 00:00
//   belongs to the day before) falls on the same UTC day as the evaluation time (`@ end()` pins
//   that inside the subquery);
// - this month so far: the complete days of this month (a subquery stepping at UTC midnights,
//   each step summing the day before it) plus today so far.
// Long windows are read day by day (or hour by hour), never as one huge range, so an evaluation
// holds few samples at a time.
// ---------------------------------------------------------------------------------------------

/** The label a budget scope groups by (none for the total). */
export function scopeLabels(scope: BudgetScope, teamLabel: string): string[] {
    return scope === "total" ? [] : scope === "user" ? ["user_id"] : [teamLabel];
}

const grouping = (by: readonly string[]) => (by.length > 0 ? ` by (${by.join(", ")})` : "");
const COST = recordedIncrease("cost");
/** The UTC calendar value (day of year, month) of the evaluation time, usable inside subqueries. */
const atEnd = (fn: string) => `scalar(last_over_time(${fn}(vector(time()))[1m:1m] @ end()))`;

/** Cost since 00:00 UTC today, by the given labels. */
export function todayCost(by: readonly string[]): string {
    const g = grouping(by);
    // Each step reads only its own minute: a plain selector would look back 5 minutes and count a
    // minute again at every step until the next sample (minutes without growth are not recorded).
    return `sum${g} (sum_over_time((sum${g} (last_over_time(${COST}[1m])) and on () (day_of_year(vector(time() - 0.001)) == ${atEnd("day_of_year")}))[1d:1m]))`;
}

/** Cost on the complete UTC days of this month before today, by the given labels. */
export function earlierDaysThisMonthCost(by: readonly string[]): string {
    const g = grouping(by);
    return `sum${g} (sum_over_time((sum${g} (sum_over_time(${COST}[1d])) and on () (month(vector(time() - 60)) == ${atEnd("month")}))[31d:1d]))`;
}

/** Cost since the start of the current UTC day or month, by the given labels. */
export function periodToDateCost(period: BudgetPeriod, by: readonly string[]): string {
    if (period === "daily") return todayCost(by);
    const today = todayCost(by);
    const earlier = earlierDaysThisMonthCost(by);
    // Labels seen on only one side are kept: (a + b) or a or b.
    return `(${earlier} + ${today}) or ${earlier} or ${today}`;
}

/** A measure's total over the complete hours of a long window, read hour by hour. */
export function hourlyTotal(window: string, matchers = ""): string {
    return `sum(sum_over_time((sum(sum_over_time(${COST}${matchers ? `{${matchers}}` : ""}[1h])))[${window}:1h]))`;
}

/** Seconds left in the current UTC month. */
export const SECONDS_LEFT_IN_MONTH = "scalar((days_in_month() - day_of_month()) * 86400 + 86400 - (hour() * 3600 + minute() * 60))";

const PERIOD_SECONDS: Record<BudgetPeriod, number> = { daily: 86400, monthly: 31 * 86400 };

/** The settings the alert rules read. */
export const ALERT_SETTING_KEYS = [
    "budgets",
    "budgetWarningPercent",
    "budgetCriticalPercent",
    "teamLabel",
    "costSpikeFactor",
    "costSpikeMinUsd",
    "tokenBurnPerHour",
    "cacheHitRateMinPercent",
    "apiErrorRateMaxPercent",
] as const;

export type AlertSettings = Pick<PlainSettings, (typeof ALERT_SETTING_KEYS)[number]> & {
    /** Grafana's root URL as the user opens it, for links in notifications. */
    grafanaUrl: string;
};

const PERIOD_WORD: Record<BudgetPeriod, string> = { daily: "today (UTC)", monthly: "this month (UTC)" };

export function budgetRules(s: AlertSettings): AlertRule[] {
    return s.budgets.flatMap((b) => {
        const by = scopeLabels(b.scope, s.teamLabel);
        const who = b.scope === "total" ? "" : b.scope === "user" ? " by {{ $labels.user_id }}" : ` by ${s.teamLabel} {{ index $labels "${s.teamLabel}" }}`;
        const levels = [
            { severity: "warning" as const, percent: s.budgetWarningPercent },
            { severity: "critical" as const, percent: s.budgetCriticalPercent },
        ];
        return levels.map(({ severity, percent }) =>
            rule({
                name: `Claude Code ${b.period} ${b.scope} budget ${percent}%`,
                uid: `cc-budget-${b.period}-${b.scope}-${severity}`,
                queries: [{ name: "spend", datasource: "prometheus", expr: periodToDateCost(b.period, by), lookbackSeconds: PERIOD_SECONDS[b.period] }],
                condition: `$spend > ${round((b.amountUsd * percent) / 100)}`,
                forDuration: "0s",
                severity,
                labels: { budget_period: b.period, budget_scope: b.scope },
                summary: `Claude Code spend${who} ${PERIOD_WORD[b.period]} is {{ humanize $values.spend_value.Value }} USD: over ${percent}% of the ${b.amountUsd} USD ${b.period} ${b.scope} budget.`,
                description:
                    `Spend since the start of the UTC ${b.period === "daily" ? "day" : "month"} (Claude Code's client-side estimate) passed ${percent}% of the budget. ` +
                    "Open the overview to see which user, model and session drove it. If the spend is expected, raise the budget in the stack config (budgets).",
                dashboardUid: OVERVIEW_UID, panelId: OVERVIEW_PANELS.totalCost,
                grafanaUrl: s.grafanaUrl,
            }),
        );
    });
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;

export function forecastRules(s: AlertSettings): AlertRule[] {
    return s.budgets
        .filter((b) => b.period === "monthly" && b.scope === "total")
        .map((b) =>
            rule({
                name: "Claude Code month projected over budget",
                uid: "cc-budget-forecast",
                queries: [
                    { name: "spent", datasource: "prometheus", expr: periodToDateCost("monthly", []), lookbackSeconds: 31 * 86400 },
                    // The last 7 days' average spend per second, carried to the end of the month.
                    { name: "rest", datasource: "prometheus", expr: `${hourlyTotal("7d")} / (7 * 86400) * ${SECONDS_LEFT_IN_MONTH}`, lookbackSeconds: 7 * 86400 },
                ],
                condition: `($spent + $rest) > ${b.amountUsd}`,
                forDuration: "1h",
                severity: "warning",
                summary: `Claude Code is projected to spend {{ humanize $values.spent_value.Value }} + {{ humanize $values.rest_value.Value }} USD this month, over the ${b.amountUsd} USD monthly budget.`,
                description: "Month-to-date spend plus the last 7 days' average rate for the rest of the month exceeds the monthly budget.",
                dashboardUid: OVERVIEW_UID, panelId: OVERVIEW_PANELS.totalCost,
                grafanaUrl: s.grafanaUrl,
            }),
        );
}

export function usageRules(s: AlertSettings): AlertRule[] {
    return [
        rule({
            name: "Claude Code cost spike",
            uid: "cc-cost-spike",
            queries: [
                { name: "hour", datasource: "prometheus", expr: signals.costUsd("1h"), lookbackSeconds: 3600 },
                { name: "baseline", datasource: "prometheus", expr: `${hourlyTotal("7d")} / 168`, lookbackSeconds: 7 * 86400 },
            ],
            condition: `$hour > ${s.costSpikeFactor} * $baseline && $hour > ${s.costSpikeMinUsd}`,
            forDuration: "0s",
            severity: "warning",
            summary: `Claude Code spent {{ humanize $values.hour_value.Value }} USD in the last hour, over ${s.costSpikeFactor}× the 7-day hourly average of {{ humanize $values.baseline_value.Value }} USD.`,
            description: "A sudden rise in spend: a runaway agent loop, a larger model, or a lost prompt cache. Check the top sessions.",
            dashboardUid: OVERVIEW_UID, panelId: OVERVIEW_PANELS.costByModel,
            grafanaUrl: s.grafanaUrl,
        }),
        rule({
            name: "Claude Code unusual token burn",
            uid: "cc-token-burn",
            queries: [{ name: "tokens", datasource: "prometheus", expr: total("tokens", "1h", ["user_id"], `type=~"input|output|cacheCreation"`), lookbackSeconds: 3600 }],
            condition: `$tokens > ${s.tokenBurnPerHour}`,
            forDuration: "0s",
            severity: "warning",
            summary: `{{ $labels.user_id }} used {{ humanize $values.tokens_value.Value }} non-cached tokens in the last hour (limit ${s.tokenBurnPerHour}).`,
            description: "Input, output and cache-creation tokens (cache reads, which are cheap, are not counted) per user in the last hour.",
            dashboardUid: OVERVIEW_UID, panelId: OVERVIEW_PANELS.tokensByType,
            grafanaUrl: s.grafanaUrl,
        }),
        rule({
            name: "Claude Code cache hit rate low",
            uid: "cc-cache-hit-rate",
            queries: [
                { name: "ratio", datasource: "prometheus", expr: signals.cacheHitRatio("6h"), lookbackSeconds: 6 * 3600 },
                { name: "prompt", datasource: "prometheus", expr: total("tokens", "6h", [], PROMPT_TOKEN_TYPES), lookbackSeconds: 6 * 3600 },
            ],
            // Only with enough traffic for the ratio to mean something.
            condition: `$ratio < ${s.cacheHitRateMinPercent / 100} && $prompt > 100000`,
            forDuration: "30m",
            severity: "info",
            summary: `Prompt-cache hit rate over 6 hours is {{ humanizePercentage $values.ratio_value.Value }}, below ${s.cacheHitRateMinPercent}%.`,
            description: "cacheRead / (input + cacheRead + cacheCreation). A low rate means prompts are re-sent at full price; compare models on the productivity dashboard.",
            dashboardUid: PRODUCTIVITY_UID, panelId: PRODUCTIVITY_PANELS.cacheHitRateByModel,
            grafanaUrl: s.grafanaUrl,
        }),
        rule({
            name: "Claude Code API error rate high",
            uid: "cc-api-errors",
            queries: [
                { name: "errors", datasource: "loki", expr: eventSignals.apiErrors("15m"), lookbackSeconds: 900 },
                { name: "requests", datasource: "loki", expr: eventSignals.apiRequests("15m"), lookbackSeconds: 900 },
            ],
            condition: `$errors / ($requests + $errors) > ${s.apiErrorRateMaxPercent / 100} && $errors >= 3`,
            forDuration: "5m",
            severity: "warning",
            summary: `{{ humanize $values.errors_value.Value }} Claude Code API calls failed in 15 minutes (over ${s.apiErrorRateMaxPercent}% of calls).`,
            description: "api_error events are sent for calls that failed after Claude Code's own retries. Check the status codes on the API dashboard.",
            dashboardUid: EVENTS_UID, panelId: EVENTS_PANELS.errorsAndRetries,
            grafanaUrl: s.grafanaUrl,
        }),
        rule({
            name: "Claude Code API retries exhausted",
            uid: "cc-retries-exhausted",
            queries: [{ name: "exhausted", datasource: "loki", expr: eventSignals.retriesExhausted("15m"), lookbackSeconds: 900 }],
            condition: "$exhausted > 0",
            forDuration: "0s",
            severity: "warning",
            summary: "{{ humanize $values.exhausted_value.Value }} Claude Code requests gave up after every retry in the last 15 minutes.",
            description: "api_retries_exhausted: the API kept failing (overload, outage, or a proxy in the way).",
            dashboardUid: EVENTS_UID, panelId: EVENTS_PANELS.errorsAndRetries,
            grafanaUrl: s.grafanaUrl,
        }),
    ];
}

export function pipelineRules(s: AlertSettings): AlertRule[] {
    return [
        rule({
            name: "Claude Code metrics missing while events arrive",
            uid: "cc-no-metrics",
            queries: [
                { name: "events", datasource: "loki", expr: eventSignals.apiRequests("15m"), lookbackSeconds: 900 },
                { name: "metrics", datasource: "prometheus", expr: `${signals.costUsd("15m")} or vector(0)`, lookbackSeconds: 900 },
            ],
            condition: "$events > 0 && $metrics == 0",
            forDuration: "10m",
            severity: "warning",
            summary: "Claude Code sent {{ humanize $values.events_value.Value }} API-request events in 15 minutes but no cost metrics reached Prometheus.",
            description: "Events flow but metrics do not: check OTEL_METRICS_EXPORTER=otlp in the client, the collector's metrics pipeline, and the claude-code-otel scrape target.",
            dashboardUid: PIPELINE_UID, panelId: PIPELINE_PANELS.metricPoints,
            grafanaUrl: s.grafanaUrl,
        }),
        rule({
            name: "OpenTelemetry Collector down",
            uid: "cc-collector-down",
            queries: [{ name: "up", datasource: "prometheus", expr: `min(${pipelineSignals.collectorUp}) or vector(0)`, lookbackSeconds: 300 }],
            condition: "$up < 1",
            forDuration: "2m",
            severity: "critical",
            summary: "Prometheus cannot scrape the OpenTelemetry Collector: Claude Code telemetry is being lost.",
            description: "docker ps / docker logs for the otel-collector container; its health endpoint is published on collectorHealthPort.",
            dashboardUid: PIPELINE_UID, panelId: PIPELINE_PANELS.collector,
            grafanaUrl: s.grafanaUrl,
        }),
        rule({
            name: "Collector failing to export events to Loki",
            uid: "cc-export-failures",
            queries: [{ name: "failed", datasource: "prometheus", expr: `${pipelineSignals.failedLogExports("5m")} or vector(0)`, lookbackSeconds: 300 }],
            condition: "$failed > 0",
            forDuration: "5m",
            severity: "warning",
            summary: "The collector fails to send {{ humanize $values.failed_value.Value }} event records per second to Loki.",
            description: "Loki down, rejecting (structured metadata too large) or out of disk: see the pipeline dashboard and docker logs of Loki.",
            dashboardUid: PIPELINE_UID, panelId: PIPELINE_PANELS.logRecords,
            grafanaUrl: s.grafanaUrl,
        }),
    ];
}

/** Every alert rule group the stack provisions. */
export function alertGroups(s: AlertSettings): AlertGroup[] {
    return [
        { name: "Claude Code budgets", intervalSeconds: 300, rules: [...budgetRules(s), ...forecastRules(s)] },
        { name: "Claude Code usage", intervalSeconds: 60, rules: usageRules(s) },
        { name: "Claude Code telemetry pipeline", intervalSeconds: 60, rules: pipelineRules(s) },
    ].filter((g) => g.rules.length > 0);
}

/** Notification template that states the numbers: every alert's summary, values and labels. */
export const MESSAGE_TEMPLATE_NAME = "claude-code";
export const MESSAGE_TEMPLATE = `{{ define "claude-code.title" }}[{{ .Status | toUpper }}{{ if eq .Status "firing" }}:{{ .Alerts.Firing | len }}{{ end }}] {{ .CommonLabels.alertname }}{{ end }}

{{ define "claude-code.message" }}{{ range .Alerts }}{{ if eq .Status "firing" }}FIRING{{ else }}RESOLVED{{ end }} ({{ .Labels.severity }}): {{ .Annotations.summary }}
{{ .Annotations.description }}
{{ range $k, $v := .Values }}  {{ $k }} = {{ $v }}
{{ end }}{{ with .Labels.user_id }}  user: {{ . }}
{{ end }}{{ with .Labels.model }}  model: {{ . }}
{{ end }}  Dashboard: {{ .Annotations.runbook_url }}
{{ end }}{{ end }}`;
