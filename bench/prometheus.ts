/**
 * A real Prometheus 3.x for the benchmark: its TSDB built by promtool (raw series from
 * OpenMetrics, then the program's recording rules evaluated against the running server), and its
 * process watched (resident memory, CPU) so measurements start when it is idle.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { type RuleGroup, buildRuleFiles } from "../configs/prometheus";
import { DEFAULTS, parseDuration } from "../configs/settings";
import { freePort, stopProcess, waitUntilReady } from "../harness/process";

const HOUR = 3600000;

/** Block windows promtool writes (a Prometheus compaction level: 2h·3^k). 18h keeps files near 1 GB at 20 users. */
export const BLOCK_MS = 18 * HOUR;

/** Runs a command; resolves with its output and wall time, rejects with its output on failure. */
export function run(cmd: string, args: string[]): Promise<{ ms: number; out: string }> {
    const t0 = performance.now();
    return new Promise((resolve, reject) => {
        const p = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        p.stdout.on("data", (d) => (out += d));
        p.stderr.on("data", (d) => (out += d));
        p.on("error", reject);
        p.on("exit", (code) => (code === 0 ? resolve({ ms: performance.now() - t0, out }) : reject(new Error(`${cmd} ${args.join(" ")} exited ${code}:\n${out.slice(-4000)}`))));
    });
}

/** A TSDB block directory's name: a ULID. */
export const isBlockName = (name: string): boolean => /^[0-9A-HJKMNP-TV-Z]{26}$/.test(name);

/** Moves every block directory from `from` into `to`. */
export function moveBlocks(from: string, to: string): number {
    let n = 0;
    for (const name of readdirSync(from)) {
        if (isBlockName(name)) {
            renameSync(join(from, name), join(to, name));
            n++;
        }
    }
    rmSync(from, { recursive: true, force: true });
    return n;
}

export function dirBytes(dir: string): number {
    let total = 0;
    for (const name of readdirSync(dir)) {
        const p = join(dir, name);
        const st = statSync(p);
        total += st.isDirectory() ? dirBytes(p) : st.size;
    }
    return total;
}

export interface Rss {
    vmRssBytes: number;
    anonBytes: number;
    fileBytes: number;
    /** VmHWM: the most this server process has held since it started (compaction and every query so far). */
    peakBytes: number;
}

/**
 * Server modes. "backfill": no compaction at all (max block 2h, no vertical compaction), so the
 * rule backfill is timed alone. "serve": the stack's layout: compaction on, blocks up to 10 % of
 * the stack's retention (90d → 9d, i.e. 162h blocks), overlapping rule blocks merged.
 */
export type Mode = "backfill" | "serve";

export class BenchPrometheus {
    readonly dataDir: string;
    private proc?: ChildProcess;
    private port = 0;
    private log = "";

    constructor(
        readonly bins: { prometheus: string; promtool: string },
        readonly dir: string,
    ) {
        this.dataDir = join(dir, "data");
        mkdirSync(this.dataDir, { recursive: true });
        writeFileSync(join(dir, "prometheus.yml"), `global:\n  scrape_interval: ${DEFAULTS.scrapeInterval}\n  evaluation_interval: ${DEFAULTS.scrapeInterval}\n`);
    }

    get url(): string {
        return `http://127.0.0.1:${this.port}`;
    }

    get pid(): number {
        return this.proc!.pid!;
    }

    async start(mode: Mode): Promise<number> {
        const t0 = performance.now();
        this.port = await freePort();
        this.log = "";
        const retention = parseDuration(DEFAULTS.metricsRetentionTime)!;
        const maxBlock = mode === "backfill" ? "2h" : `${Math.min(retention / 10, 31 * 24 * HOUR) / 1000}s`;
        this.proc = spawn(
            this.bins.prometheus,
            [
                `--config.file=${join(this.dir, "prometheus.yml")}`,
                `--storage.tsdb.path=${this.dataDir}`,
                // Time retention counts back from the newest block; long enough to never drop the world.
                "--storage.tsdb.retention.time=20y",
                `--storage.tsdb.max-block-duration=${maxBlock}`,
                ...(mode === "backfill" ? ["--no-storage.tsdb.allow-overlapping-compaction"] : []),
                `--web.listen-address=127.0.0.1:${this.port}`,
                "--query.lookback-delta=5m",
                "--log.level=warn",
            ],
            { stdio: ["ignore", "pipe", "pipe"] },
        );
        this.proc.stdout?.on("data", (d) => (this.log = (this.log + d).slice(-20000)));
        this.proc.stderr?.on("data", (d) => (this.log = (this.log + d).slice(-20000)));
        await waitUntilReady(this.proc, this.url, () => this.log, 300000, 50);
        return performance.now() - t0;
    }

    async stop(): Promise<void> {
        await stopProcess(this.proc);
    }

