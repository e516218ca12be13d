/**
 * OpenTelemetry Collector (contrib) configuration.
 *
 * Metrics: OTLP → memory_limiter → [privacy] → delta_to_cumulative → stream start label → prometheus exporter (pulled by
 * the stack's Prometheus), or in team mode → remote write / OTLP to the team's backend. Logs (Claude
 * Code events): OTLP → memory_limiter → [privacy] → Loki's native OTLP endpoint. Keys follow the
 * contrib 0.16x READMEs; see docs/testing.md, "what is machine-checked". Component types use the
 * underscored names (delta_to_cumulative, prometheus_remote_write, otlp_http): the old spellings
 * (deltatocumulative, prometheusremotewrite, otlphttp) are deprecated aliases that log a warning at
 * start-up (contrib v0.158.0 metadata.yaml deprecated_type; collector service/internal/builders).
 *
 * Credentials never appear in the file: they reach the container as environment variables
 * (secret in Pulumi state) and the file refers to them as ${env:NAME}.
 */
import { type BackendAuth, type MetricsProtocol, type PlainSettings, type PrivacyMode, type SecretKey, backendAuth, parseDuration, receiverRequiresToken, receiverUsesTls } from "./settings";
import { toYaml } from "./yaml";
import { COLLECTOR_PORTS, HOSTS, LOKI_PORT } from "./topology";

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

/**
 * The start time of a counter's cumulative stream, as a point attribute and so as a label of every
 * raw series. A cumulative client keeps one start per process; delta_to_cumulative gives a stream
 * the start of its first delta, and a new one whenever it rebuilds the total from zero: after a
 * collector restart, or when a session idle past the series TTL comes back. Without it the rebuilt
 * total would continue the old series, and a first value not below the old total would read as
 * growth from it (the old total lost). With it, two processes that share a session id (e.g.
 * `claude --resume` in two terminals) are two series instead of one whose value jumps between them.
 * Only the increment rules read raw series, and they sum this label away (configs/rules.ts).
 */
export const STREAM_START = { processor: "transform/stream_start", attribute: "stream.start", label: "stream_start" } as const;

/**
 * Team mode's backends store a pushed point at its own timestamp, and the rules read each minute
 * once, 30 s after it ends: a point stamped by a laptop whose clock is behind lands in a minute
 * already read and is never counted (a clock 2 minutes slow counted nothing). The collector
 * stamps each point with its own clock as it passes, after delta_to_cumulative has used the
 * client's times for ordering. Scraped locally, points take the scrape's time anyway.
 */
export const ARRIVAL_TIME_PROCESSOR = "transform/arrival_time";

/** Memory figures derived from the container limit: limiter below the limit, Go GC below the limiter. */
export function collectorMemory(containerMb: number): { limitMib: number; spikeLimitMib: number; goMemLimitMib: number } {
    const limitMib = Math.floor(containerMb * 0.8);
    return { limitMib, spikeLimitMib: Math.floor(limitMib * 0.25), goMemLimitMib: Math.floor(limitMib * 0.8) };
}

/** The settings the collector's config and container use. */
export const COLLECTOR_SETTING_KEYS = ["privacyMode", "collectorMemoryMb", "collectorSeriesTtl", "scrapeInterval"] as const;
export type CollectorSettings = Pick<PlainSettings, (typeof COLLECTOR_SETTING_KEYS)[number]>;

/** Environment variables that carry the collector's credentials into the container. */
export const COLLECTOR_ENV = {
    receiverToken: "CLAUDE_CODE_COLLECTOR_TOKEN",
    metricsToken: "METRICS_BACKEND_TOKEN",
    logsToken: "LOGS_BACKEND_TOKEN",
    tlsCert: "CLAUDE_CODE_COLLECTOR_TLS_CERT",
    tlsKey: "CLAUDE_CODE_COLLECTOR_TLS_KEY",
} as const;

/** A backend the collector pushes to. */
export interface PushTarget {
    url: string;
    auth: BackendAuth;
}

