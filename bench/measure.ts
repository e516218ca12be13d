/**
 * Dashboard queries against the loaded Prometheus, as Grafana issues them, ours and naive, timed.
 *
 * - Per panel: the panel's targets issued together (one panel refreshing alone), wall time.
 * - Dashboard load: the template variables' label queries together, then every panel's targets
 *   at once, as Grafana does when a dashboard opens: wall time of the whole.
 * Each run measures every (dashboard, range) both ways, alternating which goes first. A warm-up
 * run comes first and is discarded; in it, Prometheus also counts the samples each panel reads
 * (stats=all, which Grafana does not ask for). Reported: medians over the measured runs.
 */
import { type ApiRequest, type BenchDashboard, type Variant, panelRequests, variableRequest } from "./grafana";

export const DAY_MS = 86400000;
export const RANGES: { name: string; ms: number }[] = [
    { name: "1d", ms: DAY_MS },
    { name: "7d", ms: 7 * DAY_MS },
    { name: "30d", ms: 30 * DAY_MS },
    { name: "90d", ms: 90 * DAY_MS },
];

export interface Timing {
    /** Milliseconds, one per run. */
    runs: number[];
    /** Result series returned (last run), for a sanity look. */
    series: number;
    error?: string;
}

export interface PanelTiming {
    title: string;
    type: string;
    kind: "instant" | "range" | "mixed";
    step?: number;
    sameBothWays: boolean;
    ours: Timing;
    naive: Timing;
    /** Samples the queries read (Prometheus' stats.samples.totalQueryableSamples, from the warm-up run). */
    samples: { ours: number; naive: number };
}

export interface DashboardRangeTiming {
    uid: string;
    title: string;
    range: string;
    queries: number;
    variableCount: number;
    variables: { ours: Timing; naive: Timing };
    load: { ours: Timing; naive: Timing };
    panels: PanelTiming[];
}

export const median = (xs: number[]): number => {
    if (xs.length === 0) return NaN;
    const s = [...xs].sort((a, b) => a - b);
    const m = s.length >> 1;
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function send(url: string, req: ApiRequest, stats = false): Promise<{ ms: number; series: number; samples: number }> {
    const params = stats ? { ...req.params, stats: "all" } : req.params;
    const t0 = performance.now();
    const res =
        req.method === "GET"
            ? await fetch(`${url}${req.path}?${new URLSearchParams(params)}`)
            : await fetch(`${url}${req.path}`, { method: "POST", body: new URLSearchParams(params) });
    const text = await res.text();
    const ms = performance.now() - t0;
    const json = JSON.parse(text);
    if (json.status !== "success") throw new Error(`${json.errorType}: ${json.error} (${req.expr.slice(0, 200)})`);
    const data = json.data;
    const series = Array.isArray(data) ? data.length : Array.isArray(data.result) ? data.result.length : 1;
    return { ms, series, samples: Number(data?.stats?.samples?.totalQueryableSamples ?? 0) };
}

/** Wall time of a set of requests sent at once. */
async function together(url: string, reqs: ApiRequest[], stats = false): Promise<{ ms: number; series: number; samples: number }> {
    const t0 = performance.now();
    const results = await Promise.all(reqs.map((r) => send(url, r, stats)));
    return { ms: performance.now() - t0, series: results.reduce((s, r) => s + r.series, 0), samples: results.reduce((s, r) => s + r.samples, 0) };
}

const record = (t: Timing, r: { ms: number; series: number } | Error, keep: boolean) => {
    if (r instanceof Error) {
        t.error = r.message;
        if (keep) t.runs.push(NaN);
        return;
    }
    if (keep) t.runs.push(r.ms);
    t.series = r.series;
};

const attempt = async <T>(f: () => Promise<T>): Promise<T | Error> => {
    try {
        return await f();
    } catch (e) {
        return e as Error;
    }
};

export async function measureDashboards(opts: {
    url: string;
    dashboards: BenchDashboard[];
    endMs: number;
    runs: number;
    ranges?: typeof RANGES;
    /** Both by default; prototypes measure ours only. */
    variants?: Variant[];
    log: (msg: string) => void;
}): Promise<DashboardRangeTiming[]> {
    const { url, dashboards, endMs, runs, log } = opts;
    const ranges = opts.ranges ?? RANGES;
    const out: DashboardRangeTiming[] = [];
    for (const d of dashboards) {
        for (const range of ranges) {
            const panels: PanelTiming[] = d.panels.map((p) => {
                const reqs = panelRequests(p, range.ms, endMs, "ours");
                const kinds = new Set(reqs.map((r) => (r.path.endsWith("query_range") ? "range" : "instant")));
                const step = reqs.find((r) => r.params.step)?.params.step;
                return {
                    title: p.title,
                    type: p.type,
                    kind: kinds.size > 1 ? "mixed" : ([...kinds][0] as "instant" | "range"),
                    ...(step ? { step: Number(step) } : {}),
                    sameBothWays: p.sameBothWays,
                    ours: { runs: [], series: 0 },
                    naive: { runs: [], series: 0 },
                    samples: { ours: NaN, naive: NaN },
                };
            });
            out.push({
                uid: d.uid,
                title: d.title,
                range: range.name,
                queries: d.panels.reduce((s, p) => s + p.targets.length, 0),
                variableCount: d.variables.length,
                variables: { ours: { runs: [], series: 0 }, naive: { runs: [], series: 0 } },
                load: { ours: { runs: [], series: 0 }, naive: { runs: [], series: 0 } },
                panels,
            });
        }
    }
    for (let run = 0; run <= runs; run++) {
        const keep = run > 0; // run 0 warms caches up
        const r0 = performance.now();
        for (const entry of out) {
            const d = dashboards.find((x) => x.uid === entry.uid)!;
            const range = ranges.find((r) => r.name === entry.range)!;
            const both: Variant[] = opts.variants ?? ["ours", "naive"];
            const variants = run % 2 === 0 ? both : [...both].reverse();
            for (const v of variants) {
                // Each panel alone; in the warm-up run untimed, with Prometheus counting the samples read.
                for (const [i, p] of d.panels.entries()) {
                    const r = await attempt(() => together(url, panelRequests(p, range.ms, endMs, v), !keep));
                    record(entry.panels[i][v], r, keep);
                    if (!keep && !(r instanceof Error)) entry.panels[i].samples[v] = r.samples;
                }
                // The dashboard opening: variables, then every panel at once.
                const vars = d.variables.map((x) => variableRequest(x.query, range.ms, endMs, v));
                const all = d.panels.flatMap((p) => panelRequests(p, range.ms, endMs, v));
                const t0 = performance.now();
                const varResult = await attempt(() => together(url, vars));
                const panelResult = await attempt(() => together(url, all));
                const wall = performance.now() - t0;
                record(entry.variables[v], varResult, keep);
                record(entry.load[v], varResult instanceof Error ? varResult : panelResult instanceof Error ? panelResult : { ms: wall, series: panelResult.series }, keep);
            }
        }
        log(`queries: ${run === 0 ? "warm-up" : `run ${run}/${runs}`} in ${((performance.now() - r0) / 1000).toFixed(0)} s`);
    }
    return out;
}
