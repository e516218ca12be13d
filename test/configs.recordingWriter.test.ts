/**
 * Where Grafana writes team mode's recorded series (configs/recordingWriter.ts). The URL cases are
 * Grafana's own (grafana/grafana pkg/services/ngalert/writer/datasourcewriter_test.go,
 * TestDatasourceWriterGetRemoteWriteURL; its "Anything" type is any non-Prometheus type, our
 * mimir). Grafana cannot run here; the pinned Prometheus can, so the prometheus case is also
 * written to a real Prometheus 3.15.0 at the URL the writer would use.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { type TeamMetricsBackend, recordingWriteProblem, recordingWriteUrl } from "../configs/recordingWriter";
import { loadSettings } from "../configs/settings";
import { stackFileConfig } from "./support/pulumiMocks";
import { stopAfterAll } from "./support/stopAfterAll";
import { BUILD_HINT, PROMETHEUS_VERSION, findTool } from "../harness/tools";
import { PrometheusServer } from "../harness/prometheusServer";
import { remoteWriteTo } from "../harness/remoteWrite";
import { TEST_TLS } from "./support/tls";

describe("Grafana's recording-rule writer URL", () => {
    const grafanaCases: [string, TeamMetricsBackend, string, string][] = [
        ["prometheus", "prometheus", "http://example.com", "http://example.com/api/v1/write"],
        ["prometheus with prefix", "prometheus", "http://example.com/myprom", "http://example.com/myprom/api/v1/write"],
        ["mimir/cortex legacy routes", "mimir", "http://example.com/api/prom", "http://example.com/api/prom/push"],
        ["mimir/cortex legacy routes with prefix", "mimir", "http://example.com/myprom/api/prom", "http://example.com/myprom/api/prom/push"],
        ["mimir/cortex new routes", "mimir", "http://example.com/prometheus", "http://example.com/api/v1/push"],
        ["mimir/cortex new routes with prefix", "mimir", "http://example.com/mymimir/prometheus", "http://example.com/mymimir/api/v1/push"],
        ["mimir/cortex with unknown suffix", "mimir", "http://example.com/foo/bar", "http://example.com/api/v1/push"],
    ];
    it.each(grafanaCases)("%s: %s at %s → %s", (_, backend, queryUrl, writeUrl) => {
        expect(recordingWriteUrl(backend, queryUrl)).toBe(writeUrl);
    });

    it("a trailing slash after /prometheus stays in the path (Go's path.Dir keeps the last element when the path ends in /)", () => {
        expect(recordingWriteUrl("mimir", "http://mimir:9009/prometheus/")).toBe("http://mimir:9009/prometheus/api/v1/push");
    });
});

describe("settings refuse a query URL whose recorded series Grafana would write nowhere", () => {
    it("accepts what Grafana maps onto a push endpoint", () => {
        expect(recordingWriteProblem("mimir", "https://prometheus-prod-24-prod-eu-west-2.grafana.net/api/prom")).toBeUndefined();
        expect(recordingWriteProblem("mimir", "http://mimir:9009/prometheus")).toBeUndefined();
        expect(recordingWriteProblem("mimir", "http://mimir:9009")).toBeUndefined();
        expect(recordingWriteProblem("prometheus", "http://prometheus.internal:9090")).toBeUndefined();
    });

    it("refuses a mimir path the writer drops or mangles, naming where the records would go", () => {
        expect(recordingWriteProblem("mimir", "https://metrics.example.com/custom/api")).toMatch(
            /^teamMetricsQueryUrl: Grafana would write the recorded series to https:\/\/metrics\.example\.com\/api\/v1\/push, .*\(fix: pulumi config set teamMetricsQueryUrl .*teamMetricsBackend prometheus/,
        );
        expect(recordingWriteProblem("mimir", "http://mimir:9009/prometheus/")).toMatch(/to http:\/\/mimir:9009\/prometheus\/api\/v1\/push, /);
    });

    it("refuses a prometheus backend whose query URL is a Mimir or Grafana Cloud API", () => {
        expect(recordingWriteProblem("prometheus", "https://prometheus-prod-24-prod-eu-west-2.grafana.net/api/prom")).toMatch(
            /^teamMetricsBackend: is prometheus, but teamMetricsQueryUrl ends in \/api\/prom, .* to https:\/\/prometheus-prod-24-prod-eu-west-2\.grafana\.net\/api\/prom\/api\/v1\/write, .*\(fix: pulumi config set teamMetricsBackend mimir\)$/,
        );
    });

    it("Pulumi.team.example.yaml passes, and a wrong backend kind for it stops the program with the fix", () => {
        const example = stackFileConfig("Pulumi.team.example.yaml");
        const secrets: Record<string, string> = { teamGrafanaAuth: "glsa_x", teamMetricsToken: "glc_m", teamLogsToken: "glc_l", collectorTlsCert: TEST_TLS.cert, collectorTlsKey: TEST_TLS.key };
        const lookup = (config: Record<string, unknown>) => (key: string) => (key in secrets ? secrets[key] : (config[key] as string | undefined));
        expect(loadSettings(lookup(example)).teamMetricsBackend).toBe("mimir");
        expect(() => loadSettings(lookup({ ...example, teamMetricsBackend: "prometheus" }))).toThrow(/teamMetricsBackend: is prometheus, .*\(fix: pulumi config set teamMetricsBackend mimir\)/);
        expect(() => loadSettings(lookup({ ...example, teamMetricsBackend: "victoria" }))).toThrow(/teamMetricsBackend: unknown value "victoria"; use one of "mimir", "prometheus"/);
    });
});

const prometheusBin = findTool("prometheus");
if (!prometheusBin) {
    if (process.env.CI) throw new Error(`prometheus ${PROMETHEUS_VERSION} not found: ${BUILD_HINT}`);
    console.warn(`\n*** SKIPPED (recording writes into a real Prometheus): prometheus ${PROMETHEUS_VERSION} not found: ${BUILD_HINT}\n`);
}

describe.skipIf(!prometheusBin)("a real Prometheus at the URL Grafana's writer derives", () => {
    const started = stopAfterAll();
    let server: PrometheusServer;
    const record = (value: number) => [{ labels: { __name__: "claude_code:cost_usd:increase1m", user_id: "u1" }, samples: [{ value, timestampMs: Date.now() }] }];

    beforeAll(async () => {
        server = started(new PrometheusServer(prometheusBin!, ""));
        await server.start();
    });

    it("prometheus: the writer's <url>/api/v1/write is served by Prometheus' remote-write receiver", async () => {
        await remoteWriteTo(recordingWriteUrl("prometheus", server.url), record(0.25));
        const rows = await server.query("claude_code:cost_usd:increase1m", Date.now());
        expect(rows.map((r) => r.value)).toEqual([0.25]);
    });

    it("the Mimir-type path on a Prometheus is not served: why the type must match the backend", async () => {
        await expect(remoteWriteTo(recordingWriteUrl("mimir", server.url), record(1))).rejects.toThrow(/HTTP 404/);
    });
});
