/**
 * Sends recorded OTLP/JSON export bodies (test/fixtures, exactly as Claude Code sent them) to a
 * collector over OTLP/HTTP (the JSON body as is) or OTLP/gRPC (the same content encoded by the
 * OpenTelemetry JS protobuf serializers and sent with @grpc/grpc-js). The only hand-written part is
 * the mapping from OTLP/JSON to the serializers' input shapes: no library reads OTLP/JSON back.
 */
import * as grpc from "@grpc/grpc-js";
import { ValueType } from "@opentelemetry/api";
import { ProtobufLogsSerializer, ProtobufMetricsSerializer } from "@opentelemetry/otlp-transformer";
import { AggregationTemporality, DataPointType } from "@opentelemetry/sdk-metrics";

type Json = any;
type HrTime = [number, number];

const hrTime = (nanos: string | number | undefined): HrTime => {
    const n = BigInt(nanos ?? 0);
    return [Number(n / 1_000_000_000n), Number(n % 1_000_000_000n)];
};

/** common.v1.AnyValue in OTLP/JSON → the JS value the serializers write back. */
function anyValue(v: Json): unknown {
    if (v === undefined || v === null) return undefined;
    if ("stringValue" in v) return v.stringValue;
    if ("boolValue" in v) return v.boolValue;
    if ("intValue" in v) return Number(v.intValue);
    if ("doubleValue" in v) return v.doubleValue;
    if ("arrayValue" in v) return (v.arrayValue.values ?? []).map(anyValue);
    if ("kvlistValue" in v) return attributes(v.kvlistValue.values);
    throw new Error(`unsupported AnyValue ${JSON.stringify(v)}`);
}

const attributes = (kvs: Json[] | undefined): Record<string, unknown> => Object.fromEntries((kvs ?? []).map((kv) => [kv.key, anyValue(kv.value)]));

const TEMPORALITY: Record<number, AggregationTemporality> = { 1: AggregationTemporality.DELTA, 2: AggregationTemporality.CUMULATIVE };

function metric(m: Json): unknown {
    const kind = m.sum ? "sum" : m.gauge ? "gauge" : undefined;
    if (!kind) throw new Error(`unsupported metric ${m.name}: only sums and gauges occur in Claude Code's exports`);
    const points: Json[] = m[kind].dataPoints;
    const isInt = points.every((p) => p.asInt !== undefined);
    return {
        descriptor: { name: m.name, description: m.description ?? "", unit: m.unit ?? "", valueType: isInt ? ValueType.INT : ValueType.DOUBLE },
        dataPointType: kind === "sum" ? DataPointType.SUM : DataPointType.GAUGE,
        aggregationTemporality: TEMPORALITY[m[kind].aggregationTemporality ?? 2],
        isMonotonic: !!m.sum?.isMonotonic,
        dataPoints: points.map((p) => ({
            startTime: hrTime(p.startTimeUnixNano),
            endTime: hrTime(p.timeUnixNano),
            attributes: attributes(p.attributes),
            value: isInt ? Number(p.asInt) : p.asDouble,
        })),
    };
}

/** ExportMetricsServiceRequest protobuf from its OTLP/JSON form. */
export function metricsToProtobuf(body: Json): Uint8Array {
    const parts = (body.resourceMetrics as Json[]).map((rm) =>
        ProtobufMetricsSerializer.serializeRequest({
            resource: { attributes: attributes(rm.resource?.attributes), schemaUrl: rm.schemaUrl },
            scopeMetrics: rm.scopeMetrics.map((sm: Json) => ({ scope: sm.scope, metrics: sm.metrics.map(metric) })),
        } as never)!,
    );
    // A repeated field's entries concatenate: one request with every resource.
    return Buffer.concat(parts);
}

/** ExportLogsServiceRequest protobuf from its OTLP/JSON form. */
export function logsToProtobuf(body: Json): Uint8Array {
    const records = (body.resourceLogs as Json[]).flatMap((rl) => {
        const resource = { attributes: attributes(rl.resource?.attributes), schemaUrl: rl.schemaUrl };
        return rl.scopeLogs.flatMap((sl: Json) =>
            sl.logRecords.map((r: Json) => ({
                resource,
                instrumentationScope: sl.scope,
                hrTime: hrTime(r.timeUnixNano),
                hrTimeObserved: hrTime(r.observedTimeUnixNano),
                severityNumber: r.severityNumber,
                severityText: r.severityText,
                body: anyValue(r.body),
                attributes: attributes(r.attributes),
                droppedAttributesCount: r.droppedAttributesCount ?? 0,
                eventName: r.eventName,
            })),
        );
    });
    return ProtobufLogsSerializer.serializeRequest(records as never)!;
}

export type Signal = "metrics" | "logs";

const GRPC_PATH: Record<Signal, string> = {
    metrics: "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
    logs: "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
};

/** POSTs the OTLP/JSON body to an OTLP/HTTP receiver (`http://host:port`); throws unless 2xx. */
export async function sendHttp(baseUrl: string, signal: Signal, body: Json, headers: Record<string, string> = {}): Promise<void> {
    const res = await fetch(`${baseUrl}/v1/${signal}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`OTLP/HTTP ${signal}: ${res.status} ${await res.text()}`);
}

/** One unary OTLP/gRPC export (`host:port`; TLS verified with `ca` when given, else plaintext); rejects with the gRPC status on failure. */
export function sendGrpc(address: string, signal: Signal, body: Json, metadata: Record<string, string> = {}, ca?: string): Promise<void> {
    const message = signal === "metrics" ? metricsToProtobuf(body) : logsToProtobuf(body);
    // With TLS the name verified is localhost (the test certificate carries it): an IP literal as the
    // TLS server name makes Node warn (DEP0123) in the middle of the test output.
    const client = ca
        ? new grpc.Client(address, grpc.credentials.createSsl(Buffer.from(ca)), { "grpc.ssl_target_name_override": "localhost" })
        : new grpc.Client(address, grpc.credentials.createInsecure());
    const md = new grpc.Metadata();
    for (const [k, v] of Object.entries(metadata)) md.set(k, v);
    return new Promise<void>((resolve, reject) => {
        client.makeUnaryRequest(
            GRPC_PATH[signal],
            (m: Uint8Array) => Buffer.from(m),
            (b: Buffer) => b,
            message,
            md,
            { deadline: Date.now() + 10000 },
            (err) => {
                client.close();
                if (err) reject(err);
                else resolve();
            },
        );
    });
}
