/**
 * The real OpenTelemetry Collector the stack pins, as a process on loopback for tests: the
 * distribution tools/otelcol/builder-config.yaml describes (exactly the components the program's
 * configs use, at the release of the collectorImage pin), built by scripts/build-otelcol.sh into
 * .cache/otelcol-<version>/.
 *
 * The config is the program's own output; `forTestHost` rewrites only what the test host needs:
 * listen addresses onto free 127.0.0.1 ports, and the push destinations onto local receivers.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { freePorts, stopProcess } from "../../harness/process";
import { type ProgramRun, TYPES, unwrapSecrets } from "./pulumiMocks";

const ROOT = join(__dirname, "..", "..");

/** The collector release: dist.version of the builder manifest (the build script reads the same line). */
export const OTELCOL_VERSION: string = parse(readFileSync(join(ROOT, "tools", "otelcol", "builder-config.yaml"), "utf8")).dist.version;
export const OTELCOL_BIN = join(ROOT, ".cache", `otelcol-${OTELCOL_VERSION}`, "otelcol-claude-code");
const BUILD_HINT = `run \`bash scripts/build-otelcol.sh\` (builds the collector ${OTELCOL_VERSION} into .cache/otelcol-${OTELCOL_VERSION}; needs Go, on macOS \`brew install go\`)`;

export const MISSING_COLLECTOR = `otelcol-claude-code ${OTELCOL_VERSION} not found: ${BUILD_HINT}`;

/** The binary's path, or undefined when it is not built. */
export function findCollector(): string | undefined {
    return existsSync(OTELCOL_BIN) ? OTELCOL_BIN : undefined;
}

/** The binary's path; otherwise fails (CI) or skips the test with a loud warning (local). */
export function requireCollector(skip: (note?: string) => void): string {
    const bin = findCollector();
    if (bin) return bin;
    if (process.env.CI) throw new Error(MISSING_COLLECTOR);
    console.warn(`\n*** SKIPPED: ${MISSING_COLLECTOR}\n`);
    skip(MISSING_COLLECTOR);
    throw new Error("unreachable");
}

