/**
 * The collector configuration: documented keys only, a coherent pipeline, privacy per mode.
 */
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { ARRIVAL_TIME_PROCESSOR, COLLECTOR_ENV, COLLECTOR_SELF_JOB, type CollectorDestinations, IDENTITY_ATTRIBUTES, buildCollectorConfig, collectorMemory, privacyStatements } from "../configs/collector";
import { DEFAULTS, PRIVACY_MODES, type PrivacyMode, parseDuration } from "../configs/settings";
import { COLLECTOR_KEYS, leafPaths, undocumented } from "./support/documentedKeys";
import { COLLECTOR_PORTS } from "../configs/topology";

const config = (privacyMode: PrivacyMode = "hash", collectorMemoryMb = 512, collectorSeriesTtl = "6h", destinations?: CollectorDestinations) =>
    parse(buildCollectorConfig({ privacyMode, collectorMemoryMb, collectorSeriesTtl, scrapeInterval: "10s" }, destinations));

/** Team-mode destinations: every protocol and auth kind appears in at least one. */
const TEAM_DESTINATIONS: Record<string, CollectorDestinations> = {
    "remote write, basic auth": {
        metrics: { protocol: "remote_write", url: "https://prometheus.example.net/api/prom/push", auth: { kind: "basic", user: "12345" } },
        logs: { url: "https://logs.example.net/otlp", auth: { kind: "basic", user: "67890" } },
        receiverAuth: true,
        receiverTls: true,
    },
    "OTLP, bearer token": {
        metrics: { protocol: "otlp", url: "https://otlp.example.net/otlp", auth: { kind: "bearer" } },
        logs: { url: "https://logs.example.net/otlp", auth: { kind: "bearer" } },
        receiverAuth: true,
        receiverTls: false,
    },
    "remote write, no auth": {
        metrics: { protocol: "remote_write", url: "http://mimir:9009/api/v1/push", auth: { kind: "none" } },
        logs: { url: "http://loki:3100/otlp", auth: { kind: "none" } },
        receiverAuth: false,
        receiverTls: false,
    },
};
const VARIANTS = [
    ...PRIVACY_MODES.map((mode) => [`local, privacy ${mode}`, () => config(mode)] as const),
    ...Object.entries(TEAM_DESTINATIONS).map(([name, d]) => [`team: ${name}`, () => config("hash", 512, "6h", d)] as const),
];

