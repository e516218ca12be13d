/**
 * `npm run check` (scripts/check.ts, scripts/otlp.ts) against a fake running stack on loopback
 * (test/support/fakeStack.ts), plus the proofs that its test data is sent correctly and skews nothing:
 *
 * - the check's requests (built with the OpenTelemetry JS serializers, sent with @grpc/grpc-js)
 *   decode to what it means to send, and the client's framing and error paths hold against a bare
 *   HTTP/2 server;
 * - no selector of any dashboard, recording rule or alert (parsed with the real grammars) can match
 *   the check's Prometheus series or Loki stream.
 */
import { parser as logqlParser } from "@grafana/lezer-logql";
import * as grpcJs from "@grpc/grpc-js";
import type { SyntaxNode } from "@lezer/common";
import { parser as promqlParser } from "@prometheus-io/lezer-promql";
import { ProtobufMetricsSerializer } from "@opentelemetry/otlp-transformer";
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { IDENTITY_ATTRIBUTES } from "../configs/collector";
import { FOLDER, allDashboards } from "../configs/dashboards";
import { LOKI_INDEX_LABELS } from "../configs/loki";
import { grafanaRecordingGroups, incrementRuleGroups } from "../configs/rules";
import { DEFAULTS } from "../configs/settings";
import {
    CHECK_EVENT_BODY,
    CHECK_EVENT_NAME,
    CHECK_METRIC,
    CHECK_PROM_METRIC,
    CHECK_SCOPE,
    CHECK_SERVICE_NAME,
    type CheckOptions,
    type HopResult,
    RUN_ID_ATTRIBUTE,
    checkLogsRequest,
    checkMetricsRequest,
    checkResource,
    lokiQuery,
    main,
    olderThan,
    prometheusQuery,
    runCheck,
} from "../scripts/check";
import { grafanaRequirement } from "../configs/recordingWriter";
import { LOGS_EXPORT_PATH, METRICS_EXPORT_PATH, grpcUnary } from "../scripts/otlp";
import { type FakeStack, type FakeStackOptions, GRAFANA_AUTH, decodeLogsRequest, decodeMetricsRequest, refusedPort, startFakeStack } from "./support/fakeStack";
import { type MatchOp, lokiLabelName, matcherMatches, unquote } from "./support/queryLint";
import { prometheusLabelName, prometheusMetricName } from "../harness/promNames";
import { generatedQueries, interpolate, variableAsPromQL } from "../harness/queries";
import { DATASOURCE_UIDS } from "../configs/topology";

const RUN_ID = "test-run-1";
const BASE: Omit<CheckOptions, "runId"> = { timeoutMs: 3000, pollIntervalMs: 25, requestTimeoutMs: 2000, stack: "local" };

const stacks: FakeStack[] = [];
afterEach(async () => {
    await Promise.all(stacks.splice(0).map((s) => s.close()));
});

async function fake(opts: FakeStackOptions = {}): Promise<FakeStack> {
    const s = await startFakeStack(opts);
    stacks.push(s);
    return s;
}

async function check(stack: FakeStack, opts: Partial<CheckOptions> = {}) {
    return runCheck(stack.targets, { ...BASE, runId: RUN_ID, ...opts });
}

const hop = (results: HopResult[], name: string): HopResult => {
    const r = results.find((x) => x.hop === name);
    if (!r) throw new Error(`no hop "${name}" in ${results.map((x) => x.hop).join(", ")}`);
    return r;
};
const statuses = (results: HopResult[]) => Object.fromEntries(results.map((r) => [r.hop, r.status]));
const grafanaHops = (results: HopResult[]) => results.filter((r) => /^(Grafana health|data source|folder|dashboard|rule group)/.test(r.hop));

const METRIC_HOP = "OTLP metric → collector (gRPC)";
const EVENT_HOP = "OTLP event → collector (gRPC)";

// ---------------------------------------------------------------------------------------------