    /** VmRSS (and its anonymous / file-backed parts) and its peak, from /proc/<pid>/status. */
    rss(): Rss {
        const status = readFileSync(`/proc/${this.pid}/status`, "utf8");
        const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN) * 1024;
        return { vmRssBytes: kb("VmRSS"), anonBytes: kb("RssAnon"), fileBytes: kb("RssFile"), peakBytes: kb("VmHWM") };
    }

    /** CPU seconds used so far (user + system) from /proc/<pid>/stat. */
    cpuSeconds(): number {
        const stat = readFileSync(`/proc/${this.pid}/stat`, "utf8");
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        return (Number(fields[11]) + Number(fields[12])) / 100;
    }

    async metric(name: string): Promise<number> {
        const text = await (await fetch(`${this.url}/metrics`)).text();
        const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, "m").exec(text);
        return m ? Number(m[1]) : NaN;
    }

    /**
     * Waits until the server is idle: CPU below `idleCores` over `quietMs`, no compaction in flight,
     * and (with `compaction`) after at least one compaction cycle has run: the TSDB checks for
     * work one minute after opening.
     */
    async settle(opts: { compaction?: boolean; idleCores?: number; quietMs?: number; timeoutMs?: number } = {}): Promise<number> {
        const t0 = performance.now();
        const idle = opts.idleCores ?? 0.05;
        const quiet = opts.quietMs ?? 3000;
        const deadline = Date.now() + (opts.timeoutMs ?? 3600000);
        let quietSince = performance.now();
        let cpu = this.cpuSeconds();
        let at = performance.now();
        while (Date.now() < deadline) {
            await new Promise((r) => setTimeout(r, 500));
            const nowCpu = this.cpuSeconds();
            const now = performance.now();
            const busy = (nowCpu - cpu) / ((now - at) / 1000);
            cpu = nowCpu;
            at = now;
            const compacting = readdirSync(this.dataDir).some((n) => n.endsWith(".tmp-for-creation"));
            const triggered = !opts.compaction || (await this.metric("prometheus_tsdb_compactions_triggered_total")) >= 1;
            if (busy > idle || compacting || !triggered) quietSince = now;
            else if (now - quietSince >= quiet) return performance.now() - t0;
        }
        throw new Error("prometheus did not settle");
    }

    async get(path: string, params: Record<string, string>): Promise<any> {
        const res = await fetch(`${this.url}${path}`, { method: "POST", body: new URLSearchParams(params) });
        const json = (await res.json()) as any;
        if (json.status !== "success") throw new Error(`${path} ${JSON.stringify(params)}: ${json.error}`);
        return json.data;
    }

    /** Distinct series matching `match` with samples in [startMs, endMs], counted by metric name. */
    async seriesByName(match: string, startMs: number, endMs: number): Promise<Map<string, number>> {
        const data = (await this.get("/api/v1/series", { "match[]": match, start: String(startMs / 1000), end: String(endMs / 1000) })) as Record<string, string>[];
        const out = new Map<string, number>();
        for (const s of data) out.set(s.__name__, (out.get(s.__name__) ?? 0) + 1);
        return out;
    }
}

export interface RuleFileGroup {
    file: string;
    group: RuleGroup;
}

/** The recording rules of the program's rule files (the files the stack delivers to Prometheus). */
export function programRuleGroups(groups: RuleGroup[]): RuleFileGroup[] {
    return Object.entries(buildRuleFiles(groups)).flatMap(([file, text]) =>
        ((parse(text) as { groups: RuleGroup[] }).groups ?? []).map((group) => ({ file, group })),
    );
}

/**
 * Backfill levels: level 0 rules read only raw series; a rule that reads another rule's record
 * comes after it. promtool cannot see series it is still writing, so each level is backfilled,
 * its blocks moved into the TSDB and the server restarted before the next level starts.
 */
export function ruleLevels(groups: RuleFileGroup[]): { level: number; file: string; group: RuleGroup }[][] {
    type Rule = RuleGroup["rules"][number] & { record: string };
    const rules: { file: string; group: RuleGroup; rule: Rule }[] = [];
    for (const { file, group } of groups) {
        for (const rule of group.rules) if ("record" in rule) rules.push({ file, group, rule: rule as Rule }); // alerting rules are not backfilled
    }
    const records = [...new Set(rules.map((r) => r.rule.record))];
    const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const reads = (expr: string, record: string) => new RegExp(`(^|[^A-Za-z0-9_:])${escapeRegex(record)}($|[^A-Za-z0-9_:])`).test(expr);
    const level = new Map<string, number>();
    const visiting = new Set<string>();
    const levelOf = (record: string): number => {
        const known = level.get(record);
        if (known !== undefined) return known;
        if (visiting.has(record)) throw new Error(`recording rules depend on each other in a cycle through ${record}`);
        visiting.add(record);
        let l = 0;
        for (const r of rules.filter((x) => x.rule.record === record)) {
            for (const other of records) if (other !== record && reads(r.rule.expr, other)) l = Math.max(l, levelOf(other) + 1);
        }
        visiting.delete(record);
        level.set(record, l);
        return l;
    };
    const out: { level: number; file: string; group: RuleGroup }[][] = [];
    for (const r of rules) {
        const l = levelOf(r.rule.record);
        out[l] ??= [];
        let entry = out[l].find((e) => e.file === r.file && e.group.name === r.group.name);
        if (!entry) {
            entry = { level: l, file: r.file, group: { ...r.group, rules: [] } };
            out[l].push(entry);
        }
        entry.group.rules.push(r.rule);
    }
    return out.filter((l) => l !== undefined);
}