describe("collector config", () => {
    it.each(VARIANTS)("uses only documented keys (%s)", (_, make) => {
        expect(undocumented(leafPaths(make()), COLLECTOR_KEYS)).toEqual([]);
    });

    it.each(VARIANTS)("defines every component a pipeline uses and uses every component it defines (%s)", (_, make) => {
        const c = make();
        const used = { receivers: new Set<string>(), processors: new Set<string>(), exporters: new Set<string>() };
        for (const pipeline of Object.values<any>(c.service.pipelines)) {
            for (const kind of ["receivers", "processors", "exporters"] as const) for (const name of pipeline[kind]) used[kind].add(name);
        }
        for (const kind of ["receivers", "processors", "exporters"] as const) expect([...used[kind]].sort()).toEqual(Object.keys(c[kind]).sort());
        expect(c.service.extensions).toEqual(Object.keys(c.extensions));
        // Every authenticator a component names is an enabled extension.
        const authenticators = leafPaths(c).filter((p) => p.endsWith(".auth.authenticator"));
        for (const path of authenticators) {
            const id = path.split(".").reduce((node: any, key) => node[key], c);
            expect(c.service.extensions, path).toContain(id);
        }
    });

    it("runs memory_limiter first, then delta_to_cumulative and the stream-start label last before the prometheus exporter", () => {
        const c = config();
        expect(c.service.pipelines.metrics.processors[0]).toBe("memory_limiter");
        expect(c.service.pipelines.logs.processors[0]).toBe("memory_limiter");
        // The label must come after delta_to_cumulative: on a delta point the start differs at every export.
        expect(c.service.pipelines.metrics.processors.slice(-2)).toEqual(["delta_to_cumulative", "transform/stream_start"]);
        expect(c.service.pipelines.logs.processors).not.toContain("transform/stream_start");
        expect(c.service.pipelines.metrics.exporters).toEqual(["prometheus"]);
    });

    it("exports metrics under classic Prometheus names and keeps series as long as delta state", () => {
        const c = config("hash", 512, "12h");
        expect(c.exporters.prometheus.translation_strategy).toBe("UnderscoreEscapingWithSuffixes");
        expect(c.exporters.prometheus.endpoint).toBe(`0.0.0.0:${COLLECTOR_PORTS.exporter}`);
        expect(parseDuration(c.exporters.prometheus.metric_expiration)).toBeGreaterThanOrEqual(parseDuration(c.processors.delta_to_cumulative.max_stale)!);
        expect(c.processors.delta_to_cumulative.max_stale).toBe("12h");
    });

    it("sends events to Loki's native OTLP endpoint, not the removed loki exporter", () => {
        const c = config();
        expect(c.exporters).not.toHaveProperty("loki");
        expect(c.exporters["otlp_http/loki"].endpoint).toBe("http://loki:3100/otlp");
        expect(c.service.pipelines.logs.exporters).toEqual(["otlp_http/loki"]);
    });

    it("listens on all container interfaces (the collector defaults to localhost)", () => {
        const c = config();
        expect(c.receivers.otlp.protocols.grpc.endpoint).toBe("0.0.0.0:4317");
        expect(c.receivers.otlp.protocols.http.endpoint).toBe("0.0.0.0:4318");
        expect(c.extensions.health_check.endpoint).toBe("0.0.0.0:13133");
        expect(c.service.telemetry.metrics.readers[0].pull.exporter.prometheus).toMatchObject({ host: "0.0.0.0", port: 8888 });
    });

    it("keeps the memory limiter under the container limit and GOMEMLIMIT under the limiter", () => {
        for (const mb of [256, 512, 2048]) {
            const m = collectorMemory(mb);
            expect(m.limitMib).toBeLessThan(mb);
            expect(m.spikeLimitMib).toBeLessThan(m.limitMib);
            expect(m.goMemLimitMib).toBeLessThan(m.limitMib);
            expect(config("hash", mb).processors.memory_limiter).toEqual({ check_interval: "1s", limit_mib: m.limitMib, spike_limit_mib: m.spikeLimitMib });
        }
    });

    it("is the same text for the same settings", () => {
        const settings = { privacyMode: DEFAULTS.privacyMode, collectorMemoryMb: 512, collectorSeriesTtl: "6h", scrapeInterval: "10s" };
        expect(buildCollectorConfig(settings)).toBe(buildCollectorConfig({ ...settings }));
    });
});

