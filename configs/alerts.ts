/**
 * Grafana-managed alert rules, as plain data for `grafana.alerting.RuleGroup`.
 *
 * Each rule is a Prometheus query (refId A, instant) followed by Grafana server-side expressions:
 * reduce (B) and threshold (C), the shape Grafana's own rule editor produces.
 */
import { DASHBOARD_UIDS, DATASOURCE_UIDS } from "./dashboards";
import { signals } from "./signals";

export interface AlertQuery {
    refId: string;
    datasourceUid: string;
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

const EXPR = { type: "__expr__", uid: "__expr__" };

/** A rule that fires when the Prometheus expression's value is above `threshold`. */
export function thresholdRule(args: {
    name: string;
    uid: string;
    expr: string;
    lookbackSeconds: number;
    threshold: number;
    forDuration: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
}): AlertRule {
    return {
        name: args.name,
        uid: args.uid,
        condition: "C",
        for: args.forDuration,
        // No Claude Code data means nothing was spent: not an alert of its own.
        noDataState: "OK",
        execErrState: "Error",
        labels: args.labels,
        annotations: args.annotations,
        datas: [
            {
                refId: "A",
                datasourceUid: DATASOURCE_UIDS.prometheus,
                relativeTimeRange: { from: args.lookbackSeconds, to: 0 },
                model: JSON.stringify({ refId: "A", expr: args.expr, instant: true, range: false, datasource: { type: "prometheus", uid: DATASOURCE_UIDS.prometheus } }),
            },
            {
                refId: "B",
                datasourceUid: "__expr__",
                relativeTimeRange: { from: 0, to: 0 },
                model: JSON.stringify({ refId: "B", type: "reduce", expression: "A", reducer: "last", settings: { mode: "replaceNN", replaceWithValue: 0 }, datasource: EXPR }),
            },
            {
                refId: "C",
                datasourceUid: "__expr__",
                relativeTimeRange: { from: 0, to: 0 },
                model: JSON.stringify({ refId: "C", type: "threshold", expression: "B", conditions: [{ evaluator: { type: "gt", params: [args.threshold] } }], datasource: EXPR }),
            },
        ],
    };
}

export interface CostAlertSettings {
    dailyCostThresholdUsd: number;
    /** Grafana's root URL as the user opens it, for links in notifications. */
    grafanaUrl: string;
}

/** Rolling 24-hour spend above the configured threshold. */
export function dailyCostRule(settings: CostAlertSettings): AlertRule {
    const threshold = settings.dailyCostThresholdUsd;
    return thresholdRule({
        name: "Claude Code daily cost above threshold",
        uid: "claude-code-daily-cost",
        expr: signals.costUsd("24h"),
        lookbackSeconds: 86400,
        threshold,
        forDuration: "0s",
        labels: { severity: "warning", team: "claude-code" },
        annotations: {
            summary: `Claude Code spent {{ humanize $values.B.Value }} USD in the last 24 hours (threshold ${threshold} USD).`,
            description:
                "Rolling 24-hour cost reported by Claude Code (client-side estimate). " +
                "Open the overview dashboard to see which model and session drove it; raise dailyCostThresholdUsd if this spend is expected.",
            runbook_url: `${settings.grafanaUrl}/d/${DASHBOARD_UIDS.overview}`,
            __dashboardUid__: DASHBOARD_UIDS.overview,
            __panelId__: "1",
        },
    });
}