describe("the test data", () => {
    it("the metric's Prometheus name is the collector's translation of its OTel name (UnderscoreEscapingWithSuffixes)", () => {
        expect(prometheusMetricName(CHECK_METRIC.name, CHECK_METRIC.unit, "monotonic_sum")).toBe(CHECK_PROM_METRIC);
        expect(prometheusLabelName(RUN_ID_ATTRIBUTE)).toBe(RUN_ID_ATTRIBUTE);
        expect(lokiLabelName("service.name")).toBe("service_name");
        expect(prometheusQuery("r1")).toBe(`${CHECK_PROM_METRIC}{${RUN_ID_ATTRIBUTE}="r1"}`);
        expect(lokiQuery("r1")).toBe(`{service_name="${CHECK_SERVICE_NAME}"} | ${RUN_ID_ATTRIBUTE}="r1"`);
    });

    it("carries no identity attribute (nothing for the privacy transform to hash)", () => {
        const now = 1_700_000_000_000_000_000n;
        const m = decodeMetricsRequest(checkMetricsRequest("r1", now));
        const l = decodeLogsRequest(checkLogsRequest("r1", now));
        const keys = [
            ...Object.keys(m.resourceMetrics[0].resource),
            ...Object.keys(m.resourceMetrics[0].scopeMetrics[0].metrics[0].points[0].attributes),
            ...Object.keys(l.resourceLogs[0].resource),
            ...Object.keys(l.resourceLogs[0].scopeLogs[0].records[0].attributes),
        ];
        expect(keys.length).toBeGreaterThan(3);
        for (const id of IDENTITY_ATTRIBUTES) expect(keys).not.toContain(id);
        expect(keys.filter((k) => /user|email|account/.test(k))).toEqual([]);
    });

    it("decodes to the same requests as the official OpenTelemetry JS protobuf serializer produces", () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { ProtobufMetricsSerializer, ProtobufLogsSerializer } = require("@opentelemetry/otlp-transformer");
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { AggregationTemporality, DataPointType } = require("@opentelemetry/sdk-metrics");
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { ValueType } = require("@opentelemetry/api");
        const nowNs = 1_750_000_000_123_456_789n;
        const hr = (ns: bigint) => [Number(ns / 1_000_000_000n), Number(ns % 1_000_000_000n)];
        const resource = { attributes: checkResource() };
        const official = Buffer.from(
            ProtobufMetricsSerializer.serializeRequest({
                resource,
                scopeMetrics: [
                    {
                        scope: { ...CHECK_SCOPE },
                        metrics: [
                            {
                                descriptor: { name: CHECK_METRIC.name, description: CHECK_METRIC.description, unit: CHECK_METRIC.unit, valueType: ValueType.INT, type: "COUNTER" },
                                aggregationTemporality: AggregationTemporality.CUMULATIVE,
                                dataPointType: DataPointType.SUM,
                                isMonotonic: true,
                                dataPoints: [{ startTime: hr(nowNs - 1_000_000_000n), endTime: hr(nowNs), attributes: { [RUN_ID_ATTRIBUTE]: "r1" }, value: 1 }],
                            },
                        ],
                    },
                ],
            }),
        );
        const ours = checkMetricsRequest("r1", nowNs);
        expect(decodeMetricsRequest(ours)).toEqual(decodeMetricsRequest(official));
        const m = decodeMetricsRequest(ours).resourceMetrics[0].scopeMetrics[0];
        expect(m.scope).toEqual({ name: CHECK_SCOPE.name, version: CHECK_SCOPE.version });
        expect(m.metrics).toEqual([
            {
                name: CHECK_METRIC.name,
                description: CHECK_METRIC.description,
                unit: CHECK_METRIC.unit,
                kind: "sum",
                temporality: "cumulative",
                monotonic: true,
                points: [{ attributes: { [RUN_ID_ATTRIBUTE]: "r1" }, startTimeUnixNano: nowNs - 1_000_000_000n, timeUnixNano: nowNs, asInt: 1n }],
            },
        ]);

        const officialLogs = Buffer.from(
            ProtobufLogsSerializer.serializeRequest([
                {
                    hrTime: hr(nowNs),
                    hrTimeObserved: hr(nowNs),
                    severityNumber: 9,
                    severityText: "INFO",
                    body: CHECK_EVENT_BODY,
                    attributes: { "event.name": CHECK_EVENT_NAME, [RUN_ID_ATTRIBUTE]: "r1" },
                    droppedAttributesCount: 0,
                    resource,
                    instrumentationScope: { ...CHECK_SCOPE },
                },
            ]),
        );
        const oursLogs = checkLogsRequest("r1", nowNs);
        expect(decodeLogsRequest(oursLogs)).toEqual(decodeLogsRequest(officialLogs));
        expect(decodeLogsRequest(oursLogs).resourceLogs[0].scopeLogs[0].records).toEqual([
            { timeUnixNano: nowNs, observedTimeUnixNano: nowNs, severityNumber: 9, severityText: "INFO", body: CHECK_EVENT_BODY, attributes: { "event.name": CHECK_EVENT_NAME, [RUN_ID_ATTRIBUTE]: "r1" } }],
        );
    });

    it("gRPC framing: 5-byte prefix (flag 0, big-endian length), round trip; a truncated or compressed answer is refused, and so is a truncated message", async () => {
        // A bare HTTP/2 server, to see grpc-js's frames as bytes and answer with malformed ones.
        const received: Buffer[] = [];
        let reply = Buffer.alloc(0);
        const server = http2.createServer();
        server.on("stream", async (stream) => {
            const chunks: Buffer[] = [];
            for await (const c of stream) chunks.push(c as Buffer);
            received.push(Buffer.concat(chunks));
            stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
            stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
            stream.end(reply);
        });
        server.listen(0, "127.0.0.1");
        await new Promise((r) => server.once("listening", r));
        const endpoint = `127.0.0.1:${(server.address() as AddressInfo).port}`;
        try {
            reply = Buffer.from([0, 0, 0, 0, 3, 97, 98, 99]);
            const ok = await grpcUnary(endpoint, METRICS_EXPORT_PATH, Buffer.from("abc"), {}, 2000);
            expect([...received[0]]).toEqual([0, 0, 0, 0, 3, 97, 98, 99]);
            expect([ok.status, ok.response]).toEqual([grpcJs.status.OK, Buffer.from("abc")]);
            reply = Buffer.from([0, 0, 0, 0, 3, 97]);
            expect((await grpcUnary(endpoint, METRICS_EXPORT_PATH, Buffer.from("abc"), {}, 2000)).status).not.toBe(grpcJs.status.OK);
            reply = Buffer.from([1, 0, 0, 0, 0]);
            await expect(grpcUnary(endpoint, METRICS_EXPORT_PATH, Buffer.from("abc"), {}, 2000)).rejects.toMatchObject({ code: "EPROTO" });
        } finally {
            server.close();
        }
        // protobufjs's reader (the fake collector's decoder) on a field longer than the message.
        expect(() => decodeMetricsRequest(Buffer.from([0x0a, 0x05, 0x01]))).toThrow(/index out of range/);
    });
});

// ---------------------------------------------------------------------------------------------

