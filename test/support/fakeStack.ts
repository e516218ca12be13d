/**
 * A fake running stack on loopback, for test/scripts.check.test.ts: every endpoint scripts/check.ts talks to,
 * with the real APIs' shapes, wired like the real pipeline.
 *
 * - Collector: an OTLP/gRPC server on node:http2 (h2c) that checks the gRPC framing, decodes the
 *   protobuf (protobufjs, with the opentelemetry-proto schema below), optionally demands
 *   a bearer token (trailers-only UNAUTHENTICATED, as grpc-go does), then "exports": metrics into an
 *   exporter that Prometheus scrapes (names translated by harness/promNames.ts, as the
 *   collector's prometheus exporter does), events pushed over HTTP to Loki.
 * - Prometheus: `/api/v1/query` for plain selectors (Prometheus's Lezer grammar); each query scrapes the collector's exporter first.
 * - Loki: the collector's push, `/loki/api/v1/query_range` (LogQL parsed with Grafana's Lezer
 *   grammar), index labels from LOKI_INDEX_LABELS and every other attribute as structured metadata.
 * - Grafana: `/api/health`, data source health (a real probe of the fake backend), folders,
 *   dashboards, the Prometheus-compatible rules API, and the data source proxy to both backends.
 */
import { parser as logqlParser } from "@grafana/lezer-logql";
import type { SyntaxNode } from "@lezer/common";
import { parser as promqlParser } from "@prometheus-io/lezer-promql";
import { once } from "node:events";
import * as http from "node:http";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import protobuf from "protobufjs";
import { alertGroups } from "../../configs/alerts";
import { type CheckTargets, checkTargets } from "../../configs/checkTargets";
import { FOLDER, allDashboards } from "../../configs/dashboards";
import { LOKI_INDEX_LABELS } from "../../configs/loki";
import { CLAUDE_CODE_SCRAPE_JOB } from "../../configs/prometheus";
import { grafanaRecordingGroups, incrementRuleGroups } from "../../configs/rules";
import { DEFAULTS } from "../../configs/settings";
import { LOGS_EXPORT_PATH, METRICS_EXPORT_PATH } from "../../scripts/otlp";
import { ALERT_SETTINGS } from "../../harness/queries";
import { type MatchOp, matcherMatches, promqlSyntaxErrors, unquote } from "./queryLint";
import { prometheusLabelName, prometheusMetricName } from "../../harness/promNames";
import { DATASOURCE_UIDS } from "../../configs/topology";

// ---------------------------------------------------------------------------------------------
// OTLP protobuf decoding

/**
 * The part of opentelemetry-proto the fake collector reads (common/v1/common.proto,
 * resource/v1/resource.proto, metrics/v1/metrics.proto, logs/v1/logs.proto,
 * collector/*_service.proto), as a protobufjs schema: @opentelemetry/otlp-transformer 0.220.0
 * serializes requests but decodes only responses. Metric kinds other than sum are kept as bytes:
 * the fake only names them.
 */
const OTLP = protobuf.parse(`
syntax = "proto3";
message AnyValue { oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4; ArrayValue array_value = 5; bytes kvlist_value = 6; bytes bytes_value = 7; } }
message ArrayValue { repeated AnyValue values = 1; }
message KeyValue { string key = 1; AnyValue value = 2; }
message InstrumentationScope { string name = 1; string version = 2; }
message Resource { repeated KeyValue attributes = 1; }
message NumberDataPoint { repeated KeyValue attributes = 7; fixed64 start_time_unix_nano = 2; fixed64 time_unix_nano = 3; oneof value { double as_double = 4; sfixed64 as_int = 6; } }
message Sum { repeated NumberDataPoint data_points = 1; int32 aggregation_temporality = 2; bool is_monotonic = 3; }
message Metric { string name = 1; string description = 2; string unit = 3; oneof data { bytes gauge = 5; Sum sum = 7; bytes histogram = 9; bytes exponential_histogram = 10; bytes summary = 11; } }
message ScopeMetrics { InstrumentationScope scope = 1; repeated Metric metrics = 2; }
message ResourceMetrics { Resource resource = 1; repeated ScopeMetrics scope_metrics = 2; }
message ExportMetricsServiceRequest { repeated ResourceMetrics resource_metrics = 1; }
message LogRecord { fixed64 time_unix_nano = 1; fixed64 observed_time_unix_nano = 11; int32 severity_number = 2; string severity_text = 3; AnyValue body = 5; repeated KeyValue attributes = 6; }
message ScopeLogs { InstrumentationScope scope = 1; repeated LogRecord log_records = 2; }
message ResourceLogs { Resource resource = 1; repeated ScopeLogs scope_logs = 2; }
message ExportLogsServiceRequest { repeated ResourceLogs resource_logs = 1; }
`, { keepCase: true }).root;

