/**
 * A minimal OTLP/gRPC client, enough for the end-to-end check (scripts/check.ts) to send what
 * Claude Code sends: one ExportMetricsServiceRequest and one ExportLogsServiceRequest, over gRPC
 * (HTTP/2, cleartext with prior knowledge for http://, TLS for https://), without dependencies.
 *
 * Protobuf field numbers are those of opentelemetry-proto (metrics/v1/metrics.proto,
 * logs/v1/logs.proto, common/v1/common.proto, resource/v1/resource.proto, collector/*_service.proto);
 * test/check.test.ts decodes both this encoder's output and the official OpenTelemetry JS
 * serializer's output with one decoder and compares them.
 *
 * gRPC over HTTP/2 (grpc/grpc PROTOCOL-HTTP2.md): POST /<service>/<method>, `content-type:
 * application/grpc`, `te: trailers`, each message prefixed by a compressed flag (0) and a 4-byte
 * big-endian length; the status comes in trailers (`grpc-status`, `grpc-message`), or in the
 * headers of a trailers-only response (what servers send for errors such as Unauthenticated).
 */
import * as http2 from "node:http2";
import type { TLSSocket } from "node:tls";

// ---------------------------------------------------------------------------------------------
// Protobuf wire format

const WIRE = { varint: 0, fixed64: 1, bytes: 2, fixed32: 5 } as const;

function varint(value: number | bigint): Buffer {
    let v = BigInt.asUintN(64, BigInt(value));
    const out: number[] = [];
    while (v >= 0x80n) {
        out.push(Number(v & 0x7fn) | 0x80);
        v >>= 7n;
    }
    out.push(Number(v));
    return Buffer.from(out);
}

const tag = (field: number, wire: number) => varint((field << 3) | wire);
const bytesField = (field: number, value: Uint8Array) => Buffer.concat([tag(field, WIRE.bytes), varint(value.length), value]);
const stringField = (field: number, value: string) => bytesField(field, Buffer.from(value, "utf8"));
const varintField = (field: number, value: number | bigint) => Buffer.concat([tag(field, WIRE.varint), varint(value)]);
function fixed64Field(field: number, value: bigint, signed = false): Buffer {
    const b = Buffer.alloc(8);
    if (signed) b.writeBigInt64LE(value);
    else b.writeBigUInt64LE(value);
    return Buffer.concat([tag(field, WIRE.fixed64), b]);
}
function doubleField(field: number, value: number): Buffer {
    const b = Buffer.alloc(8);
    b.writeDoubleLE(value);
    return Buffer.concat([tag(field, WIRE.fixed64), b]);
}

/** An attribute value: string, bool, int (bigint, or an integral number) or double. */
export type AttrValue = string | boolean | number | bigint;
export type Attributes = Record<string, AttrValue>;

/** common.v1.AnyValue: string_value 1, bool_value 2, int_value 3, double_value 4. */
function anyValue(v: AttrValue): Buffer {
    if (typeof v === "string") return stringField(1, v);
    if (typeof v === "boolean") return varintField(2, v ? 1 : 0);
    if (typeof v === "bigint") return varintField(3, v);
    return Number.isInteger(v) ? varintField(3, v) : doubleField(4, v);
}

/** repeated common.v1.KeyValue (key 1, value 2) as field `field`. */
const attributes = (field: number, attrs: Attributes) =>
    Buffer.concat(Object.entries(attrs).map(([k, v]) => bytesField(field, Buffer.concat([stringField(1, k), bytesField(2, anyValue(v))]))));

/** resource.v1.Resource: attributes 1. */
const resource = (attrs: Attributes) => attributes(1, attrs);

export interface Scope {
    name: string;
    version?: string;
}
/** common.v1.InstrumentationScope: name 1, version 2. */
const scope = (s: Scope) => Buffer.concat([stringField(1, s.name), ...(s.version ? [stringField(2, s.version)] : [])]);

export interface SumMetric {
    name: string;
    description?: string;
    unit?: string;
    monotonic: boolean;
    temporality: "delta" | "cumulative";
    point: {
        attributes: Attributes;
        startTimeUnixNano: bigint;
        timeUnixNano: bigint;
        /** bigint: as_int; number: as_double. */
        value: bigint | number;
    };
}

