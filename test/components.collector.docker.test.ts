/**
 * The collector container as the program declares it, run by a real Docker engine: an image built
 * here FROM scratch around the pinned collector build (the contrib image is FROM scratch too, with
 * the binary at /otelcol-contrib, run as user 10001; no registry is reachable here), created with
 * the program's own environment (the token and the multi-line TLS PEM), command, published ports
 * on the bind address, and the uploaded config copied in as the Docker provider uploads it. Then
 * a client on the host sends over TLS to the published port. The image has a placeholder at the
 * config path, as the contrib image has its default config there.
 * Needs `docker` and an engine (DOCKER_HOST); .ci/run starts a private dockerd for it. What the
 * Pulumi Docker provider itself sends is reviewed only: the same Docker API fields.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COLLECTOR_CONFIG_PATH } from "../configs/collector";
import { captures } from "./support/liveStack";
import { collectorConfigOf, collectorEnvOf, findCollector, MISSING_COLLECTOR, OTELCOL_VERSION } from "./support/collector";
import { sendGrpc } from "./support/otlpSend";
import { freePorts } from "../harness/process";
import { type ProgramRun, TYPES, runProgram, unwrapSecrets } from "./support/pulumiMocks";
import { TEST_TLS, TLS_SECRETS, TLS_SETTINGS } from "./support/tls";
import { COLLECTOR_PORTS } from "../configs/topology";

const docker = (args: string[], input?: string) => spawnSync("docker", args, { encoding: "utf8", timeout: 120000, ...(input === undefined ? {} : { input }) });
const engine = docker(["version", "--format", "{{.Server.Version}}"]);
const bin = findCollector();
const missing = engine.status !== 0 ? `no Docker engine answers (${(engine.stderr || engine.error?.message || "").trim()}); .ci/run starts one` : !bin ? MISSING_COLLECTOR : undefined;
if (missing) {
    if (process.env.CI) throw new Error(missing);
    console.warn(`\n*** SKIPPED (the collector container on a real Docker engine): ${missing}\n`);
}

describe.skipIf(!!missing)("the collector container on a real Docker engine", () => {
    const image = `claude-code-monitoring-test/otelcol:${OTELCOL_VERSION}`;
    let program: ProgramRun;
    let container = "";
    const ports = { otlpGrpc: 0, health: 0 };

    beforeAll(async () => {
        const context = mkdtempSync(join(tmpdir(), "otelcol-image-"));
        try {
            copyFileSync(bin!, join(context, "otelcol-contrib"));
            // The contrib image ships a default config at the path the program uploads over.
            writeFileSync(join(context, "default-config.yaml"), "");
            writeFileSync(
                join(context, "Dockerfile"),
                `FROM scratch\nCOPY otelcol-contrib /otelcol-contrib\nCOPY default-config.yaml ${COLLECTOR_CONFIG_PATH}\nUSER 10001\nENTRYPOINT ["/otelcol-contrib"]\n`,
            );
            const built = docker(["build", "--quiet", "--tag", image, context]);
            if (built.status !== 0) throw new Error(`docker build failed: ${built.stderr}`);
        } finally {
            rmSync(context, { recursive: true, force: true });
        }

        program = await runProgram({ bindAddress: "127.0.0.1", collectorToken: "docker-test-token-0123456789", ...TLS_SETTINGS }, ["collectorToken", ...TLS_SECRETS]);
        const declared = program.one(TYPES.container, "-collector-container").inputs;
        [ports.otlpGrpc, ports.health] = await freePorts(2);
        const env = Object.entries(collectorEnvOf(program)).flatMap(([k, v]) => ["--env", `${k}=${v}`]);
        const command: string[] = unwrapSecrets(declared.command);
        const created = docker([
            "create",
            "--memory", `${declared.memory}m`,
            ...env,
            "--publish", `127.0.0.1:${ports.otlpGrpc}:${COLLECTOR_PORTS.otlpGrpc}`,
            "--publish", `127.0.0.1:${ports.health}:${COLLECTOR_PORTS.health}`,
            "--label", "dev.claude-code-monitoring.test=docker.collector",
            image,
            ...command,
        ]);
        if (created.status !== 0) throw new Error(`docker create failed: ${created.stderr}`);
        container = created.stdout.trim();
        // As the provider uploads it: the file copied into the created container before it starts.
        const dir = mkdtempSync(join(tmpdir(), "otelcol-upload-"));
        try {
            writeFileSync(join(dir, "config.yaml"), collectorConfigOf(program));
            const copied = docker(["cp", join(dir, "config.yaml"), `${container}:${COLLECTOR_CONFIG_PATH}`]);
            if (copied.status !== 0) throw new Error(`docker cp failed: ${copied.stderr}`);
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
        const started = docker(["start", container]);
        if (started.status !== 0) throw new Error(`docker start failed: ${started.stderr}`);
        const deadline = Date.now() + 30000;
        while (Date.now() < deadline) {
            try {
                if ((await fetch(`http://127.0.0.1:${ports.health}/`)).ok) return;
            } catch {
                // not up yet
            }
            await new Promise((r) => setTimeout(r, 250));
        }
        throw new Error(`the container is not healthy after 30 s:\n${docker(["logs", container]).stderr}`);
    }, 180000);

    afterAll(() => {
        // Only what this test made: its container (by id) and its image.
        if (container) docker(["rm", "--force", container]);
        docker(["image", "rm", "--force", image]);
    });

    it("starts from the program's command, uploaded config and environment, the multi-line PEM intact", () => {
        const env: string[] = JSON.parse(docker(["inspect", "--format", "{{json .Config.Env}}", container]).stdout);
        const cert = env.find((e) => e.startsWith("CLAUDE_CODE_COLLECTOR_TLS_CERT="))!;
        expect(cert.slice(cert.indexOf("=") + 1)).toBe(TEST_TLS.cert);
        const logs = docker(["logs", container]);
        expect(logs.stdout + logs.stderr).toContain("Everything is ready");
        expect((logs.stdout + logs.stderr).split("\n").filter((l) => /\t(warn|error)\t/.test(l))).toEqual([]);
    });

    it("accepts OTLP over TLS with the token on the published port, and refuses it without the token", async () => {
        const capture = captures("s03-long-session-delta")[0];
        const address = `127.0.0.1:${ports.otlpGrpc}`;
        await sendGrpc(address, capture.signal, capture.body, { authorization: "Bearer docker-test-token-0123456789" }, TEST_TLS.ca);
        await expect(sendGrpc(address, capture.signal, capture.body, {}, TEST_TLS.ca)).rejects.toMatchObject({ code: 16 });
    });
});
