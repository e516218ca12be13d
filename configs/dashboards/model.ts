/**
 * Panel and dashboard helpers over Grafana's foundation SDK (classic dashboard model).
 *
 * Output has fixed uids, fixed datasource uids, panel ids declared beside each dashboard and no
 * `id`/`version`, so the Grafana provider sees the same document on every run and a change reads
 * well as a diff (see rendered/, `npm run generate`).
 */
import type * as cog from "@grafana/grafana-foundation-sdk/cog";
import * as common from "@grafana/grafana-foundation-sdk/common";
import * as sdk from "@grafana/grafana-foundation-sdk/dashboard";
import * as bargauge from "@grafana/grafana-foundation-sdk/bargauge";
import * as lokiQuery from "@grafana/grafana-foundation-sdk/loki";
import * as piechart from "@grafana/grafana-foundation-sdk/piechart";
import * as prometheus from "@grafana/grafana-foundation-sdk/prometheus";
import * as statPanel from "@grafana/grafana-foundation-sdk/stat";
import * as tablePanel from "@grafana/grafana-foundation-sdk/table";
import * as timeseriesPanel from "@grafana/grafana-foundation-sdk/timeseries";
import { DATASOURCE_UIDS } from "../topology";

export type Datasource = { type: "prometheus" | "loki"; uid: string };
export const PROMETHEUS: Datasource = { type: "prometheus", uid: DATASOURCE_UIDS.prometheus };
export const LOKI: Datasource = { type: "loki", uid: DATASOURCE_UIDS.loki };

/** A panel query as the harness, tests and bench read it back from the model. */
export interface Target extends cog.Dataquery {
    refId: string;
    expr: string;
    datasource: Datasource;
    instant?: boolean;
    queryType?: string;
}
export type Panel = Omit<sdk.Panel, "targets"> & { id: number; title: string; targets?: Target[] };
export type Dashboard = Omit<sdk.Dashboard, "panels"> & { uid: string; title: string; panels: Panel[] };

/** A PromQL expression, or a LogQL one marked by `logql()`. */
export type Expr = string | { logql: string };
export const logql = (expr: string): Expr => ({ logql: expr });
const datasourceOf = (expr: Expr): Datasource => (typeof expr === "string" ? PROMETHEUS : LOKI);

/** One query of a panel. */
export interface Query {
    refId: string;
    expr: Expr;
    legendFormat?: string;
    instant?: boolean;
    format?: "table";
}

/** A query on its data source; Loki takes only `queryType` (its editor turns legacy instant/range flags into it). */
export function query(q: Query): cog.Builder<cog.Dataquery> {
    if (typeof q.expr !== "string") {
        const b = new lokiQuery.DataqueryBuilder().refId(q.refId).expr(q.expr.logql).datasource(LOKI).queryType(q.instant ? "instant" : "range");
        return q.legendFormat ? b.legendFormat(q.legendFormat) : b;
    }
    const b = new prometheus.DataqueryBuilder().refId(q.refId).expr(q.expr).datasource(PROMETHEUS);
    if (q.instant) b.instant();
    else b.range();
    if (q.legendFormat) b.legendFormat(q.legendFormat);
    if (q.format === "table") b.format(prometheus.PromQueryFormat.Table);
    return b;
}

/** What every panel type's builder has (the SDK generates them without a shared interface). */
interface PanelBuilder<B> extends cog.Builder<sdk.Panel> {
    id(id: number): B;
    title(title: string): B;
    description(description: string): B;
    span(w: number): B;
    height(h: number): B;
    datasource(datasource: common.DataSourceRef): B;
    targets(targets: cog.Builder<cog.Dataquery>[]): B;
    unit(unit: string): B;
}

/** A panel's identity, size and queries (all on one data source). */
export function panel<B extends PanelBuilder<B>>(builder: B, id: number, title: string, description: string, w: number, h: number, queries: Query[], unit = ""): B {
    builder.id(id).title(title).description(description).span(w).height(h).datasource(datasourceOf(queries[0].expr)).targets(queries.map(query));
    return unit ? builder.unit(unit) : builder;
}

/** Grafana's range of the dashboard, for totals over the selected range. */
export const RANGE = "$__range";
/** Grafana's step, for totals per time bucket (Prometheus panels; the recorded increments need at least their interval). */
export const BUCKET = "$__interval";

/** A full-width row header (the dashboard builder places it). */
export const row = (id: number, title: string) => new sdk.RowBuilder(title).id(id);

const lastValue = () => new common.ReduceDataOptionsBuilder().calcs(["lastNotNull"]).fields("").values(false);

export const thresholds = (steps: sdk.Threshold[]) => new sdk.ThresholdsConfigBuilder().mode(sdk.ThresholdsMode.Absolute).steps(steps);

export function stat(id: number, title: string, description: string, expr: Expr, unit: string) {
    return panel(new statPanel.PanelBuilder(), id, title, description, 4, 4, [{ refId: "A", expr, instant: true }], unit)
        .reduceOptions(lastValue())
        .colorMode(common.BigValueColorMode.Value)
        .graphMode(common.BigValueGraphMode.None)
        .textMode(common.BigValueTextMode.Auto);
}

/** A stat of a total: a range without growth has no recorded samples, and its total is 0, not "No data". */
export const totalStat = (id: number, title: string, description: string, expr: Expr, unit: string) => stat(id, title, description, expr, unit).noValue("0");

