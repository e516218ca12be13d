/**
 * Grafana dashboard models, built from the measures in signals.ts.
 *
 * Output is plain JSON with fixed uids and fixed datasource uids, no `id` or `version`, so the
 * Grafana provider sees the same document on every run.
 */
import { signals } from "./signals";

/** Fixed datasource uids: dashboards and alert rules refer to these, never to generated ids. */
export const DATASOURCE_UIDS = { prometheus: "prometheus", loki: "loki" } as const;

export const FOLDER = { uid: "claude-code", title: "Claude Code" } as const;

export const DASHBOARD_UIDS = { overview: "claude-code-overview" } as const;

type Datasource = { type: "prometheus" | "loki"; uid: string };
const PROMETHEUS: Datasource = { type: "prometheus", uid: DATASOURCE_UIDS.prometheus };

interface Target {
    refId: string;
    expr: string;
    legendFormat?: string;
    instant?: boolean;
    range?: boolean;
    format?: "time_series" | "table";
}

interface GridPos {
    h: number;
    w: number;
    x: number;
    y: number;
}

export interface Panel {
    id: number;
    type: string;
    title: string;
    description?: string;
    gridPos: GridPos;
    datasource: Datasource;
    targets: (Target & { datasource: Datasource })[];
    fieldConfig: { defaults: Record<string, unknown>; overrides: unknown[] };
    options: Record<string, unknown>;
    transformations?: unknown[];
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

type PanelSpec = Omit<Panel, "id" | "gridPos" | "datasource" | "targets" | "fieldConfig" | "options"> & {
    size: { w: number; h: number };
    targets: Target[];
    unit?: string;
    decimals?: number;
    options?: Record<string, unknown>;
    overrides?: unknown[];
};

const STAT_OPTIONS = {
    reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false },
    colorMode: "value",
    graphMode: "none",
    textMode: "auto",
};

const stat = (title: string, description: string, expr: string, unit: string, decimals?: number): PanelSpec => ({
    type: "stat",
    title,
    description,
    size: { w: 6, h: 4 },
    targets: [{ refId: "A", expr, instant: true }],
    unit,
    ...(decimals === undefined ? {} : { decimals }),
    options: STAT_OPTIONS,
});

const pie = (title: string, description: string, expr: string, legend: string, unit: string): PanelSpec => ({
    type: "piechart",
    title,
    description,
    size: { w: 8, h: 8 },
    targets: [{ refId: "A", expr, instant: true, legendFormat: legend }],
    unit,
    options: {
        reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false },
        pieType: "donut",
        legend: { displayMode: "table", placement: "right", values: ["value", "percent"] },
    },
});

const timeseries = (title: string, description: string, expr: string, legend: string, unit: string): PanelSpec => ({
    type: "timeseries",
    title,
    description,
    size: { w: 12, h: 8 },
    targets: [{ refId: "A", expr, range: true, legendFormat: legend }],
    unit,
    options: { legend: { displayMode: "list", placement: "bottom" }, tooltip: { mode: "multi", sort: "desc" } },
});

/** Lays panels out left to right, wrapping at Grafana's 24-column width, and numbers them. */
export function layout(specs: PanelSpec[]): Panel[] {
    let x = 0;
    let y = 0;
    let rowHeight = 0;
    return specs.map((spec, index) => {
        if (x + spec.size.w > 24) {
            x = 0;
            y += rowHeight;
            rowHeight = 0;
        }
        const gridPos = { ...spec.size, x, y };
        x += spec.size.w;
        rowHeight = Math.max(rowHeight, spec.size.h);
        const { size: _size, unit, decimals, overrides, options, targets, ...rest } = spec;
        return {
            ...rest,
            id: index + 1,
            gridPos,
            datasource: PROMETHEUS,
            targets: targets.map((t) => ({ ...t, datasource: PROMETHEUS })),
            fieldConfig: {
                defaults: { ...(unit ? { unit } : {}), ...(decimals === undefined ? {} : { decimals }) },
                overrides: overrides ?? [],
            },
            options: options ?? {},
        };
    });
}

