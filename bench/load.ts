/**
 * Building one benchmark TSDB: the world → OpenMetrics per block window → promtool blocks (raw
 * series) → Prometheus on them → promtool rule backfill, level by level → Prometheus with the
 * stack's compaction, settled. Every phase is timed.
 */
import { mkdirSync, readdirSync, rmSync, statSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { incrementRuleGroups } from "../configs/rules";
import { truthCost } from "../harness/scenario";
import { writeOpenMetricsWindow } from "./openmetrics";
import { BLOCK_MS, BenchPrometheus, type RuleBackfillLevel, type Rss, backfillRules, dirBytes, isBlockName, moveBlocks, programRuleGroups, ruleLevels, run } from "./prometheus";
import { FastSimulation, type World, benchWorld } from "./world";

export interface LoadResult {
    users: number;
    days: number;
    startMs: number;
    endMs: number;
    processes: number;
    sessions: number;
    rawSeries: number;
    rawSamples: number;
    /** Staleness markers a scraping Prometheus would also have written (not expressible in OpenMetrics). */
    staleMarkersNotWritten: number;
    openMetricsBytes: number;
    windows: number;
    phases: {
        /** World building and the event-driven collector simulation (Node, one core). */
        simulateMs: number;
        /** OpenMetrics text (Node). */
        writeMs: number;
        /** Waiting for a free promtool slot (promtool is the slower side of the pipeline). */
        waitMs: number;
        /** Sum of promtool openmetrics job times (jobs run in parallel). */
        promtoolRawJobMs: number;
        /** Wall time from the first simulated tick to the last raw block on disk. */
        rawWallMs: number;
        /** Prometheus start on the raw blocks. */
        startMs: number;
        /** Rule backfill levels (promtool queries the running server). */
        rules: RuleBackfillLevel[];
        rulesWallMs: number;
        /** Restart with the stack's compaction settings until compaction is done and the server idle (includes the TSDB's 1-minute compaction timer). */
        compactionMs: number;
        totalMs: number;
    };
    /** Raw load as a naive stack needs it: simulation + text + promtool + start. */
    rawLoadMs: number;
    /** The most raw series exported at one moment: the collector's exporter state and a live Prometheus' head series. */
    peakExportedSeries: number;
    tsdbBytes: number;
    blocks: number;
    rssAfterLoad: Rss;
    /** Distinct series in the TSDB by metric name over the whole world. */
    seriesByName: Record<string, number>;
    recordedSeries: number;
    recordedSamples: number;
    /** Samples by metric name: raw from the simulation, recorded counted in the TSDB. */
    samplesByName: Record<string, number>;
    /** Sanity: the cost of the world's whole days from the recorded series, from naive increase(), and from the events. */
    sanity: { oursUsd: number; naiveUsd: number; truthUsd: number };
}

export interface LoadOptions {
    users: number;
    days: number;
    dir: string;
    bins: { prometheus: string; promtool: string };
    jobs: number;
    log: (msg: string) => void;
}

export async function loadWorld(opts: LoadOptions): Promise<{ result: LoadResult; prom: BenchPrometheus; world: World }> {
    const { users, days, dir, bins, jobs, log } = opts;
    const t0 = performance.now();
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const prom = new BenchPrometheus(bins, dir);

    // 1. The world through the collector model, one OpenMetrics file per block window, promtool in parallel.
    let simulateMs = 0;
    let writeMs = 0;
    let waitMs = 0;
    let promtoolRawJobMs = 0;
    let bytes = 0;
    let windows = 0;
    let written = 0;
    const samplesByName: Record<string, number> = {};
    const w0 = performance.now();
    const world = benchWorld(users, days);
    const sim = new FastSimulation(world);
    const running = new Set<Promise<void>>();
    const failures: Error[] = [];
    const it = sim.windows(BLOCK_MS);
    simulateMs += performance.now() - w0;
    for (;;) {
        const s0 = performance.now();
        const next = it.next();
        simulateMs += performance.now() - s0;
        if (next.done) break;
        const w = next.value;
        if (w.series.length === 0) continue;
        const path = join(dir, `raw-${windows}.om`);
        const outDir = join(dir, `raw-blocks-${windows}`);
        windows++;
        const x0 = performance.now();
        const r = writeOpenMetricsWindow(path, w.series, w.fromMs, w.toMs, sim.scrapeMs);
        writeMs += performance.now() - x0;
        for (const series of w.series) {
            let n = 0;
            for (let i = 0; i < series.runs.length; i += 3) n += Math.max(0, Math.min(series.runs[i + 1], w.toMs) - Math.max(series.runs[i], w.fromMs)) / sim.scrapeMs;
            samplesByName[series.labels.__name__] = (samplesByName[series.labels.__name__] ?? 0) + n;
        }
        bytes += r.bytes;
        written += r.samples;
        const q0 = performance.now();
        while (running.size >= jobs) await Promise.race(running);
        waitMs += performance.now() - q0;
        if (failures.length > 0) throw failures[0];
        const job: Promise<void> = run(bins.promtool, ["tsdb", "create-blocks-from", `--max-block-duration=${BLOCK_MS / 1000}s`, "openmetrics", "--quiet", path, outDir])
            .then((res) => {
                promtoolRawJobMs += res.ms;
                unlinkSync(path);
                moveBlocks(outDir, prom.dataDir);
            })
            .catch((e) => {
                failures.push(e);
            })
            .finally(() => running.delete(job));
        running.add(job);
    }
    const q0 = performance.now();
    await Promise.all(running);
    waitMs += performance.now() - q0;
    if (failures.length > 0) throw failures[0];
    const stats = sim.stats;
    if (written !== stats.samples) throw new Error(`wrote ${written} samples, simulated ${stats.samples}`);
    const rawWallMs = performance.now() - w0;
    log(`raw: ${stats.series} series, ${stats.samples} samples, ${(bytes / 1e9).toFixed(1)} GB OpenMetrics in ${windows} windows, ${(rawWallMs / 1000).toFixed(0)} s`);

    // 2. Prometheus on the raw blocks (no compaction yet), then the recording rules, level by level.
    const startMs = await prom.start("backfill");
    const rawLoadMs = performance.now() - t0;
    const r0 = performance.now();
    const levels = ruleLevels(programRuleGroups(incrementRuleGroups()));
    const rules = await backfillRules(prom, levels, world.startMs, world.endMs, jobs, log);
    const rulesWallMs = performance.now() - r0;
    log(`rules: ${(rulesWallMs / 1000).toFixed(0)} s`);

    // 3. The stack's layout: compaction on (blocks up to 10 % of the retention), merged and settled.
    const c0 = performance.now();
    await prom.stop();
    await prom.start("serve");
    await prom.settle({ compaction: true });
    const compactionMs = performance.now() - c0;
    log(`compaction: ${(compactionMs / 1000).toFixed(0)} s`);
    const totalMs = performance.now() - t0;

    const rangeS = Math.ceil((world.endMs - world.startMs) / 1000) + 60;
    const seriesByName = Object.fromEntries(await prom.seriesByName(`{__name__=~"claude_code.+"}`, world.startMs, world.endMs + 60000));
    const recordedSeries = Object.entries(seriesByName)
        .filter(([n]) => n.includes(":"))
        .reduce((s, [, n]) => s + n, 0);
    let recordedSamples = 0;
    for (const name of Object.keys(seriesByName).filter((n) => n.includes(":"))) {
        const counted = await prom.get("/api/v1/query", { query: `sum(count_over_time({__name__="${name}"}[${rangeS}s]))`, time: String(world.endMs / 1000 + 60) });
        samplesByName[name] = Number(counted.result[0]?.value[1] ?? 0);
        recordedSamples += samplesByName[name];
    }
    // The most Claude Code series exported at one moment (sampled every 15 minutes): what the
    // collector's exporter holds and what a live Prometheus keeps in its head block.
    const peak = await prom.get("/api/v1/query", { query: `max_over_time(count({__name__=~"claude_code_.+_total"})[${rangeS}s:15m])`, time: String(world.endMs / 1000 + 60) });
    const peakExportedSeries = Number(peak.result[0]?.value[1] ?? NaN);
    // Whole days only: the night after the last day holds the one case no query can count exactly
    // (two live processes writing one cumulative series; see e2e.truth.prometheus.test.ts).
    const daysEnd = world.startMs + days * 86400000;
    const total = async (expr: string) => Number((await prom.get("/api/v1/query", { query: expr, time: String(daysEnd / 1000) })).result[0]?.value[1] ?? NaN);
    const sanity = {
        oursUsd: await total(`sum(sum_over_time(claude_code:cost_usd:increase1m[${days}d]))`),
        naiveUsd: await total(`sum(increase(claude_code_cost_usage_USD_total[${days}d]))`),
        truthUsd: truthCost(world, world.startMs, daysEnd),
    };
    await prom.settle();
    const blocks = statSafeBlocks(prom.dataDir);
    const result: LoadResult = {
        users,
        days,
        startMs: world.startMs,
        endMs: world.endMs,
        processes: stats.processes,
        sessions: stats.sessions,
        rawSeries: stats.series,
        peakExportedSeries,
        rawSamples: stats.samples,
        staleMarkersNotWritten: stats.staleMarkers,
        openMetricsBytes: bytes,
        windows,
        phases: { simulateMs, writeMs, waitMs, promtoolRawJobMs, rawWallMs, startMs, rules, rulesWallMs, compactionMs, totalMs },
        rawLoadMs,
        tsdbBytes: dirBytes(prom.dataDir),
        blocks,
        rssAfterLoad: prom.rss(),
        seriesByName,
        recordedSeries,
        recordedSamples,
        samplesByName,
        sanity,
    };
    return { result, prom, world };
}

function statSafeBlocks(dataDir: string): number {
    let n = 0;
    for (const name of readdirSync(dataDir)) {
        if (isBlockName(name) && statSync(join(dataDir, name)).isDirectory()) n++;
    }
    return n;
}
