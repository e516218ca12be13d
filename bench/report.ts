/**
 * BENCHMARKS.md from a run's results (bench/results.json): every number in it comes from here.
 */
import { OVERVIEW_UID } from "../configs/dashboards";
import { DEFAULTS } from "../configs/settings";
import type { GrowthRow } from "./growth";
import type { LoadResult } from "./load";
import { type DashboardRangeTiming, type Timing, median } from "./measure";
import type { Rss } from "./prometheus";

export interface SizeResult {
    load: LoadResult;
    queries: DashboardRangeTiming[];
    rssAfterQueries: Rss;
    /** Peak RSS of a fresh server answering only our dashboards (every dashboard × range). */
    oursPeakBytes?: number;
    queryWallMs: number;
}

export interface SkippedSize {
    users: number;
    days: number;
    reason: string;
    predictedRawLoadMs: number;
    substitute?: string;
}

export interface Results {
    command: string;
    startedAt: string;
    finishedAt: string;
    runs: number;
    jobs: number;
    budgetMinutes: number;
    machine: { cores: number; cpu: string; memBytes: number; kernel: string; node: string };
    versions: { prometheus: string; promtool: string; stackImage: string; commit: string };
    design: { ruleGroups: { name: string; interval: string; records: string[] }[]; dashboards: { uid: string; title: string; panels: number; queries: number; skipped: number }[] };
    sizes: SizeResult[];
    skipped: SkippedSize[];
    growth: GrowthRow[];
}

