/**
 * Every collector config the program generates, judged by the real collector at the pinned
 * release: `validate`, then a start with the container's own environment and a clean stop with
 * nothing logged at warn level or above (a deprecated component type or key warns at start-up).
 * The configs are the program's output (the collector container's upload under mocks), for the
 * default stack, custom settings, each privacy mode, team mode with remote write and with OTLP,
 * basic, bearer and no backend auth, and the receiver token on and off.
 */
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { DEFAULTS } from "../configs/settings";
import { CollectorProcess, collectorConfigOf, collectorEnvOf, OTELCOL_VERSION, forTestHost, requireCollector, validateConfig } from "./support/collector";
import { runProgram, stackFileConfig } from "./support/pulumiMocks";
import { TLS_SECRETS, TLS_SETTINGS } from "./support/tls";

const TEAM = { ...stackFileConfig("Pulumi.team.example.yaml"), teamGrafanaAuth: "glsa_token", teamMetricsToken: "glc_metrics", teamLogsToken: "glc_logs", ...TLS_SETTINGS };
const TEAM_SECRETS = ["teamGrafanaAuth", "teamMetricsToken", "teamLogsToken", ...TLS_SECRETS];
const TOKEN = "0123456789abcdef0123456789abcdef";

/** name → [config, secret keys, stack], and what the generated config must contain. */
const VARIANTS: [string, Record<string, string>, string[], string, (c: any) => void][] = [
    ["local, defaults (privacy hash)", {}, [], "local", (c) => expect(c.processors).toHaveProperty("transform/privacy")],
    ["local, privacy drop, custom TTL, memory and scrape interval", { privacyMode: "drop", collectorSeriesTtl: "30m", collectorMemoryMb: "1024", scrapeInterval: "15s" }, [], "local", (c) =>
        expect(c.processors.delta_to_cumulative.max_stale).toBe("30m")],
    ["local, privacy keep", { privacyMode: "keep" }, [], "local", (c) => expect(c.processors).not.toHaveProperty("transform/privacy")],
    ["local, receiver token set", { collectorToken: TOKEN }, ["collectorToken"], "local", (c) => expect(c.extensions).toHaveProperty("bearertokenauth/clients")],
    ["local on every interface (token generated, TLS)", { bindAddress: "0.0.0.0", ...TLS_SETTINGS }, TLS_SECRETS, "local", (c) => expect(c.receivers.otlp.protocols.grpc.auth).toBeDefined()],
    ["local on every interface, plain text allowed", { bindAddress: "0.0.0.0", collectorAllowPlaintext: "true" }, [], "local", (c) => expect(c.receivers.otlp.protocols.grpc).not.toHaveProperty("tls")],
    ["team, remote write, basic auth (the example)", TEAM, TEAM_SECRETS, "team", (c) => expect(c.extensions).toHaveProperty("basicauth/metrics")],
    ["team, OTLP metrics, bearer tokens", { ...TEAM, teamMetricsProtocol: "otlp", teamMetricsWriteUrl: "https://otlp.example.net/otlp", teamMetricsUser: "", teamLogsUser: "" }, TEAM_SECRETS, "team", (c) =>
        expect(Object.keys(c.extensions)).toEqual(expect.arrayContaining(["bearertokenauth/metrics", "bearertokenauth/logs"]))],
    [
        "team, remote write, no backend auth, receiver on loopback",
        { ...TEAM, bindAddress: "127.0.0.1", teamMetricsUser: "", teamLogsUser: "", teamMetricsToken: "", teamLogsToken: "" },
        ["teamGrafanaAuth", ...TLS_SECRETS],
        "team",
        (c) => expect(Object.keys(c.extensions)).toEqual(["health_check"]),
    ],
];

describe("the real collector accepts every generated config", () => {
    it("is the release the stack's image pin names (collectorImage default = the builder manifest's dist.version)", () => {
        expect(DEFAULTS.collectorImage).toBe(`otel/opentelemetry-collector-contrib:${OTELCOL_VERSION}`);
    });

    it.for(VARIANTS)("%s", async ([, config, secretKeys, stack, shape], { skip }) => {
        const bin = requireCollector(skip);
        const run = await runProgram(config, secretKeys, stack);
        const generated = collectorConfigOf(run);
        shape(parse(generated));
        const env = collectorEnvOf(run);
        expect(validateConfig(bin, generated, env)).toBe("");

        const { yaml, ports } = await forTestHost(generated, { logsUrl: "http://127.0.0.1:9/otlp", metricsUrl: "http://127.0.0.1:9/push" });
        const collector = new CollectorProcess(bin, yaml, ports, env);
        try {
            await collector.start();
        } finally {
            await collector.stop();
            collector.cleanup();
        }
        expect(collector.warnings()).toEqual([]);
        expect(collector.log).toContain("Everything is ready");
    });

    it("the checks are not vacuous: a component not in the build and an unknown key fail validate", ({ skip }) => {
        const bin = requireCollector(skip);
        const pipeline = (receiver: string, exporter: string) => `receivers: {otlp: {protocols: {http: {endpoint: "127.0.0.1:0"${receiver}}}}}\nexporters: {${exporter}}\nservice: {pipelines: {metrics: {receivers: [otlp], exporters: [${exporter.split(":")[0]}]}}}\n`;
        expect(() => validateConfig(bin, pipeline("", "debug: {}"))).toThrow(/debug/);
        expect(() => validateConfig(bin, pipeline(", no_such_key: 1", `prometheus: {endpoint: "127.0.0.1:0"}`))).toThrow(/no_such_key/);
    });

    it("the checks are not vacuous: a deprecated type name (deltatocumulative) warns at start-up", async ({ skip }) => {
        const bin = requireCollector(skip);
        const run = await runProgram({});
        const generated = collectorConfigOf(run);
        const { yaml, ports } = await forTestHost(generated.replaceAll("delta_to_cumulative", "deltatocumulative"), { logsUrl: "http://127.0.0.1:9/otlp" });
        const collector = new CollectorProcess(bin, yaml, ports);
        try {
            await collector.start();
        } finally {
            await collector.stop();
            collector.cleanup();
        }
        expect(collector.warnings().join("\n")).toMatch(/deltatocumulative/);
    });
});
