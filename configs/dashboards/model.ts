/**
 * A small typed builder for Grafana dashboard JSON (classic model, schemaVersion 41).
 *
 * Output is plain JSON with fixed uids, fixed datasource uids and no `id`/`version`, so the
 * Grafana provider sees the same document on every run and a change reads well as a diff.
 */
import { DATASOURCE_UIDS } from "../topology";

export type Datasource = { type: "prometheus" | "loki"; uid: string };
export const PROMETHEUS: Datasource = { type: "prometheus", uid: DATASOURCE_UIDS.prometheus };
export const LOKI: Datasource = { type: "loki", uid: DATASOURCE_UIDS.loki };

export interface Target {
    refId: string;
    expr: string;
    legendFormat?: string;
    instant?: boolean;
    range?: boolean;
    format?: "time_series" | "table";
    /** Loki only. */
    queryType?: "range" | "instant";
}

export interface Panel {
    id: number;
    type: string;
    title: string;
    description: string;
    gridPos: { h: number; w: number; x: number; y: number };
    datasource?: Datasource;
    targets?: (Target & { datasource: Datasource })[];
    interval?: string;
    fieldConfig?: { defaults: Record<string, unknown>; overrides: unknown[] };
    options?: Record<string, unknown>;
    transformations?: unknown[];
    collapsed?: boolean;
    panels?: unknown[];
}

export interface Dashboard {
    uid: string;
    title: string;
    description: string;
    tags: string[];
    timezone: string;
    editable: boolean;
    graphTooltip: number;
    refresh: string;
    schemaVersion: number;
    time: { from: string; to: string };
    templating: { list: unknown[] };
    annotations: { list: unknown[] };
    links: unknown[];
    panels: Panel[];
}

/** What a panel needs before layout gives it an id and a position. */
export interface PanelSpec {
    type: string;
    title: string;
    description: string;
    w: number;
    h: number;
    datasource?: Datasource;
    targets?: Target[];
    unit?: string;
    decimals?: number;
    min?: number;
    max?: number;
    /** Minimum query step; totals per bucket need at least the recording interval. */
    interval?: string;
    options?: Record<string, unknown>;
    custom?: Record<string, unknown>;
    overrides?: unknown[];
    transformations?: unknown[];
    thresholds?: { color: string; value: number | null }[];
    /** Shown when the query returns nothing (minutes without growth are not recorded, so an idle range has no series). */
    noValue?: string;
}

/** Grafana's range of the dashboard, for totals over the selected range. */
export const RANGE = "$__range";
/** Grafana's step, for totals per time bucket (Prometheus panels; the recorded increments need at least their interval). */
export const BUCKET = "$__interval";

/** A full-width row header. */
export const row = (title: string): PanelSpec => ({ type: "row", title, description: "", w: 24, h: 1 });

const REDUCE_LAST = { reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false } };

export function stat(title: string, description: string, expr: string, unit: string, extra: Partial<PanelSpec> = {}): PanelSpec {
    return {
        type: "stat",
        title,
        description,
        w: 4,
        h: 4,
        targets: [{ refId: "A", expr, instant: true }],
        unit,
        options: { ...REDUCE_LAST, colorMode: "value", graphMode: "none", textMode: "auto" },
        ...extra,
    };
}

/** A stat of a total: a range without growth has no recorded samples, and its total is 0, not "No data". */
export function totalStat(title: string, description: string, expr: string, unit: string, extra: Partial<PanelSpec> = {}): PanelSpec {
    return stat(title, description, expr, unit, { noValue: "0", ...extra });
}

export function timeseries(title: string, description: string, targets: Target[], unit: string, extra: Partial<PanelSpec> = {}): PanelSpec {
    return {
        type: "timeseries",
        title,
        description,
        w: 12,
        h: 8,
        targets: targets.map((t) => ({ range: true, ...t })),
        unit,
        options: { legend: { displayMode: "table", placement: "right", calcs: ["sum"] }, tooltip: { mode: "multi", sort: "desc" } },
        ...extra,
    };
}

/** Bars per time bucket: each bucket's exact total (needs `interval` ≥ the recording interval). */
export function bars(title: string, description: string, targets: Target[], unit: string, extra: Partial<PanelSpec> = {}): PanelSpec {
    return timeseries(title, description, targets, unit, {
        interval: "1m",
        custom: { drawStyle: "bars", fillOpacity: 80, stacking: { mode: "normal", group: "A" }, lineWidth: 1 },
        ...extra,
    });
}