/**
 * collector.metrics.v1.ExportMetricsServiceRequest with one ResourceMetrics (resource 1,
 * scope_metrics 2), one ScopeMetrics (scope 1, metrics 2), one Metric (name 1, description 2,
 * unit 3, sum 7), whose Sum (data_points 1, aggregation_temporality 2, is_monotonic 3) holds one
 * NumberDataPoint (start_time_unix_nano 2, time_unix_nano 3, as_double 4, as_int 6, attributes 7).
 */
export function encodeMetricsRequest(res: Attributes, sc: Scope, m: SumMetric): Buffer {
    const p = m.point;
    const point = Buffer.concat([
        attributes(7, p.attributes),
        fixed64Field(2, p.startTimeUnixNano),
        fixed64Field(3, p.timeUnixNano),
        typeof p.value === "bigint" ? fixed64Field(6, p.value, true) : doubleField(4, p.value),
    ]);
    const sum = Buffer.concat([bytesField(1, point), varintField(2, m.temporality === "delta" ? 1 : 2), ...(m.monotonic ? [varintField(3, 1)] : [])]);
    const metric = Buffer.concat([
        stringField(1, m.name),
        ...(m.description ? [stringField(2, m.description)] : []),
        ...(m.unit ? [stringField(3, m.unit)] : []),
        bytesField(7, sum),
    ]);
    const scopeMetrics = Buffer.concat([bytesField(1, scope(sc)), bytesField(2, metric)]);
    const resourceMetrics = Buffer.concat([bytesField(1, resource(res)), bytesField(2, scopeMetrics)]);
    return bytesField(1, resourceMetrics);
}

export interface LogRecord {
    timeUnixNano: bigint;
    observedTimeUnixNano: bigint;
    severityNumber?: number;
    severityText?: string;
    body: string;
    attributes: Attributes;
}

/**
 * collector.logs.v1.ExportLogsServiceRequest with one ResourceLogs (resource 1, scope_logs 2), one
 * ScopeLogs (scope 1, log_records 2), one LogRecord (time_unix_nano 1, severity_number 2,
 * severity_text 3, body 5, attributes 6, observed_time_unix_nano 11).
 */
export function encodeLogsRequest(res: Attributes, sc: Scope, r: LogRecord): Buffer {
    const record = Buffer.concat([
        fixed64Field(1, r.timeUnixNano),
        ...(r.severityNumber ? [varintField(2, r.severityNumber)] : []),
        ...(r.severityText ? [stringField(3, r.severityText)] : []),
        bytesField(5, anyValue(r.body)),
        attributes(6, r.attributes),
        fixed64Field(11, r.observedTimeUnixNano),
    ]);
    const scopeLogs = Buffer.concat([bytesField(1, scope(sc)), bytesField(2, record)]);
    const resourceLogs = Buffer.concat([bytesField(1, resource(res)), bytesField(2, scopeLogs)]);
    return bytesField(1, resourceLogs);
}

/** One field of a protobuf message, undecoded: varint value or raw bytes (fixed64/32, length-delimited). */
export interface WireField {
    field: number;
    wire: number;
    varint?: bigint;
    bytes?: Buffer;
}

/** Splits a protobuf message into its fields (no schema needed). Throws on malformed input. */
export function readFields(buf: Uint8Array): WireField[] {
    const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
    const out: WireField[] = [];
    let pos = 0;
    const readVarint = (): bigint => {
        let result = 0n;
        for (let shift = 0n; ; shift += 7n) {
            if (pos >= b.length) throw new Error("protobuf: truncated varint");
            if (shift > 63n) throw new Error("protobuf: varint too long");
            const byte = b[pos++];
            result |= BigInt(byte & 0x7f) << shift;
            if (byte < 0x80) return result;
        }
    };
    const take = (n: number): Buffer => {
        if (pos + n > b.length) throw new Error("protobuf: truncated field");
        const s = b.subarray(pos, pos + n);
        pos += n;
        return s;
    };
    while (pos < b.length) {
        const key = readVarint();
        const field = Number(key >> 3n);
        const wire = Number(key & 7n);
        if (field === 0) throw new Error("protobuf: field number 0");
        if (wire === WIRE.varint) out.push({ field, wire, varint: readVarint() });
        else if (wire === WIRE.fixed64) out.push({ field, wire, bytes: take(8) });
        else if (wire === WIRE.bytes) out.push({ field, wire, bytes: take(Number(readVarint())) });
        else if (wire === WIRE.fixed32) out.push({ field, wire, bytes: take(4) });
        else throw new Error(`protobuf: unsupported wire type ${wire}`);
    }
    return out;
}

