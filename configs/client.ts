/**
 * The Claude Code client settings that send telemetry to this stack.
 */
import { PlainSettings, collectorHostForClients } from "./settings";

export type ClientSettings = Pick<
    PlainSettings,
    "bindAddress" | "collectorHost" | "otlpGrpcPort" | "otlpHttpPort" | "clientProtocol" | "clientTemporality" | "clientMetricExportIntervalMs" | "clientLogsExportIntervalMs"
>;

/** OTLP endpoints as seen from the machine running Claude Code. */
export function otlpEndpoints(settings: ClientSettings): { grpc: string; http: string } {
    const host = collectorHostForClients(settings);
    return { grpc: `http://${host}:${settings.otlpGrpcPort}`, http: `http://${host}:${settings.otlpHttpPort}` };
}

/**
 * Environment for Claude Code, in a fixed order. Protocol, endpoint and temporality are set
 * explicitly (Claude Code's own default temporality is delta); content logging is off. With a
 * receiver token, every export carries it (gRPC metadata or HTTP header `authorization`).
 */
export function claudeCodeEnv(settings: ClientSettings, receiverToken?: string): Record<string, string> {
    const endpoints = otlpEndpoints(settings);
    return {
        CLAUDE_CODE_ENABLE_TELEMETRY: "1",
        OTEL_METRICS_EXPORTER: "otlp",
        OTEL_LOGS_EXPORTER: "otlp",
        OTEL_EXPORTER_OTLP_PROTOCOL: settings.clientProtocol,
        OTEL_EXPORTER_OTLP_ENDPOINT: settings.clientProtocol === "grpc" ? endpoints.grpc : endpoints.http,
        ...(receiverToken ? { OTEL_EXPORTER_OTLP_HEADERS: `Authorization=Bearer ${receiverToken}` } : {}),
        OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: settings.clientTemporality,
        OTEL_METRIC_EXPORT_INTERVAL: String(settings.clientMetricExportIntervalMs),
        OTEL_LOGS_EXPORT_INTERVAL: String(settings.clientLogsExportIntervalMs),
        OTEL_LOG_USER_PROMPTS: "0",
        OTEL_LOG_ASSISTANT_RESPONSES: "0",
        OTEL_LOG_TOOL_DETAILS: "0",
    };
}

/** A POSIX shell block to paste into a shell profile (values single-quoted: the header has a space). */
export function claudeCodeShellExports(env: Record<string, string>): string {
    return Object.entries(env)
        .map(([key, value]) => `export ${key}='${value.replace(/'/g, `'\\''`)}'`)
        .join("\n");
}

/** The `env` block for ~/.claude/settings.json (a repository's .claude/settings.json cannot enable telemetry). */
export function claudeCodeSettingsJson(env: Record<string, string>): string {
    return JSON.stringify({ env }, null, 2);
}
