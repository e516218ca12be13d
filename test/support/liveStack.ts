/**
 * The local stack's data path on this host for tests: the real pinned Prometheus running the
 * program's own prometheus.yml and rule files (the collector targets moved to loopback), a
 * stand-in for Loki's OTLP endpoint, and the real Claude Code captures with their ground truth.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { parse, stringify } from "yaml";
import { PROMETHEUS_CONFIG_PATH, PROMETHEUS_RULES_DIR, type RuleGroup, buildRuleFiles } from "../../configs/prometheus";
import { FIXTURES_DIR, groundTruth, loadScenario, parseMetricsRequest } from "../../harness/otlp";
import { CollectorProcess, MISSING_COLLECTOR, type TestHostPorts, collectorConfigOf, findCollector, forTestHost } from "./collector";
import type { Signal } from "./otlpSend";
import { freePort, stopProcess, waitUntilReady } from "../../harness/process";
import { type ProgramRun, TYPES, runProgram } from "./pulumiMocks";
import type { Started } from "./stopAfterAll";
import { monitoringWasDown } from "../../configs/rules";
import { BUILD_HINT, PROMETHEUS_VERSION, findTool } from "../../harness/tools";
import { COLLECTOR_PORTS } from "../../configs/topology";

/**
 * The collector and (unless `prometheus: false`) Prometheus binaries for a live test. A missing
 * one fails the file in CI; locally the file's tests are skipped with a loud warning naming `what`.
 */
export function liveTools(what: string, needs: { prometheus?: boolean } = {}): { collectorBin: string; prometheusBin: string; missing: boolean } {
    const collectorBin = findCollector();
    const prometheusBin = needs.prometheus === false ? "" : findTool("prometheus");
    const missing = [!collectorBin && MISSING_COLLECTOR, needs.prometheus !== false && !prometheusBin && `prometheus ${PROMETHEUS_VERSION} not found: ${BUILD_HINT}`].filter(Boolean);
    if (missing.length > 0) {
        if (process.env.CI) throw new Error(missing.join("\n"));
        console.warn(`\n*** SKIPPED (${what}): ${missing.join("; ")}\n`);
    }
    return { collectorBin: collectorBin ?? "", prometheusBin: prometheusBin ?? "", missing: missing.length > 0 };
}

/** Every capture request of a scenario, in arrival order, as the raw OTLP/JSON body. */
export function captures(scenario: string): { signal: Signal; body: unknown }[] {
    return readdirSync(join(FIXTURES_DIR, scenario))
        .map((f) => /^(\d+)-(metrics|logs)\.json$/.exec(f))
        .filter((m): m is RegExpExecArray => m !== null)
        .sort((a, b) => Number(a[1]) - Number(b[1]))
        .map((m) => ({ signal: m[2] as Signal, body: JSON.parse(readFileSync(join(FIXTURES_DIR, scenario, m[0]), "utf8")) }));
}

/** A session.id attribute in OTLP/JSON; its value is the first group. */
const SESSION_ID = /"session\.id","value":\{"stringValue":"([^"]+)"/g;

/** The session id a scenario's captures carry. */
export function sessionIdOf(scenario: string): string {
    return [...JSON.stringify(captures(scenario)).matchAll(SESSION_ID)][0][1];
}

/** A metrics request's time: its latest point's. */
export function lastTimeMs(request: { body: unknown }): number {
    return Math.max(...parseMetricsRequest(request.body).map((p) => p.timeMs));
}

/**
 * The same requests as another Claude Code process would send them: its session id replaced by
 * `sessionId`, and every timestamp moved by `shiftMs` (a process started that much later).
 */
export function asProcess(requests: { signal: Signal; body: unknown }[], sessionId: string, shiftMs: number): { signal: Signal; body: any }[] {
    const ids = new Set([...JSON.stringify(requests).matchAll(SESSION_ID)].map((m) => m[1]));
    const shift = (nanos: string | undefined) => (nanos === undefined || nanos === "0" ? nanos : String(BigInt(nanos) + BigInt(shiftMs) * 1_000_000n));
    return requests.map(({ signal, body }) => {
        let text = JSON.stringify(body);
        for (const id of ids) text = text.replaceAll(id, sessionId);
        const copy = JSON.parse(text);
        for (const rm of copy.resourceMetrics ?? [])
            for (const sm of rm.scopeMetrics)
                for (const m of sm.metrics)
                    for (const p of (m.sum ?? m.gauge).dataPoints) Object.assign(p, { startTimeUnixNano: shift(p.startTimeUnixNano), timeUnixNano: shift(p.timeUnixNano) });
        for (const rl of copy.resourceLogs ?? [])
            for (const sl of rl.scopeLogs) for (const r of sl.logRecords) Object.assign(r, { timeUnixNano: shift(r.timeUnixNano), observedTimeUnixNano: shift(r.observedTimeUnixNano) });
        return { signal, body: copy };
    });
}

