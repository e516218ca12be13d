/**
 * `npm run bench`: the dashboards' query cost on a real Prometheus, ours (recorded per-minute
 * increments) against the naive way (increase() on raw per-session series), for worlds of
 * growing size built by the test suite's generator.
 *
 *   npm run bench                          quick sizes (a few minutes)
 *   npm run bench -- --full --write        the full sizes; writes BENCHMARKS.md and bench/results.json
 *   npm run bench -- --sizes 1x7,20x30 --runs 5
 *   npm run bench -- --report-from bench/results.json --write    regenerate BENCHMARKS.md only
 *
 * Options:
 *   --sizes UxD,…        users × days per world (default 1x7,5x7; --full: 1x7,20x30,100x90)
 *   --runs N             measured runs per query (default 5; a warm-up run comes first)
 *   --full               the full sizes (FULL_SIZES); a size whose raw load is predicted over the budget is
 *                        replaced by the most users over the same days that fit
 *   --budget-minutes M   raw-load budget per size (default 10)
 *   --no-budget          run every size as given
 *   --jobs N             parallel promtool processes (default: cores)
 *   --growth UxD,…       worlds for the generator-only series-growth table
 *   --dashboards a,b     only these dashboard uids;  --ranges 1d,90d  only these ranges
 *   --work-dir DIR       where TSDBs and OpenMetrics files go (default: $TMPDIR/claude-code-bench)
 *   --keep               keep each size's TSDB (and print where)
 *   --write              write BENCHMARKS.md and bench/results.json
 *   --json FILE          also write the results to FILE
 *   --report-from FILE   no run: render BENCHMARKS.md from saved results
 *   --add-to FILE        run the given --sizes and add them to the results in FILE (no growth
 *                        rows unless --growth is given); with --write, render them together
 *   --memory-from FILE   no load: for each size in FILE whose TSDB was kept (--keep, same
 *                        --work-dir), measure Prometheus' peak memory serving our queries alone
 *                        and add it to FILE (a run measures it itself; this fills older results)
 */
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { cpus, release, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { incrementRuleGroups } from "../configs/rules";
import { DEFAULTS } from "../configs/settings";
import { BUILD_HINT, findTool } from "../harness/tools";
import { benchDashboards } from "./grafana";
import { type GrowthRow, seriesGrowth } from "./growth";
import { loadWorld } from "./load";
import { RANGES, measureDashboards } from "./measure";
import { BenchPrometheus, programRuleGroups } from "./prometheus";
import { type Results, type SizeResult, type SkippedSize, renderReport } from "./report";

const ROOT = join(__dirname, "..");
const QUICK_SIZES = "1x7,5x7";
const FULL_SIZES = "1x7,20x30,100x90";
const QUICK_GROWTH = "1x7,5x7,5x30,20x30";
const FULL_GROWTH = "1x7,20x30,20x90,100x30,100x90";

const OPTIONS = {
    sizes: { type: "string" },
    runs: { type: "string" },
    full: { type: "boolean", default: false },
    "budget-minutes": { type: "string" },
    "no-budget": { type: "boolean", default: false },
    jobs: { type: "string" },
    growth: { type: "string" },
    dashboards: { type: "string" },
    ranges: { type: "string" },
    "work-dir": { type: "string" },
    keep: { type: "boolean", default: false },
    write: { type: "boolean", default: false },
    json: { type: "string" },
    "report-from": { type: "string" },
    "memory-from": { type: "string" },
    "add-to": { type: "string" },
    help: { type: "boolean", default: false },
} as const;

function args(argv: string[]) {
    let values: ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS; strict: true; allowPositionals: false }>>["values"];
    try {
        ({ values } = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false }));
    } catch (e) {
        throw new Error(`${(e as Error).message} (see bench/run.ts)`);
    }
    const sizes = (text: string) =>
        text.split(",").map((s) => {
            const m = /^(\d+)x(\d+)$/.exec(s.trim());
            if (!m) throw new Error(`size "${s}": write users x days, e.g. 20x30`);
            return { users: Number(m[1]), days: Number(m[2]) };
        });
    const full = values.full;
    return {
        help: values.help,
        sizes: sizes(values.sizes ?? (full ? FULL_SIZES : QUICK_SIZES)),
        growth: values["add-to"] !== undefined && values.growth === undefined ? [] : sizes(values.growth ?? (full ? FULL_GROWTH : QUICK_GROWTH)),
        runs: Number(values.runs ?? 5),
        full,
        budgetMs: values["no-budget"] ? Infinity : Number(values["budget-minutes"] ?? 10) * 60000,
        jobs: Number(values.jobs ?? cpus().length),
        dashboards: values.dashboards?.split(","),
        ranges: values.ranges?.split(","),
        workDir: values["work-dir"] ?? join(tmpdir(), "claude-code-bench"),
        keep: values.keep,
        write: values.write,
        json: values.json,
        reportFrom: values["report-from"],
        memoryFrom: values["memory-from"],
        addTo: values["add-to"],
    };
}