/**
 * Export*ServiceResponse: partial_success 1 → { rejected (rejected_data_points / rejected_log_records) 1,
 * error_message 2 }. An empty response means everything was accepted.
 */
export function decodeExportResponse(buf: Uint8Array): { rejected: bigint; errorMessage: string } {
    let rejected = 0n;
    let errorMessage = "";
    for (const f of readFields(buf)) {
        if (f.field !== 1 || !f.bytes) continue;
        for (const p of readFields(f.bytes)) {
            if (p.field === 1 && p.varint !== undefined) rejected = BigInt.asIntN(64, p.varint);
            if (p.field === 2 && p.bytes) errorMessage = p.bytes.toString("utf8");
        }
    }
    return { rejected, errorMessage };
}

// ---------------------------------------------------------------------------------------------
// gRPC over HTTP/2

export const METRICS_EXPORT_PATH = "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";
export const LOGS_EXPORT_PATH = "/opentelemetry.proto.collector.logs.v1.LogsService/Export";

/** gRPC status codes (grpc/grpc doc/statuscodes.md). */
export const GRPC_STATUS_NAMES = [
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
] as const;
export const GRPC = Object.fromEntries(GRPC_STATUS_NAMES.map((n, i) => [n, i])) as Record<(typeof GRPC_STATUS_NAMES)[number], number>;

/** A 5-byte length-prefixed gRPC message (uncompressed). */
export function grpcFrame(message: Uint8Array): Buffer {
    const header = Buffer.alloc(5);
    header.writeUInt8(0, 0);
    header.writeUInt32BE(message.length, 1);
    return Buffer.concat([header, message]);
}

/** The messages of a gRPC body; throws on a compressed or truncated message. */
export function grpcUnframe(body: Uint8Array): Buffer[] {
    const b = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    const out: Buffer[] = [];
    let pos = 0;
    while (pos < b.length) {
        if (pos + 5 > b.length) throw new Error("gRPC: truncated message header");
        const compressed = b.readUInt8(pos);
        const len = b.readUInt32BE(pos + 1);
        if (compressed !== 0) throw new Error("gRPC: compressed message (no grpc-encoding was negotiated)");
        if (pos + 5 + len > b.length) throw new Error("gRPC: truncated message");
        out.push(b.subarray(pos + 5, pos + 5 + len));
        pos += 5 + len;
    }
    return out;
}

export interface GrpcResult {
    /** HTTP status of the response (200 for every gRPC answer, errors included). */
    httpStatus: number;
    /** gRPC status code (0 = OK). */
    status: number;
    /** grpc-message, percent-decoded. */
    message: string;
    /** The response message (empty when none). */
    response: Buffer;
    /** Over TLS: until when the server's certificate is valid (as it presented it). */
    certificateValidTo?: Date;
}

/** A transport failure (no gRPC status): connection refused, timeout, not HTTP/2… `code` is Node's (ECONNREFUSED, …). */
export class GrpcTransportError extends Error {
    constructor(
        message: string,
        readonly code: string,
    ) {
        super(message);
        this.name = "GrpcTransportError";
    }
}

/** gRPC's mapping of an HTTP status without grpc-status (a proxy or a non-gRPC server answered). */
function statusFromHttp(httpStatus: number): number {
    if (httpStatus === 400) return GRPC.INTERNAL;
    if (httpStatus === 401) return GRPC.UNAUTHENTICATED;
    if (httpStatus === 403) return GRPC.PERMISSION_DENIED;
    if (httpStatus === 404) return GRPC.UNIMPLEMENTED;
    if ([429, 502, 503, 504].includes(httpStatus)) return GRPC.UNAVAILABLE;
    return GRPC.UNKNOWN;
}

function decodeGrpcMessage(v: string | string[] | undefined): string {
    const s = Array.isArray(v) ? v.join(",") : (v ?? "");
    try {
        return decodeURIComponent(s);
    } catch {
        return s;
    }
}

/** `http://host:port` (also a bare `host:port`) as an HTTP/2 authority URL. */
export function grpcUrl(endpoint: string): URL {
    return new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(endpoint) ? endpoint : `http://${endpoint}`);
}

