/**
 * The stack's topology, each fact once: the services' names on the stack's Docker network, the
 * ports they listen on inside their containers, and the uids of the Grafana data sources that
 * dashboards, alerts and recording rules refer to.
 */

/** In-network host names (Docker network aliases) of the services. */
export const HOSTS = { collector: "otel-collector", prometheus: "prometheus", loki: "loki", grafana: "grafana" } as const;

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

export const PROMETHEUS_PORT = 9090;
export const LOKI_PORT = 3100;
export const GRAFANA_PORT = 3000;

/** Fixed data source uids: dashboards and alert rules refer to these, never to generated ids. */
/** Distinct from the uids a shared Grafana already uses (team mode provisions into one). */
export const DATASOURCE_UIDS = { prometheus: "claude-code-prometheus", loki: "claude-code-loki" } as const;