/** Grafana shows a legend unless told otherwise, but the SDK's default legend hides it. */
const tableLegendRight = () => new common.VizLegendOptionsBuilder().showLegend(true).displayMode(common.LegendDisplayMode.Table).placement(common.LegendPlacement.Right);

export function timeseries(id: number, title: string, description: string, queries: Omit<Query, "instant">[], unit: string) {
    return panel(new timeseriesPanel.PanelBuilder(), id, title, description, 12, 8, queries, unit)
        .legend(tableLegendRight().calcs(["sum"]))
        .tooltip(new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending));
}

/** Bars per time bucket: each bucket's exact total (needs `interval` ≥ the recording interval). */
export function bars(id: number, title: string, description: string, queries: Omit<Query, "instant">[], unit: string) {
    return timeseries(id, title, description, queries, unit)
        .interval("1m")
        .drawStyle(common.GraphDrawStyle.Bars)
        .fillOpacity(80)
        .stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal).group("A"))
        .lineWidth(1);
}

/** The one instant query of a panel of values per label value (pie chart, bar gauge). */
const perLabel = (expr: Expr, legendFormat: string): Query[] => [{ refId: "A", expr, instant: true, legendFormat }];

export function pie(id: number, title: string, description: string, expr: Expr, legendFormat: string, unit: string) {
    return panel(new piechart.PanelBuilder(), id, title, description, 8, 8, perLabel(expr, legendFormat), unit)
        .reduceOptions(lastValue())
        .pieType(piechart.PieChartType.Donut)
        .legend(
            new piechart.PieChartLegendOptionsBuilder()
                .showLegend(true)
                .displayMode(common.LegendDisplayMode.Table)
                .placement(common.LegendPlacement.Right)
                .values([piechart.PieChartLegendValues.Value, piechart.PieChartLegendValues.Percent]),
        );
}

export function barGauge(id: number, title: string, description: string, expr: Expr, legendFormat: string, unit: string) {
    return panel(new bargauge.PanelBuilder(), id, title, description, 8, 8, perLabel(expr, legendFormat), unit)
        .reduceOptions(lastValue())
        .orientation(common.VizOrientation.Horizontal)
        .displayMode(common.BarGaugeDisplayMode.Gradient)
        .showUnfilled(true);
}

/** A table from instant queries merged on their labels; `column` names each query's value column. */
export function table(
    id: number,
    title: string,
    description: string,
    queries: { refId: string; expr: string; column: string; unit: string; decimals?: number }[],
    labels: Record<string, string>,
    sortBy: string,
) {
    const builder = panel(
        new tablePanel.PanelBuilder(),
        id,
        title,
        description,
        24,
        10,
        queries.map((q) => ({ refId: q.refId, expr: q.expr, instant: true, format: "table" as const })),
    )
        .showHeader(true)
        .sortBy([new common.TableSortByFieldStateBuilder().displayName(sortBy).desc(true)])
        .cellHeight(common.TableCellHeight.Sm)
        .transformations([
            { id: "merge", options: {} },
            {
                id: "organize",
                options: {
                    excludeByName: { Time: true },
                    renameByName: { ...labels, ...Object.fromEntries(queries.map((q) => [`Value #${q.refId}`, q.column])) },
                },
            },
        ]);
    for (const q of queries) builder.overrideByName(q.column, [{ id: "unit", value: q.unit }, ...(q.decimals === undefined ? [] : [{ id: "decimals", value: q.decimals }])]);
    return builder;
}

/**
 * Links every Claude Code dashboard to the others (by tag), keeping time range and variables.
 * Written out, not built: the SDK's link builder always sets placement "inControlsMenu", which
 * moves the link from the dashboard's top bar into the controls menu.
 */
const DASHBOARD_LINK: sdk.DashboardLink = {
    title: "Claude Code",
    type: sdk.DashboardLinkType.Dashboards,
    icon: "external link",
    tooltip: "",
    tags: ["claude-code"],
    asDropdown: false,
    targetBlank: false,
    includeVars: true,
    keepTime: true,
};

/** Rows and panels in reading order; the SDK's builder lays them out on Grafana's 24 columns. */
export type Item = sdk.RowBuilder | cog.Builder<sdk.Panel>;

export function dashboard(args: { uid: string; title: string; description: string; panels: Item[]; variables: cog.Builder<sdk.VariableModel>[]; from?: string }): Dashboard {
    const builder = new sdk.DashboardBuilder(args.title)
        .uid(args.uid)
        .description(args.description)
        .tags(["claude-code"])
        .timezone("browser")
        .readonly()
        .tooltip(sdk.DashboardCursorSync.Crosshair)
        .refresh("10s")
        .time({ from: args.from ?? "now-24h", to: "now" })
        .variables(args.variables)
        .annotations([])
        .links([{ build: () => DASHBOARD_LINK }]);
    for (const item of args.panels) {
        if (item instanceof sdk.RowBuilder) builder.withRow(item);
        else builder.withPanel(item);
    }
    const built = builder.build();
    // Alerts and users' links name panels by id: each must be set, and set once.
    const ids = (built.panels ?? []).map((p) => p.id);
    if (ids.some((id) => id === undefined) || new Set(ids).size !== ids.length) throw new Error(`dashboard ${args.uid}: panel ids must be set and unique, got ${ids.join(", ")}`);
    // The SDK types queries as opaque Dataquery; ours are the Prometheus and Loki queries built above.
    return built as Dashboard;
}
