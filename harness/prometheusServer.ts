/**
 * A real Prometheus (the version the stack pins, built by scripts/build-prometheus.sh) on
 * loopback for tests: load series by remote write, backfill the project's recording rules with
 * promtool, and query it over the HTTP API.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildRuleFiles, type RuleGroup } from "../configs/prometheus";
import { freePort, stopProcess, waitUntilReady } from "./process";

export interface QueryResult {
    metric: Record<string, string>;
    value: number;
}

export class PrometheusServer {
    readonly dir = mkdtempSync(join(tmpdir(), "prom-truth-"));
    readonly dataDir = join(this.dir, "data");
    private proc?: ChildProcess;
    private port = 0;
    private log = "";

    constructor(
        private readonly prometheusBin: string,
        private readonly promtoolBin: string,
    ) {
        mkdirSync(this.dataDir);
        writeFileSync(join(this.dir, "prometheus.yml"), "global:\n  scrape_interval: 10s\n");
    }

    get url(): string {
        return `http://127.0.0.1:${this.port}`;
    }

    async start(): Promise<void> {
        this.port = await freePort();
        this.log = "";
        this.proc = spawn(
            this.prometheusBin,
            [
                `--config.file=${join(this.dir, "prometheus.yml")}`,
                `--storage.tsdb.path=${this.dataDir}`,
                "--storage.tsdb.retention.time=20y",
                `--web.listen-address=127.0.0.1:${this.port}`,
                "--web.enable-remote-write-receiver",
                "--query.lookback-delta=5m",
            ],
            { stdio: ["ignore", "pipe", "pipe"] },
        );
        this.proc.stdout?.on("data", (d) => (this.log += d));
        this.proc.stderr?.on("data", (d) => (this.log += d));
        await waitUntilReady(this.proc, this.url, () => this.log, 30000, 100);
    }

    async stop(): Promise<void> {
        await stopProcess(this.proc);
    }

    /** Evaluates recording rules over [startMs, endMs] with promtool and adds the blocks to the TSDB (restarts Prometheus). */
    async backfillRules(groups: RuleGroup[], startMs: number, endMs: number): Promise<void> {
        const rulesDir = join(this.dir, "rules");
        const outDir = join(this.dir, "rule-blocks");
        mkdirSync(rulesDir, { recursive: true });
        rmSync(outDir, { recursive: true, force: true });
        const files = Object.entries(buildRuleFiles(groups)).map(([name, content]) => {
            const path = join(rulesDir, name);
            writeFileSync(path, content);
            return path;
        });
        execFileSync(
            this.promtoolBin,
            [
                "tsdb",
                "create-blocks-from",
                "rules",
                `--start=${Math.floor(startMs / 1000)}`,
                `--end=${Math.ceil(endMs / 1000)}`,
                `--url=${this.url}`,
                `--output-dir=${outDir}`,
                "--eval-interval=1m",
                ...files,
            ],
            { stdio: "pipe", maxBuffer: 64 * 1024 * 1024 },
        );
        await this.stop();
        for (const block of readdirSync(outDir)) renameSync(join(outDir, block), join(this.dataDir, block));
        await this.start();
    }

    async query(expr: string, atMs: number): Promise<QueryResult[]> {
        const body = new URLSearchParams({ query: expr, time: String(atMs / 1000) });
        const res = await fetch(`${this.url}/api/v1/query`, { method: "POST", body });
        const json = (await res.json()) as any;
        if (json.status !== "success") throw new Error(`query failed: ${expr}\n${json.error}`);
        const data = json.data;
        if (data.resultType === "scalar") return [{ metric: {}, value: Number(data.result[1]) }];
        if (data.resultType !== "vector") throw new Error(`unexpected result type ${data.resultType} for ${expr}`);
        return data.result.map((r: any) => ({ metric: r.metric, value: Number(r.value[1]) }));
    }

    cleanup(): void {
        rmSync(this.dir, { recursive: true, force: true });
    }
}