describe("collector config in team mode", () => {
    const all = (value: unknown): string => JSON.stringify(value);

    it("pushes metrics after delta-to-cumulative (remote write drops delta sums) and serves no scrape endpoint", () => {
        for (const d of Object.values(TEAM_DESTINATIONS)) {
            const c = config("hash", 512, "6h", d);
            expect(c.exporters).not.toHaveProperty("prometheus");
            const exporter = d.metrics.protocol === "remote_write" ? "prometheus_remote_write" : "otlp_http/metrics";
            expect(c.service.pipelines.metrics.exporters).toEqual([exporter]);
            // Pushed points get the collector's clock, after delta_to_cumulative ordered them by the client's.
            expect(c.service.pipelines.metrics.processors.slice(-3)).toEqual(["delta_to_cumulative", "transform/stream_start", ARRIVAL_TIME_PROCESSOR]);
            expect(c.exporters[exporter].endpoint).toBe(d.metrics.protocol === "scrape" ? undefined : d.metrics.url);
            expect(c.exporters["otlp_http/loki"].endpoint).toBe(d.logs.url);
        }
    });

    it("sends the collector's own telemetry to the same backend under the job the pipeline alerts watch", () => {
        const c = config("hash", 512, "6h", TEAM_DESTINATIONS["remote write, basic auth"]);
        const scrape = c.receivers["prometheus/self"].config.scrape_configs[0];
        expect(scrape).toMatchObject({ job_name: COLLECTOR_SELF_JOB, scrape_interval: "10s", static_configs: [{ targets: [`127.0.0.1:${COLLECTOR_PORTS.selfMetrics}`] }] });
        expect(c.service.pipelines["metrics/self"]).toEqual({ receivers: ["prometheus/self"], processors: ["memory_limiter"], exporters: ["prometheus_remote_write"] });
        expect(config()).not.toHaveProperty(["receivers", "prometheus/self"]);
    });

    it("authenticates to each backend with its own credentials, read from the environment, never written in the file", () => {
        const basic = config("hash", 512, "6h", TEAM_DESTINATIONS["remote write, basic auth"]);
        expect(basic.extensions["basicauth/metrics"]).toEqual({ client_auth: { username: "12345", password: `\${env:${COLLECTOR_ENV.metricsToken}}` } });
        expect(basic.extensions["basicauth/logs"]).toEqual({ client_auth: { username: "67890", password: `\${env:${COLLECTOR_ENV.logsToken}}` } });
        expect(basic.exporters.prometheus_remote_write.auth).toEqual({ authenticator: "basicauth/metrics" });
        expect(basic.exporters["otlp_http/loki"].auth).toEqual({ authenticator: "basicauth/logs" });

        const bearer = config("hash", 512, "6h", TEAM_DESTINATIONS["OTLP, bearer token"]);
        expect(bearer.extensions["bearertokenauth/metrics"]).toEqual({ token: `\${env:${COLLECTOR_ENV.metricsToken}}` });
        expect(bearer.exporters["otlp_http/metrics"].auth).toEqual({ authenticator: "bearertokenauth/metrics" });

        const open = config("hash", 512, "6h", TEAM_DESTINATIONS["remote write, no auth"]);
        expect(open.exporters.prometheus_remote_write).not.toHaveProperty("auth");
        expect(Object.keys(open.extensions)).toEqual(["health_check"]);
    });

    it("requires the client token on both OTLP receivers when asked, and only then", () => {
        const c = config("hash", 512, "6h", TEAM_DESTINATIONS["remote write, basic auth"]);
        expect(c.extensions["bearertokenauth/clients"]).toEqual({ token: `\${env:${COLLECTOR_ENV.receiverToken}}` });
        expect(c.receivers.otlp.protocols.grpc.auth).toEqual({ authenticator: "bearertokenauth/clients" });
        expect(c.receivers.otlp.protocols.http.auth).toEqual({ authenticator: "bearertokenauth/clients" });
        expect(all(config().receivers)).not.toContain("auth");
        expect(all(config("hash", 512, "6h", TEAM_DESTINATIONS["remote write, no auth"]).receivers.otlp)).not.toContain("auth");
    });
});

describe("privacy", () => {
    it("hashes identity attributes on metric points, log records and resources by default", () => {
        const c = config("hash");
        const t = c.processors["transform/privacy"];
        const contexts = (list: any[]) => list.map((s) => s.context);
        expect(contexts(t.metric_statements)).toEqual(["resource", "datapoint"]);
        expect(contexts(t.log_statements)).toEqual(["resource", "log"]);
        for (const group of [...t.metric_statements, ...t.log_statements]) {
            // Each path names its context (resource.attributes, datapoint.attributes, log.attributes).
            const a = `${group.context}.attributes`;
            expect(group.statements).toEqual(IDENTITY_ATTRIBUTES.map((k) => `set(${a}["${k}"], SHA256(${a}["${k}"])) where ${a}["${k}"] != nil`));
        }
        expect(c.service.pipelines.metrics.processors).toContain("transform/privacy");
        expect(c.service.pipelines.logs.processors).toContain("transform/privacy");
    });

    it("drops them in drop mode", () => {
        expect(privacyStatements("drop", "attributes")).toEqual([
            'delete_key(attributes, "user.email")',
            'delete_key(attributes, "user.account_uuid")',
            'delete_key(attributes, "user.account_id")',
        ]);
    });

    it("leaves them alone, with no transform processor, in keep mode", () => {
        const c = config("keep");
        expect(c.processors).not.toHaveProperty("transform/privacy");
        expect(c.service.pipelines.metrics.processors).toEqual(["memory_limiter", "delta_to_cumulative", "transform/stream_start"]);
    });
});