const t0 = performance.now();
const log = (msg: string) => console.log(`[${new Date().toISOString().slice(11, 19)} +${((performance.now() - t0) / 1000).toFixed(0)}s] ${msg}`);

function tools(): { prometheus: string; promtool: string } {
    let prometheus = findTool("prometheus");
    let promtool = findTool("promtool");
    if (!prometheus || !promtool) {
        log("prometheus/promtool not found: running scripts/build-prometheus.sh");
        execFileSync("bash", [join(ROOT, "scripts", "build-prometheus.sh")], { stdio: "inherit" });
        prometheus = findTool("prometheus");
        promtool = findTool("promtool");
    }
    if (!prometheus || !promtool) throw new Error(`prometheus and promtool are needed: ${BUILD_HINT}`);
    return { prometheus, promtool };
}

function firstLine(cmd: string, a: string[]): string {
    try {
        return execFileSync(cmd, a, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).split("\n")[0].trim();
    } catch {
        return "unknown";
    }
}

function commit(): string {
    const head = firstLine("git", ["-C", ROOT, "rev-parse", "--short", "HEAD"]);
    const dirty = firstLine("git", ["-C", ROOT, "status", "--porcelain"]) !== "";
    return `${head}${dirty ? " with uncommitted changes" : ""}`;
}

/** Results as JSON: numbers that are not finite (a failed query's NaN) become null, and back. */
function resultsJson(results: Results): string {
    return JSON.stringify(results, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v), 1);
}

function readResults(file: string): Results {
    return JSON.parse(readFileSync(file, "utf8"), (_k, v) => (v === null ? NaN : v)) as Results;
}

function writeOutputs(results: Results, opts: ReturnType<typeof args>): void {
    const json = resultsJson(results);
    if (opts.json) writeFileSync(opts.json, json);
    if (opts.write) {
        writeFileSync(join(ROOT, "bench", "results.json"), json);
        writeFileSync(join(ROOT, "BENCHMARKS.md"), renderReport(results));
        log("wrote BENCHMARKS.md and bench/results.json");
    }
}

/**
 * Prometheus' peak resident memory (VmHWM) serving our dashboards alone: a fresh server process
 * on the size's TSDB, every dashboard opened at every range `runs` times. The naive baseline's
 * queries need far more and would otherwise set the peak.
 */
async function oursPeakBytes(
    dir: string,
    endMs: number,
    bins: { prometheus: string; promtool: string },
    dashboards: ReturnType<typeof benchDashboards>,
    ranges: typeof RANGES,
    runs: number,
): Promise<number> {
    const prom = new BenchPrometheus(bins, dir);
    await prom.start("serve");
    try {
        await prom.settle();
        await measureDashboards({ url: prom.url, dashboards, endMs, runs, ranges, variants: ["ours"], log: () => {} });
        return prom.rss().peakBytes;
    } finally {
        await prom.stop();
    }
}