/** A message as plain data: 64-bit integers as decimal strings (read back as bigint), enums as numbers, oneofs named, defaults filled. */
const decode = (type: string, buf: Uint8Array): any => {
    const t = OTLP.lookupType(type);
    return t.toObject(t.decode(buf), { longs: String, enums: Number, defaults: true, oneofs: true });
};

export type Value = string | boolean | bigint | number | Value[] | undefined;
export type Attrs = Record<string, Value>;

/** common.v1.AnyValue; kvlist and bytes values are not decoded. */
function anyValue(v: any): Value {
    if (v?.value === "string_value") return v.string_value;
    if (v?.value === "bool_value") return v.bool_value;
    if (v?.value === "int_value") return BigInt(v.int_value);
    if (v?.value === "double_value") return v.double_value;
    if (v?.value === "array_value") return v.array_value.values.map(anyValue);
    return undefined;
}

const attrsOf = (kvs: any[]): Attrs => Object.fromEntries(kvs.map((kv) => [kv.key, anyValue(kv.value)]));

export interface Scope {
    name: string;
    version: string;
}
const scopeOf = (s: any): Scope => ({ name: s?.name ?? "", version: s?.version ?? "" });

export interface NumberPoint {
    attributes: Attrs;
    startTimeUnixNano: bigint;
    timeUnixNano: bigint;
    asInt?: bigint;
    asDouble?: number;
}
export interface DecodedMetric {
    name: string;
    description: string;
    unit: string;
    /** Only sums are decoded; anything else is named here. */
    kind: "sum" | "gauge" | "histogram" | "exponential_histogram" | "summary";
    temporality?: "delta" | "cumulative" | "unspecified";
    monotonic?: boolean;
    points: NumberPoint[];
}
export interface DecodedMetrics {
    resourceMetrics: { resource: Attrs; scopeMetrics: { scope: Scope; metrics: DecodedMetric[] }[] }[];
}

const TEMPORALITIES: Record<number, DecodedMetric["temporality"]> = { 1: "delta", 2: "cumulative" };

function metricOf(m: any): DecodedMetric {
    const out: DecodedMetric = { name: m.name, description: m.description, unit: m.unit, kind: m.data ?? "gauge", points: [] };
    if (out.kind !== "sum") return out;
    out.temporality = TEMPORALITIES[m.sum.aggregation_temporality] ?? "unspecified";
    out.monotonic = m.sum.is_monotonic;
    out.points = m.sum.data_points.map((p: any) => ({
        attributes: attrsOf(p.attributes),
        startTimeUnixNano: BigInt(p.start_time_unix_nano),
        timeUnixNano: BigInt(p.time_unix_nano),
        ...(p.value === "as_int" ? { asInt: BigInt(p.as_int) } : p.value === "as_double" ? { asDouble: p.as_double } : {}),
    }));
    return out;
}

/** collector.metrics.v1.ExportMetricsServiceRequest. */
export function decodeMetricsRequest(buf: Uint8Array): DecodedMetrics {
    return {
        resourceMetrics: decode("ExportMetricsServiceRequest", buf).resource_metrics.map((rm: any) => ({
            resource: attrsOf(rm.resource?.attributes ?? []),
            scopeMetrics: rm.scope_metrics.map((sm: any) => ({ scope: scopeOf(sm.scope), metrics: sm.metrics.map(metricOf) })),
        })),
    };
}

export interface DecodedLogRecord {
    timeUnixNano: bigint;
    observedTimeUnixNano: bigint;
    severityNumber: number;
    severityText: string;
    body: Value;
    attributes: Attrs;
}
export interface DecodedLogs {
    resourceLogs: { resource: Attrs; scopeLogs: { scope: Scope; records: DecodedLogRecord[] }[] }[];
}