/**
 * Two processes of one session sending the same requests, the second started 20 s after the first
 * (same session id `sessionId`), merged in the order of their timestamps.
 */
export function twoProcesses(requests: { signal: Signal; body: unknown }[], sessionId: string): { signal: Signal; body: any }[] {
    return [...asProcess(requests, sessionId, 0), ...asProcess(requests, sessionId, 20000)].sort((a, b) => lastTimeMs(a) - lastTimeMs(b));
}

/** Cost a client exported in these requests: the sum of their claude_code.cost.usage points (for a delta client, what it spent). */
export function exportedCost(requests: { signal: Signal; body: unknown }[]): number {
    return requests
        .filter((r) => r.signal === "metrics")
        .flatMap((r) => parseMetricsRequest(r.body))
        .filter((p) => p.name === "claude_code.cost.usage")
        .reduce((sum, p) => sum + p.value, 0);
}

/** Requests up to and including the first metrics export that carries cost, and the rest. */
export function splitAtFirstCost<T extends { signal: Signal; body: unknown }>(requests: T[]): { before: T[]; after: T[] } {
    const first = requests.findIndex((c) => exportedCost([c]) > 0);
    return { before: requests.slice(0, first + 1), after: requests.slice(first + 1) };
}

/** Ground truth over the given scenarios: their api_request events' sums. */
export function truthOf(scenarios: string[]) {
    const events = scenarios.flatMap((s) => loadScenario(s).requests.flatMap((r) => (r.kind === "logs" ? r.events : [])));
    return groundTruth(events);
}

/** A stand-in for Loki's OTLP endpoint: answers 200 and keeps each request body. */
export class LogsSink {
    readonly bodies: Buffer[] = [];
    private server?: Server;
    port = 0;
    async start(): Promise<void> {
        this.port = await freePort();
        this.server = createServer((req, res) => {
            const chunks: Buffer[] = [];
            req.on("data", (c) => chunks.push(c));
            req.on("end", () => {
                // The otlp_http exporter gzips by default.
                const body = req.headers["content-encoding"] === "gzip" ? gunzipSync(Buffer.concat(chunks)) : Buffer.concat(chunks);
                if (req.url === "/otlp/v1/logs") this.bodies.push(body);
                res.writeHead(200, { "content-type": "application/x-protobuf" }).end();
            });
        });
        await new Promise<void>((r) => this.server!.listen(this.port, "127.0.0.1", r));
    }
    get url(): string {
        return `http://127.0.0.1:${this.port}/otlp`;
    }
    async stop(): Promise<void> {
        await new Promise((r) => this.server?.close(r));
    }
}

/**
 * The real Prometheus, live: the stack's own (the program's prometheus.yml and rule files, the
 * collector targets on loopback), or a team backend (remote-write receiver, given rules).
 */
export class LivePrometheus {
    readonly dir = mkdtempSync(join(tmpdir(), "prom-live-"));
    private proc?: ChildProcess;
    private log = "";
    port = 0;
    private constructor(
        private readonly bin: string,
        config: unknown,
        ruleFiles: Record<string, string>,
        private readonly flags: string[] = [],
    ) {
        mkdirSync(join(this.dir, "rules"));
        writeFileSync(join(this.dir, "prometheus.yml"), stringify(config));
        for (const [file, content] of Object.entries(ruleFiles)) writeFileSync(join(this.dir, "rules", file), content);
    }

    /** The local stack's Prometheus as the program declares it. */
    static forProgram(bin: string, program: ProgramRun, collectorPorts: { exporter: number; selfMetrics: number }): LivePrometheus {
        const container = program.one(TYPES.container, "-prometheus-container").inputs;
        const uploads: { file: string; content: string }[] = container.uploads;
        const config = parse(uploads.find((u) => u.file === PROMETHEUS_CONFIG_PATH)!.content);
        const hostPort = { [`otel-collector:${COLLECTOR_PORTS.exporter}`]: collectorPorts.exporter, [`otel-collector:${COLLECTOR_PORTS.selfMetrics}`]: collectorPorts.selfMetrics };
        for (const job of config.scrape_configs) {
            job.static_configs[0].targets = job.static_configs[0].targets.map((t: string) => (hostPort[t] ? `127.0.0.1:${hostPort[t]}` : t));
        }
        const rules = Object.fromEntries(uploads.filter((u) => u.file.startsWith(`${PROMETHEUS_RULES_DIR}/`)).map((u) => [u.file.slice(PROMETHEUS_RULES_DIR.length + 1), u.content]));
        return new LivePrometheus(bin, config, rules);
    }

    /** A stand-in for a team's Mimir: receives remote write and evaluates `groups` every minute, as Grafana would. */
    static asTeamBackend(bin: string, groups: RuleGroup[]): LivePrometheus {
        return new LivePrometheus(bin, { global: { evaluation_interval: "1m" }, rule_files: ["rules/*.yml"] }, buildRuleFiles(groups), ["--web.enable-remote-write-receiver"]);
    }