async function main(): Promise<void> {
    const opts = args(process.argv.slice(2));
    if (opts.help) {
        console.log(readFileSync(__filename, "utf8").split("*/")[0]);
        return;
    }
    if (opts.reportFrom) {
        writeFileSync(join(ROOT, "BENCHMARKS.md"), renderReport(readResults(opts.reportFrom)));
        log(`rendered BENCHMARKS.md from ${opts.reportFrom}`);
        return;
    }
    const bins = tools();
    const dashboards = benchDashboards().filter((d) => !opts.dashboards || opts.dashboards.includes(d.uid));
    const ranges = RANGES.filter((r) => !opts.ranges || opts.ranges.includes(r.name));
    const command = `npm run bench -- ${process.argv.slice(2).join(" ")}`.trim().replace(/ --$/, "");
    if (opts.memoryFrom) {
        const results = readResults(opts.memoryFrom);
        for (const size of results.sizes) {
            const dir = join(opts.workDir, `${size.load.users}x${size.load.days}`);
            size.oursPeakBytes = await oursPeakBytes(dir, size.load.endMs, bins, dashboards, ranges, opts.runs);
            log(`${size.load.users}x${size.load.days}: peak RSS serving our queries ${(size.oursPeakBytes / 1048576).toFixed(0)} MiB`);
        }
        results.command += `, then ${command}`;
        writeFileSync(opts.memoryFrom, resultsJson(results));
        return;
    }
    const earlier = opts.addTo ? readResults(opts.addTo) : undefined;
    const results: Results = earlier ? { ...earlier, command: `${earlier.command}, then ${command}`, versions: { ...earlier.versions, commit: `${earlier.versions.commit}, then ${commit()}` } } : {
        command,
        startedAt: new Date().toISOString(),
        finishedAt: "",
        runs: opts.runs,
        jobs: opts.jobs,
        budgetMinutes: opts.budgetMs / 60000,
        machine: { cores: cpus().length, cpu: cpus()[0]?.model ?? "unknown", memBytes: totalmem(), kernel: release(), node: process.version },
        versions: {
            prometheus: firstLine(bins.prometheus, ["--version"]),
            promtool: firstLine(bins.promtool, ["--version"]),
            stackImage: DEFAULTS.prometheusImage,
            commit: commit(),
        },
        design: {
            ruleGroups: programRuleGroups(incrementRuleGroups()).map(({ group }) => ({
                name: group.name,
                interval: group.interval ?? DEFAULTS.scrapeInterval,
                records: group.rules.filter((r) => "record" in r).map((r) => (r as { record: string }).record),
            })),
            dashboards: dashboards.map((d) => ({ uid: d.uid, title: d.title, panels: d.panels.length, queries: d.panels.reduce((s, p) => s + p.targets.length, 0), skipped: d.skipped.length })),
        },
        sizes: [],
        skipped: [],
        growth: [],
    };
    log(`sizes ${opts.sizes.map((s) => `${s.users}x${s.days}`).join(", ")}; ${opts.runs} runs; ${opts.jobs} jobs; ${bins.prometheus}`);

    const queue = [...opts.sizes];
    while (queue.length > 0) {
        const size = queue.shift()!;
        // Predict the raw load from the largest size measured so far (time per sample, samples per user-day).
        const ref = [...results.sizes].sort((a, b) => b.load.users * b.load.days - a.load.users * a.load.days)[0];
        if (ref && ref.load.users * ref.load.days >= 100) {
            const perUserDay = ref.load.rawLoadMs / (ref.load.users * ref.load.days);
            const predicted = perUserDay * size.users * size.days;
            if (predicted > opts.budgetMs) {
                const users = Math.floor((0.9 * opts.budgetMs) / (perUserDay * size.days));
                const skip: SkippedSize = {
                    ...size,
                    predictedRawLoadMs: predicted,
                    reason: `its raw series (what the naive baseline needs) would take about ${(predicted / 60000).toFixed(0)} min to load on this machine (measured ${(perUserDay / 1000).toFixed(2)} s per user-day at ${ref.load.users} × ${ref.load.days}), over the ${(opts.budgetMs / 60000).toFixed(0)}-minute budget. The bottleneck is promtool parsing OpenMetrics text (one line of ~350 bytes per sample, two passes per file) on ${cpus().length} cores.`,
                };
                if (users > ref.load.users || size.days > ref.load.days) {
                    const u = Math.max(1, users);
                    skip.substitute = `${u} × ${size.days}`;
                    queue.unshift({ users: u, days: size.days });
                }
                results.skipped.push(skip);
                log(`skipping ${size.users}x${size.days}: ${skip.reason}${skip.substitute ? ` → ${skip.substitute}` : ""}`);
                continue;
            }
        }
        log(`=== ${size.users} users × ${size.days} days ===`);
        const dir = join(opts.workDir, `${size.users}x${size.days}`);
        const { result: load, prom, world } = await loadWorld({ ...size, dir, bins, jobs: opts.jobs, log });
        try {
            log(
                `loaded: ${load.rawSeries} raw / ${load.recordedSeries} recorded series, TSDB ${(load.tsdbBytes / 1048576).toFixed(0)} MiB, RSS ${(load.rssAfterLoad.vmRssBytes / 1048576).toFixed(0)} MiB; cost ours ${load.sanity.oursUsd.toFixed(2)} / events ${load.sanity.truthUsd.toFixed(2)} / naive ${load.sanity.naiveUsd.toFixed(2)} USD`,
            );
            const off = Math.abs(load.sanity.oursUsd - load.sanity.truthUsd) / load.sanity.truthUsd;
            if (off > 0.01) log(`WARNING: the recorded totals differ from the events by ${(off * 100).toFixed(1)} %: the loaded data is not what the rules expect (see the sanity columns)`);
            const q0 = performance.now();
            const queries = await measureDashboards({ url: prom.url, dashboards, endMs: world.endMs, runs: opts.runs, ranges, log });
            const queryWallMs = performance.now() - q0;
            await prom.settle();
            const rssAfterQueries = prom.rss();
            await prom.stop();
            const peak = await oursPeakBytes(dir, world.endMs, bins, dashboards, ranges, opts.runs);
            const size: SizeResult = { load, queries, rssAfterQueries, oursPeakBytes: peak, queryWallMs };
            results.sizes.push(size);
            results.sizes.sort((a, b) => a.load.days - b.load.days || a.load.users - b.load.users);
        } finally {
            await prom.stop();
            if (opts.keep) log(`kept ${dir}`);
            else rmSync(dir, { recursive: true, force: true });
        }
        results.finishedAt = new Date().toISOString();
        writeOutputs(results, { ...opts, write: false }); // partial results survive an interrupted run
    }

    for (const g of opts.growth) {
        const row: GrowthRow = seriesGrowth(g.users, g.days);
        results.growth.push(row);
        log(`growth ${g.users}x${g.days}: ${row.sessions} sessions, ${row.rawSeries} raw, ${row.recordedSeries} recorded, ${row.sessionRecordedSeries} per-session recorded series`);
    }
    results.finishedAt = new Date().toISOString();
    writeOutputs(results, opts);
    if (!opts.write) console.log(renderReport(results));
    log("done");
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});

