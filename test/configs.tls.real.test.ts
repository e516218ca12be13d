/**
 * TLS on the receiver, run for real: the collector the stack pins, started with the program's own
 * config and environment for a receiver on every interface with a certificate from a private CA
 * (test/fixtures/tls), and three kinds of client:
 *  - `npm run check` (scripts/check.ts runCheck) with the program's checkTargets output;
 *  - the OpenTelemetry JS metrics SDK and OTLP exporters (0.220.0, gRPC and http/protobuf),
 *    configured only by the settings.json env that `npm run client-setup` writes from the
 *    program's outputs, as Claude Code's exporters are configured;
 *  - a plain-text client, which must get nothing through.
 * Claude Code bundles its own exporter versions; that those read OTEL_EXPORTER_OTLP_CERTIFICATE
 * as 0.220.0 does is reviewed (the OpenTelemetry specification's variable), not run here.
 */
import { status as GRPC } from "@grpc/grpc-js";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CheckTargets } from "../configs/checkTargets";
import { CA_FILE_VARIABLE } from "../configs/client";
import { type HopResult, checkMetricsRequest, runCheck } from "../scripts/check";
import { run as clientSetup } from "../scripts/clientSetup";
import { METRICS_EXPORT_PATH, grpcUnary } from "../scripts/otlp";
import { CollectorProcess, collectorConfigOf, collectorEnvOf, findCollector, forTestHost, MISSING_COLLECTOR, type TestHostPorts } from "./support/collector";
import { type ProgramRun, runProgram } from "./support/pulumiMocks";
import { TEST_TLS, TLS_SECRETS, TLS_SETTINGS } from "./support/tls";

const ROOT = join(__dirname, "..");
const bin = findCollector();
if (!bin) {
    if (process.env.CI) throw new Error(MISSING_COLLECTOR);
    console.warn(`\n*** SKIPPED (TLS on the real collector): ${MISSING_COLLECTOR}\n`);
}

