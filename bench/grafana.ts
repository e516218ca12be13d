/**
 * What Grafana sends to Prometheus when a dashboard opens: the template variables' label queries,
 * then every panel's targets, instant or range, with Grafana's step and variable interpolation.
 *
 * Step (Grafana's Prometheus backend, pkg/promlib: calculatePrometheusInterval):
 *   minInterval = panel interval ?? data source timeInterval (the scrape interval, 10s)
 *   calculated  = range / maxDataPoints, below minInterval → minInterval, else roundInterval(…)
 *   safe        = roundInterval(range / 11000)
 *   step        = max(calculated, safe); $__interval = step; start and end rounded down to the step.
 * maxDataPoints is the panel's width in pixels: 1000 here, a typical panel.
 */
import { type Dashboard, allDashboards } from "../configs/dashboards";
import { DEFAULTS, parseDuration } from "../configs/settings";
import { interpolate, variableAsPromQL } from "../harness/queries";
import { naiveQuery, readsRecorded } from "./naive";

export const MAX_DATA_POINTS = 1000;

/** Grafana's roundInterval (pkg/promlib/intervalv2 and pkg/gtime), in milliseconds. */
export function roundInterval(ms: number): number {
    const table: [upTo: number, to: number][] = [
        [10, 1],
        [15, 10],
        [35, 20],
        [75, 50],
        [150, 100],
        [350, 200],
        [750, 500],
        [1500, 1000],
        [3500, 2000],
        [7500, 5000],
        [12500, 10000],
        [17500, 15000],
        [25000, 20000],
        [45000, 30000],
        [90000, 60000],
        [210000, 120000],
        [450000, 300000],
        [750000, 600000],
        [1050000, 900000],
        [1500000, 1200000],
        [2700000, 1800000],
        [5400000, 3600000],
        [9000000, 7200000],
        [16200000, 10800000],
        [32400000, 21600000],
        [86400000, 43200000],
        [172800000, 86400000],
        [604800000, 86400000],
        [1814400000, 604800000],
    ];
    for (const [upTo, to] of table) if (ms <= upTo) return to;
    return ms < 3628800000 ? 2592000000 : 31536000000;
}

/** The step Grafana queries a range panel with, in milliseconds. */
export function grafanaStepMs(rangeMs: number, minIntervalMs: number, maxDataPoints = MAX_DATA_POINTS): number {
    const raw = rangeMs / maxDataPoints;
    const calculated = raw < minIntervalMs ? minIntervalMs : roundInterval(raw);
    const safe = roundInterval(rangeMs / 11000);
    return Math.max(calculated, safe);
}

export type Variant = "ours" | "naive";

/** One HTTP request to Prometheus' API. */
export interface ApiRequest {
    path: string;
    /** Grafana's data source uses POST for queries (httpMethod: POST) and GET for label values. */
    method: "GET" | "POST";
    params: Record<string, string>;
    /** The expression as sent (for reports). */
    expr: string;
}

export interface BenchTarget {
    refId: string;
    expr: string;
    instant: boolean;
}

export interface BenchPanel {
    id: number;
    title: string;
    type: string;
    /** Panel min interval ("1m", "1d"), else the data source's. */
    interval?: string;
    targets: BenchTarget[];
    /** No recorded series read: ours and naive are the same query. */
    sameBothWays: boolean;
}

export interface BenchDashboard {
    uid: string;
    title: string;
    panels: BenchPanel[];
    variables: { name: string; query: string }[];
    /** Panels this harness does not run (other data sources). */
    skipped: { title: string; reason: string }[];
}

/** Every dashboard the program provisions, as Prometheus work. */
export function benchDashboards(teamLabel = DEFAULTS.teamLabel): BenchDashboard[] {
    return allDashboards(teamLabel).map((d: Dashboard) => {
        const panels: BenchPanel[] = [];
        const skipped: { title: string; reason: string }[] = [];
        for (const p of d.panels) {
            if (!p.targets || p.targets.length === 0) continue;
            const prom = p.targets.filter((t) => t.datasource.type === "prometheus");
            if (prom.length < p.targets.length) skipped.push({ title: p.title, reason: `${p.targets[0].datasource.type} data source` });
            if (prom.length === 0) continue;
            const targets = prom.map((t) => ({ refId: t.refId, expr: t.expr, instant: t.instant === true }));
            panels.push({ id: p.id, title: p.title, type: p.type, interval: p.interval, targets, sameBothWays: !targets.some((t) => readsRecorded(t.expr)) });
        }
        const variables = (d.templating.list as { name: string; query?: { query: string } }[]).filter((v) => v.query).map((v) => ({ name: v.name, query: v.query!.query }));
        return { uid: d.uid, title: d.title, panels, variables, skipped };
    });
}

const seconds = (ms: number) => String(ms / 1000);

/** The requests one panel makes for a dashboard range ending at `endMs`. */
export function panelRequests(panel: BenchPanel, rangeMs: number, endMs: number, variant: Variant): ApiRequest[] {
    const minInterval = parseDuration(panel.interval ?? DEFAULTS.scrapeInterval)!;
    const step = grafanaStepMs(rangeMs, minInterval);
    return panel.targets.map((t): ApiRequest => {
        const ours = interpolate(t.expr, Math.round(rangeMs / 1000), step / 1000);
        const expr = variant === "ours" ? ours : naiveQuery(ours);
        if (t.instant) return { path: "/api/v1/query", method: "POST", params: { query: expr, time: seconds(endMs) }, expr };
        const start = Math.floor((endMs - rangeMs) / step) * step;
        const end = Math.floor(endMs / step) * step;
        return { path: "/api/v1/query_range", method: "POST", params: { query: expr, start: seconds(start), end: seconds(end), step: seconds(step) }, expr };
    });
}

/**
 * A template variable's request: Grafana's Prometheus data source answers `label_values(m, l)`
 * with the label values API, matched to the metric, over the dashboard range.
 */
export function variableRequest(query: string, rangeMs: number, endMs: number, variant: Variant): ApiRequest {
    const q = variant === "ours" ? query : naiveQuery(query);
    const m = /^label_values\((.+),\s*(\w+)\)$/.exec(q);
    if (!m) {
        const expr = variableAsPromQL(q);
        return { path: "/api/v1/query", method: "POST", params: { query: expr, time: seconds(endMs) }, expr };
    }
    return {
        path: `/api/v1/label/${m[2]}/values`,
        method: "GET",
        params: { "match[]": m[1], start: seconds(endMs - rangeMs), end: seconds(endMs) },
        expr: q,
    };
}
