/**
 * The Claude Code client settings that send telemetry to this stack.
 */
import { isAbsolute } from "node:path";
import { type PlainSettings, collectorHostForClients } from "./settings";

export type ClientSettings = Pick<
    PlainSettings,
    "bindAddress" | "collectorHost" | "otlpGrpcPort" | "otlpHttpPort" | "clientProtocol" | "clientTemporality" | "clientMetricExportIntervalMs" | "clientLogsExportIntervalMs"
>;

/** What Claude Code needs besides the settings: the receiver's token, and whether it serves TLS. */
export interface ReceiverAccess {
    /** Bearer token the receiver requires, if any. */
    token?: string;
    /** The receiver serves TLS: endpoints are https (gRPC too: the OTel exporters pick secure credentials by the scheme). */
    tls: boolean;
    /** Absolute path of the CA file clients verify the receiver with, when it is not publicly trusted. */
    caFile?: string;
}

/** OTLP endpoints as seen from the machine running Claude Code. */
export function otlpEndpoints(settings: ClientSettings, tls: boolean): { grpc: string; http: string } {
    const host = collectorHostForClients(settings);
    const scheme = tls ? "https" : "http";
    return { grpc: `${scheme}://${host}:${settings.otlpGrpcPort}`, http: `${scheme}://${host}:${settings.otlpHttpPort}` };
}

/**
 * The OTel exporters' CA variable: a file path, read relative to the process's working directory
 * (@opentelemetry/otlp-exporter-base and otlp-grpc-exporter-base 0.220.0, configuration/
 * otlp-*-env-configuration.ts: fs.readFileSync(path.resolve(process.cwd(), file))), so it must be
 * absolute: Claude Code runs in whichever project it was started in.
 */
export const CA_FILE_VARIABLE = "OTEL_EXPORTER_OTLP_CERTIFICATE";

/**
 * Environment for Claude Code, in a fixed order. Protocol, endpoint and temporality are set
 * explicitly (Claude Code's own default temporality is delta); content logging is off. With a
 * receiver token, every export carries it (gRPC metadata or HTTP header `authorization`).
 */
export function claudeCodeEnv(settings: ClientSettings, receiver: ReceiverAccess): Record<string, string> {
    const endpoints = otlpEndpoints(settings, receiver.tls);
    if (receiver.caFile !== undefined && !isAbsolute(receiver.caFile)) throw new Error(`${CA_FILE_VARIABLE} must be an absolute path, not ${receiver.caFile}`);
    return {
        CLAUDE_CODE_ENABLE_TELEMETRY: "1",
        OTEL_METRICS_EXPORTER: "otlp",
        OTEL_LOGS_EXPORTER: "otlp",
        OTEL_EXPORTER_OTLP_PROTOCOL: settings.clientProtocol,
        OTEL_EXPORTER_OTLP_ENDPOINT: settings.clientProtocol === "grpc" ? endpoints.grpc : endpoints.http,
        ...(receiver.token ? { OTEL_EXPORTER_OTLP_HEADERS: `Authorization=Bearer ${receiver.token}` } : {}),
        ...(receiver.caFile ? { [CA_FILE_VARIABLE]: receiver.caFile } : {}),
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