/** Where the collector sends what it receives, and whether its receiver demands a token. */
export interface CollectorDestinations {
    /** scrape: the stack's Prometheus pulls the collector's exporter; otherwise pushed to a team backend. */
    metrics: { protocol: "scrape" } | ({ protocol: MetricsProtocol } & PushTarget);
    /** Loki's OTLP endpoint base (the exporter appends /v1/logs). */
    logs: PushTarget;
    /** The OTLP receivers accept only requests with `Authorization: Bearer $CLAUDE_CODE_COLLECTOR_TOKEN`. */
    receiverAuth: boolean;
    /** The OTLP receivers serve TLS with the certificate chain and key in $CLAUDE_CODE_COLLECTOR_TLS_CERT and _KEY (PEM). */
    receiverTls: boolean;
}

/** The local stack: Prometheus scrapes, Loki in the same Docker network, receiver open on loopback. */
export const LOCAL_DESTINATIONS: CollectorDestinations = {
    metrics: { protocol: "scrape" },
    logs: { url: `http://${HOSTS.loki}:${LOKI_PORT}/otlp`, auth: { kind: "none" } },
    receiverAuth: false,
    receiverTls: false,
};

export type DestinationSettings = Pick<
    PlainSettings,
    "mode" | "bindAddress" | "teamMetricsProtocol" | "teamMetricsWriteUrl" | "teamMetricsUser" | "teamMetricsWriteUser" | "teamLogsWriteUrl" | "teamLogsUser"
> & { secrets: Pick<Record<SecretKey, string>, "collectorToken" | "collectorTlsCert" | "teamMetricsToken" | "teamLogsToken"> };

/** The destinations the settings call for: the local containers, or the team's backends. */
export function collectorDestinations(settings: DestinationSettings): CollectorDestinations {
    const receiver = { receiverAuth: receiverRequiresToken(settings), receiverTls: receiverUsesTls(settings) };
    if (settings.mode === "local") return { ...LOCAL_DESTINATIONS, ...receiver };
    return {
        metrics: {
            protocol: settings.teamMetricsProtocol,
            url: settings.teamMetricsWriteUrl,
            auth: backendAuth(settings.teamMetricsWriteUser || settings.teamMetricsUser, settings.secrets.teamMetricsToken),
        },
        logs: { url: settings.teamLogsWriteUrl, auth: backendAuth(settings.teamLogsUser, settings.secrets.teamLogsToken) },
        ...receiver,
    };
}

/**
 * Self-metrics job name; the same in both modes, so the pipeline alerts work on either. Not the
 * generic "otel-collector": on a team's shared backend another collector's series of that name
 * would hide this one's absence and mix into its rates.
 */
export const COLLECTOR_SELF_JOB = "claude-code-otel-collector";

/** A client authenticator extension for a backend (keyed by its component id), if it needs one. */
function authExtension(name: string, auth: BackendAuth, tokenEnv: string): Record<string, unknown> {
    const token = `\${env:${tokenEnv}}`;
    if (auth.kind === "basic") return { [`basicauth/${name}`]: { client_auth: { username: auth.user, password: token } } };
    if (auth.kind === "bearer") return { [`bearertokenauth/${name}`]: { token } };
    return {};
}

const authenticator = (extensions: Record<string, unknown>) => {
    const id = Object.keys(extensions)[0];
    return id ? { auth: { authenticator: id } } : {};
};

/** Retries for pushes: a backend that is briefly unreachable loses nothing. */
const PUSH_RETRY = { enabled: true, initial_interval: "1s", max_interval: "30s", max_elapsed_time: "10m" };