const MiB = 1024 * 1024;
const fmtInt = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "–");
const fmtMs = (ms: number) => (!Number.isFinite(ms) ? "failed" : ms >= 10000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 1 : 0)} ms`);
const fmtS = (ms: number) => `${(ms / 1000).toFixed(ms < 10000 ? 1 : 0)} s`;
const fmtMiB = (b: number) => `${(b / MiB).toFixed(b < 10 * MiB ? 1 : 0)} MiB`;
const pct = (got: number, want: number) => `${got >= want ? "+" : "−"}${((Math.abs(got - want) / want) * 100).toFixed(got === want ? 0 : Math.abs(got - want) / want < 0.001 ? 3 : 1)} %`;
const ratio = (a: number, b: number) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : NaN);
const fmtRatio = (r: number) => (!Number.isFinite(r) ? "–" : r >= 10 ? r.toFixed(0) : r >= 1 ? r.toFixed(1) : r.toFixed(2));
const med = (t: Timing) => (t.runs.some((x) => !Number.isFinite(x)) ? NaN : median(t.runs));
const sizeName = (l: { users: number; days: number }) => `${l.users} × ${l.days}`;
const table = (head: string[], rows: (string | number)[][], align?: string[]) =>
    [`| ${head.join(" | ")} |`, `| ${head.map((_, i) => align?.[i] ?? "---:").join(" | ")} |`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");

/** Least squares y = a + b·x. */
export function fit(points: [number, number][]): { a: number; b: number } {
    const n = points.length;
    if (n === 1) return { a: 0, b: points[0][1] / points[0][0] };
    const mx = points.reduce((s, p) => s + p[0], 0) / n;
    const my = points.reduce((s, p) => s + p[1], 0) / n;
    const sxx = points.reduce((s, p) => s + (p[0] - mx) ** 2, 0);
    const sxy = points.reduce((s, p) => s + (p[0] - mx) * (p[1] - my), 0);
    const b = sxx === 0 ? 0 : sxy / sxx;
    return { a: my - b * mx, b };
}

/**
 * The issue's targets at 100 users × 90 days: measured if that size ran, otherwise a linear fit
 * in users over the 90-day worlds that ran (through the origin if only one did).
 */
function targetFinding(r: Results): string {
    const at90 = r.sizes.filter((s) => s.load.days === 90 && mainAt(s, "90d"));
    if (at90.length === 0) return "";
    const exact = at90.find((s) => s.load.users === 100);
    const estimate = (f: (s: SizeResult) => number) => {
        if (exact) return f(exact);
        const { a, b } = fit(at90.map((s) => [s.load.users, f(s)] as [number, number]));
        return a + b * 100;
    };
    const ours = estimate((s) => med(mainAt(s, "90d")!.load.ours));
    const naive = estimate((s) => med(mainAt(s, "90d")!.load.naive));
    const how = exact
        ? "measured"
        : `extrapolated linearly in users from the 90-day worlds run (${at90.map((s) => sizeName(s.load)).join(", ")}${at90.length === 1 ? ", through the origin" : ""})`;
    return `**Targets at 100 users × 90 days** (${how}): the main dashboard over 90 days takes ${fmtMs(ours)} (target < 1 s: ${ours < 1000 ? "met" : "**not met**"}), against ${fmtMs(naive)} naive, ${fmtRatio(ratio(naive, ours))}× faster (target ≥ 10×: ${ratio(naive, ours) >= 10 ? "met" : "**not met**"}).`;
}

/**
 * What a team of a given size needs, from the fits over the sizes run: Prometheus disk per 30
 * days (raw and recorded series, compacted), the series the collector and Prometheus' head
 * block hold at the busiest moment, and Prometheus' peak memory over the benchmark's own load.
 */
function sizing(r: Results): string {
    const measured = r.sizes.filter((s) => s.load.peakExportedSeries !== undefined && s.oursPeakBytes !== undefined);
    if (measured.length < 2) return "";
    const perUserDay = fit(measured.map((s) => [s.load.users * s.load.days, s.load.tsdbBytes] as [number, number])).b;
    const series = fit(measured.map((s) => [s.load.users, s.load.peakExportedSeries] as [number, number]));
    const memory = fit(measured.map((s) => [s.load.users * s.load.days, s.oursPeakBytes!] as [number, number]));
    const teams = [1, 10, 20, 50, 100];
    const out: string[] = ["## Sizing", ""];
    out.push(
        table(
            ["team", "Prometheus disk per 30 days", "Prometheus disk at 90 d retention", "peak exported series", `Prometheus peak RSS serving the dashboards, 90 days stored (limit ${DEFAULTS.prometheusMemoryMb} MB)`],
            teams.map((u) => [
                `${u} user${u === 1 ? "" : "s"}`,
                fmtMiB(perUserDay * u * 30),
                fmtMiB(perUserDay * u * 90),
                fmtInt(Math.max(0, series.a + series.b * u)),
                fmtMiB(Math.max(0, memory.a + memory.b * u * 90)),
            ]),
            ["---"],
        ),
    );
    out.push("");
    out.push(
        `From linear fits over ${measured.map((s) => sizeName(s.load)).join(", ")}: disk ${fmtMiB(perUserDay)} per user-day (the TSDB after compaction, raw and recorded series together; the raw per-session series are most of it), exported series per user, and peak RSS per user-day (a fresh server answering every dashboard at every range, nothing else; it includes the TSDB pages it mapped). A live server also holds its head block (about the peak exported series plus the recorded ones, for the last 2–3 hours) and compacts; the benchmark's own server, compacting and answering the naive queries too, peaked at the "peak RSS" column above. The world's users work 2–4 sessions a day; a team that works more, or keeps more labels (OTEL_RESOURCE_ATTRIBUTES), needs proportionally more. Loki (the events) is not measured here.`,
    );
    out.push("");
    return out.join("\n");
}

function mainAt(size: SizeResult, range: string): DashboardRangeTiming | undefined {
    return size.queries.find((q) => q.uid === OVERVIEW_UID && q.range === range);
}

export function renderReport(r: Results): string {
    const out: string[] = [];
    const largest = r.sizes[r.sizes.length - 1];
    out.push("# Benchmarks: dashboards over recorded increments vs naive `increase()` on raw series");
    out.push("");
    out.push("<!-- Generated by `npm run bench -- --write` (bench/report.ts) from bench/results.json. Do not edit by hand: rerun. -->");
    out.push("");
    // One command per line, in the order they ran: pasteable as they stand.
    out.push("Reproduce this file, in order:");
    out.push("");
    out.push("```sh", ...r.command.split(", then "), "```");
    out.push("");
    out.push("Or `npm run bench` for the quick sizes. Options: `--sizes 1x7,20x30`, `--runs 5`, `--full`, `--write`; see bench/run.ts.");
    out.push("");
    out.push(`Run ${r.startedAt} → ${r.finishedAt}; ${r.runs} measured runs per query after a warm-up; medians reported.`);
    out.push("");
    out.push("## Machine");
    out.push("");
    out.push(
        table(
            ["", ""],
            [
                ["CPU", `${r.machine.cores} cores, ${r.machine.cpu}`],
                ["Memory", `${(r.machine.memBytes / 1024 ** 3).toFixed(1)} GiB`],
                ["Kernel", r.machine.kernel],
                ["Prometheus", r.versions.prometheus],
                ["promtool", r.versions.promtool],
                ["Stack's image", `${r.versions.stackImage} (the harness runs the local binary above)`],
                ["Node.js", r.machine.node],
                ["Program", r.versions.commit],
            ],
            ["---", "---"],
        ),
    );
    out.push("");
    out.push("Design measured (read from the program, not from this harness):");
    out.push("");
    for (const g of r.design.ruleGroups) out.push(`- rule group \`${g.name}\`, every ${g.interval}: ${g.records.length} records (${g.records.map((x) => `\`${x}\``).join(", ")})`);
    for (const d of r.design.dashboards) out.push(`- dashboard \`${d.uid}\`: ${d.panels} Prometheus panels, ${d.queries} queries${d.skipped ? `; ${d.skipped} Loki panels not measured` : ""}`);
    out.push("");

    // Summary.
    out.push("## Summary");
    out.push("");
    const summaryRows = r.sizes.map((s) => {
        const m = mainAt(s, "90d");
        const ours = m ? med(m.load.ours) : NaN;
        const naive = m ? med(m.load.naive) : NaN;
        return [
            sizeName(s.load),
            fmtInt(s.load.sessions),
            fmtMs(ours),
            fmtMs(naive),
            fmtRatio(ratio(naive, ours)),
            ours < 1000 ? "yes" : "**no**",
            ratio(naive, ours) >= 10 ? "yes" : "**no**",
            fmtS(s.load.phases.totalMs),
        ];
    });
    out.push(
        table(["users × days", "sessions", "main dashboard, 90 d: ours", "naive", "naive / ours", "< 1 s", "≥ 10× naive", "load (all phases)"], summaryRows, [
            "---",
            "---:",
            "---:",
            "---:",
            "---:",
            "---:",
            "---:",
            "---:",
        ]),
    );
    out.push("");
    for (const s of r.sizes) {
        const off = Math.abs(s.load.sanity.oursUsd - s.load.sanity.truthUsd) / s.load.sanity.truthUsd;
        if (off > 0.01) out.push(`- **Warning (${sizeName(s.load)})**: the recorded totals differ from the events by ${(off * 100).toFixed(1)} % — the data loaded is not what the rules expect, so these timings may not be representative.`);
    }
    for (const k of r.skipped) {
        out.push(`- **${sizeName(k)} not run**: ${k.reason}${k.substitute ? ` Ran ${k.substitute} instead, and the trend below extrapolates.` : ""}`);
    }
    if (r.skipped.length > 0) out.push("");
    out.push(targetFinding(r));
    out.push("");

    // Sizes.
    out.push("## Data sets");
    out.push("");
    out.push(
        table(
            ["users × days", "sessions", "raw series", "peak exported series", "raw samples", "recorded series", "recorded samples", "TSDB on disk", "blocks", "RSS after load", "RSS after queries", "peak RSS", "peak RSS, ours alone", "cost of the whole days: events", "ours", "naive"],
            r.sizes.map((s) => [
                sizeName(s.load),
                fmtInt(s.load.sessions),
                fmtInt(s.load.rawSeries),
                s.load.peakExportedSeries === undefined ? "not measured" : fmtInt(s.load.peakExportedSeries),
                fmtInt(s.load.rawSamples),
                fmtInt(s.load.recordedSeries),
                fmtInt(s.load.recordedSamples),
                fmtMiB(s.load.tsdbBytes),
                s.load.blocks,
                fmtMiB(s.load.rssAfterLoad.vmRssBytes),
                `${fmtMiB(s.rssAfterQueries.vmRssBytes)} (anon ${fmtMiB(s.rssAfterQueries.anonBytes)})`,
                s.rssAfterQueries.peakBytes === undefined ? "not measured" : fmtMiB(s.rssAfterQueries.peakBytes),
                s.oursPeakBytes === undefined ? "not measured" : fmtMiB(s.oursPeakBytes),
                `${s.load.sanity.truthUsd.toFixed(2)} USD`,
                `${pct(s.load.sanity.oursUsd, s.load.sanity.truthUsd)}`,
                `${pct(s.load.sanity.naiveUsd, s.load.sanity.truthUsd)}`,
            ]),
            ["---"],
        ),
    );
    out.push("");
    out.push(
        "Cost columns: a sanity check that the loaded data is right, the world's whole days summed from the recorded series (ours) and with `increase()` on the raw series (naive), against the sum of the api_request events' cost_usd. The world includes two processes sharing one session id and writing delta points with the same timestamps; the collector model drops one of them as out of order, so even the stored data can fall short of the events by a few cents.",
    );
    out.push("");
    out.push(
        `RSS is VmRSS of the Prometheus process (/proc/<pid>/status), measured once it is idle: after loading and compaction, and again after all queries. It includes page cache mapped from the TSDB's chunk files (RssFile); anon is the Go heap and runtime. Peak RSS is VmHWM after all queries: the most the serving process held at any moment, through compaction and every query, ours and the naive baseline's. Peak RSS, ours alone: VmHWM of a fresh server process on the same TSDB that answered only our queries (every dashboard at every range, a warm-up and the measured runs). The stack gives Prometheus a ${DEFAULTS.prometheusMemoryMb} MB memory limit by default. Peak exported series: the most Claude Code series with a sample at one moment (sampled every 15 min over the world), which is what the collector's exporter holds and what a live Prometheus keeps in its head block.`,
    );
    out.push("");

    // Where the time goes.
    out.push("## Where the load time goes");
    out.push("");
    out.push(
        table(
            ["users × days", "simulate", "write OpenMetrics", "promtool blocks (Σ jobs)", "raw load (wall)", "OpenMetrics", "rule backfill", "compaction + settle", "load total", "queries (all runs)", "size total"],
            r.sizes.map((s) => {
                const p = s.load.phases;
                return [
                    sizeName(s.load),
                    fmtS(p.simulateMs),
                    fmtS(p.writeMs),
                    fmtS(p.promtoolRawJobMs),
                    fmtS(s.load.rawLoadMs),
                    `${(s.load.openMetricsBytes / 1e9).toFixed(1)} GB`,
                    p.rules.map((l) => `${fmtS(l.ms)}${p.rules.length > 1 ? ` (L${l.level})` : ""}`).join(" + "),
                    fmtS(p.compactionMs),
                    fmtS(p.totalMs),
                    fmtS(s.queryWallMs),
                    fmtS(p.totalMs + s.queryWallMs),
                ];
            }),
            ["---"],
        ),
    );
    out.push("");
    out.push(
        `Raw load runs the simulation and the OpenMetrics writer in Node while ${r.jobs} promtool processes turn finished windows into blocks (both sides share the ${r.machine.cores} cores; "Σ jobs" adds up the promtool processes' wall times). Rule backfill runs ${r.jobs} promtool processes on disjoint time slices against the running server, one dependency level after another. Compaction includes the TSDB's one-minute timer before its first compaction. Queries: every dashboard × range, ours and naive, per panel and whole, a warm-up plus ${r.runs} runs; naive long ranges dominate.`,
    );
    out.push("");

    // Trend.
    if (r.sizes.length >= 2) {
        out.push("## Trend with users × days");
        out.push("");
        const xs = r.sizes.map((s) => s.load.users * s.load.days);
        const targets = [...new Set([...r.skipped.map((k) => k.users * k.days), 100 * 90])];
        const metrics: [string, (s: SizeResult) => number, (v: number) => string][] = [
            ["raw series", (s) => s.load.rawSeries, fmtInt],
            ["peak exported series", (s) => s.load.peakExportedSeries ?? NaN, fmtInt],
            ["raw samples", (s) => s.load.rawSamples, fmtInt],
            ["recorded samples", (s) => s.load.recordedSamples, fmtInt],
            ["TSDB bytes", (s) => s.load.tsdbBytes, fmtMiB],
            ["raw load", (s) => s.load.rawLoadMs, fmtS],
            ["rule backfill", (s) => s.load.phases.rulesWallMs, fmtS],
            ["main dashboard 90 d, ours", (s) => med(mainAt(s, "90d")!.load.ours), fmtMs],
            ["main dashboard 90 d, naive", (s) => med(mainAt(s, "90d")!.load.naive), fmtMs],
        ];
        out.push(
            table(
                ["quantity", ...r.sizes.map((s) => sizeName(s.load)), "per user-day (fit slope)", ...targets.map((t) => `fit at ${t} user-days`)],
                metrics.map(([name, f, fmt]) => {
                    const pts = r.sizes.map((s, i) => [xs[i], f(s)] as [number, number]).filter(([, y]) => Number.isFinite(y));
                    const { a, b } = fit(pts);
                    return [name, ...r.sizes.map((s) => fmt(f(s))), fmt(b), ...targets.map((t) => fmt(a + b * t))];
                }),
                ["---"],
            ),
        );
        out.push("");
        out.push(
            "Linear least squares over the sizes run (x = users × days). Dashboard time at 90 d grows with the data inside 90 days; the fit is a guide, not a measurement. A 100-user, 90-day world is 100 × 90 = 9,000 user-days.",
        );
        out.push("");
    }

    out.push(sizing(r));

    // Dashboards × ranges.
    out.push("## Dashboards: whole-dashboard load, ours vs naive");
    out.push("");
    out.push(
        "Median wall time of opening the dashboard: its template variables' label queries, then every panel query at once, as Grafana sends them. Ratios per run pair are not used: ratio of medians. naive / ours > 1 means ours is faster.",
    );
    out.push("");
    for (const s of r.sizes) {
        out.push(`### ${sizeName(s.load)} (${fmtInt(s.load.sessions)} sessions)`);
        out.push("");
        out.push(
            table(
                ["dashboard", "range", "queries", "ours", "naive", "ours / naive", "naive / ours", "variables ours / naive"],
                s.queries.map((q) => {
                    const o = med(q.load.ours);
                    const n = med(q.load.naive);
                    const mark = q.panels.length === 0 ? " ²" : q.panels.every((p) => p.sameBothWays) ? " ¹" : "";
                    return [
                        `\`${q.uid}\`${mark}`,
                        q.range,
                        q.panels.length === 0 ? "variables only" : q.queries,
                        fmtMs(o),
                        fmtMs(n),
                        fmtRatio(ratio(o, n)),
                        fmtRatio(ratio(n, o)),
                        q.variableCount === 0 ? "none" : `${fmtMs(med(q.variables.ours))} / ${fmtMs(med(q.variables.naive))}`,
                    ];
                }),
                ["---", "---"],
            ),
        );
        out.push("");
    }
    out.push(
        "¹ Reads no recorded series (the collector's, Prometheus' and Loki's own metrics, which the benchmark world does not contain): the same queries both ways, returning nothing. ² Its panels are Loki queries (not measured); only its Prometheus template variables are.",
    );
    out.push("");

    // Per panel, main dashboard at 90d.
    out.push("## Main dashboard at 90 days, per panel");
    out.push("");
    out.push("Each panel's queries sent alone (median over runs); a panel with several targets sends them together.");
    out.push("");
    const panelTable = (s: SizeResult) => {
        const m = mainAt(s, "90d");
        if (!m) return "(not measured)";
        return table(
            ["panel", "type", "query", "ours", "naive", "ours / naive", "naive / ours", "samples read ours / naive", "series returned"],
            m.panels.map((p) => {
                const o = med(p.ours);
                const n = med(p.naive);
                return [
                    p.title,
                    p.type,
                    p.kind === "instant" ? "instant" : `range, step ${p.step}s`,
                    fmtMs(o),
                    fmtMs(n),
                    fmtRatio(ratio(o, n)),
                    fmtRatio(ratio(n, o)),
                    `${fmtInt(p.samples?.ours ?? NaN)} / ${fmtInt(p.samples?.naive ?? NaN)}`,
                    `${p.ours.series} / ${p.naive.series}`,
                ];
            }),
            ["---", "---", "---"],
        );
    };
    if (largest) {
        out.push(`### ${sizeName(largest.load)}`);
        out.push("");
        out.push(panelTable(largest));
        out.push("");
    }
    for (const s of r.sizes.slice(0, -1).reverse()) {
        out.push(`<details><summary>${sizeName(s.load)}</summary>`);
        out.push("");
        out.push(panelTable(s));
        out.push("");
        out.push("</details>");
        out.push("");
    }
    out.push("<details><summary>Every dashboard, range and panel (medians, ours / naive)</summary>");
    out.push("");
    for (const s of r.sizes) {
        out.push(`#### ${sizeName(s.load)}`);
        out.push("");
        const uids = [...new Set(s.queries.map((q) => q.uid))];
        for (const uid of uids) {
            const rows = s.queries.filter((q) => q.uid === uid);
            if (rows[0].panels.length === 0) continue;
            out.push(
                table(
                    [`\`${uid}\``, ...rows.map((q) => q.range)],
                    rows[0].panels.map((p, i) => [p.title, ...rows.map((q) => `${fmtMs(med(q.panels[i].ours))} / ${fmtMs(med(q.panels[i].naive))}`)]),
                    ["---"],
                ),
            );
            out.push("");
        }
    }
    out.push("</details>");
    out.push("");

    // Series growth.
    out.push("## Series growth: what long-range panels read");
    out.push("");
    out.push(
        "Distinct series in the TSDB over the whole world (Prometheus series API), and samples (raw: written; recorded: `count_over_time` over the world). Aggregated records keep user, model, type, team, repository, … and drop the per-session and per-request labels (cost keeps query source and effort in one extra record); per-session records (the sessions dashboard) keep session_id. Minutes without growth are not recorded.",
    );
    out.push("");
    const agg = (_s: SizeResult, f: (name: string) => boolean, m: Record<string, number>) =>
        Object.entries(m)
            .filter(([n]) => f(n))
            .reduce((a, [, v]) => a + v, 0);
    const isAgg = (n: string) => n.includes(":") && !n.includes(":session_");
    const isSess = (n: string) => n.includes(":session_");
    const isRaw = (n: string) => !n.includes(":");
    out.push(
        table(
            ["users × days", "sessions", "raw series", "raw series / session", "aggregated recorded series", "per user", "per-session recorded series", "raw samples", "aggregated recorded samples", "per-session recorded samples"],
            r.sizes.map((s) => [
                sizeName(s.load),
                fmtInt(s.load.sessions),
                fmtInt(agg(s, isRaw, s.load.seriesByName)),
                (agg(s, isRaw, s.load.seriesByName) / s.load.sessions).toFixed(1),
                fmtInt(agg(s, isAgg, s.load.seriesByName)),
                (agg(s, isAgg, s.load.seriesByName) / s.load.users).toFixed(0),
                fmtInt(agg(s, isSess, s.load.seriesByName)),
                fmtInt(agg(s, isRaw, s.load.samplesByName)),
                fmtInt(agg(s, isAgg, s.load.samplesByName)),
                fmtInt(agg(s, isSess, s.load.samplesByName)),
            ]),
            ["---"],
        ),
    );
    out.push("");
    if (largest) {
        out.push(`By measure, ${sizeName(largest.load)}:`);
        out.push("");
        const names = Object.keys(largest.load.seriesByName).sort();
        out.push(
            table(
                ["series", "distinct series", "samples", "samples / series"],
                names.map((n) => [
                    `\`${n}\``,
                    fmtInt(largest.load.seriesByName[n]),
                    fmtInt(largest.load.samplesByName[n] ?? NaN),
                    fmtInt((largest.load.samplesByName[n] ?? NaN) / largest.load.seriesByName[n]),
                ]),
                ["---"],
            ),
        );
        out.push("");
    }
    if (r.growth.length > 0) {
        out.push("From the generator alone (no Prometheus), as sessions grow:");
        out.push("");
        out.push(
            table(
                ["users × days", "sessions", "raw series", "aggregated recorded series", "per-session recorded series"],
                r.growth.map((g) => [sizeName(g), fmtInt(g.sessions), fmtInt(g.rawSeries), fmtInt(g.recordedSeries), fmtInt(g.sessionRecordedSeries)]),
                ["---"],
            ),
        );
        out.push("");
    }
    out.push(growthFinding(r));
    out.push("");

    // Method.
    out.push("## Method");
    out.push("");
    out.push(
        [
            "- **Data**: the test suite's world (harness/scenario.ts `buildWorld`: users × days, 2–4 sessions per user and day, models, token mixes, subagents, resumes, a collector restart, idle gaps, delta and cumulative clients) and its collector model (harness/collectorModel.ts: deltatocumulative + prometheus exporter with the stack's 6 h series TTL), scraped every 10 s. bench/world.ts runs these pieces event-driven instead of scraping every series every 10 s; bench/world.test.ts proves it writes exactly what `simulate()` writes.",
            "- **Raw series**: OpenMetrics text per 18 h block window → `promtool tsdb create-blocks-from openmetrics` (blocks moved into the TSDB). OpenMetrics has no staleness markers: a backfilled series simply ends. Every measured query reads series through range functions, and range selectors drop staleness markers, so no result changes; instant selectors would see an ended series for up to the 5 m lookback; the TSDB lacks one sample per series end (counted above as not written).",
            "- **Recorded series**: every recording rule of the program's rule files (`buildRuleFiles(incrementRuleGroups())`), backfilled with `promtool tsdb create-blocks-from rules` against the running server, in dependency order (a rule reading another rule's record waits for it; each level's blocks are loaded before the next), each group at its own interval (groups without one at the stack's evaluation interval).",
            "- **Server**: Prometheus with the stack's block layout (compaction up to 10 % of the 90 d retention: 162 h blocks), started after the backfill and left to compact and go idle before anything is measured.",
            "- **Queries**: every Prometheus panel target of `allDashboards()`, interpolated with `interpolate` (harness/queries.ts), instant queries at the range's end, range queries with Grafana's step for a 1000-pixel panel (range / 1000 rounded by Grafana's table, at least the panel's min interval or the 10 s scrape interval), start and end rounded down to the step; variables through the label values API. Ranges end at the world's last scrape.",
            "- **Naive baseline**: each query rewritten by bench/naive.ts (tested in bench/naive.test.ts): `sum_over_time(claude_code:<m>:…increase…{m}[R])` → `increase(<raw metric>{m}[R])`, outer aggregation kept; same panels, same steps, same server.",
            "- **Not measured**: Loki (the events dashboard's panels), and the pipeline dashboard's data (collector/Prometheus/Loki self-metrics are not in the world; its queries run and return nothing).",
        ].join("\n"),
    );
    out.push("");
    return out.join("\n");
}