    /** Remote-write URL of the receiver (asTeamBackend). */
    get writeUrl(): string {
        return `${this.url}/api/v1/write`;
    }
    get url(): string {
        return `http://127.0.0.1:${this.port}`;
    }
    async start(): Promise<void> {
        this.port = await freePort();
        this.proc = spawn(this.bin, [`--config.file=${join(this.dir, "prometheus.yml")}`, `--storage.tsdb.path=${join(this.dir, "data")}`, `--web.listen-address=127.0.0.1:${this.port}`, ...this.flags], {
            stdio: ["ignore", "pipe", "pipe"],
        });
        this.proc.stdout?.on("data", (d) => (this.log += d));
        this.proc.stderr?.on("data", (d) => (this.log += d));
        await waitUntilReady(this.proc, this.url, () => this.log, 30000, 100);
    }
    async query(expr: string): Promise<{ metric: Record<string, string>; value: number }[]> {
        const res = await fetch(`${this.url}/api/v1/query?query=${encodeURIComponent(expr)}`);
        const body = (await res.json()) as any;
        if (body.status !== "success") throw new Error(`${expr}: ${body.error}`);
        return body.data.result.map((r: { metric: Record<string, string>; value: [number, string] }) => ({ metric: r.metric, value: Number(r.value[1]) }));
    }
    /** A range query (as Grafana sends a time-series panel's): the series that have any point in [fromMs, toMs]. */
    async queryRange(expr: string, fromMs: number, toMs: number, stepSeconds: number): Promise<{ metric: Record<string, string> }[]> {
        const params = new URLSearchParams({ query: expr, start: String(fromMs / 1000), end: String(toMs / 1000), step: String(stepSeconds) });
        const body = (await (await fetch(`${this.url}/api/v1/query_range?${params}`)).json()) as any;
        if (body.status !== "success") throw new Error(`${expr}: ${body.error}`);
        return body.data.result;
    }
    /** Waits until the instant query returns no series. */
    async waitUntilEmpty(expr: string, timeoutMs: number): Promise<void> {
        const deadline = Date.now() + timeoutMs;
        while (Date.now() < deadline) {
            if ((await this.query(expr)).length === 0) return;
            await new Promise((r) => setTimeout(r, 1000));
        }
        throw new Error(`${expr} still returns data after ${timeoutMs / 1000}s`);
    }
    /** Waits until every rule group has evaluated at or after `atMs` (wall clock). */
    async waitForEvaluationAfter(atMs: number, timeoutMs: number): Promise<void> {
        const deadline = Date.now() + timeoutMs;
        while (Date.now() < deadline) {
            const body = (await (await fetch(`${this.url}/api/v1/rules`)).json()) as any;
            const groups: { lastEvaluation: string }[] = body.data.groups;
            if (groups.length > 0 && groups.every((g) => Date.parse(g.lastEvaluation) >= atMs)) return;
            await new Promise((r) => setTimeout(r, 1000));
        }
        throw new Error(`rules did not evaluate after ${new Date(atMs).toISOString()} within ${timeoutMs / 1000}s`);
    }
    async stop(): Promise<void> {
        await stopProcess(this.proc);
        rmSync(this.dir, { recursive: true, force: true });
    }
}


/** The local stack's data path on real processes, as startLocalPipeline started it. */
export interface LocalPipeline {
    ports: TestHostPorts;
    sink: LogsSink;
    /** The first collector. */
    collector: CollectorProcess;
    /** Another collector with the same config and ports, for after the first is stopped or killed. */
    startCollector(): Promise<CollectorProcess>;
    prometheus: LivePrometheus;
}

/**
 * The default program's collector (its config rewritten by `adjust`, e.g. withSeriesTtl, and moved
 * to this host), a stand-in for Loki, and the program's Prometheus, each handed to `started` (a
 * file's stopAfterAll) as it starts. Resolves once the increment rules count new series (the
 * collector's own metrics seen over the whole previous-value window, configs/rules.ts "monitoring
 * was down"), as on a running stack: data sent earlier would fall in Prometheus' first minutes.
 */
export async function startLocalPipeline(
    bins: { collectorBin: string; prometheusBin: string },
    started: <T extends Started>(s: T) => T,
    adjust: (collectorYaml: string) => string = (yaml) => yaml,
): Promise<LocalPipeline> {
    const program = await runProgram({});
    const sink = started(new LogsSink());
    await sink.start();
    const { yaml, ports } = await forTestHost(adjust(collectorConfigOf(program)), { logsUrl: sink.url });
    const startCollector = async () => {
        const collector = started(new CollectorProcess(bins.collectorBin, yaml, ports));
        await collector.start();
        return collector;
    };
    const collector = await startCollector();
    const prometheus = started(LivePrometheus.forProgram(bins.prometheusBin, program, ports));
    await prometheus.start();
    await prometheus.waitUntilEmpty(monitoringWasDown(), 180000);
    return { ports, sink, collector, startCollector, prometheus };
}