/**
 * One unary gRPC call: sends `message` to `path` with `metadata` (lower-case keys) and returns the
 * status and response. Rejects with GrpcTransportError when no gRPC answer arrives. An https
 * endpoint is reached over TLS, verified with `ca` (PEM) when given, else Node's trusted roots.
 */
export function grpcUnary(endpoint: string, path: string, message: Uint8Array, metadata: Record<string, string> = {}, timeoutMs = 10000, ca?: string): Promise<GrpcResult> {
    const url = grpcUrl(endpoint);
    return new Promise<GrpcResult>((resolve, reject) => {
        let settled = false;
        let session: http2.ClientHttp2Session | undefined;
        const finish = (err: GrpcTransportError | undefined, result?: GrpcResult) => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            session?.close();
            session?.destroy();
            if (err) reject(err);
            else resolve(result!);
        };
        const timer = setTimeout(() => finish(new GrpcTransportError(`no answer from ${url.host} within ${timeoutMs / 1000}s`, "ETIMEDOUT")), timeoutMs);
        const transportError = (e: unknown) => {
            // A stream cancelled because its session failed carries the session's error as its cause.
            let err = e as NodeJS.ErrnoException & { cause?: unknown };
            if (err.code === "ERR_HTTP2_STREAM_CANCEL" && err.cause instanceof Error) err = err.cause as NodeJS.ErrnoException;
            const code = err.code ?? "EUNKNOWN";
            finish(new GrpcTransportError(`${err.message || code}`, code));
        };
        try {
            session = http2.connect(url.origin, ca ? { ca } : {});
        } catch (e) {
            transportError(e);
            return;
        }
        session.on("error", transportError);
        // Read at the handshake: once the session closes, the socket no longer holds the peer's certificate.
        let certificateValidTo: Date | undefined;
        session.on("connect", (_session, socket) => {
            const peer = "getPeerCertificate" in socket ? (socket as TLSSocket).getPeerCertificate() : undefined;
            if (peer?.valid_to) certificateValidTo = new Date(peer.valid_to);
        });
        const headers: http2.OutgoingHttpHeaders = {
            ...metadata,
            ":method": "POST",
            ":path": path,
            "content-type": "application/grpc",
            te: "trailers",
            "grpc-timeout": `${Math.max(1, Math.ceil(timeoutMs))}m`,
            "user-agent": "claude-code-monitoring-check grpc-node-http2/1",
        };
        const req = session.request(headers);
        let httpStatus = 0;
        let status: number | undefined;
        let grpcMessage = "";
        const chunks: Buffer[] = [];
        const takeStatus = (h: http2.IncomingHttpHeaders) => {
            const s = h["grpc-status"];
            if (s !== undefined && status === undefined) {
                status = Number(Array.isArray(s) ? s[0] : s);
                grpcMessage = decodeGrpcMessage(h["grpc-message"]);
            }
        };
        req.on("response", (h) => {
            httpStatus = Number(h[":status"]);
            takeStatus(h); // trailers-only response
        });
        req.on("trailers", takeStatus);
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("error", transportError);
        req.on("close", () => {
            if (settled) return;
            if (httpStatus === 0) {
                const code = req.rstCode !== undefined && req.rstCode !== 0 ? `HTTP2 RST_STREAM ${req.rstCode}` : "no response";
                return finish(new GrpcTransportError(`the stream closed before any response (${code})`, "ERR_HTTP2_STREAM_ERROR"));
            }
            const body = Buffer.concat(chunks);
            let response: Buffer = Buffer.alloc(0);
            try {
                response = grpcUnframe(body)[0] ?? response;
            } catch (e) {
                if (status === undefined || status === GRPC.OK) return finish(new GrpcTransportError((e as Error).message, "EPROTO"));
            }
            if (status === undefined) {
                // No grpc-status: not a gRPC server (or a proxy in between answered).
                status = httpStatus === 200 ? GRPC.UNKNOWN : statusFromHttp(httpStatus);
                grpcMessage = `HTTP ${httpStatus} without grpc-status (not a gRPC endpoint?)`;
            }
            finish(undefined, { httpStatus, status, message: grpcMessage, response, ...(certificateValidTo ? { certificateValidTo } : {}) });
        });
        req.end(grpcFrame(message));
    });
}