/** A panel of one instant query's values, one per label value (pie chart, bar gauge). */
function perLabel(type: string, options: Record<string, unknown>) {
    return (title: string, description: string, expr: string, legend: string, unit: string, extra: Partial<PanelSpec> = {}): PanelSpec => ({
        type,
        title,
        description,
        w: 8,
        h: 8,
        targets: [{ refId: "A", expr, instant: true, legendFormat: legend }],
        unit,
        options: { ...REDUCE_LAST, ...options },
        ...extra,
    });
}

export const pie = perLabel("piechart", { pieType: "donut", legend: { displayMode: "table", placement: "right", values: ["value", "percent"] } });

export const barGauge = perLabel("bargauge", { orientation: "horizontal", displayMode: "gradient", showUnfilled: true });

/** A table from instant queries merged on their labels; `columns` renames refId values. */
export function table(
    title: string,
    description: string,
    queries: { refId: string; expr: string; column: string; unit: string; decimals?: number }[],
    labels: Record<string, string>,
    sortBy: string,
    extra: Partial<PanelSpec> = {},
): PanelSpec {
    return {
        type: "table",
        title,
        description,
        w: 24,
        h: 10,
        targets: queries.map((q) => ({ refId: q.refId, expr: q.expr, instant: true, format: "table" as const })),
        options: { showHeader: true, sortBy: [{ displayName: sortBy, desc: true }], cellHeight: "sm" },
        transformations: [
            { id: "merge", options: {} },
            {
                id: "organize",
                options: {
                    excludeByName: { Time: true },
                    renameByName: { ...labels, ...Object.fromEntries(queries.map((q) => [`Value #${q.refId}`, q.column])) },
                },
            },
        ],
        overrides: queries.map((q) => ({
            matcher: { id: "byName", options: q.column },
            properties: [{ id: "unit", value: q.unit }, ...(q.decimals === undefined ? [] : [{ id: "decimals", value: q.decimals }])],
        })),
        ...extra,
    };
}

/** Numbers panels top to bottom, left to right, wrapping at Grafana's 24 columns. */
export function layout(specs: PanelSpec[]): Panel[] {
    let x = 0;
    let y = 0;
    let rowHeight = 0;
    return specs.map((spec, index) => {
        if (x + spec.w > 24) {
            x = 0;
            y += rowHeight;
            rowHeight = 0;
        }
        const gridPos = { h: spec.h, w: spec.w, x, y };
        x += spec.w;
        rowHeight = Math.max(rowHeight, spec.h);
        if (spec.type === "row") return { id: index + 1, type: "row", title: spec.title, description: "", gridPos, collapsed: false, panels: [] };
        const datasource = spec.datasource ?? PROMETHEUS;
        const defaults: Record<string, unknown> = {
            ...(spec.unit ? { unit: spec.unit } : {}),
            ...(spec.decimals === undefined ? {} : { decimals: spec.decimals }),
            ...(spec.min === undefined ? {} : { min: spec.min }),
            ...(spec.max === undefined ? {} : { max: spec.max }),
            ...(spec.custom ? { custom: spec.custom } : {}),
            ...(spec.thresholds ? { thresholds: { mode: "absolute", steps: spec.thresholds } } : {}),
            ...(spec.noValue === undefined ? {} : { noValue: spec.noValue }),
        };
        return {
            id: index + 1,
            type: spec.type,
            title: spec.title,
            description: spec.description,
            gridPos,
            datasource,
            targets: (spec.targets ?? []).map((t) => ({ ...t, datasource })),
            ...(spec.interval ? { interval: spec.interval } : {}),
            fieldConfig: { defaults, overrides: spec.overrides ?? [] },
            options: spec.options ?? {},
            ...(spec.transformations ? { transformations: spec.transformations } : {}),
        };
    });
}

/** Links every Claude Code dashboard to the others (by tag), keeping time range and variables. */
export const DASHBOARD_LINKS = [
    { type: "dashboards", tags: ["claude-code"], asDropdown: false, includeVars: true, keepTime: true, title: "Claude Code", icon: "external link" },
];

export function dashboard(args: { uid: string; title: string; description: string; panels: PanelSpec[]; variables: unknown[]; from?: string }): Dashboard {
    return {
        uid: args.uid,
        title: args.title,
        description: args.description,
        tags: ["claude-code"],
        timezone: "browser",
        editable: false,
        graphTooltip: 1,
        refresh: "10s",
        schemaVersion: 41,
        time: { from: args.from ?? "now-24h", to: "now" },
        templating: { list: args.variables },
        annotations: { list: [] },
        links: DASHBOARD_LINKS,
        panels: layout(args.panels),
    };
}