describe("the gRPC client against a real gRPC server (@grpc/grpc-js)", () => {
    it("sends metadata and the message, reads OK, a partial success, and a trailers-only UNAUTHENTICATED", async () => {
        const received: { metadata: Record<string, unknown>; body: Buffer }[] = [];
        const server = new grpcJs.Server();
        const raw = { requestSerialize: (b: Buffer) => b, requestDeserialize: (b: Buffer) => b, responseSerialize: (b: Buffer) => b, responseDeserialize: (b: Buffer) => b, requestStream: false, responseStream: false };
        // ExportMetricsServiceResponse{partial_success{rejected_data_points: 2, error_message: "bad point"}}.
        const partial = Buffer.from([0x0a, 0x0d, 0x08, 0x02, 0x12, 0x09, ...Buffer.from("bad point")]);
        server.addService(
            { Export: { path: METRICS_EXPORT_PATH, originalName: "Export", ...raw } } as grpcJs.ServiceDefinition,
            {
                Export: (call: grpcJs.ServerUnaryCall<Buffer, Buffer>, cb: grpcJs.sendUnaryData<Buffer>) => {
                    received.push({ metadata: call.metadata.getMap(), body: call.request });
                    const token = call.metadata.get("authorization")[0];
                    if (token === "Bearer partial") return cb(null, partial);
                    if (token !== "Bearer good") return cb({ code: grpcJs.status.UNAUTHENTICATED, details: "missing or invalid bearer token" });
                    cb(null, Buffer.alloc(0));
                },
            },
        );
        const port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", grpcJs.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
        try {
            const body = checkMetricsRequest("r1", 1_000_000_000_000_000_000n);
            const ok = await grpcUnary(`http://127.0.0.1:${port}`, METRICS_EXPORT_PATH, body, { authorization: "Bearer good", "x-extra": "1" }, 5000);
            expect([ok.status, ok.response.length]).toEqual([grpcJs.status.OK, 0]);
            expect(received[0].metadata).toMatchObject({ authorization: "Bearer good", "x-extra": "1" });
            expect(received[0].body.equals(body)).toBe(true);

            const part = await grpcUnary(`127.0.0.1:${port}`, METRICS_EXPORT_PATH, body, { authorization: "Bearer partial" }, 5000);
            expect(part.status).toBe(grpcJs.status.OK);
            expect(ProtobufMetricsSerializer.deserializeResponse(part.response)).toEqual({ partialSuccess: { rejectedDataPoints: 2, errorMessage: "bad point" } });

            const denied = await grpcUnary(`http://127.0.0.1:${port}`, METRICS_EXPORT_PATH, body, { authorization: "Bearer wrong" }, 5000);
            expect([denied.status, denied.message]).toEqual([grpcJs.status.UNAUTHENTICATED, "missing or invalid bearer token"]);

            const unknown = await grpcUnary(`http://127.0.0.1:${port}`, LOGS_EXPORT_PATH, body, {}, 5000);
            expect(unknown.status).toBe(grpcJs.status.UNIMPLEMENTED);
        } finally {
            server.forceShutdown();
        }
    });

    it("a refused connection is a transport error with code ECONNREFUSED", async () => {
        const port = await refusedPort();
        await expect(grpcUnary(`http://127.0.0.1:${port}`, METRICS_EXPORT_PATH, Buffer.alloc(0), {}, 2000)).rejects.toMatchObject({ code: "ECONNREFUSED" });
    });
});

// ---------------------------------------------------------------------------------------------

