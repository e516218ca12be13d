/**
 * Configuration keys as documented by each component, for configs no real tool can check here
 * (the collector and Loki have no Debian package). Both parsers reject unknown keys at start-up,
 * so a typo would stop the container; these lists catch it before a deploy.
 *
 * A key path uses `*` for any list index or map key the config chooses.
 * Sources (read for contrib v0.159–0.162 and Loki 3.7.6, see README "What is machine-checked"):
 *  - collector core: extension/… healthcheck README; receiver/otlpreceiver/config.md;
 *    config/configtls/README.md and configtls.go (cert_pem, key_pem; read at v1.64.0, the
 *    module the v0.158.0 build uses), config/configgrpc and confighttp ServerConfig `tls`;
 *    processor/memorylimiterprocessor/README.md; exporter/exporterhelper/README.md
 *    (retry_on_failure, sending_queue incl. batch); exporter/otlphttpexporter/README.md;
 *    service telemetry docs (readers.pull.exporter.prometheus, incl. without_type_suffix).
 *  - contrib: processor/transformprocessor/README.md; processor/deltatocumulativeprocessor/README.md;
 *    exporter/prometheusexporter/README.md; exporter/prometheusremotewriteexporter/README.md
 *    (endpoint, auth, retry_on_failure, timeout, remote_write_queue.{enabled,queue_size},
 *    max_batch_request_parallelism; read at v0.158.0);
 *    extension/bearertokenauthextension/README.md (token; server use in receivers' auth);
 *    extension/basicauthextension/README.md (client_auth.username/password);
 *    receiver/prometheusreceiver/README.md (config.scrape_configs in Prometheus syntax).
 *  - Loki: docs/sources/shared/configuration.md (3.7.6).
 */
export const COLLECTOR_KEYS = [
    "extensions.health_check.endpoint",
    "extensions.bearertokenauth/*.token",
    "extensions.basicauth/*.client_auth.username",
    "extensions.basicauth/*.client_auth.password",
    "receivers.otlp.protocols.grpc.endpoint",
    "receivers.otlp.protocols.http.endpoint",
    "receivers.otlp.protocols.grpc.auth.authenticator",
    "receivers.otlp.protocols.http.auth.authenticator",
    "receivers.otlp.protocols.grpc.tls.cert_pem",
    "receivers.otlp.protocols.grpc.tls.key_pem",
    "receivers.otlp.protocols.http.tls.cert_pem",
    "receivers.otlp.protocols.http.tls.key_pem",
    "receivers.prometheus/*.config.scrape_configs.*.job_name",
    "receivers.prometheus/*.config.scrape_configs.*.scrape_interval",
    "receivers.prometheus/*.config.scrape_configs.*.static_configs.*.targets.*",
    "receivers.prometheus/*.config.scrape_configs.*.metric_relabel_configs.*.source_labels.*",
    "receivers.prometheus/*.config.scrape_configs.*.metric_relabel_configs.*.regex",
    "receivers.prometheus/*.config.scrape_configs.*.metric_relabel_configs.*.action",
    "processors.memory_limiter.check_interval",
    "processors.memory_limiter.limit_mib",
    "processors.memory_limiter.spike_limit_mib",
    "processors.transform/*.error_mode",
    "processors.transform/*.metric_statements.*.context",
    "processors.transform/*.metric_statements.*.statements.*",
    "processors.transform/*.log_statements.*.context",
    "processors.transform/*.log_statements.*.statements.*",
    "processors.delta_to_cumulative.max_stale",
    "exporters.prometheus.endpoint",
    "exporters.prometheus.translation_strategy",
    "exporters.prometheus.metric_expiration",
    "exporters.prometheus_remote_write.endpoint",
    "exporters.prometheus_remote_write.auth.authenticator",
    "exporters.prometheus_remote_write.retry_on_failure.enabled",
    "exporters.prometheus_remote_write.retry_on_failure.initial_interval",
    "exporters.prometheus_remote_write.retry_on_failure.max_interval",
    "exporters.prometheus_remote_write.retry_on_failure.max_elapsed_time",
    "exporters.prometheus_remote_write.timeout",
    "exporters.prometheus_remote_write.remote_write_queue.enabled",
    "exporters.prometheus_remote_write.remote_write_queue.queue_size",
    "exporters.prometheus_remote_write.max_batch_request_parallelism",
    "exporters.otlp_http/*.endpoint",
    "exporters.otlp_http/*.auth.authenticator",
    "exporters.otlp_http/*.retry_on_failure.enabled",
    "exporters.otlp_http/*.retry_on_failure.initial_interval",
    "exporters.otlp_http/*.retry_on_failure.max_interval",
    "exporters.otlp_http/*.retry_on_failure.max_elapsed_time",
    "exporters.otlp_http/*.sending_queue.enabled",
    "exporters.otlp_http/*.sending_queue.queue_size",
    "exporters.otlp_http/*.sending_queue.batch.flush_timeout",
    "exporters.otlp_http/*.sending_queue.batch.min_size",
    "exporters.otlp_http/*.sending_queue.batch.max_size",
    "service.extensions.*",
    "service.telemetry.logs.level",
    "service.telemetry.metrics.level",
    "service.telemetry.metrics.readers.*.pull.exporter.prometheus.host",
    "service.telemetry.metrics.readers.*.pull.exporter.prometheus.port",
    "service.telemetry.metrics.readers.*.pull.exporter.prometheus.without_type_suffix",
    "service.pipelines.*.receivers.*",
    "service.pipelines.*.processors.*",
    "service.pipelines.*.exporters.*",
];

export const LOKI_KEYS = [
    "auth_enabled",
    "server.http_listen_port",
    "server.grpc_listen_port",
    "server.log_level",
    "common.instance_addr",
    "common.path_prefix",
    "common.storage.filesystem.chunks_directory",
    "common.storage.filesystem.rules_directory",
    "common.replication_factor",
    "common.ring.kvstore.store",
    "schema_config.configs.*.from",
    "schema_config.configs.*.store",
    "schema_config.configs.*.object_store",
    "schema_config.configs.*.schema",
    "schema_config.configs.*.index.prefix",
    "schema_config.configs.*.index.period",
    "limits_config.allow_structured_metadata",
    "limits_config.volume_enabled",
    "limits_config.retention_period",
    "limits_config.otlp_config.resource_attributes.ignore_defaults",
    "limits_config.otlp_config.resource_attributes.attributes_config.*.action",
    "limits_config.otlp_config.resource_attributes.attributes_config.*.attributes.*",
    "compactor.working_directory",
    "compactor.compaction_interval",
    "compactor.retention_enabled",
    "compactor.retention_delete_delay",
    "compactor.delete_request_store",
    "analytics.reporting_enabled",
];

/** Every leaf key path of a parsed YAML document, list indices written as `*`. */
export function leafPaths(value: unknown, prefix = ""): string[] {
    if (Array.isArray(value)) return value.flatMap((v) => leafPaths(v, `${prefix}.*`));
    if (value && typeof value === "object") {
        return Object.entries(value).flatMap(([k, v]) => leafPaths(v, prefix ? `${prefix}.${k}` : k));
    }
    return [prefix];
}

/** Leaf paths not covered by the documented patterns (`*` matches one path segment). */
export function undocumented(paths: string[], documented: string[]): string[] {
    const patterns = documented.map((d) => new RegExp(`^${d.split(".").map((seg) => seg.replace(/[/]/g, "\\/").replace(/\*/g, "[^.]+")).join("\\.")}$`));
    return paths.filter((p) => !patterns.some((re) => re.test(p)));
}