function growthFinding(r: Results): string {
    const g = r.growth;
    if (g.length < 2) return "";
    const byUsers = new Map<number, GrowthRow[]>();
    for (const row of g) byUsers.set(row.users, [...(byUsers.get(row.users) ?? []), row]);
    const lines: string[] = [];
    lines.push("**Finding.**");
    for (const [users, rows] of byUsers) {
        if (rows.length < 2) continue;
        const [a, b] = [rows[0], rows[rows.length - 1]];
        lines.push(
            `With ${users} users, going from ${a.days} to ${b.days} days multiplies sessions by ${(b.sessions / a.sessions).toFixed(1)} and raw series by ${(b.rawSeries / a.rawSeries).toFixed(1)}; the aggregated recorded series go from ${fmtInt(a.recordedSeries)} to ${fmtInt(b.recordedSeries)} (×${(b.recordedSeries / a.recordedSeries).toFixed(2)}), and the per-session records by ×${(b.sessionRecordedSeries / a.sessionRecordedSeries).toFixed(1)}.`,
        );
    }
    const perUser = g.filter((x) => x.users >= 5).map((x) => x.recordedSeries / x.users);
    if (perUser.length > 0) {
        lines.push(
            `Aggregated recorded series grow with users × the label combinations each user produces (model × token type, decisions × tools × languages, …): about ${Math.min(...perUser).toFixed(0)}–${Math.max(...perUser).toFixed(0)} per user here, independent of how many sessions they run. Raw series, and the per-session records the sessions dashboard reads, grow with sessions. Recorded samples grow with the minutes in which something grew, not with how long series stay exported.`,
        );
    }
    return lines.join(" ");
}
