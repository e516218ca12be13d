/**
 * The collector configuration: documented keys only, a coherent pipeline, privacy per mode.
 */
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { COLLECTOR_PORTS, IDENTITY_ATTRIBUTES, buildCollectorConfig, collectorMemory, privacyStatements } from "../configs/collector";
import { DEFAULTS, PRIVACY_MODES, PrivacyMode, parseDuration } from "../configs/settings";
import { COLLECTOR_KEYS, leafPaths, undocumented } from "./support/documentedKeys";

const config = (privacyMode: PrivacyMode = "hash", collectorMemoryMb = 512, collectorSeriesTtl = "6h") =>
    parse(buildCollectorConfig({ privacyMode, collectorMemoryMb, collectorSeriesTtl }));

describe("collector config", () => {
    it.each(PRIVACY_MODES)("uses only documented keys (privacy %s)", (mode) => {
        expect(undocumented(leafPaths(config(mode)), COLLECTOR_KEYS)).toEqual([]);
    });

    it.each(PRIVACY_MODES)("defines every component a pipeline uses and uses every component it defines (privacy %s)", (mode) => {
        const c = config(mode);
        const used = { receivers: new Set<string>(), processors: new Set<string>(), exporters: new Set<string>() };
        for (const pipeline of Object.values<any>(c.service.pipelines)) {
            for (const kind of ["receivers", "processors", "exporters"] as const) for (const name of pipeline[kind]) used[kind].add(name);
        }
        for (const kind of ["receivers", "processors", "exporters"] as const) expect([...used[kind]].sort()).toEqual(Object.keys(c[kind]).sort());
        expect(c.service.extensions).toEqual(Object.keys(c.extensions));
    });

    it("runs memory_limiter first and deltatocumulative before the prometheus exporter", () => {
        const c = config();
        expect(c.service.pipelines.metrics.processors[0]).toBe("memory_limiter");
        expect(c.service.pipelines.logs.processors[0]).toBe("memory_limiter");
        expect(c.service.pipelines.metrics.processors.at(-1)).toBe("deltatocumulative");
        expect(c.service.pipelines.metrics.exporters).toEqual(["prometheus"]);
    });

    it("exports metrics under classic Prometheus names and keeps series as long as delta state", () => {
        const c = config("hash", 512, "12h");
        expect(c.exporters.prometheus.translation_strategy).toBe("UnderscoreEscapingWithSuffixes");
        expect(c.exporters.prometheus.endpoint).toBe(`0.0.0.0:${COLLECTOR_PORTS.exporter}`);
        expect(parseDuration(c.exporters.prometheus.metric_expiration)).toBeGreaterThanOrEqual(parseDuration(c.processors.deltatocumulative.max_stale)!);
        expect(c.processors.deltatocumulative.max_stale).toBe("12h");
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
        expect(c.service.telemetry.metrics.readers[0].pull.exporter.prometheus).toEqual({ host: "0.0.0.0", port: 8888 });
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
        const settings = { privacyMode: DEFAULTS.privacyMode, collectorMemoryMb: 512, collectorSeriesTtl: "6h" };
        expect(buildCollectorConfig(settings)).toBe(buildCollectorConfig({ ...settings }));
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
            expect(group.statements).toEqual(
                IDENTITY_ATTRIBUTES.map((k) => `set(attributes["${k}"], SHA256(attributes["${k}"])) where attributes["${k}"] != nil`),
            );
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
        expect(c.service.pipelines.metrics.processors).toEqual(["memory_limiter", "deltatocumulative"]);
    });
});