export interface RuleBackfillLevel {
    level: number;
    groups: { file: string; name: string; interval: string; rules: number; blockHours: number }[];
    ms: number;
    /** Sum of promtool job times (parallel jobs overlap in wall time). */
    jobMs: number;
    restartMs: number;
    blocks: number;
}

/**
 * The block size promtool backfills a group with: its importer queries one block window at a time
 * at the group's interval, so a window must hold at least one evaluation (it stops at the first
 * window without one) and at most 11,000 (Prometheus' points-per-series limit). 18h unless the
 * interval needs otherwise; always a compaction level (2h·3^k).
 */
export function ruleBlockMs(intervalMs: number): number {
    const levels = [2, 6, 18, 54, 162, 486, 1458].map((h) => h * HOUR);
    if (intervalMs <= BLOCK_MS && BLOCK_MS / intervalMs <= 11000) return BLOCK_MS;
    const fit = levels.find((b) => b >= intervalMs && b / intervalMs <= 11000);
    if (!fit) throw new Error(`no block size fits a rule group evaluated every ${intervalMs / 1000}s`);
    return fit;
}

/**
 * Backfills every level of recording rules over [startMs, endMs] with `jobs` promtool processes
 * on disjoint, block-aligned slices of time (groups needing other block sizes in their own runs),
 * restarting the server after each level so the next level reads what this one wrote.
 */
export async function backfillRules(
    prom: BenchPrometheus,
    levels: ReturnType<typeof ruleLevels>,
    startMs: number,
    endMs: number,
    jobs: number,
    log: (msg: string) => void,
): Promise<RuleBackfillLevel[]> {
    const out: RuleBackfillLevel[] = [];
    const evalInterval = DEFAULTS.scrapeInterval; // Prometheus' evaluation_interval in the stack
    const intervalOf = (g: RuleGroup) => parseDuration(g.interval ?? evalInterval)!;
    for (const [index, level] of levels.entries()) {
        const t0 = performance.now();
        const dir = join(prom.dir, `rules-${index}`);
        mkdirSync(dir, { recursive: true });
        let jobMs = 0;
        const outDirs: string[] = [];
        const byBlock = new Map<number, typeof level>();
        for (const e of level) {
            const b = ruleBlockMs(intervalOf(e.group));
            byBlock.set(b, [...(byBlock.get(b) ?? []), e]);
        }
        log(`rules level ${index}: ${level.map((e) => `${e.group.name} (${e.group.rules.length} rules, every ${e.group.interval ?? evalInterval})`).join(", ")}`);
        for (const [blockMs, entries] of byBlock) {
            const batch = join(dir, `block-${blockMs / HOUR}h`);
            mkdirSync(batch, { recursive: true });
            const files: string[] = [];
            for (const file of [...new Set(entries.map((e) => e.file))]) {
                const text = Object.values(buildRuleFiles(entries.filter((e) => e.file === file).map((e) => e.group)))[0];
                const path = join(batch, file);
                writeFileSync(path, text);
                files.push(path);
            }
            const first = Math.floor(startMs / blockMs) * blockMs;
            const perJob = Math.ceil(Math.ceil((endMs - first) / blockMs) / jobs);
            const slices: [number, number][] = [];
            for (let j = 0; j < jobs; j++) {
                const from = first + j * perJob * blockMs;
                const to = Math.min(first + (j + 1) * perJob * blockMs, endMs + 1000);
                if (from < to) slices.push([Math.max(from, startMs), to]);
            }
            const results = await Promise.all(
                slices.map(([from, to], j) => {
                    const outDir = join(batch, `out-${j}`);
                    outDirs.push(outDir);
                    return run(prom.bins.promtool, [
                        "tsdb",
                        "create-blocks-from",
                        `--max-block-duration=${blockMs / 1000}s`,
                        "rules",
                        "--quiet",
                        `--start=${Math.floor(from / 1000)}`,
                        // Slices end one second before the next begins: no evaluation is written twice.
                        `--end=${Math.ceil(to / 1000) - 1}`,
                        `--url=${prom.url}`,
                        `--output-dir=${outDir}`,
                        `--eval-interval=${evalInterval}`,
                        ...files,
                    ]);
                }),
            );
            jobMs += results.reduce((s, r) => s + r.ms, 0);
        }
        const ms = performance.now() - t0;
        await prom.stop();
        let blocks = 0;
        for (const d of outDirs) if (existsSync(d)) blocks += moveBlocks(d, prom.dataDir);
        const restartMs = await prom.start("backfill");
        out.push({
            level: index,
            groups: level.map((e) => ({ file: e.file, name: e.group.name, interval: e.group.interval ?? evalInterval, rules: e.group.rules.length, blockHours: ruleBlockMs(intervalOf(e.group)) / HOUR })),
            ms,
            jobMs,
            restartMs,
            blocks,
        });
        rmSync(dir, { recursive: true, force: true });
    }
    return out;
}