describe("runCheck against a fake stack", () => {
    it("everything healthy: every hop passes, and the collector received exactly the test metric and event", async () => {
        const s = await fake({ token: "s3cret" });
        const { results, ok } = await check(s);
        expect(results.filter((r) => r.status !== "PASS")).toEqual([]);
        expect(ok).toBe(true);
        const dashboards = allDashboards(DEFAULTS.teamLabel).map((d) => `dashboard ${d.uid}`);
        expect(results.map((r) => r.hop)).toEqual([
            "collector health",
            METRIC_HOP,
            EVENT_HOP,
            "metric → Prometheus",
            "event → Loki",
            "Grafana health",
            "data source prometheus",
            "data source loki",
            `folder ${FOLDER.uid}`,
            ...dashboards,
            ...s.targets.ruleGroups.map((g) => `rule group ${g.name}`),
            ...incrementRuleGroups().map((g) => `Prometheus rule group ${g.name}`),
        ]);
        expect(s.targets.ruleGroups.length).toBeGreaterThan(1);

        // Exactly two gRPC calls, framed and labelled as gRPC, with the token as metadata.
        expect(s.grpc.map((g) => g.path)).toEqual([METRICS_EXPORT_PATH, LOGS_EXPORT_PATH]);
        for (const g of s.grpc) {
            expect(g.headers[":method"]).toBe("POST");
            expect(g.headers["content-type"]).toBe("application/grpc");
            expect(g.headers.te).toBe("trailers");
            expect(g.headers.authorization).toBe("Bearer s3cret");
            expect(g.compressedFlag).toBe(0);
            expect(g.declaredLength).toBe(g.bodyLength);
            expect(g.bodyLength).toBeGreaterThan(20);
        }
        const [metrics, logs] = [s.grpc[0].metrics!, s.grpc[1].logs!];
        expect(metrics.resourceMetrics).toHaveLength(1);
        expect(metrics.resourceMetrics[0].resource).toEqual({ "service.name": CHECK_SERVICE_NAME });
        expect(metrics.resourceMetrics[0].scopeMetrics).toHaveLength(1);
        const [metric] = metrics.resourceMetrics[0].scopeMetrics[0].metrics;
        expect(metrics.resourceMetrics[0].scopeMetrics[0].metrics).toHaveLength(1);
        expect(metric).toMatchObject({ name: CHECK_METRIC.name, unit: CHECK_METRIC.unit, kind: "sum", temporality: "cumulative", monotonic: true });
        expect(metric.points).toHaveLength(1);
        expect(metric.points[0].attributes).toEqual({ [RUN_ID_ATTRIBUTE]: RUN_ID });
        expect(metric.points[0].asInt).toBe(1n);
        const nowNs = BigInt(Date.now()) * 1_000_000n;
        expect(nowNs - metric.points[0].timeUnixNano).toBeLessThan(60_000_000_000n);
        expect(metric.points[0].timeUnixNano).toBeGreaterThan(metric.points[0].startTimeUnixNano);

        expect(logs.resourceLogs[0].resource).toEqual({ "service.name": CHECK_SERVICE_NAME });
        const records = logs.resourceLogs[0].scopeLogs[0].records;
        expect(records).toHaveLength(1);
        expect(records[0].body).toBe(CHECK_EVENT_BODY);
        expect(records[0].attributes).toEqual({ "event.name": CHECK_EVENT_NAME, [RUN_ID_ATTRIBUTE]: RUN_ID });

        // What the pipeline made of them: the translated series in the exporter, the stream in Loki.
        expect(s.exporter.map((x) => x.labels)).toEqual([
            { __name__: CHECK_PROM_METRIC, job: CHECK_SERVICE_NAME, otel_scope_name: CHECK_SCOPE.name, otel_scope_version: CHECK_SCOPE.version, [RUN_ID_ATTRIBUTE]: RUN_ID },
        ]);
        expect(s.loki.map((e) => [e.stream, e.line, e.metadata[RUN_ID_ATTRIBUTE], e.metadata.event_name])).toEqual([[{ service_name: CHECK_SERVICE_NAME }, CHECK_EVENT_BODY, RUN_ID, CHECK_EVENT_NAME]]);
        expect(hop(results, "metric → Prometheus").detail).toContain(`${prometheusQuery(RUN_ID)} = 1`);
        expect(hop(results, "event → Loki").detail).toContain(CHECK_EVENT_BODY);

        // Direct queries (prometheusUrl and lokiUrl set); Grafana calls carry the credentials.
        expect(s.prometheusQueries.map((q) => [q.query, q.viaProxy])).toContainEqual([prometheusQuery(RUN_ID), false]);
        expect(s.lokiQueries.map((q) => [q.query, q.viaProxy])).toContainEqual([lokiQuery(RUN_ID), false]);
        const authed = s.grafanaRequests.filter((r) => r.path !== "/api/health");
        expect(authed.length).toBeGreaterThan(5);
        for (const r of authed) expect(r.authorization, r.path).toBe(`Basic ${Buffer.from(GRAFANA_AUTH).toString("base64")}`);
        expect(s.grafanaRequests.some((r) => r.path.startsWith("/api/prometheus/grafana/api/v1/rules?folder_uid=claude-code"))).toBe(true);
    });

    it("collector not listening: its hops FAIL with the connection-refused cause, the data hops are skipped, Grafana's hops still run", async () => {
        const s = await fake({ collectorDown: true });
        const { results, ok } = await check(s);
        expect(ok).toBe(false);
        for (const name of ["collector health", METRIC_HOP, EVENT_HOP]) {
            const r = hop(results, name);
            expect(r.status, name).toBe("FAIL");
            expect(r.detail + r.cause).toMatch(/connection refused/);
            expect(r.cause).toMatch(/collector container is not running/);
            expect(r.fix).toMatch(/npm run deploy/);
        }
        expect(hop(results, METRIC_HOP).fix).toMatch(/docker ps/);
        expect(hop(results, "metric → Prometheus")).toMatchObject({ status: "SKIP", detail: expect.stringMatching(/^skipped because the collector did not accept the test metric/) });
        expect(hop(results, "event → Loki")).toMatchObject({ status: "SKIP", detail: expect.stringMatching(/^skipped because/) });
        const grafana = grafanaHops(results);
        expect(grafana.length).toBeGreaterThan(6);
        expect(grafana.every((r) => r.status === "PASS")).toBe(true);
        expect(s.prometheusQueries.filter((q) => q.query !== "1+1")).toEqual([]);
    });

    it("wrong token: the sends FAIL with Unauthenticated and the client-setup fix", async () => {
        const s = await fake({ token: "right", targetToken: "stale" });
        const { results, ok } = await check(s);
        expect(ok).toBe(false);
        for (const name of [METRIC_HOP, EVENT_HOP]) {
            const r = hop(results, name);
            expect(r.status).toBe("FAIL");
            expect(r.detail).toMatch(/UNAUTHENTICATED: invalid token/);
            expect(r.cause).toMatch(/requires a token and refused the one/);
            expect(r.fix).toMatch(/npm run client-setup/);
        }
        expect(s.grpc.every((g) => g.headers.authorization === "Bearer stale")).toBe(true);
        expect(statuses(results)).toMatchObject({ "collector health": "PASS", "metric → Prometheus": "SKIP", "event → Loki": "SKIP", "Grafana health": "PASS" });
    });

    it("missing token: the cause says none was sent", async () => {
        const s = await fake({ token: "right", targetToken: "" });
        expect(s.targets.otlpHeaders).toEqual({});
        const { results } = await check(s);
        expect(hop(results, METRIC_HOP)).toMatchObject({ status: "FAIL", cause: expect.stringMatching(/none was sent/), fix: expect.stringMatching(/npm run client-setup/) });
        expect(s.grpc[0].headers.authorization).toBeUndefined();
    });

    it("metric dropped by the pipeline: the Prometheus hop FAILs after the timeout; the scrape works, so the collector is blamed", async () => {
        const s = await fake({ dropMetrics: true });
        const started = Date.now();
        const { results, ok } = await check(s, { timeoutMs: 400 });
        expect(Date.now() - started).toBeGreaterThanOrEqual(350);
        expect(ok).toBe(false);
        const r = hop(results, "metric → Prometheus");
        expect(r.status).toBe("FAIL");
        expect(r.detail).toMatch(/did not appear within 0s|did not appear within 1s/);
        expect(r.cause).toMatch(/up\{job="claude-code-otel"\} = 1.*dropped it/);
        expect(r.fix).toMatch(/docker logs claude-code-local-otel-collector/);
        // It polled, then asked for the scrape target's health.
        const queries = s.prometheusQueries.map((q) => q.query);
        expect(queries.filter((q) => q === prometheusQuery(RUN_ID)).length).toBeGreaterThan(3);
        expect(queries).toContain('up{job="claude-code-otel"}');
        expect(hop(results, "event → Loki").status).toBe("PASS");
        expect(hop(results, METRIC_HOP).status).toBe("PASS");
    });

    it("a metric that Prometheus sees only after a few polls still passes (the hop polls until the deadline)", async () => {
        const s = await fake({ scrapeDelayMs: 300 });
        const { results } = await check(s, { timeoutMs: 3000, pollIntervalMs: 50 });
        expect(hop(results, "metric → Prometheus").status).toBe("PASS");
        expect(s.prometheusQueries.filter((q) => q.query === prometheusQuery(RUN_ID)).length).toBeGreaterThan(2);
    });

    it("team mode, metric never arrives: the cause is the collector's push to the team backend, not a scrape", async () => {
        const s = await fake({ teamMode: true, dropMetrics: true });
        const r = hop((await check(s, { timeoutMs: 200 })).results, "metric → Prometheus");
        expect(r.status).toBe("FAIL");
        expect(r.cause).toMatch(/collector's push \(remote write \/ OTLP\) is failing/);
        expect(s.prometheusQueries.map((q) => q.query)).not.toContain('up{job="claude-code-otel"}');
    });

    it("Prometheus not scraping the exporter: the FAIL points at the claude-code-otel target on <prometheusUrl>/targets", async () => {
        const s = await fake({ scrape: "down" });
        const { results } = await check(s, { timeoutMs: 200 });
        const r = hop(results, "metric → Prometheus");
        expect(r.status).toBe("FAIL");
        expect(r.cause).toBe(`Prometheus is not scraping the collector's exporter (check the claude-code-otel target at ${s.targets.prometheusUrl}/targets)`);
        expect(r.detail).toMatch(/up\{job="claude-code-otel"\} = 0/);

        const none = await fake({ scrape: "absent" });
        const r2 = hop((await check(none, { timeoutMs: 200 })).results, "metric → Prometheus");
        expect(r2.cause).toMatch(/no claude-code-otel scrape job/);
    });

    it("a scrape job without honor_labels: the metric arrives under the wrong job, which would hide Claude Code from every dashboard", async () => {
        const s = await fake({ honorLabels: false });
        const r = hop((await check(s)).results, "metric → Prometheus");
        expect(r).toMatchObject({ status: "FAIL", fix: expect.stringMatching(/honor_labels: true/) });
        expect(r.detail).toMatch(/job="claude-code-otel", exported_job="monitoring-check"/);
    });

    it("Loki down: the event hop FAILs (Loki container not running), the Loki data source is unhealthy, the metric still passes", async () => {
        const s = await fake({ lokiDown: true });
        const { results, ok } = await check(s);
        expect(ok).toBe(false);
        const r = hop(results, "event → Loki");
        expect(r.status).toBe("FAIL");
        expect(r.cause).toMatch(/connection refused at .*: the Loki container is not running/);
        expect(r.fix).toMatch(/docker ps -a --filter name=claude-code-local-loki/);
        expect(hop(results, "data source loki")).toMatchObject({ status: "FAIL", detail: expect.stringMatching(/connection refused/) });
        expect(statuses(results)).toMatchObject({ [EVENT_HOP]: "PASS", "metric → Prometheus": "PASS", "data source prometheus": "PASS" });
    });

    it("unhealthy data source: FAIL with Grafana's message", async () => {
        const s = await fake({ unhealthyDataSources: { [DATASOURCE_UIDS.prometheus]: "Post \"http://prometheus:9090/api/v1/query\": dial tcp: lookup prometheus: no such host" } });
        const { results, ok } = await check(s);
        expect(ok).toBe(false);
        const r = hop(results, "data source prometheus");
        expect(r.status).toBe("FAIL");
        expect(r.detail).toMatch(/unhealthy \(HTTP 400\): .*no such host/);
        expect(r.cause).toMatch(/Grafana cannot query Prometheus/);
        expect(r.fix).toMatch(/claude-code-local-prometheus/);
        expect(results.filter((x) => x.status === "FAIL")).toHaveLength(1);
    });

    it("missing dashboard: FAIL with the deploy fix; the others pass", async () => {
        const [first, ...rest] = allDashboards(DEFAULTS.teamLabel).map((d) => d.uid);
        const s = await fake({ missingDashboards: [first] });
        const { results } = await check(s);
        expect(hop(results, `dashboard ${first}`)).toMatchObject({ status: "FAIL", detail: `Grafana has no dashboard ${first}`, fix: "run npm run deploy" });
        for (const uid of rest) expect(hop(results, `dashboard ${uid}`).status).toBe("PASS");
    });

    it("missing rule group, a rule in error, a wrong rule count: each FAILs with its cause", async () => {
        const s = await fake({
            ruleGroups: (groups) => {
                const [a, b, c] = groups;
                return [
                    { ...b, rules: b.rules.map((r, i) => (i === 1 ? { ...r, health: "error" as const, lastError: "failed to execute query: connection refused" } : r)) },
                    { ...c, rules: c.rules.slice(1) },
                    // Same name, other folder: does not count.
                    { ...a, folderUid: "somewhere-else" },
                ];
            },
        });
        const [a, b, c] = s.targets.ruleGroups;
        const { results, ok } = await check(s);
        expect(ok).toBe(false);
        expect(hop(results, `rule group ${a.name}`)).toMatchObject({ status: "FAIL", detail: expect.stringMatching(/Grafana has no rule group/), fix: "run npm run deploy" });
        const err = hop(results, `rule group ${b.name}`);
        expect(err.status).toBe("FAIL");
        expect(err.detail).toMatch(/1 of \d+ rule\(s\) fail to evaluate: ".+": failed to execute query: connection refused/);
        expect(hop(results, `rule group ${c.name}`)).toMatchObject({ status: "FAIL", detail: `has ${c.rules - 1} rule(s), the stack provisions ${c.rules}` });
    });

    it("Prometheus recording rules: a missing group or a failing rule FAILs (team mode has no such hop)", async () => {
        const [expected] = incrementRuleGroups();
        const failing = await fake({ prometheusRules: (gs) => gs.map((g) => ({ ...g, rules: g.rules.map((r, i) => (i === 0 ? { ...r, health: "err", lastError: "vector cannot contain metrics with the same labelset" } : r)) })) });
        const r = hop((await check(failing)).results, `Prometheus rule group ${expected.name}`);
        expect(r).toMatchObject({ status: "FAIL", detail: expect.stringMatching(/^1 of \d+ rule\(s\) fail to evaluate: claude_code:.+: vector cannot contain/) });
        const missing = await fake({ prometheusRules: () => [] });
        expect(hop((await check(missing)).results, `Prometheus rule group ${expected.name}`)).toMatchObject({ status: "FAIL", detail: expect.stringMatching(/has not loaded rule group/) });
        const team = await fake({ teamMode: true });
        expect((await check(team)).results.filter((x) => x.hop.startsWith("Prometheus rule group"))).toEqual([]);
    });

    it("a paginated rules API is read to the end", async () => {
        const s = await fake({ rulesPageSize: 1 });
        const { results, ok } = await check(s);
        expect(ok).toBe(true);
        expect(s.grafanaRequests.filter((r) => r.path.startsWith("/api/prometheus/grafana/api/v1/rules")).length).toBe(s.targets.ruleGroups.length);
        expect(results.filter((r) => r.hop.startsWith("rule group")).every((r) => r.status === "PASS")).toBe(true);
    });

    it("team mode (no prometheusUrl/lokiUrl): the data is queried through Grafana's data source proxy, with the Authorization header", async () => {
        const s = await fake({ teamMode: true, token: "team-token" });
        expect(s.targets.prometheusUrl).toBeUndefined();
        expect(s.targets.lokiUrl).toBeUndefined();
        expect(s.targets.ruleGroups.map((g) => g.name)).toContain(grafanaRecordingGroups(DEFAULTS)[0].name);
        const { results, ok } = await check(s);
        expect(results.filter((r) => r.status !== "PASS")).toEqual([]);
        expect(ok).toBe(true);
        expect(hop(results, "metric → Prometheus").detail).toMatch(/via Grafana's data source proxy/);
        expect(s.prometheusQueries.filter((q) => q.query === prometheusQuery(RUN_ID)).every((q) => q.viaProxy)).toBe(true);
        expect(s.lokiQueries.filter((q) => q.query === lokiQuery(RUN_ID)).every((q) => q.viaProxy)).toBe(true);
        const proxied = s.grafanaRequests.filter((r) => r.path.startsWith("/api/datasources/proxy/uid/"));
        expect(proxied.map((r) => r.path.split("?")[0])).toEqual(
            expect.arrayContaining([`/api/datasources/proxy/uid/${DATASOURCE_UIDS.prometheus}/api/v1/query`, `/api/datasources/proxy/uid/${DATASOURCE_UIDS.loki}/loki/api/v1/query_range`]),
        );
        for (const r of proxied) expect(r.authorization).toBe(s.targets.grafanaAuthorization);
        const lokiParams = s.lokiQueries.find((q) => q.query === lokiQuery(RUN_ID))!.params;
        expect(BigInt(lokiParams.get("end")!)).toBeGreaterThan(BigInt(lokiParams.get("start")!));
    });

    it("team mode with Grafana down: the data hops say they are skipped because of Grafana, not that the data is missing", async () => {
        const s = await fake({ teamMode: true });
        const grafanaPort = await refusedPort();
        const targets = { ...s.targets, grafanaUrl: `http://127.0.0.1:${grafanaPort}` };
        const { results } = await runCheck(targets, { ...BASE, runId: RUN_ID });
        expect(hop(results, "Grafana health")).toMatchObject({ status: "FAIL", cause: expect.stringMatching(/Grafana container is not running/) });
        expect(hop(results, "metric → Prometheus")).toMatchObject({ status: "SKIP", detail: expect.stringMatching(/^skipped because Grafana does not answer/) });
        expect(hop(results, "event → Loki").status).toBe("SKIP");
        expect(results.filter((r) => /^(data source|folder|dashboard|rule group)/.test(r.hop)).every((r) => r.status === "SKIP" && /^skipped because Grafana does not answer/.test(r.detail))).toBe(true);
        expect(statuses(results)).toMatchObject({ [METRIC_HOP]: "PASS", [EVENT_HOP]: "PASS" });
    });

    it("team mode on a Grafana older than the recording rules need: Grafana health FAILs naming the version, the reason and the fix", async () => {
        const minimum = grafanaRequirement({ kind: "bearer" });
        const old = await fake({ teamMode: true, grafanaVersion: "12.3.2" });
        const { results } = await runCheck({ ...old.targets, grafanaMinimumVersion: minimum }, { ...BASE, runId: RUN_ID });
        expect(hop(results, "Grafana health")).toMatchObject({
            status: "FAIL",
            detail: expect.stringMatching(/runs Grafana 12\.3\.2; the recording rules need 12\.4\.0 or newer/),
            cause: expect.stringMatching(/does not send the data source's HTTP headers/),
            fix: "upgrade that Grafana to 12.4.0 or newer",
        });
        const current = await fake({ teamMode: true, grafanaVersion: "12.4.0" });
        expect(hop((await runCheck({ ...current.targets, grafanaMinimumVersion: minimum }, { ...BASE, runId: RUN_ID })).results, "Grafana health").status).toBe("PASS");
    });

    it("compares Grafana versions by major, minor and patch, ignoring build suffixes", () => {
        expect(olderThan("12.3.9", "12.4.0")).toBe(true);
        expect(olderThan("11.6.0", "12.1.0")).toBe(true);
        expect(olderThan("12.4.0-pre", "12.4.0")).toBe(false);
        expect(olderThan("13.0.1+security-01", "12.4.0")).toBe(false);
        expect(olderThan("12.10.0", "12.4.0")).toBe(false);
        expect(olderThan("unknown", "12.4.0")).toBe(false);
    });

    it("wrong Grafana credentials: the Grafana API hops FAIL with the credentials cause", async () => {
        const s = await fake();
        const { results } = await runCheck({ ...s.targets, grafanaAuthorization: "Basic d3Jvbmc6d3Jvbmc=" }, { ...BASE, runId: RUN_ID });
        expect(hop(results, "Grafana health").status).toBe("PASS");
        expect(hop(results, `folder ${FOLDER.uid}`)).toMatchObject({ status: "FAIL", detail: expect.stringMatching(/HTTP 401/), cause: expect.stringMatching(/rejected checkTargets.grafanaAuthorization/) });
        expect(hop(results, `rule group ${s.targets.ruleGroups[0].name}`).status).toBe("FAIL");
    });
});

// ---------------------------------------------------------------------------------------------

describe("the CLI", () => {
    const write = (value: unknown) => {
        const file = join(mkdtempSync(join(tmpdir(), "check-")), "targets.json");
        writeFileSync(file, JSON.stringify(value));
        return file;
    };
    const capture = () => {
        const out: string[] = [];
        const err: string[] = [];
        return { out, err, deps: { out: (l: string) => out.push(l), err: (l: string) => err.push(l), env: {}, readOutputs: (): Record<string, unknown> => ({}) } };
    };

    it("end to end: tsx scripts/check.ts --targets <file> against the fakes exits 0 and prints every hop", async () => {
        const s = await fake({ token: "t" });
        const file = write(s.targets);
        const bin = join(__dirname, "..", "node_modules", ".bin", "tsx");
        const child = spawn(bin, ["scripts/check.ts", "--targets", file, "--timeout", "20"], {
            cwd: join(__dirname, ".."),
            env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH}` },
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
        expect(stderr.split("\n").filter((l) => l.trim() && !/waiting up to/.test(l))).toEqual([]);
        expect(code).toBe(0);
        const lines = stdout.split("\n");
        expect(lines[0]).toMatch(/^End-to-end check of the Claude Code monitoring stack \(run [a-z0-9]+-[0-9a-f]{6};/);
        expect(lines.filter((l) => l.startsWith("PASS  ")).length).toBe(9 + s.targets.dashboardUids.length + s.targets.ruleGroups.length + incrementRuleGroups().length);
        expect(lines.filter((l) => /^(FAIL|SKIP) /.test(l))).toEqual([]);
        expect(stdout).toMatch(/passed, 0 failed, 0 skipped: the stack works end to end\./);
        // The run id in the header is the one the collector received.
        const runId = /\(run ([^;]+);/.exec(lines[0])![1];
        expect(s.grpc[0].metrics!.resourceMetrics[0].scopeMetrics[0].metrics[0].points[0].attributes[RUN_ID_ATTRIBUTE]).toBe(runId);
    }, 30000);

    it("main: exit 1 when a hop fails, with the cause and fix printed", async () => {
        const s = await fake({ missingDashboards: [s0()] });
        const c = capture();
        expect(await main(["--targets", write(s.targets), "--timeout", "3"], c.deps)).toBe(1);
        const text = c.out.join("\n");
        expect(text).toMatch(new RegExp(`FAIL  dashboard ${s0()}\\s+Grafana has no dashboard ${s0()}\\n      cause: .+\\n      fix:   run npm run deploy`));
        expect(text).toMatch(/1 failed, 0 skipped: see the causes and fixes above\./);
    });

    it("main: reads checkTargets from the stack outputs (--stack, else $PULUMI_STACK, else local) and reports bad input with exit 2", async () => {
        const s = await fake();
        const c = capture();
        const asked: string[] = [];
        const deps = { ...c.deps, env: { PULUMI_STACK: "from-env" }, readOutputs: (stack: string) => {
            asked.push(stack);
            return { checkTargets: s.targets };
        } };
        expect(await main(["--timeout", "3"], deps)).toBe(0);
        expect(await main(["--stack", "explicit", "--timeout", "3"], deps)).toBe(0);
        expect(asked).toEqual(["from-env", "explicit"]);

        const bad = capture();
        expect(await main(["--stack", "x"], { ...bad.deps, readOutputs: () => ({}) })).toBe(2);
        expect(bad.err.join("\n")).toMatch(/stack "x" has no checkTargets output: deploy the current version first \(npm run deploy\)/);
        expect(await main(["--targets", write({ grafanaUrl: 1 })], bad.deps)).toBe(2);
        expect(bad.err.join("\n")).toMatch(/not a valid checkTargets value: otlpGrpcEndpoint must be a non-empty string/);
        expect(await main(["--timeout", "soon"], bad.deps)).toBe(2);
        expect(await main(["--bogus"], bad.deps)).toBe(2);
    });
});

function s0(): string {
    return allDashboards(DEFAULTS.teamLabel)[0].uid;
}

// ---------------------------------------------------------------------------------------------
// The test data cannot reach a dashboard, a recording rule or an alert

type Matcher = { label: string; op: MatchOp; value: string };
const PROM_OPS: Record<string, MatchOp> = { EqlSingle: "=", Neq: "!=", EqlRegex: "=~", NeqRegex: "!~" };
const LOGQL_OPS: Record<string, MatchOp> = { Eq: "=", Neq: "!=", Re: "=~", Nre: "!~" };

/** Every vector selector of a PromQL expression, as matchers (the metric name as `__name__`). */
function promSelectors(expr: string): Matcher[][] {
    const out: Matcher[][] = [];
    const t = (n: SyntaxNode) => expr.slice(n.from, n.to);
    promqlParser.parse(expr).iterate({
        enter: (ref) => {
            if (ref.name !== "VectorSelector") return;
            const n = ref.node;
            const ms: Matcher[] = [];
            const id = n.getChild("Identifier");
            if (id) ms.push({ label: "__name__", op: "=", value: t(id) });
            const lm = n.getChild("LabelMatchers");
            for (let m = lm?.firstChild; m; m = m.nextSibling) {
                if (m.name === "QuotedLabelName") ms.push({ label: "__name__", op: "=", value: unquote(t(m.firstChild!)) });
                if (m.name !== "UnquotedLabelMatcher" && m.name !== "QuotedLabelMatcher") continue;
                const ln = m.getChild("LabelName") ?? m.getChild("QuotedLabelName")!;
                ms.push({ label: ln.name === "QuotedLabelName" ? unquote(t(ln.firstChild!)) : t(ln), op: PROM_OPS[m.getChild("MatchOp")!.firstChild!.name], value: unquote(t(m.getChild("StringLiteral")!)) });
            }
            out.push(ms);
            return false;
        },
    });
    return out;
}

/** Every stream selector of a LogQL expression. */
function logSelectors(expr: string): Matcher[][] {
    const out: Matcher[][] = [];
    const t = (n: SyntaxNode) => expr.slice(n.from, n.to);
    logqlParser.parse(expr).iterate({
        enter: (ref) => {
            if (ref.name !== "Selector") return;
            const ms: Matcher[] = [];
            ref.node.cursor().iterate((c) => {
                if (c.name !== "Matcher") return;
                const id = c.node.getChild("Identifier")!;
                ms.push({ label: t(id), op: LOGQL_OPS[id.nextSibling!.name], value: unquote(t(c.node.getChild("String")!)) });
                return false;
            });
            out.push(ms);
            return false;
        },
    });
    return out;
}

const selects = (selector: Matcher[], labels: Record<string, string>) => selector.every((m) => matcherMatches(m.op, m.value, labels[m.label] ?? ""));

describe("the check's data is invisible to every dashboard, recording rule and alert", () => {
    const generated = generatedQueries();
    const RANGE = [6 * 3600, 60] as const;
    const promQueries = [
        ...generated.filter((q) => q.datasource === "prometheus").map((q) => ({ source: q.source, expr: interpolate(variableAsPromQL(q.expr), ...RANGE) })),
        ...incrementRuleGroups().flatMap((g) => g.rules.map((r) => ({ source: `prometheus rule ${"record" in r ? r.record : r.alert}`, expr: r.expr }))),
    ];
    const lokiQueries = generated.filter((q) => q.datasource === "loki").map((q) => ({ source: q.source, expr: interpolate(q.expr, ...RANGE) }));

    // What Prometheus stores for the check: the exporter's series (job = service.name, otel_scope_*,
    // point attributes) with the scrape's instance, and target_info for the resource.
    const runLabel = prometheusLabelName(RUN_ID_ATTRIBUTE);
    const job = checkResource()["service.name"];
    const checkSeries: Record<string, string>[] = [
        { __name__: prometheusMetricName(CHECK_METRIC.name, CHECK_METRIC.unit, "monotonic_sum"), job, instance: "otel-collector:8889", otel_scope_name: CHECK_SCOPE.name, otel_scope_version: CHECK_SCOPE.version, [runLabel]: "x" },
        { __name__: "target_info", job, instance: "otel-collector:8889" },
    ];
    // What Loki indexes: the resource attributes in LOKI_INDEX_LABELS, named as Loki names them.
    const checkStream = Object.fromEntries(Object.entries(checkResource()).filter(([k]) => (LOKI_INDEX_LABELS as readonly string[]).includes(k)).map(([k, v]) => [lokiLabelName(k), v]));

    it("every query was found and parsed, including the pipeline's collector self-metrics", () => {
        expect(checkStream).toEqual({ service_name: CHECK_SERVICE_NAME });
        const sels = promQueries.flatMap((q) => promSelectors(q.expr));
        expect(promQueries.length).toBeGreaterThan(40);
        expect(sels.length).toBeGreaterThan(promQueries.length);
        expect(sels.some((s) => s.some((m) => m.label === "__name__" && m.value === "otelcol_receiver_accepted_metric_points_total"))).toBe(true);
        expect(generated.some((q) => q.source.startsWith("grafana recording rule"))).toBe(true);
        expect(lokiQueries.length).toBeGreaterThan(3);
        for (const q of lokiQueries) expect(logSelectors(q.expr).length, q.source).toBeGreaterThan(0);
    });

    it("no PromQL selector matches the check's series", () => {
        const hits = promQueries.flatMap((q) =>
            promSelectors(q.expr)
                .filter((sel) => checkSeries.some((series) => selects(sel, series)))
                .map((sel) => `${q.source}: ${sel.map((m) => `${m.label}${m.op}"${m.value}"`).join(", ")}`),
        );
        expect(hits).toEqual([]);
    });

    it("no LogQL stream selector matches the check's stream", () => {
        const hits = lokiQueries.flatMap((q) => logSelectors(q.expr).filter((sel) => selects(sel, checkStream)).map(() => q.source));
        expect(hits).toEqual([]);
    });

    it("the checks are not vacuous: broad or check-specific selectors are caught", () => {
        const caught = (expr: string) => promSelectors(expr).some((sel) => checkSeries.some((s) => selects(sel, s)));
        expect(caught(`{__name__=~".+"}`)).toBe(true);
        expect(caught(`sum(rate({__name__=~"monitoring_check_.*"}[5m]))`)).toBe(true);
        expect(caught(`${CHECK_PROM_METRIC}`)).toBe(true);
        expect(caught(`count by (job) ({job=~"monitoring.*"})`)).toBe(true);
        expect(caught(`target_info`)).toBe(true);
        expect(caught(`{__name__=~"otelcol_receiver_accepted_metric_points(_total)?"}`)).toBe(false);
        expect(caught(`claude_code_cost_usage_USD_total{job=~"claude-code(-desktop)?"}`)).toBe(false);
        expect(caught(`{__name__=~"claude_code_.+"}`)).toBe(false);
        const logCaught = (expr: string) => logSelectors(expr).some((sel) => selects(sel, checkStream));
        expect(logCaught(`{service_name=~".+"}`)).toBe(true);
        expect(logCaught(`sum(count_over_time({service_name!="claude-code"} [5m]))`)).toBe(true);
        expect(logCaught(`{service_name=~"claude-code(-desktop)?"} | event_name="api_request"`)).toBe(false);
        expect(logCaught(`{service_name=~"claude-code.*"}`)).toBe(false);
    });
});
