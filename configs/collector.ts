/**
 * OpenTelemetry Collector (contrib) configuration.
 *
 * Metrics: OTLP → memory_limiter → [privacy] → deltatocumulative → prometheus exporter (pulled by
 * Prometheus). Logs (Claude Code events): OTLP → memory_limiter → [privacy] → Loki's native OTLP
 * endpoint. Keys follow the contrib 0.16x READMEs; see the README's "what is machine-checked" table.
 */
import { PlainSettings, PrivacyMode, parseDuration } from "./settings";
import { toYaml } from "./yaml";

/** Ports the collector listens on inside the Docker network. */
export const COLLECTOR_PORTS = {
    otlpGrpc: 4317,
    otlpHttp: 4318,
    health: 13133,
    /** The prometheus exporter: Claude Code metrics, scraped by Prometheus. */
    exporter: 8889,
    /** The collector's own telemetry. */
    selfMetrics: 8888,
} as const;

export const COLLECTOR_CONFIG_PATH = "/etc/otelcol-contrib/config.yaml";

/**
 * Identity attributes Claude Code sends for OAuth logins. They identify a person, so by default
 * they are hashed (or dropped) before anything is stored.
 */
export const IDENTITY_ATTRIBUTES = ["user.email", "user.account_uuid", "user.account_id"] as const;

/** OTTL statements that apply the privacy mode to one context's attribute map. */
export function privacyStatements(mode: PrivacyMode, attributes: string): string[] {
    if (mode === "keep") return [];
    return IDENTITY_ATTRIBUTES.map((key) =>
        mode === "drop"
            ? `delete_key(${attributes}, "${key}")`
            : `set(${attributes}["${key}"], SHA256(${attributes}["${key}"])) where ${attributes}["${key}"] != nil`,
    );
}

/** Memory figures derived from the container limit: limiter below the limit, Go GC below the limiter. */
export function collectorMemory(containerMb: number): { limitMib: number; spikeLimitMib: number; goMemLimitMib: number } {
    const limitMib = Math.floor(containerMb * 0.8);
    return { limitMib, spikeLimitMib: Math.floor(limitMib * 0.25), goMemLimitMib: Math.floor(limitMib * 0.8) };
}

export type CollectorSettings = Pick<PlainSettings, "privacyMode" | "collectorMemoryMb" | "collectorSeriesTtl">;

export function buildCollectorConfig(settings: CollectorSettings, lokiOtlpUrl = "http://loki:3100/otlp"): string {
    const memory = collectorMemory(settings.collectorMemoryMb);
    const privacy = settings.privacyMode !== "keep";
    const ttl = settings.collectorSeriesTtl;
    if (parseDuration(ttl) === undefined) throw new Error(`collectorSeriesTtl "${ttl}" is not a duration`);

    const config = {
        extensions: {
            // Listens on every interface so the host (published port) can probe it; the image has no shell.
            health_check: { endpoint: `0.0.0.0:${COLLECTOR_PORTS.health}` },
        },
        receivers: {
            otlp: {
                protocols: {
                    grpc: { endpoint: `0.0.0.0:${COLLECTOR_PORTS.otlpGrpc}` },
                    http: { endpoint: `0.0.0.0:${COLLECTOR_PORTS.otlpHttp}` },
                },
            },
        },
        processors: {
            // First in every pipeline: refuses data before the container runs out of memory.
            memory_limiter: { check_interval: "1s", limit_mib: memory.limitMib, spike_limit_mib: memory.spikeLimitMib },
            ...(privacy
                ? {
                      "transform/privacy": {
                          error_mode: "ignore",
                          metric_statements: [
                              { context: "resource", statements: privacyStatements(settings.privacyMode, "attributes") },
                              { context: "datapoint", statements: privacyStatements(settings.privacyMode, "attributes") },
                          ],
                          log_statements: [
                              { context: "resource", statements: privacyStatements(settings.privacyMode, "attributes") },
                              { context: "log", statements: privacyStatements(settings.privacyMode, "attributes") },
                          ],
                      },
                  }
                : {}),
            // Claude Code sends delta sums by default, with gaps; the prometheus exporter needs cumulative.
            deltatocumulative: { max_stale: ttl },
        },
        exporters: {
            prometheus: {
                endpoint: `0.0.0.0:${COLLECTOR_PORTS.exporter}`,
                // Explicit, so names stay claude_code_cost_usage_USD_total across collector upgrades.
                translation_strategy: "UnderscoreEscapingWithSuffixes",
                // Not shorter than deltatocumulative's max_stale, or a paused series would vanish and restart.
                metric_expiration: ttl,
            },
            "otlp_http/loki": {
                endpoint: lokiOtlpUrl,
                retry_on_failure: { enabled: true, initial_interval: "1s", max_interval: "30s", max_elapsed_time: "10m" },
                sending_queue: { enabled: true, queue_size: 1000, batch: { flush_timeout: "1s", min_size: 512, max_size: 4096 } },
            },
        },
        service: {
            extensions: ["health_check"],
            telemetry: {
                logs: { level: "info" },
                metrics: {
                    level: "normal",
                    readers: [{ pull: { exporter: { prometheus: { host: "0.0.0.0", port: COLLECTOR_PORTS.selfMetrics } } } }],
                },
            },
            pipelines: {
                metrics: {
                    receivers: ["otlp"],
                    processors: ["memory_limiter", ...(privacy ? ["transform/privacy"] : []), "deltatocumulative"],
                    exporters: ["prometheus"],
                },
                logs: {
                    receivers: ["otlp"],
                    processors: ["memory_limiter", ...(privacy ? ["transform/privacy"] : [])],
                    exporters: ["otlp_http/loki"],
                },
            },
        },
    };
    return toYaml(config, "OpenTelemetry Collector configuration for Claude Code telemetry. Generated by configs/collector.ts; do not edit.");
}