/** `otelcol validate`: the collector's own verdict on a config (throws with its output). */
export function validateConfig(bin: string, configYaml: string, env: Record<string, string> = {}): string {
    const dir = mkdtempSync(join(tmpdir(), "otelcol-validate-"));
    try {
        writeFileSync(join(dir, "config.yaml"), configYaml);
        return execFileSync(bin, ["validate", `--config=${join(dir, "config.yaml")}`], { encoding: "utf8", env: { PATH: process.env.PATH, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    } catch (e: any) {
        throw new Error(`otelcol validate failed:\n${e.stdout ?? ""}${e.stderr ?? ""}`);
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}

/** The collector config the program uploads into its container (its own output, under mocks). */
export function collectorConfigOf(program: ProgramRun): string {
    return program.one(TYPES.container, "-collector-container").inputs.uploads[0].content;
}

/** The collector container's environment as the program declares it (credentials, GOMEMLIMIT), values unwrapped. */
export function collectorEnvOf(program: ProgramRun): Record<string, string> {
    const envs: string[] = unwrapSecrets(program.one(TYPES.container, "-collector-container").inputs.envs);
    return Object.fromEntries(envs.map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
}

export interface TestHostPorts {
    otlpGrpc: number;
    otlpHttp: number;
    health: number;
    exporter: number;
    selfMetrics: number;
}

export interface Destinations {
    /** Base URL that replaces the logs exporter's endpoint (it appends /v1/logs). */
    logsUrl: string;
    /** URL that replaces the metrics push endpoint (team mode). */
    metricsUrl?: string;
}

/** The program's collector config with listen addresses on free loopback ports and pushes to local receivers. */
export async function forTestHost(configYaml: string, destinations: Destinations): Promise<{ yaml: string; ports: TestHostPorts }> {
    const [otlpGrpc, otlpHttp, health, exporter, selfMetrics] = await freePorts(5);
    const ports: TestHostPorts = { otlpGrpc, otlpHttp, health, exporter, selfMetrics };
    const c = parse(configYaml);
    const at = (port: number) => `127.0.0.1:${port}`;
    c.extensions.health_check.endpoint = at(ports.health);
    c.receivers.otlp.protocols.grpc.endpoint = at(ports.otlpGrpc);
    c.receivers.otlp.protocols.http.endpoint = at(ports.otlpHttp);
    const reader = c.service.telemetry.metrics.readers[0].pull.exporter.prometheus;
    Object.assign(reader, { host: "127.0.0.1", port: ports.selfMetrics });
    if (c.exporters.prometheus) c.exporters.prometheus.endpoint = at(ports.exporter);
    const self = c.receivers["prometheus/self"];
    if (self) self.config.scrape_configs[0].static_configs[0].targets = [at(ports.selfMetrics)];
    c.exporters["otlp_http/loki"].endpoint = destinations.logsUrl;
    for (const id of Object.keys(c.exporters).filter((id) => id !== "prometheus" && id !== "otlp_http/loki")) {
        if (!destinations.metricsUrl) throw new Error(`the config pushes metrics (${id}); give forTestHost a metricsUrl`);
        c.exporters[id].endpoint = destinations.metricsUrl;
    }
    return { yaml: stringify(c), ports };
}

/**
 * The config with the series TTL (delta_to_cumulative max_stale and the exporter's
 * metric_expiration, both collectorSeriesTtl) shortened, so a test can wait past it. The program
 * refuses a TTL below 5m; only the waiting is shortened, not the behaviour.
 */
export function withSeriesTtl(configYaml: string, ttl: string): string {
    const c = parse(configYaml);
    c.processors.delta_to_cumulative.max_stale = ttl;
    c.exporters.prometheus.metric_expiration = ttl;
    return stringify(c);
}

/** A running collector. `log` holds everything it printed. */
export class CollectorProcess {
    readonly dir = mkdtempSync(join(tmpdir(), "otelcol-"));
    private proc?: ChildProcess;
    log = "";

    constructor(
        private readonly bin: string,
        configYaml: string,
        readonly ports: TestHostPorts,
        private readonly env: Record<string, string> = {},
    ) {
        writeFileSync(join(this.dir, "config.yaml"), configYaml);
    }

    /** Starts it and waits until the health check answers 200. */
    async start(): Promise<void> {
        this.proc = spawn(this.bin, [`--config=${join(this.dir, "config.yaml")}`], { stdio: ["ignore", "pipe", "pipe"], env: { PATH: process.env.PATH, ...this.env } });
        this.proc.stdout?.on("data", (d) => (this.log += d));
        this.proc.stderr?.on("data", (d) => (this.log += d));
        const deadline = Date.now() + 30000;
        while (Date.now() < deadline) {
            if (this.proc.exitCode !== null) throw new Error(`collector exited (${this.proc.exitCode}):\n${this.log}`);
            try {
                if ((await fetch(`http://127.0.0.1:${this.ports.health}/`)).ok) return;
            } catch {
                // not listening yet
            }
            await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error(`collector not healthy after 30 s:\n${this.log}`);
    }

    /** A clean stop (SIGTERM: flushes and shuts down). */
    async stop(): Promise<void> {
        await stopProcess(this.proc);
    }

    /** Killed without a chance to flush, as an OOM kill or a power cut would. */
    async kill(): Promise<void> {
        const proc = this.proc;
        if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
        await new Promise<void>((resolve) => {
            proc.on("exit", () => resolve());
            proc.kill("SIGKILL");
        });
    }

    /** Lines the collector logged at warn level or above. */
    warnings(): string[] {
        return this.log.split("\n").filter((line) => /\t(warn|error|fatal|panic)\t/i.test(line));
    }

    cleanup(): void {
        rmSync(this.dir, { recursive: true, force: true });
    }
}
