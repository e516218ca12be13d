/**
 * Every query the program generates, extracted from its own output (dashboard JSON and alert
 * rule models), with Grafana's variables replaced as Grafana would for a given range.
 */
import { alertGroups, type AlertSettings } from "../configs/alerts";
import { allDashboards } from "../configs/dashboards";
import { grafanaRecordingGroups } from "../configs/rules";
import { DEFAULTS, parseBudgets } from "../configs/settings";

export interface GeneratedQuery {
    /** Where it comes from, e.g. `dashboard claude-code-overview / Total cost / A`. */
    source: string;
    datasource: "prometheus" | "loki";
    expr: string;
    /** Instant (stat, table, alert) or range (time series) query. */
    instant: boolean;
}

export const ALERT_SETTINGS: AlertSettings = {
    ...DEFAULTS,
    budgets: [...DEFAULTS.budgets, ...parseBudgets(["daily user 10", "monthly team 300"]).value],
    grafanaUrl: "http://127.0.0.1:3000",
};

export function generatedQueries(teamLabel = DEFAULTS.teamLabel): GeneratedQuery[] {
    const out: GeneratedQuery[] = [];
    for (const d of allDashboards(teamLabel)) {
        for (const panel of d.panels) {
            for (const t of panel.targets ?? []) {
                out.push({
                    source: `dashboard ${d.uid} / ${panel.title} / ${t.refId}`,
                    datasource: t.datasource.type,
                    expr: t.expr,
                    instant: t.instant === true || t.queryType === "instant",
                });
            }
        }
        for (const v of d.templating.list as { name: string; query?: { query: string } }[]) {
            if (v.query) out.push({ source: `dashboard ${d.uid} / variable ${v.name}`, datasource: "prometheus", expr: v.query.query, instant: true });
        }
    }
    // Team mode's Grafana-managed recording rules run the same increments with an explicit delay.
    const rules = [
        ...alertGroups(ALERT_SETTINGS).flatMap((g) => g.rules.map((rule) => ({ kind: "alert", rule }))),
        ...grafanaRecordingGroups(DEFAULTS).flatMap((g) => g.rules.map((rule) => ({ kind: "grafana recording rule", rule }))),
    ];
    for (const { kind, rule } of rules) {
        for (const q of rule.datas) {
            if (q.datasourceUid === "__expr__") continue;
            const model = JSON.parse(q.model);
            out.push({ source: `${kind} ${rule.name} / ${q.refId}`, datasource: model.datasource.type, expr: model.expr, instant: true });
        }
    }
    return out;
}

/** Grafana's variable interpolation for a dashboard range and step (All selected). */
export function interpolate(expr: string, rangeSeconds: number, stepSeconds: number): string {
    return expr
        .replaceAll("$__range", `${rangeSeconds}s`)
        .replaceAll("$__rate_interval", `${Math.max(4 * 10, stepSeconds + 10)}s`)
        .replaceAll("$__interval", `${stepSeconds}s`)
        .replaceAll("$__auto", `${stepSeconds}s`)
        .replace(/\$(user|model|team|repository)\b/g, ".*");
}

/**
 * `label_values(metric, label)` is a Grafana macro, not PromQL: the query it stands for (Grafana
 * asks for the label's values among the series seen in the dashboard's range).
 */
export function variableAsPromQL(expr: string): string {
    const m = /^label_values\((.+),\s*(\w+)\)$/.exec(expr);
    return m ? `group by (${m[2]}) (last_over_time(${m[1]}[$__range]))` : expr;
}