/** collector.logs.v1.ExportLogsServiceRequest. */
export function decodeLogsRequest(buf: Uint8Array): DecodedLogs {
    return {
        resourceLogs: decode("ExportLogsServiceRequest", buf).resource_logs.map((rl: any) => ({
            resource: attrsOf(rl.resource?.attributes ?? []),
            scopeLogs: rl.scope_logs.map((sl: any) => ({
                scope: scopeOf(sl.scope),
                records: sl.log_records.map((r: any) => ({
                    timeUnixNano: BigInt(r.time_unix_nano),
                    observedTimeUnixNano: BigInt(r.observed_time_unix_nano),
                    severityNumber: r.severity_number,
                    severityText: r.severity_text,
                    body: anyValue(r.body),
                    attributes: attrsOf(r.attributes),
                })),
            })),
        })),
    };
}

// ---------------------------------------------------------------------------------------------
// Helpers

const listen = async (server: http.Server | http2.Http2Server): Promise<number> => {
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    return (server.address() as AddressInfo).port;
};

/** A loopback port nothing listens on (connection refused). */
export async function refusedPort(): Promise<number> {
    const s = http.createServer();
    const port = await listen(s);
    await new Promise<void>((r) => s.close(() => r()));
    return port;
}

const json = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
};

const readBody = async (req: http.IncomingMessage | http2.ServerHttp2Stream): Promise<Buffer> => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
};

const text = (v: Value): string => (typeof v === "bigint" || typeof v === "number" || typeof v === "boolean" ? String(v) : typeof v === "string" ? v : JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? String(x) : x)));

// ---------------------------------------------------------------------------------------------
// The fake stack

export interface ReceivedGrpc {
    path: string;
    headers: http2.IncomingHttpHeaders;
    /** The 5-byte prefix: compressed flag and declared length, and the bytes that followed. */
    compressedFlag: number;
    declaredLength: number;
    bodyLength: number;
    metrics?: DecodedMetrics;
    logs?: DecodedLogs;
}

export interface PromSeries {
    labels: Record<string, string>;
    value: string;
    /** When the collector exported it (ms). */
    at?: number;
}

export interface LokiEntry {
    stream: Record<string, string>;
    metadata: Record<string, string>;
    tsNs: bigint;
    line: string;
}

export interface FakeRule {
    name: string;
    health: "ok" | "error" | "nodata";
    state?: string;
    lastError?: string;
}
export interface FakeRuleGroup {
    name: string;
    folderUid: string;
    rules: FakeRule[];
}

export interface FakeStackOptions {
    /** The collector's receiver demands `authorization: Bearer <token>`; targets carry `targetToken` (default: the same). */
    token?: string;
    targetToken?: string;
    /** The collector (OTLP and health) is not running: its ports refuse connections. */
    collectorDown?: boolean;
    /** The collector accepts metrics but its pipeline drops them (nothing reaches the exporter). */
    dropMetrics?: boolean;
    /** How Prometheus sees the exporter: scraped (default), down (up = 0), or no scrape job at all. */
    scrape?: "up" | "down" | "absent";
    /** Prometheus sees an exported series only this long after the export (the scrape interval). */
    scrapeDelayMs?: number;
    /** The scrape job keeps the exporter's job label (default true), else job becomes exported_job. */
    honorLabels?: boolean;
    /** Loki is not running (connection refused; the collector's pushes fail). */
    lokiDown?: boolean;
    /** Team mode: no prometheusUrl / lokiUrl in the targets (queries go through Grafana), recording groups in Grafana. */
    teamMode?: boolean;
    /** Data source uid → the error message its health check reports. */
    unhealthyDataSources?: Record<string, string>;
    /** Changes the recording rule groups Prometheus reports (default: incrementRuleGroups(), all healthy). */
    prometheusRules?: (groups: { name: string; rules: { name: string; health: string; lastError?: string }[] }[]) => { name: string; rules: { name: string; health: string; lastError?: string }[] }[];
    /** Dashboards of the targets that Grafana does not have. */
    missingDashboards?: string[];
    /** Changes the rule groups Grafana reports (default: every expected group, every rule healthy). */
    ruleGroups?: (groups: FakeRuleGroup[]) => FakeRuleGroup[];
    /** Grafana's rules API returns this many groups per page, with a nextToken (default: all at once). */
    rulesPageSize?: number;
    /** The version Grafana's /api/health reports (default 13.0.1, the stack's pin). */
    grafanaVersion?: string;
}