describe.skipIf(!bin)("the receiver over TLS, with the real collector and real clients", () => {
    let program: ProgramRun;
    let collector: CollectorProcess;
    let ports: TestHostPorts;
    let home: string;
    const token = "mock-receiver-token";

    beforeAll(async () => {
        program = await runProgram({ bindAddress: "0.0.0.0", ...TLS_SETTINGS }, TLS_SECRETS);
        const test = await forTestHost(collectorConfigOf(program), { logsUrl: "http://127.0.0.1:9/otlp" });
        ports = test.ports;
        collector = new CollectorProcess(bin!, test.yaml, ports, collectorEnvOf(program));
        await collector.start();
        home = mkdtempSync(join(tmpdir(), "tls-client-"));
    }, 60000);
    afterAll(async () => {
        await collector?.stop();
        collector?.cleanup();
        if (home) rmSync(home, { recursive: true, force: true });
    });

    /** The stack's endpoint for a protocol, on the test host's port (scheme and host as the program made them). */
    const onTestPort = (endpoint: string, port: number) => endpoint.replace(/:\d+$/, `:${port}`);
    /** The collector's exporter text: what Prometheus would scrape. */
    const exposition = async () => (await fetch(`http://127.0.0.1:${ports.exporter}/metrics`)).text();

    /** `npm run check` against this collector, with the program's targets (only the collector hops can pass here). */
    async function checkHop(targets: CheckTargets): Promise<HopResult> {
        const { results } = await runCheck(
            { ...targets, otlpGrpcEndpoint: onTestPort(targets.otlpGrpcEndpoint, ports.otlpGrpc), collectorHealthUrl: `http://127.0.0.1:${ports.health}/` },
            { runId: `tls-${Date.now()}`, timeoutMs: 1000, pollIntervalMs: 200, requestTimeoutMs: 5000, stack: "local" },
        );
        return results.find((r) => r.hop === "OTLP metric → collector (gRPC)")!;
    }

    it("gives clients https endpoints and the CA, and the check passes its gRPC hop with them", async () => {
        expect(program.exports.otlpGrpcEndpoint).toBe("https://127.0.0.1:4317");
        expect(program.exports.collectorCaCertificate).toBe(TEST_TLS.ca);
        const targets = program.exports.checkTargets as CheckTargets;
        expect(targets.otlpCaCertificate).toBe(TEST_TLS.ca);
        const hop = await checkHop(targets);
        expect(hop.status, JSON.stringify(hop)).toBe("PASS");
        expect(hop.detail).toMatch(/; TLS, certificate valid until 2126-\d\d-\d\d\)$/);
    });

    it("a certificate that expires within two weeks fails the check's hop, with the renewal steps", async () => {
        // A 7-day certificate made now with openssl: valid, so the program takes it.
        const dir = mkdtempSync(join(tmpdir(), "tls-short-"));
        try {
            const made = spawnSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"), "-days", "7", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], { encoding: "utf8" });
            expect(made.status, made.stderr).toBe(0);
            const cert = readFileSync(join(dir, "cert.pem"), "utf8");
            const short = await runProgram({ bindAddress: "0.0.0.0", collectorTlsCert: cert, collectorTlsKey: readFileSync(join(dir, "key.pem"), "utf8"), collectorTlsCa: cert }, TLS_SECRETS);
            const test = await forTestHost(collectorConfigOf(short), { logsUrl: "http://127.0.0.1:9/otlp" });
            const shortLived = new CollectorProcess(bin!, test.yaml, test.ports, collectorEnvOf(short));
            await shortLived.start();
            try {
                const targets = short.exports.checkTargets as CheckTargets;
                const { results } = await runCheck(
                    { ...targets, otlpGrpcEndpoint: onTestPort(targets.otlpGrpcEndpoint, test.ports.otlpGrpc), collectorHealthUrl: `http://127.0.0.1:${test.ports.health}/` },
                    { runId: `tls-short-${Date.now()}`, timeoutMs: 1000, pollIntervalMs: 200, requestTimeoutMs: 5000, stack: "local" },
                );
                const hop = results.find((r) => r.hop === "OTLP metric → collector (gRPC)")!;
                expect(hop.status).toBe("FAIL");
                expect(hop.detail).toMatch(/, but its TLS certificate expires on \d{4}-\d\d-\d\d$/);
                expect(hop.fix).toContain("pulumi config set --secret collectorTlsCert < fullchain.pem");
            } finally {
                await shortLived.stop();
                shortLived.cleanup();
            }
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    }, 60000);

    it("without the CA the check's hop fails and names collectorTlsCa, not the network", async () => {
        const { otlpCaCertificate: _, ...targets } = program.exports.checkTargets as CheckTargets;
        const hop = await checkHop(targets);
        expect(hop.status).toBe("FAIL");
        expect(hop.detail).toMatch(/\((UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)\)$/);
        expect(hop.cause).toContain("does not verify with this machine's trusted roots: a private CA or self-signed certificate needs collectorTlsCa");
    });

    it("still requires the token over TLS", async () => {
        const endpoint = `https://127.0.0.1:${ports.otlpGrpc}`;
        const body = checkMetricsRequest("tls-token", BigInt(Date.now()) * 1_000_000n);
        expect((await grpcUnary(endpoint, METRICS_EXPORT_PATH, body, { authorization: "Bearer wrong-token" }, 5000, TEST_TLS.ca)).status).toBe(GRPC.UNAUTHENTICATED);
        expect((await grpcUnary(endpoint, METRICS_EXPORT_PATH, body, { authorization: `Bearer ${token}` }, 5000, TEST_TLS.ca)).status).toBe(GRPC.OK);
    });

    it("lets nothing through in plain text, on either port", async () => {
        const body = checkMetricsRequest("tls-plain", BigInt(Date.now()) * 1_000_000n);
        const plain = grpcUnary(`http://127.0.0.1:${ports.otlpGrpc}`, METRICS_EXPORT_PATH, body, { authorization: `Bearer ${token}` }, 5000);
        await expect(plain).rejects.toMatchObject({ name: "GrpcTransportError" });
        const http = await fetch(`http://127.0.0.1:${ports.otlpHttp}/v1/metrics`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/x-protobuf" }, body: new Uint8Array(body) });
        expect(http.status).toBe(400);
        expect(await exposition()).not.toContain("tls-plain");
    });

    for (const protocol of ["grpc", "http/protobuf"] as const) {
        it(`the OTel JS exporter (${protocol}) set up by npm run client-setup from the stack's outputs delivers over TLS, and fails without the CA file`, async () => {
            // The program's outputs for this protocol (the client env depends on it), read by client-setup as from the stack.
            const outputs = protocol === "grpc" ? program : await runProgram({ bindAddress: "0.0.0.0", clientProtocol: protocol, ...TLS_SETTINGS }, TLS_SECRETS);
            const settingsDir = join(home, protocol.replace("/", "-"));
            const status = clientSetup([], {
                home,
                env: { CLAUDE_CONFIG_DIR: settingsDir },
                managedSettingsPaths: [],
                readStackOutputs: () => outputs.exports,
                now: () => new Date(),
                out: () => {},
                err: () => {},
            });
            expect(status).toBe(0);
            const env: Record<string, string> = JSON.parse(readFileSync(join(settingsDir, "settings.json"), "utf8")).env;
            expect(env[CA_FILE_VARIABLE]).toBe(join(settingsDir, "claude-code-monitoring-ca.pem"));
            expect(readFileSync(env[CA_FILE_VARIABLE], "utf8")).toBe(TEST_TLS.ca);
            expect(env.OTEL_EXPORTER_OTLP_HEADERS).toBe(`Authorization=Bearer ${token}`);
            const port = protocol === "grpc" ? ports.otlpGrpc : ports.otlpHttp;
            const clientEnv = { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: onTestPort(env.OTEL_EXPORTER_OTLP_ENDPOINT, port) };
            expect(clientEnv.OTEL_EXPORTER_OTLP_ENDPOINT).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);

            const probe = `probe-${protocol.replace("/", "-")}-${Date.now()}`;
            const exportOnce = (extra: Record<string, string | undefined>, label: string) =>
                spawnSync(process.execPath, [join(__dirname, "support", "exporterClient.cjs"), label], { cwd: ROOT, env: { PATH: process.env.PATH, ...clientEnv, ...extra }, encoding: "utf8", timeout: 30000 });
            const sent = exportOnce({}, probe);
            // grpc-js names an IP literal as the TLS server name, and Node warns about it (DEP0123); nothing else may be said.
            const said = sent.stderr.split("\n").filter((line) => line !== "" && !/\[DEP0123\]|--trace-deprecation/.test(line));
            expect(said).toEqual([]);
            expect(sent.status).toBe(0);
            expect(await exposition()).toMatch(new RegExp(`tls_probe_total\\{[^}]*probe="${probe}"[^}]*\\} 1`));

            // The same client without the CA file: the handshake fails and nothing arrives.
            const refused = exportOnce({ [CA_FILE_VARIABLE]: undefined }, `${probe}-no-ca`);
            expect(refused.status).toBe(1);
            expect(refused.stderr).toContain("unable to verify the first certificate");
            expect(await exposition()).not.toContain(`${probe}-no-ca`);
        }, 60000);
    }
});