export function buildCollectorConfig(settings: CollectorSettings, destinations: CollectorDestinations = LOCAL_DESTINATIONS): string {
    const memory = collectorMemory(settings.collectorMemoryMb);
    const privacy = settings.privacyMode !== "keep";
    const ttl = settings.collectorSeriesTtl;
    if (parseDuration(ttl) === undefined) throw new Error(`collectorSeriesTtl "${ttl}" is not a duration`);

    // TLS 1.2 at least (configtls v1.64.0 defaultMinTLSVersion). The PEM comes from the environment like the
    // tokens; confmap keeps a multi-line value whole for a string field (run against the real collector).
    const receiverTls = destinations.receiverTls ? { tls: { cert_pem: `\${env:${COLLECTOR_ENV.tlsCert}}`, key_pem: `\${env:${COLLECTOR_ENV.tlsKey}}` } } : {};
    const receiverAuthExtension = destinations.receiverAuth ? { "bearertokenauth/clients": { token: `\${env:${COLLECTOR_ENV.receiverToken}}` } } : {};
    const metrics = destinations.metrics;
    const metricsAuth = metrics.protocol === "scrape" ? {} : authExtension("metrics", metrics.auth, COLLECTOR_ENV.metricsToken);
    const logsAuth = authExtension("logs", destinations.logs.auth, COLLECTOR_ENV.logsToken);

    const metricsExporter: Record<string, unknown> =
        metrics.protocol === "scrape"
            ? {
                  prometheus: {
                      endpoint: `0.0.0.0:${COLLECTOR_PORTS.exporter}`,
                      // Explicit, so names stay claude_code_cost_usage_USD_total across collector upgrades.
                      translation_strategy: "UnderscoreEscapingWithSuffixes",
                      // Not shorter than delta_to_cumulative's max_stale, or a paused series would vanish and restart.
                      metric_expiration: ttl,
                  },
              }
            : metrics.protocol === "remote_write"
              ? {
                    // Names get the same _USD_total style suffixes as the local exporter (add_metric_suffixes defaults to true).
                    prometheus_remote_write: {
                        endpoint: metrics.url,
                        ...authenticator(metricsAuth),
                        retry_on_failure: PUSH_RETRY,
                        // The exporter retries inside one push, and stops when the push's timeout ends (5 s by default):
                        // without this a backend down for 5 s loses the batch, whatever max_elapsed_time says
                        // (prometheusremotewriteexporter v0.158.0 exporter.go execute, factory.go; measured in
                        // test/e2e.team.late.test.ts). The same key is the HTTP client's per-request timeout (both squashed),
                        // and max_interval is not passed on, so the waits between tries grow uncapped (x1.5).
                        timeout: PUSH_RETRY.max_elapsed_time,
                        // Four parallel requests. Not remote_write_queue.num_consumers: set to anything but 5 it logs a
                        // warning that its meaning will change (prometheusremotewriteexporter v0.158.0 factory.go);
                        // max_batch_request_parallelism is the setting it points to, with the same effect today.
                        remote_write_queue: { enabled: true, queue_size: 10000 },
                        max_batch_request_parallelism: 4,
                    },
                }
              : {
                    "otlp_http/metrics": {
                        endpoint: metrics.url,
                        ...authenticator(metricsAuth),
                        retry_on_failure: PUSH_RETRY,
                        sending_queue: { enabled: true, queue_size: 1000, batch: { flush_timeout: "1s", min_size: 512, max_size: 4096 } },
                    },
                };
    const metricsExporterId = Object.keys(metricsExporter)[0];
    // Pushing: the collector scrapes its own telemetry into the same backend (the local Prometheus scrapes it instead).
    const selfScrape = metrics.protocol !== "scrape";

    const config = {
        extensions: {
            // Listens on every interface so the host (published port) can probe it; the image has no shell.
            health_check: { endpoint: `0.0.0.0:${COLLECTOR_PORTS.health}` },
            ...receiverAuthExtension,
            ...metricsAuth,
            ...logsAuth,
        },
        receivers: {
            otlp: {
                protocols: {
                    grpc: { endpoint: `0.0.0.0:${COLLECTOR_PORTS.otlpGrpc}`, ...receiverTls, ...authenticator(receiverAuthExtension) },
                    http: { endpoint: `0.0.0.0:${COLLECTOR_PORTS.otlpHttp}`, ...receiverTls, ...authenticator(receiverAuthExtension) },
                },
            },
            ...(selfScrape
                ? {
                      "prometheus/self": {
                          config: {
                              scrape_configs: [
                                  {
                                      job_name: COLLECTOR_SELF_JOB,
                                      scrape_interval: settings.scrapeInterval,
                                      static_configs: [{ targets: [`127.0.0.1:${COLLECTOR_PORTS.selfMetrics}`] }],
                                      // The receiver would otherwise take job and instance from target_info (the collector's
                                      // own service.name and a new random service.instance.id at every start), so the
                                      // pushed series would never carry job=COLLECTOR_SELF_JOB (seen on the real 0.158.0).
                                      metric_relabel_configs: [{ source_labels: ["__name__"], regex: "target_info", action: "drop" }],
                                  },
                              ],
                          },
                      },
                  }
                : {}),
        },
        processors: {
            // First in every pipeline: refuses data before the container runs out of memory.
            memory_limiter: { check_interval: "1s", limit_mib: memory.limitMib, spike_limit_mib: memory.spikeLimitMib },
            ...(privacy
                ? {
                      "transform/privacy": {
                          error_mode: "ignore",
                          // Paths carry their context prefix: without it OTTL rewrites each statement at start-up and
                          // logs "please rewrite them accordingly" (pkg/ottl v0.158.0 parser_collection.go).
                          metric_statements: [
                              { context: "resource", statements: privacyStatements(settings.privacyMode, "resource.attributes") },
                              { context: "datapoint", statements: privacyStatements(settings.privacyMode, "datapoint.attributes") },
                          ],
                          log_statements: [
                              { context: "resource", statements: privacyStatements(settings.privacyMode, "resource.attributes") },
                              { context: "log", statements: privacyStatements(settings.privacyMode, "log.attributes") },
                          ],
                      },
                  }
                : {}),
            // Claude Code sends delta sums by default, with gaps; the prometheus exporter needs cumulative.
            delta_to_cumulative: { max_stale: ttl },
            // After delta_to_cumulative: each cumulative stream becomes its own series, so a total rebuilt
            // from zero is never read as the continuation of an older one (see STREAM_START).
            [STREAM_START.processor]: {
                error_mode: "ignore",
                metric_statements: [{ context: "datapoint", statements: [`set(datapoint.attributes["${STREAM_START.attribute}"], datapoint.start_time_unix_nano) where datapoint.start_time_unix_nano > 0`] }],
            },
            // Pushing: points are stamped with the collector's clock when they pass (see ARRIVAL_TIME_PROCESSOR).
            ...(selfScrape ? { [ARRIVAL_TIME_PROCESSOR]: { error_mode: "ignore", metric_statements: [{ context: "datapoint", statements: ["set(datapoint.time, Now())"] }] } } : {}),
        },
        exporters: {
            ...metricsExporter,
            "otlp_http/loki": {
                endpoint: destinations.logs.url,
                ...authenticator(logsAuth),
                retry_on_failure: PUSH_RETRY,
                sending_queue: { enabled: true, queue_size: 1000, batch: { flush_timeout: "1s", min_size: 512, max_size: 4096 } },
            },
        },
        service: {
            extensions: ["health_check", ...Object.keys(receiverAuthExtension), ...Object.keys(metricsAuth), ...Object.keys(logsAuth)],
            telemetry: {
                logs: { level: "info" },
                metrics: {
                    level: "normal",
                    // Type and unit suffixes on (otelcol_receiver_accepted_metric_points_total): the names remote write
                    // gives the same metrics in team mode, so one set of names serves both modes.
                    readers: [{ pull: { exporter: { prometheus: { host: "0.0.0.0", port: COLLECTOR_PORTS.selfMetrics, without_type_suffix: false } } } }],
                },
            },
            pipelines: {
                metrics: {
                    receivers: ["otlp"],
                    processors: ["memory_limiter", ...(privacy ? ["transform/privacy"] : []), "delta_to_cumulative", STREAM_START.processor, ...(selfScrape ? [ARRIVAL_TIME_PROCESSOR] : [])],
                    exporters: [metricsExporterId],
                },
                ...(selfScrape ? { "metrics/self": { receivers: ["prometheus/self"], processors: ["memory_limiter"], exporters: [metricsExporterId] } } : {}),
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