const RANGE = "$__range";
const RATE = "$__rate_interval";

/** The overview: the questions a Claude Code user asks first. */
export function overviewDashboard(): Dashboard {
    const sessionTable: PanelSpec = {
        type: "table",
        title: "Sessions in range",
        description: "One row per Claude Code session (CLI run): cost, tokens and active time within the selected range.",
        size: { w: 24, h: 10 },
        targets: [
            { refId: "cost", expr: signals.sessionCost(RANGE), instant: true, format: "table" },
            { refId: "tokens", expr: signals.sessionTokens(RANGE), instant: true, format: "table" },
            { refId: "active", expr: signals.sessionActiveSeconds(RANGE), instant: true, format: "table" },
        ],
        options: { showHeader: true, sortBy: [{ displayName: "Cost (USD)", desc: true }] },
        transformations: [
            { id: "merge", options: {} },
            {
                id: "organize",
                options: {
                    excludeByName: { Time: true },
                    renameByName: {
                        session_id: "Session",
                        user_id: "User",
                        "Value #cost": "Cost (USD)",
                        "Value #tokens": "Tokens",
                        "Value #active": "Active time",
                    },
                },
            },
        ],
        overrides: [
            { matcher: { id: "byName", options: "Cost (USD)" }, properties: [{ id: "unit", value: "currencyUSD" }, { id: "decimals", value: 4 }] },
            { matcher: { id: "byName", options: "Tokens" }, properties: [{ id: "unit", value: "short" }] },
            { matcher: { id: "byName", options: "Active time" }, properties: [{ id: "unit", value: "s" }] },
        ],
    };

    const panels = layout([
        stat("Total cost", "Estimated cost Claude Code reports for the selected range (client-side estimate, USD).", signals.costUsd(RANGE), "currencyUSD", 2),
        stat("Total tokens", "Input, output, cache-read and cache-creation tokens in the selected range.", signals.tokens(RANGE), "short"),
        stat("Total active time", "Time Claude was working (cli) plus time the user was typing (user).", signals.activeSeconds(RANGE), "s"),
        stat("Sessions", "Distinct Claude Code sessions that sent data in the selected range.", signals.sessions(RANGE), "short", 0),
        timeseries("Cost rate by model", "USD per second, per model.", signals.costRateByModel(RATE), "{{model}}", "currencyUSD"),
        timeseries("Token rate by type", "Tokens per second by type: input, output, cacheRead, cacheCreation.", signals.tokenRateByType(RATE), "{{type}}", "short"),
        pie("Cost distribution by model", "Share of the range's cost per model.", signals.costUsdByModel(RANGE), "{{model}}", "currencyUSD"),
        pie("Tokens by type", "Tokens in the range by type.", signals.tokensByType(RANGE), "{{type}}", "short"),
        {
            ...stat(
                "Cache hit rate",
                "cacheRead / (input + cacheRead + cacheCreation): the share of prompt tokens served from the prompt cache.",
                signals.cacheHitRatio(RANGE),
                "percentunit",
                1,
            ),
            size: { w: 8, h: 8 },
        },
        pie("Active time by type", "cli: Claude working; user: the user typing (interactive sessions only).", signals.activeSecondsByType(RANGE), "{{type}}", "s"),
        sessionTable,
    ]);

    return {
        uid: DASHBOARD_UIDS.overview,
        title: "Claude Code overview",
        description: "Cost, tokens, activity and sessions of Claude Code, from its OpenTelemetry metrics.",
        tags: ["claude-code"],
        timezone: "browser",
        editable: false,
        graphTooltip: 1,
        refresh: "10s",
        schemaVersion: 41,
        time: { from: "now-24h", to: "now" },
        templating: { list: [] },
        annotations: { list: [] },
        links: [],
        panels,
    };
}