export interface FakeStack {
    targets: CheckTargets;
    /** Every gRPC request the collector received. */
    grpc: ReceivedGrpc[];
    /** What the collector's prometheus exporter holds. */
    exporter: PromSeries[];
    /** What Loki stored. */
    loki: LokiEntry[];
    /** Queries Prometheus and Loki answered (path and query string), and through which door. */
    prometheusQueries: { query: string; viaProxy: boolean }[];
    lokiQueries: { query: string; params: URLSearchParams; viaProxy: boolean }[];
    /** Grafana API requests with the Authorization header they carried. */
    grafanaRequests: { path: string; authorization?: string }[];
    close(): Promise<void>;
}

export const GRAFANA_AUTH = "admin:fake-password";

export async function startFakeStack(opts: FakeStackOptions = {}): Promise<FakeStack> {
    const grpc: ReceivedGrpc[] = [];
    const exporter: PromSeries[] = [];
    const lokiEntries: LokiEntry[] = [];
    const prometheusQueries: FakeStack["prometheusQueries"] = [];
    const lokiQueries: FakeStack["lokiQueries"] = [];
    const grafanaRequests: FakeStack["grafanaRequests"] = [];
    const closers: (() => Promise<void>)[] = [];
    const httpServer = async (handler: http.RequestListener): Promise<number> => {
        const s = http.createServer(handler);
        const port = await listen(s);
        closers.push(
            () =>
                new Promise<void>((r) => {
                    s.closeAllConnections();
                    s.close(() => r());
                }),
        );
        return port;
    };

    // --- Loki
    const lokiHandler: http.RequestListener = async (req, res) => {
        const url = new URL(req.url!, "http://loki");
        const viaProxy = req.headers["x-fake-grafana-proxy"] === "1";
        if (req.method === "GET" && url.pathname === "/ready") return void res.end("ready\n");
        if (req.method === "POST" && url.pathname === "/otlp/v1/logs") {
            const pushed = JSON.parse((await readBody(req)).toString()) as { resource: Record<string, string>; scope: Scope; records: { tsNs: string; line: string; attributes: Record<string, string> }[] }[];
            const index = new Set<string>(LOKI_INDEX_LABELS);
            for (const p of pushed) {
                const stream = Object.fromEntries(Object.entries(p.resource).filter(([k]) => index.has(k)).map(([k, v]) => [prometheusLabelName(k), v]));
                const resourceMeta = Object.fromEntries(Object.entries(p.resource).filter(([k]) => !index.has(k)).map(([k, v]) => [prometheusLabelName(k), v]));
                for (const r of p.records) {
                    const metadata = { ...resourceMeta, scope_name: p.scope.name, scope_version: p.scope.version, ...Object.fromEntries(Object.entries(r.attributes).map(([k, v]) => [prometheusLabelName(k), v])) };
                    lokiEntries.push({ stream, metadata, tsNs: BigInt(r.tsNs), line: r.line });
                }
            }
            res.writeHead(204);
            return void res.end();
        }
        if (req.method === "GET" && url.pathname === "/loki/api/v1/query_range") {
            const q = url.searchParams.get("query") ?? "";
            lokiQueries.push({ query: q, params: url.searchParams, viaProxy });
            const start = url.searchParams.get("start");
            const end = url.searchParams.get("end");
            if (!start || !end || !/^\d+$/.test(start) || !/^\d+$/.test(end)) return json(res, 400, { status: "error", error: "start and end must be nanosecond timestamps" });
            const parsed = parseLogQL(q);
            if (!parsed) return json(res, 400, { status: "error", errorType: "bad_data", error: `parse error: ${q}` });
            const hits = lokiEntries.filter(
                (e) =>
                    e.tsNs >= BigInt(start) &&
                    e.tsNs <= BigInt(end) &&
                    parsed.selector.every((m) => matcherMatches(m.op, m.value, e.stream[m.label] ?? "")) &&
                    parsed.filters.every((m) => matcherMatches(m.op, m.value, e.metadata[m.label] ?? e.stream[m.label] ?? "")),
            );
            const streams = new Map<string, { stream: Record<string, string>; values: [string, string][] }>();
            for (const e of hits) {
                // Loki 3 merges structured metadata into the stream labels of a query's result.
                const labels = { ...e.stream, ...e.metadata };
                const key = JSON.stringify(labels);
                if (!streams.has(key)) streams.set(key, { stream: labels, values: [] });
                streams.get(key)!.values.push([String(e.tsNs), e.line]);
            }
            return json(res, 200, { status: "success", data: { resultType: "streams", result: [...streams.values()], stats: {} } });
        }
        json(res, 404, { status: "error", error: `no route ${req.method} ${url.pathname}` });
    };
    const lokiPort = opts.lokiDown ? await refusedPort() : await httpServer(lokiHandler);
    const lokiUrl = `http://127.0.0.1:${lokiPort}`;

    // --- Prometheus
    const scrapeState = opts.scrape ?? "up";
    const prometheusHandler: http.RequestListener = async (req, res) => {
        const url = new URL(req.url!, "http://prometheus");
        const viaProxy = req.headers["x-fake-grafana-proxy"] === "1";
        if (url.pathname === "/-/ready") return void res.end("Prometheus Server is Ready.\n");
        if (url.pathname === "/api/v1/rules") {
            const loaded = incrementRuleGroups().map((g) => ({ name: g.name, rules: g.rules.map((r) => ({ name: "record" in r ? r.record : r.alert, health: "ok" })) }));
            const groups = (opts.prometheusRules ? opts.prometheusRules(loaded) : loaded).map((g) => ({
                name: g.name,
                file: "/etc/prometheus/rules/claude-code.yml",
                interval: 60,
                rules: g.rules.map((r) => ({ ...r, type: "recording", query: "…", labels: {}, evaluationTime: 0.001, lastEvaluation: new Date().toISOString() })),
            }));
            return json(res, 200, { status: "success", data: { groups } });
        }
        if (url.pathname !== "/api/v1/query") return json(res, 404, { status: "error", error: "not found" });
        const params = req.method === "POST" ? new URLSearchParams((await readBody(req)).toString()) : url.searchParams;
        const q = params.get("query") ?? "";
        prometheusQueries.push({ query: q, viaProxy });
        // Grafana's data source health check.
        if (q === "1+1") return json(res, 200, { status: "success", data: { resultType: "scalar", result: [Date.now() / 1000, "2"] } });
        const sel = parseSelector(q);
        if (!sel) return json(res, 400, { status: "error", errorType: "bad_data", error: `1:1: parse error: unexpected ${JSON.stringify(q)}` });
        // The scrape: the exporter's series with the target's instance (and job, unless honor_labels keeps the exporter's).
        const instance = "otel-collector:8889";
        const series: PromSeries[] = [];
        if (scrapeState !== "absent") series.push({ labels: { __name__: "up", job: CLAUDE_CODE_SCRAPE_JOB, instance }, value: scrapeState === "up" ? "1" : "0" });
        if (scrapeState === "up") {
            for (const s of exporter.filter((x) => Date.now() - (x.at ?? 0) >= (opts.scrapeDelayMs ?? 0))) {
                const labels: Record<string, string> = { instance, ...s.labels };
                if (opts.honorLabels === false) {
                    labels.exported_job = labels.job;
                    labels.job = CLAUDE_CODE_SCRAPE_JOB;
                }
                series.push({ labels, value: s.value });
            }
        }
        const now = Date.now() / 1000;
        const result = series.filter((s) => sel.every((m) => matcherMatches(m.op, m.value, s.labels[m.label] ?? ""))).map((s) => ({ metric: s.labels, value: [now, s.value] }));
        json(res, 200, { status: "success", data: { resultType: "vector", result } });
    };
    const prometheusPort = await httpServer(prometheusHandler);
    const prometheusUrl = `http://127.0.0.1:${prometheusPort}`;

    // --- Collector
    let otlpPort: number;
    let healthPort: number;
    if (opts.collectorDown) {
        otlpPort = await refusedPort();
        healthPort = await refusedPort();
    } else {
        healthPort = await httpServer((_req, res) => json(res, 200, { status: "Server available", upSince: new Date().toISOString(), uptime: "1m" }));
        const server = http2.createServer();
        const sessions = new Set<http2.ServerHttp2Session>();
        server.on("session", (s) => {
            sessions.add(s);
            s.on("close", () => sessions.delete(s));
        });
        server.on("stream", async (stream, headers) => {
            const body = await readBody(stream);
            const path = String(headers[":path"]);
            const rec: ReceivedGrpc = {
                path,
                headers,
                compressedFlag: body.length >= 5 ? body.readUInt8(0) : -1,
                declaredLength: body.length >= 5 ? body.readUInt32BE(1) : -1,
                bodyLength: body.length - 5,
            };
            grpc.push(rec);
            const trailersOnly = (status: number, message: string) =>
                stream.respond({ ":status": 200, "content-type": "application/grpc", "grpc-status": String(status), "grpc-message": encodeURIComponent(message) }, { endStream: true });
            if (headers["content-type"] !== "application/grpc") {
                stream.respond({ ":status": 415 }, { endStream: true });
                return;
            }
            if (opts.token !== undefined && headers.authorization !== `Bearer ${opts.token}`) return trailersOnly(16, "invalid token");
            if (rec.compressedFlag !== 0 || rec.declaredLength !== rec.bodyLength) return trailersOnly(13, "grpc: malformed message prefix");
            const message = body.subarray(5);
            try {
                if (path === METRICS_EXPORT_PATH) {
                    rec.metrics = decodeMetricsRequest(message);
                    if (!opts.dropMetrics) exportMetrics(rec.metrics);
                } else if (path === LOGS_EXPORT_PATH) {
                    rec.logs = decodeLogsRequest(message);
                    // The exporter pushes in the background; a failure (Loki down) loses the records after retries.
                    void pushLogs(rec.logs).catch(() => undefined);
                } else return trailersOnly(12, `unknown service ${path.split("/")[1]}`);
            } catch (e) {
                return trailersOnly(13, `grpc: error unmarshalling request: ${(e as Error).message}`);
            }
            stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
            stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
            // An empty Export*ServiceResponse: everything accepted.
            stream.end(Buffer.from([0, 0, 0, 0, 0]));
        });
        otlpPort = await listen(server);
        closers.push(
            () =>
                new Promise<void>((r) => {
                    for (const s of sessions) s.destroy();
                    server.close(() => r());
                }),
        );
    }

    /** The prometheus exporter: monotonic sums become `<translated name>` series with job = service.name and the otel_scope_* labels. */
    function exportMetrics(req: DecodedMetrics) {
        for (const rm of req.resourceMetrics) {
            const job = [rm.resource["service.namespace"], rm.resource["service.name"]].filter((x) => x !== undefined).map(text).join("/");
            for (const sm of rm.scopeMetrics) {
                for (const m of sm.metrics) {
                    if (m.kind !== "sum" || !m.monotonic || m.temporality !== "cumulative") continue;
                    for (const p of m.points) {
                        const labels: Record<string, string> = {
                            __name__: prometheusMetricName(m.name, m.unit, "monotonic_sum"),
                            job,
                            otel_scope_name: sm.scope.name,
                            otel_scope_version: sm.scope.version,
                            ...Object.fromEntries(Object.entries(p.attributes).map(([k, v]) => [prometheusLabelName(k), text(v)])),
                        };
                        exporter.push({ labels, value: String(p.asInt ?? p.asDouble), at: Date.now() });
                    }
                }
            }
        }
    }

    async function pushLogs(req: DecodedLogs) {
        const body = req.resourceLogs.flatMap((rl) =>
            rl.scopeLogs.map((sl) => ({
                resource: Object.fromEntries(Object.entries(rl.resource).map(([k, v]) => [k, text(v)])),
                scope: sl.scope,
                records: sl.records.map((r) => ({ tsNs: String(r.timeUnixNano || r.observedTimeUnixNano), line: text(r.body), attributes: Object.fromEntries(Object.entries(r.attributes).map(([k, v]) => [k, text(v)])) })),
            })),
        );
        const res = await fetch(`${lokiUrl}/otlp/v1/logs`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
        if (!res.ok) throw new Error(`Loki answered ${res.status}`);
    }

    // --- Targets: built by the stack's own builder, from the real dashboards and rule groups
    const groups = [...alertGroups(ALERT_SETTINGS), ...(opts.teamMode ? grafanaRecordingGroups(DEFAULTS) : [])];
    let grafanaPort = 0;
    const targets = (): CheckTargets =>
        checkTargets({
            otlpGrpcEndpoint: `http://127.0.0.1:${otlpPort}`,
            receiverToken: opts.targetToken ?? opts.token,
            collectorHealthUrl: `http://127.0.0.1:${healthPort}/`,
            ...(opts.teamMode ? {} : { prometheusUrl, lokiUrl }),
            grafanaUrl: `http://127.0.0.1:${grafanaPort}`,
            grafanaAuth: GRAFANA_AUTH,
            dashboards: allDashboards(DEFAULTS.teamLabel),
            ruleGroups: groups,
        });

    // --- Grafana
    const expectedAuth = `Basic ${Buffer.from(GRAFANA_AUTH).toString("base64")}`;
    const backends: Record<string, string> = { [DATASOURCE_UIDS.prometheus]: prometheusUrl, [DATASOURCE_UIDS.loki]: lokiUrl };
    let ruleGroups: FakeRuleGroup[] = [];
    const grafanaHandler: http.RequestListener = async (req, res) => {
        const url = new URL(req.url!, "http://grafana");
        const p = url.pathname;
        grafanaRequests.push({ path: `${p}${url.search}`, authorization: req.headers.authorization });
        if (p === "/api/health") return json(res, 200, { commit: "fake", database: "ok", version: opts.grafanaVersion ?? DEFAULTS.grafanaImage.split(":")[1] });
        if (req.headers.authorization !== expectedAuth) return json(res, 401, { message: "Unauthorized" });
        const health = /^\/api\/datasources\/uid\/([^/]+)\/health$/.exec(p);
        if (health) {
            const uid = decodeURIComponent(health[1]);
            if (!(uid in backends)) return json(res, 404, { message: "Data source not found" });
            if (opts.unhealthyDataSources?.[uid]) return json(res, 400, { status: "ERROR", message: opts.unhealthyDataSources[uid] });
            // Like Grafana's plugins: a real request to the backend.
            const probe = uid === DATASOURCE_UIDS.prometheus ? "/api/v1/query?query=1%2B1" : "/ready";
            try {
                const r = await fetch(`${backends[uid]}${probe}`);
                if (r.ok) return json(res, 200, { status: "OK", message: uid === DATASOURCE_UIDS.prometheus ? "Successfully queried the Prometheus API." : "Data source successfully connected." });
                return json(res, 400, { status: "ERROR", message: `backend answered ${r.status}` });
            } catch (e) {
                return json(res, 400, { status: "ERROR", message: `Post "${backends[uid]}${probe}": dial tcp: connect: connection refused (${(e as Error).message})` });
            }
        }
        const folder = /^\/api\/folders\/([^/]+)$/.exec(p);
        if (folder) {
            if (decodeURIComponent(folder[1]) === FOLDER.uid) return json(res, 200, { uid: FOLDER.uid, title: FOLDER.title, id: 1 });
            return json(res, 404, { message: "folder not found", status: "not-found" });
        }
        const dashboard = /^\/api\/dashboards\/uid\/([^/]+)$/.exec(p);
        if (dashboard) {
            const uid = decodeURIComponent(dashboard[1]);
            const d = allDashboards(DEFAULTS.teamLabel).find((x) => x.uid === uid);
            if (!d || opts.missingDashboards?.includes(uid)) return json(res, 404, { message: "Dashboard not found" });
            return json(res, 200, { dashboard: { uid: d.uid, title: d.title }, meta: { folderUid: FOLDER.uid, folderTitle: FOLDER.title, slug: d.uid } });
        }
        if (p === "/api/prometheus/grafana/api/v1/rules") {
            const folder = url.searchParams.get("folder_uid");
            const all = ruleGroups.filter((g) => !folder || g.folderUid === folder);
            const size = opts.rulesPageSize ?? all.length;
            const start = Number(url.searchParams.get("group_next_token") ?? "0");
            const page = all.slice(start, start + size);
            const nextToken = start + size < all.length ? String(start + size) : "";
            return json(res, 200, {
                status: "success",
                data: {
                    groups: page.map((g) => ({
                        name: g.name,
                        file: FOLDER.title,
                        folderUid: g.folderUid,
                        interval: 60,
                        lastEvaluation: new Date().toISOString(),
                        evaluationTime: 0.01,
                        totals: {},
                        rules: g.rules.map((r) => ({
                            state: r.state ?? "inactive",
                            name: r.name,
                            query: "…",
                            health: r.health,
                            ...(r.lastError ? { lastError: r.lastError } : {}),
                            type: "alerting",
                            labels: {},
                            annotations: {},
                            alerts: [],
                            totals: {},
                            lastEvaluation: new Date().toISOString(),
                            evaluationTime: 0.01,
                        })),
                    })),
                    ...(nextToken ? { nextToken } : {}),
                },
            });
        }
        const proxied = /^\/api\/datasources\/proxy\/uid\/([^/]+)(\/.*)$/.exec(p);
        if (proxied) {
            const backend = backends[decodeURIComponent(proxied[1])];
            if (!backend) return json(res, 404, { message: "Unable to find datasource" });
            // Grafana's proxy lets only GETs through to a Prometheus data source (pkg/api/pluginproxy/ds_proxy.go).
            if (decodeURIComponent(proxied[1]) === DATASOURCE_UIDS.prometheus && req.method !== "GET") return json(res, 403, { message: `non allow-listed ${req.method}s not allowed on proxied Prometheus datasource` });
            try {
                const r = await fetch(`${backend}${proxied[2]}${url.search}`, { headers: { "x-fake-grafana-proxy": "1" } });
                res.writeHead(r.status, { "content-type": r.headers.get("content-type") ?? "application/json" });
                return void res.end(await r.text());
            } catch {
                return json(res, 502, { message: "Bad Gateway" });
            }
        }
        json(res, 404, { message: "Not found" });
    };
    grafanaPort = await httpServer(grafanaHandler);
    const t = targets();
    const defaultGroups: FakeRuleGroup[] = groups.map((g) => ({ name: g.name, folderUid: FOLDER.uid, rules: g.rules.map((r) => ({ name: (r as { name: string }).name, health: "ok" as const })) }));
    ruleGroups = opts.ruleGroups ? opts.ruleGroups(defaultGroups) : defaultGroups;

    return {
        targets: t,
        grpc,
        exporter,
        loki: lokiEntries,
        prometheusQueries,
        lokiQueries,
        grafanaRequests,
        close: async () => {
            await Promise.all(closers.map((c) => c()));
        },
    };
}

// ---------------------------------------------------------------------------------------------
// Query parsing for the fakes

type Matcher = { label: string; op: MatchOp; value: string };

const PROM_OPS: Record<string, MatchOp> = { EqlSingle: "=", Neq: "!=", EqlRegex: "=~", NeqRegex: "!~" };

/** `name{a="b", c=~"d"}`: a plain PromQL vector selector (Prometheus's Lezer grammar), the only thing the check asks Prometheus; undefined otherwise. */
function parseSelector(q: string): Matcher[] | undefined {
    const sel = promqlParser.parse(q).topNode.firstChild;
    if (promqlSyntaxErrors(q).length > 0 || sel?.name !== "VectorSelector" || sel.nextSibling) return undefined;
    const text = (n: SyntaxNode) => q.slice(n.from, n.to);
    const name = sel.getChild("Identifier");
    const out: Matcher[] = name ? [{ label: "__name__", op: "=", value: text(name) }] : [];
    for (let m = sel.getChild("LabelMatchers")?.firstChild; m; m = m.nextSibling) {
        const label = m.getChild("LabelName") ?? m.getChild("QuotedLabelName")?.firstChild;
        if (!label) return undefined; // a quoted metric name (`{"name"}`): the check sends none
        out.push({ label: label.name === "LabelName" ? text(label) : unquote(text(label)), op: PROM_OPS[m.getChild("MatchOp")!.firstChild!.name], value: unquote(text(m.getChild("StringLiteral")!)) });
    }
    return out;
}

const LOGQL_OPS: Record<string, MatchOp> = { Eq: "=", Neq: "!=", Re: "=~", Nre: "!~" };

/** A log query: stream selector and label-filter matchers (Grafana's LogQL grammar); undefined on a syntax error. */
function parseLogQL(q: string): { selector: Matcher[]; filters: Matcher[] } | undefined {
    const tree = logqlParser.parse(q);
    let bad = false;
    const selector: Matcher[] = [];
    const filters: Matcher[] = [];
    const matcherOf = (n: SyntaxNode): Matcher => ({
        label: q.slice(n.getChild("Identifier")!.from, n.getChild("Identifier")!.to),
        op: LOGQL_OPS[n.getChild("Identifier")!.nextSibling!.name],
        value: unquote(q.slice(n.getChild("String")!.from, n.getChild("String")!.to)),
    });
    tree.iterate({
        enter: (n) => {
            if (n.type.isError) bad = true;
            if (n.name === "Matcher") {
                let inSelector = false;
                for (let p = n.node.parent; p; p = p.parent) if (p.name === "Selector") inSelector = true;
                (inSelector ? selector : filters).push(matcherOf(n.node));
                return false;
            }
            return undefined;
        },
    });
    return bad || selector.length === 0 ? undefined : { selector, filters };
}
