/**
 * `npm run check`: proves a running stack works, hop by hop, the way Claude Code uses it.
 *
 *   a. the collector's health endpoint answers;
 *   b. a test metric and a test event, sent over OTLP/gRPC with the client's metadata (token), are
 *      accepted by the collector;
 *   c. the metric reaches Prometheus (scraped from the collector's exporter), and
 *   d. the event reaches Loki, each polled until a deadline, directly or through Grafana's data
 *      source proxy when the stack does not publish Prometheus/Loki;
 *   e. Grafana answers, its data sources are healthy, the folder and every dashboard exist;
 *   f. every alert/recording rule group exists with its rule count, and no rule fails to evaluate:
 *      Grafana's (checkTargets.ruleGroups) and, when the stack runs its own Prometheus, Prometheus'
 *      recording rules (configs/rules.ts incrementRuleGroups, which every dashboard reads).
 *
 * Every hop prints PASS, FAIL (with the likely cause and the fix) or SKIP (with the reason); the exit
 * code is 0 only when no hop fails. Hops that do not depend on each other all run.
 *
 * The test data cannot skew the dashboards: the metric has its own name and the data its own
 * service.name (job / service_name), which no dashboard, recording rule or alert selects (proved by
 * test/scripts.check.test.ts over every generated query), and a per-run id attribute. No identity
 * attributes are sent, so the collector's privacy transform has nothing to do.
 *
 * Targets come from the stack output `checkTargets` (configs/checkTargets.ts) or a JSON file.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import semver from "semver";
import { type CheckTargets, parseTargets } from "../configs/checkTargets";
import { ADMIN_PASSWORD_NOT_APPLIED } from "../configs/grafana";
import { CLAUDE_CODE_SCRAPE_JOB } from "../configs/prometheus";
import { incrementRuleGroups } from "../configs/rules";
import { status as GRPC } from "@grpc/grpc-js";
import { ProtobufLogsSerializer, ProtobufMetricsSerializer } from "@opentelemetry/otlp-transformer";
import { AggregationTemporality, DataPointType, type ResourceMetrics } from "@opentelemetry/sdk-metrics";
import { ValueType } from "@opentelemetry/api";
import { type GrpcTransportError, LOGS_EXPORT_PATH, METRICS_EXPORT_PATH, grpcUnary } from "./otlp";
import { readStackOutputs } from "./stackOutputs";
import { HOSTS } from "../configs/topology";

// ---------------------------------------------------------------------------------------------
// The test data

/** Resource `service.name` of the check's metric and event: the `job` label in Prometheus, the `service_name` stream in Loki. */
export const CHECK_SERVICE_NAME = "monitoring-check";
/** Instrumentation scope of the check. */
export const CHECK_SCOPE = { name: "claude-code-monitoring/check", version: "1" } as const;
/** The test metric as sent: a monotonic cumulative Sum. Deliberately outside Claude Code's `claude_code.` namespace. */
export const CHECK_METRIC = { name: "monitoring_check.probe", unit: "1", description: "End-to-end check of the Claude Code monitoring stack (npm run check)." } as const;
/** Its Prometheus name under the collector's UnderscoreEscapingWithSuffixes translation (checked against harness/promNames.ts). */
export const CHECK_PROM_METRIC = "monitoring_check_probe_total";
/** Attribute holding this run's id, on the data point and on the log record (same name in Prometheus and Loki). */
export const RUN_ID_ATTRIBUTE = "monitoring_check";
/** The test event: `event.name` (Loki structured metadata `event_name`) and its body (the log line). */
export const CHECK_EVENT_NAME = "monitoring_check";
export const CHECK_EVENT_BODY = "monitoring_check.probe";

/** Resource attributes of both requests: only service.name (no identity attributes, no service.namespace, which would change `job`). */
export const checkResource = () => ({ "service.name": CHECK_SERVICE_NAME });

/** A nanosecond timestamp as OpenTelemetry's HrTime ([seconds, nanoseconds]). */
const hrTime = (ns: bigint): [number, number] => [Number(ns / 1_000_000_000n), Number(ns % 1_000_000_000n)];
/** The serializers read only a resource's attributes and schemaUrl, so a plain object stands in for the SDK's Resource (@opentelemetry/resources is no dependency). */
const checkResourceOf = () => ({ attributes: checkResource() }) as unknown as ResourceMetrics["resource"];

export function checkMetricsRequest(runId: string, nowNs: bigint): Buffer {
    return Buffer.from(
        ProtobufMetricsSerializer.serializeRequest({
            resource: checkResourceOf(),
            scopeMetrics: [
                {
                    scope: { ...CHECK_SCOPE },
                    metrics: [
                        {
                            descriptor: { ...CHECK_METRIC, valueType: ValueType.INT },
                            aggregationTemporality: AggregationTemporality.CUMULATIVE,
                            dataPointType: DataPointType.SUM,
                            isMonotonic: true,
                            dataPoints: [{ startTime: hrTime(nowNs - 1_000_000_000n), endTime: hrTime(nowNs), attributes: { [RUN_ID_ATTRIBUTE]: runId }, value: 1 }],
                        },
                    ],
                },
            ],
        })!,
    );
}

export function checkLogsRequest(runId: string, nowNs: bigint): Buffer {
    return Buffer.from(
        ProtobufLogsSerializer.serializeRequest([
            {
                hrTime: hrTime(nowNs),
                hrTimeObserved: hrTime(nowNs),
                severityNumber: 9,
                severityText: "INFO",
                body: CHECK_EVENT_BODY,
                attributes: { "event.name": CHECK_EVENT_NAME, [RUN_ID_ATTRIBUTE]: runId },
                droppedAttributesCount: 0,
                resource: checkResourceOf(),
                instrumentationScope: { ...CHECK_SCOPE },
            },
        ])!,
    );
}

/** PromQL that finds this run's test metric. */
export const prometheusQuery = (runId: string) => `${CHECK_PROM_METRIC}{${RUN_ID_ATTRIBUTE}="${runId}"}`;
/** LogQL that finds this run's test event (service_name is an index label; the run id is structured metadata). */
export const lokiQuery = (runId: string) => `{service_name="${CHECK_SERVICE_NAME}"} | ${RUN_ID_ATTRIBUTE}="${runId}"`;

/** A run id: unique enough per run, a valid label value, sortable by time. */
export const newRunId = () => `${Date.now().toString(36)}-${randomBytes(3).toString("hex")}`;

// ---------------------------------------------------------------------------------------------
// Targets

/** A receiver certificate closer than this to its expiry fails the check: time to renew it. */
const CERTIFICATE_RENEW_MS = 14 * 86400e3;

/** Node's codes for a TLS certificate the client does not accept (a handshake that verified nothing). */
const TLS_VERIFY_CODES = [
    "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
    "SELF_SIGNED_CERT_IN_CHAIN",
    "DEPTH_ZERO_SELF_SIGNED_CERT",
    "CERT_HAS_EXPIRED",
    "CERT_NOT_YET_VALID",
    "ERR_TLS_CERT_ALTNAME_INVALID",
];

// ---------------------------------------------------------------------------------------------
// Results

export type HopStatus = "PASS" | "FAIL" | "SKIP";

export interface HopResult {
    hop: string;
    status: HopStatus;
    /** What was seen (PASS), what went wrong (FAIL), or why the hop did not run (SKIP). */
    detail: string;
    cause?: string;
    fix?: string;
}

/** Whether a Grafana version ("12.3.2", "13.0.1+security-01", "12.4.0-pre") is older than `minimum`, by its release numbers; unreadable versions are not. */
export function olderThan(version: string, minimum: string): boolean {
    const release = semver.coerce(version);
    return release !== null && semver.lt(release, minimum);
}

const pass = (hop: string, detail: string): HopResult => ({ hop, status: "PASS", detail });
const fail = (hop: string, detail: string, cause: string, fix: string): HopResult => ({ hop, status: "FAIL", detail, cause, fix });
const skip = (hop: string, detail: string): HopResult => ({ hop, status: "SKIP", detail });

export function formatResult(r: HopResult, width = 34): string {
    const lines = [`${r.status}  ${r.hop.padEnd(width)} ${r.detail}`];
    if (r.cause) lines.push(`      cause: ${r.cause}`);
    if (r.fix) lines.push(`      fix:   ${r.fix}`);
    return lines.join("\n");
}

// ---------------------------------------------------------------------------------------------
// HTTP

interface HttpAnswer {
    status: number;
    text: string;
    json: any;
}

/** A request that got no HTTP answer; `code` is ECONNREFUSED, ENOTFOUND, ETIMEDOUT, … */
class HttpTransportError extends Error {
    constructor(
        message: string,
        readonly code: string,
    ) {
        super(message);
    }
}

async function httpGet(url: string, headers: Record<string, string>, timeoutMs: number): Promise<HttpAnswer> {
    let res: Response;
    try {
        res = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs), redirect: "manual" });
    } catch (e) {
        const err = e as Error & { cause?: { code?: string; errors?: { code?: string }[]; message?: string } };
        if (err.name === "TimeoutError" || err.name === "AbortError") throw new HttpTransportError(`no answer within ${timeoutMs / 1000}s`, "ETIMEDOUT");
        const code = err.cause?.code ?? err.cause?.errors?.[0]?.code ?? "EUNKNOWN";
        throw new HttpTransportError(err.cause?.message || err.message, code);
    }
    const text = await res.text();
    let json: any;
    try {
        json = JSON.parse(text);
    } catch {
        json = undefined;
    }
    return { status: res.status, text, json };
}

const hostOf = (url: string) => {
    try {
        return new URL(url).host;
    } catch {
        return url;
    }
};

/** What a transport failure most likely means, for a component. */
function unreachable(code: string, url: string, component: string, container: string): { cause: string; fix: string } {
    if (code === "ECONNREFUSED")
        return { cause: `connection refused at ${hostOf(url)}: the ${component} container is not running (or its port is not published)`, fix: `docker ps -a --filter name=${container}; docker logs ${container}; npm run deploy` };
    if (code === "ENOTFOUND" || code === "EAI_AGAIN") return { cause: `the host of ${url} does not resolve`, fix: "check the URL in checkTargets (pulumi stack output checkTargets --show-secrets)" };
    if (code === "ETIMEDOUT") return { cause: `${hostOf(url)} accepted no connection or sent no answer in time (firewall, wrong bindAddress, or the ${component} is overloaded)`, fix: `docker logs ${container}; check bindAddress and the published ports` };
    return { cause: `${component} at ${url} could not be reached (${code})`, fix: `docker ps -a --filter name=${container}; npm run deploy` };
}

const excerpt = (s: string, n = 200) => (s.length > n ? `${s.slice(0, n)}…` : s).replace(/\s+/g, " ").trim();

// ---------------------------------------------------------------------------------------------
// The check

export interface CheckOptions {
    /** This run's id (the value of RUN_ID_ATTRIBUTE). */
    runId: string;
    /** How long to wait for the test data in Prometheus and Loki. */
    timeoutMs: number;
    /** Between two polls. */
    pollIntervalMs: number;
    /** Per HTTP request or gRPC call. */
    requestTimeoutMs: number;
    /** Stack name, for container names in the hints (claude-code-<stack>-<service>). */
    stack: string;
    /** Progress notes while waiting (stderr in the CLI). */
    progress?: (line: string) => void;
}

export const DEFAULT_OPTIONS = { timeoutMs: 60000, pollIntervalMs: 2000, requestTimeoutMs: 10000 } as const;

interface Grafana {
    /** undefined when Grafana answered /api/health at all; else why it did not (transport failure). */
    down?: string;
}

export async function runCheck(targets: CheckTargets, options: CheckOptions): Promise<{ results: HopResult[]; ok: boolean }> {
    return new StackCheck(targets, options).run();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const isResult = (x: HttpAnswer | HopResult): x is HopResult => "hop" in x;
type RuleStatus = { name?: string; health?: string; lastError?: string; state?: string };
type GroupStatus = { name: string; file?: string; folderUid?: string; rules?: RuleStatus[] };
type PromRuleGroups = { name: string; rules?: { name?: string; health?: string; lastError?: string }[] }[];
type Poll = { found: any } | { failed: HopResult };

/**
 * One run of the check. Each hop is a method; a hop that needs another's outcome (Grafana up,
 * both test sends accepted, the one read of Grafana's rules) awaits that hop's memoized promise.
 */
class StackCheck {
    private readonly grafanaBase: string;
    private readonly auth: Record<string, string>;
    private readonly memo = new Map<string, Promise<unknown>>();

    constructor(
        private readonly targets: CheckTargets,
        private readonly o: CheckOptions,
    ) {
        this.grafanaBase = targets.grafanaUrl.replace(/\/+$/, "");
        this.auth = { authorization: targets.grafanaAuthorization };
    }

    /** The stack's container name for a service, for the hints. */
    private readonly container = (service: string) => `claude-code-${this.o.stack}-${service}`;

    /** Runs `make` once per key; every later call gets the same promise. */
    private once<T>(key: string, make: () => Promise<T>): Promise<T> {
        if (!this.memo.has(key)) this.memo.set(key, make());
        return this.memo.get(key) as Promise<T>;
    }

    async run(): Promise<{ results: HopResult[]; ok: boolean }> {
        const { targets, o } = this;
        // Every hop starts now; the results are printed in this order as each completes.
        const ordered: Promise<HopResult>[] = [
            this.collectorHealth(),
            this.sent("metric"),
            this.sent("event"),
            this.metricHop(),
            this.eventHop(),
            this.grafanaHealth().then((g) => g.result),
            ...(["prometheus", "loki"] as const).map((kind) => this.dataSourceHop(kind)),
            this.folderHop(),
            ...targets.dashboardUids.map((uid) => this.dashboardHop(uid)),
            ...targets.ruleGroups.map((expected) => this.ruleGroupHop(expected)),
            ...(this.promRulesRead ? incrementRuleGroups().map((expected) => this.promRuleGroupHop(expected)) : []),
        ];
        const results: HopResult[] = [];
        const width = Math.min(48, Math.max(34, ...[...targets.dashboardUids.map((u) => `dashboard ${u}`), ...targets.ruleGroups.map((g) => `rule group ${g.name}`)].map((h) => h.length)));
        for (const p of ordered) {
            const r = await p;
            results.push(r);
            o.progress?.(formatResult(r, width));
        }
        return { results, ok: results.every((r) => r.status !== "FAIL") };
    }

    // a. collector health
    private collectorHealth(): Promise<HopResult> {
        return this.once("collector health", async () => {
            const { targets, o, container } = this;
            const hop = "collector health";
            const url = targets.collectorHealthUrl;
            if (!url) return skip(hop, "skipped: the stack publishes no collector health endpoint (collectorHealthUrl not set)");
            try {
                const r = await httpGet(url, {}, o.requestTimeoutMs);
                if (r.status === 200) return pass(hop, `${url} answered 200${r.json?.status ? ` (${r.json.status})` : ""}`);
                return fail(hop, `${url} answered HTTP ${r.status}: ${excerpt(r.text)}`, "the collector is up but reports itself unavailable (starting, or a pipeline failed to start)", `docker logs ${container(HOSTS.collector)}`);
            } catch (e) {
                const err = e as HttpTransportError;
                return { hop, status: "FAIL", detail: `${url}: ${err.message}`, ...unreachable(err.code, url, "collector", container(HOSTS.collector)) };
            }
        });
    }

    // b. OTLP/gRPC sends, one each
    private sent(kind: "metric" | "event"): Promise<HopResult> {
        return this.once(`sent ${kind}`, async () => {
            const { targets, o, container } = this;
            const hasToken = Object.keys(targets.otlpHeaders).some((k) => k.toLowerCase() === "authorization");
            const hop = `OTLP ${kind} → collector (gRPC)`;
            const path = kind === "metric" ? METRICS_EXPORT_PATH : LOGS_EXPORT_PATH;
            const nowNs = BigInt(Date.now()) * 1_000_000n;
            const body = kind === "metric" ? checkMetricsRequest(o.runId, nowNs) : checkLogsRequest(o.runId, nowNs);
            const endpoint = targets.otlpGrpcEndpoint;
            const metadata = Object.fromEntries(Object.entries(targets.otlpHeaders).map(([k, v]) => [k.toLowerCase(), v]));
            try {
                const r = await grpcUnary(endpoint, path, body, metadata, o.requestTimeoutMs, targets.otlpCaCertificate);
                const name = GRPC[r.status] ?? String(r.status);
                const said = `${endpoint} answered ${name}${r.message ? `: ${r.message}` : ""}`;
                if (r.status === GRPC.OK) {
                    const partial: { rejectedDataPoints?: number; rejectedLogRecords?: number; errorMessage?: string } = (kind === "metric" ? ProtobufMetricsSerializer : ProtobufLogsSerializer).deserializeResponse(r.response).partialSuccess ?? {};
                    const rejected = partial.rejectedDataPoints ?? partial.rejectedLogRecords ?? 0;
                    if (rejected > 0)
                        return fail(hop, `${endpoint} accepted the request but rejected ${rejected} ${kind === "metric" ? "data point(s)" : "log record(s)"}: ${partial.errorMessage ?? ""}`, "the collector's receiver refused the data (partial success)", `docker logs ${container(HOSTS.collector)}`);
                    const tls = r.certificateValidTo ? `; TLS, certificate valid until ${r.certificateValidTo.toISOString().slice(0, 10)}` : "";
                    const renew = r.certificateValidTo && r.certificateValidTo.getTime() - Date.now() < CERTIFICATE_RENEW_MS;
                    if (renew)
                        return fail(hop, `accepted by ${endpoint}, but its TLS certificate expires on ${r.certificateValidTo!.toISOString().slice(0, 10)}`, "every client will refuse the receiver once it expires", "renew it, then pulumi config set --secret collectorTlsCert < fullchain.pem (and the key) and npm run deploy");
                    return pass(hop, `accepted by ${endpoint} (gRPC OK, ${body.length}-byte request${tls})`);
                }
                if (r.status === GRPC.UNAUTHENTICATED || r.status === GRPC.PERMISSION_DENIED)
                    return fail(
                        hop,
                        said,
                        hasToken
                            ? "the receiver requires a token and refused the one in checkTargets.otlpHeaders (the collector runs with another token: rotated, an old targets file, or another stack)"
                            : "the receiver requires a token and none was sent (checkTargets.otlpHeaders has no authorization)",
                        "run npm run deploy (collector and outputs get the same token), then npm run client-setup so Claude Code sends it too; with --targets, re-export the file (pulumi stack output checkTargets --show-secrets)",
                    );
                if (r.status === GRPC.UNIMPLEMENTED)
                    return fail(hop, said, `${endpoint} does not serve ${path.split("/")[1]}: not the collector's OTLP gRPC port, or its ${kind === "metric" ? "metrics" : "logs"} pipeline is missing`, "check otlpGrpcEndpoint (the gRPC port, 4317 by default) and the collector config; npm run deploy");
                if (r.status === GRPC.UNAVAILABLE || r.status === GRPC.RESOURCE_EXHAUSTED)
                    return fail(hop, said, "the collector refused the data for now (memory_limiter over its limit, or an exporter queue full)", `docker logs ${container(HOSTS.collector)}; raise collectorMemoryMb if this repeats`);
                return fail(hop, said, "the collector answered with a gRPC error", `docker logs ${container(HOSTS.collector)}`);
            } catch (e) {
                const err = e as GrpcTransportError;
                if (err.code === "ECONNREFUSED")
                    return fail(hop, `connection refused at ${hostOf(`http://${endpoint.replace(/^[a-z]+:\/\//i, "")}`)}`, "the collector container is not running (or the OTLP gRPC port is not published)", `docker ps -a --filter name=${container(HOSTS.collector)}; npm run deploy`);
                if (err.code === "ETIMEDOUT") return fail(hop, `${endpoint}: ${err.message}`, "nothing answered in time (firewall, wrong host, or the collector is stuck)", `docker logs ${container(HOSTS.collector)}`);
                if (TLS_VERIFY_CODES.includes(err.code))
                    return fail(
                        hop,
                        `${endpoint}: ${err.message} (${err.code})`,
                        targets.otlpCaCertificate
                            ? "the receiver's TLS certificate does not verify with the stack's CA (collectorTlsCa): a certificate from another CA, expired, or not naming this host"
                            : "the receiver's TLS certificate does not verify with this machine's trusted roots: a private CA or self-signed certificate needs collectorTlsCa",
                        "pulumi config set collectorTlsCa < ca.pem (the CA that signed collectorTlsCert), npm run deploy, then npm run client-setup",
                    );
                if (/^ERR_HTTP2|^EPROTO|^ECONNRESET/.test(err.code))
                    return fail(hop, `${endpoint}: ${err.message} (${err.code})`, "the endpoint does not speak gRPC over HTTP/2: the OTLP/HTTP port (4318), or TLS expected (use https://) or not offered (use http://)", "check otlpGrpcEndpoint in checkTargets");
                return { hop, status: "FAIL", detail: `${endpoint}: ${err.message}`, ...unreachable(err.code, `http://${endpoint.replace(/^[a-z]+:\/\//i, "")}`, "collector", container(HOSTS.collector)) };
            }
        });
    }

    private bothSent(): Promise<[HopResult, HopResult]> {
        return Promise.all([this.sent("metric"), this.sent("event")]);
    }

    // e. Grafana
    private grafanaHealth(): Promise<{ result: HopResult; grafana: Grafana }> {
        return this.once("grafana health", async () => {
            const { targets, o, container, grafanaBase } = this;
            const hop = "Grafana health";
            const url = `${grafanaBase}/api/health`;
            try {
                const r = await httpGet(url, {}, o.requestTimeoutMs);
                if (r.status === 200 && r.json?.database === "ok") {
                    const minimum = targets.grafanaMinimumVersion;
                    if (minimum && olderThan(String(r.json.version ?? ""), minimum.version)) {
                        return {
                            result: fail(hop, `${grafanaBase} runs Grafana ${r.json.version}; the recording rules need ${minimum.version} or newer`, minimum.why, `upgrade that Grafana to ${minimum.version} or newer`),
                            grafana: {},
                        };
                    }
                    return { result: pass(hop, `${grafanaBase} answered (version ${r.json.version ?? "?"}, database ok)`), grafana: {} };
                }
                return {
                    result: fail(hop, `${url} answered HTTP ${r.status}: ${excerpt(r.text)}`, "Grafana is up but unhealthy (its database is not ok, or it is still starting)", `docker logs ${container(HOSTS.grafana)}`),
                    grafana: {},
                };
            } catch (e) {
                const err = e as HttpTransportError;
                return { result: { hop, status: "FAIL", detail: `${url}: ${err.message}`, ...unreachable(err.code, url, "Grafana", container(HOSTS.grafana)) }, grafana: { down: `Grafana does not answer at ${grafanaBase}` } };
            }
        });
    }

    /** A Grafana API GET, or the FAIL it turns into (transport error, 401/403). */
    private async grafanaGet(hop: string, path: string): Promise<HttpAnswer | HopResult> {
        const { o, container, grafanaBase, auth } = this;
        try {
            const r = await httpGet(`${grafanaBase}${path}`, auth, o.requestTimeoutMs);
            if (r.status === 401)
                return fail(
                    hop,
                    `GET ${path}: HTTP 401`,
                    `Grafana rejected checkTargets.grafanaAuthorization: locally, the stack re-applies the admin password at every Grafana start; if its log (docker logs ${container(HOSTS.grafana)}) shows "${ADMIN_PASSWORD_NOT_APPLIED}", that failed (its reason follows on the line), otherwise the running container predates the password (or the admin login was changed in the UI); in team mode, the token is wrong, expired or lacks a role`,
                    `docker restart ${container(HOSTS.grafana)} (local stack), or pulumi config set --secret teamGrafanaAuth <valid token> and npm run deploy (team mode)`,
                );
            if (r.status === 403) return fail(hop, `GET ${path}: HTTP 403`, "the credentials in grafanaAuthorization lack permission (an Admin is needed for data source health and alert rules)", "use the admin account or an Admin service-account token");
            return r;
        } catch (e) {
            const err = e as HttpTransportError;
            return { hop, status: "FAIL", detail: `GET ${path}: ${err.message}`, ...unreachable(err.code, grafanaBase, "Grafana", container(HOSTS.grafana)) };
        }
    }

    private async afterGrafana(hop: string, body: () => Promise<HopResult>): Promise<HopResult> {
        const { grafana } = await this.grafanaHealth();
        if (grafana.down) return skip(hop, `skipped because ${grafana.down}`);
        return body();
    }

    private dataSourceHop(kind: "prometheus" | "loki"): Promise<HopResult> {
        const { targets, container } = this;
        const uid = targets.dataSourceUids[kind];
        const hop = `data source ${kind}`;
        return this.afterGrafana(hop, async () => {
            const r = await this.grafanaGet(hop, `/api/datasources/uid/${encodeURIComponent(uid)}/health`);
            if (isResult(r)) return r;
            if (r.status === 200 && r.json?.status === "OK") return pass(hop, `${uid} is healthy: ${excerpt(r.json.message ?? "OK")}`);
            if (r.status === 404 || (r.status === 500 && /not found/i.test(r.text)))
                return fail(hop, `Grafana has no data source with uid ${uid} (HTTP ${r.status})`, "the data source was not provisioned or was deleted by hand", "npm run deploy");
            const service = kind === "prometheus" ? "prometheus" : "loki";
            return fail(
                hop,
                `${uid} is unhealthy (HTTP ${r.status}): ${excerpt(r.json?.message ?? r.text)}`,
                `Grafana cannot query ${kind === "prometheus" ? "Prometheus" : "Loki"} through this data source (the backend is down, still starting, or its URL is wrong)`,
                targets[kind === "prometheus" ? "prometheusUrl" : "lokiUrl"] !== undefined
                    ? `docker ps -a --filter name=${container(service)}; docker logs ${container(service)}; npm run deploy`
                    : `check the data source's URL and credentials in Grafana (Connections → Data sources → ${uid}); npm run deploy`,
            );
        });
    }

    private folderHop(): Promise<HopResult> {
        const { targets, container } = this;
        return this.afterGrafana(`folder ${targets.folderUid}`, async () => {
            const hop = `folder ${targets.folderUid}`;
            const r = await this.grafanaGet(hop, `/api/folders/${encodeURIComponent(targets.folderUid)}`);
            if (isResult(r)) return r;
            if (r.status === 200) return pass(hop, `exists ("${r.json?.title ?? "?"}")`);
            if (r.status === 404) return fail(hop, `Grafana has no folder ${targets.folderUid}`, "the folder was not provisioned or was deleted by hand (its dashboards and rules went with it)", "npm run deploy");
            return fail(hop, `GET /api/folders/${targets.folderUid}: HTTP ${r.status} ${excerpt(r.text)}`, "Grafana answered with an error", `docker logs ${container(HOSTS.grafana)}`);
        });
    }

    private dashboardHop(uid: string): Promise<HopResult> {
        const { targets, container } = this;
        const hop = `dashboard ${uid}`;
        return this.afterGrafana(hop, async () => {
            const r = await this.grafanaGet(hop, `/api/dashboards/uid/${encodeURIComponent(uid)}`);
            if (isResult(r)) return r;
            if (r.status === 404) return fail(hop, `Grafana has no dashboard ${uid}`, "the dashboard was not provisioned, or was deleted by hand", "run npm run deploy");
            if (r.status !== 200) return fail(hop, `GET /api/dashboards/uid/${uid}: HTTP ${r.status} ${excerpt(r.text)}`, "Grafana answered with an error", `docker logs ${container(HOSTS.grafana)}`);
            const folder = r.json?.meta?.folderUid;
            if (folder !== undefined && folder !== targets.folderUid)
                return fail(hop, `exists, but in folder "${folder || "General"}" instead of ${targets.folderUid}`, "the dashboard was moved by hand", "run npm run deploy");
            return pass(hop, `exists ("${r.json?.dashboard?.title ?? "?"}")`);
        });
    }

    // f. alerting: one read of Grafana's Prometheus-compatible rules API (following pagination if any)
    private ruleGroupsRead(): Promise<GroupStatus[] | HopResult> {
        return this.once("rule groups", async () => {
            const { targets, container } = this;
            const { grafana } = await this.grafanaHealth();
            if (grafana.down) return skip("rule groups", `skipped because ${grafana.down}`);
            const groups: GroupStatus[] = [];
            let token = "";
            for (let page = 0; page < 100; page++) {
                const query = new URLSearchParams({ folder_uid: targets.folderUid, ...(token ? { group_next_token: token } : {}) });
                const r = await this.grafanaGet("rule groups", `/api/prometheus/grafana/api/v1/rules?${query}`);
                if (isResult(r)) return r;
                if (r.status !== 200 || r.json?.status !== "success")
                    return fail("rule groups", `GET /api/prometheus/grafana/api/v1/rules: HTTP ${r.status} ${excerpt(r.json?.error ?? r.text)}`, "Grafana's alerting API answered with an error", `docker logs ${container(HOSTS.grafana)}`);
                groups.push(...((r.json.data?.groups ?? []) as GroupStatus[]));
                token = r.json.data?.nextToken ?? "";
                if (!token) break;
            }
            return groups;
        });
    }

    private async ruleGroupHop(expected: { name: string; rules: number }): Promise<HopResult> {
        const { targets } = this;
        const hop = `rule group ${expected.name}`;
        const read = await this.ruleGroupsRead();
        if (!Array.isArray(read)) return read.status === "SKIP" ? skip(hop, read.detail) : { ...read, hop };
        const group = read.find((g) => g.name === expected.name && (g.folderUid === undefined || g.folderUid === targets.folderUid));
        if (!group) return fail(hop, `Grafana has no rule group "${expected.name}" in folder ${targets.folderUid}`, "the rule group was not provisioned, or was deleted by hand", "run npm run deploy");
        const rules = group.rules ?? [];
        const broken = rules.filter((r) => r.health === "error");
        if (rules.length !== expected.rules)
            return fail(hop, `has ${rules.length} rule(s), the stack provisions ${expected.rules}`, "rules were added to or deleted from the group by hand, or the deploy did not finish", "run npm run deploy");
        if (broken.length > 0)
            return fail(
                hop,
                `${broken.length} of ${rules.length} rule(s) fail to evaluate: ${broken.map((r) => `"${r.name}": ${excerpt(r.lastError ?? "no error text", 160)}`).join("; ")}`,
                "a rule's query fails (its data source does not answer, or rejects the query)",
                "see the data source hops above; Grafana → Alerting → Alert rules shows each rule's error",
            );
        const firing = rules.filter((r) => r.state === "firing").length;
        return pass(hop, `${rules.length} rule(s), none failing${firing > 0 ? ` (${firing} firing)` : ""}`);
    }

    // f'. the stack's own Prometheus: its recording rules are loaded and evaluate (every cost and token panel reads them)
    private get promRulesRead(): Promise<PromRuleGroups | { detail: string; cause: string; fix: string }> | undefined {
        const base = this.targets.prometheusUrl;
        if (base === undefined) return undefined;
        return this.once("prometheus rules", async () => {
            const { o, container } = this;
            const b = base.replace(/\/+$/, "");
            try {
                const r = await httpGet(`${b}/api/v1/rules?type=record`, {}, o.requestTimeoutMs);
                if (r.status === 200 && r.json?.status === "success") return r.json.data?.groups ?? [];
                return { detail: `GET ${b}/api/v1/rules: HTTP ${r.status} ${excerpt(r.text)}`, cause: "Prometheus' rules API answered with an error", fix: `docker logs ${container(HOSTS.prometheus)}` };
            } catch (e) {
                const err = e as HttpTransportError;
                return { detail: `${b}/api/v1/rules: ${err.message}`, ...unreachable(err.code, b, "Prometheus", container(HOSTS.prometheus)) };
            }
        });
    }

    private async promRuleGroupHop(expected: { name: string; rules: unknown[] }): Promise<HopResult> {
        const { container } = this;
        const hop = `Prometheus rule group ${expected.name}`;
        const read = await this.promRulesRead!;
        if (!Array.isArray(read)) return { hop, status: "FAIL", ...read };
        const group = read.find((g) => g.name === expected.name);
        if (!group) return fail(hop, `Prometheus has not loaded rule group "${expected.name}"`, "the rule file is missing or invalid (Prometheus keeps running without it)", `docker logs ${container(HOSTS.prometheus)} (look for "loading groups failed"); npm run deploy`);
        const rules = group.rules ?? [];
        if (rules.length !== expected.rules.length) return fail(hop, `has ${rules.length} rule(s), the stack provisions ${expected.rules.length}`, "the rule file on disk is not the one this version generates", "npm run deploy");
        const broken = rules.filter((r) => r.health === "err");
        if (broken.length > 0)
            return fail(hop, `${broken.length} of ${rules.length} rule(s) fail to evaluate: ${broken.map((r) => `${r.name}: ${excerpt(r.lastError ?? "no error text", 160)}`).join("; ")}`, "a recording rule's query fails, so the dashboards' cost and token series stop", `docker logs ${container(HOSTS.prometheus)}`);
        return pass(hop, `${rules.length} recording rule(s) loaded, none failing`);
    }

    // c/d. the test data in Prometheus and Loki, polled from the moment both sends are done
    private viaGrafana(kind: "prometheus" | "loki"): boolean {
        return (kind === "prometheus" ? this.targets.prometheusUrl : this.targets.lokiUrl) === undefined;
    }

    private queryUrl(kind: "prometheus" | "loki", pathAndQuery: string) {
        const { targets, grafanaBase, auth } = this;
        const direct = kind === "prometheus" ? targets.prometheusUrl : targets.lokiUrl;
        if (direct !== undefined) return { url: `${direct.replace(/\/+$/, "")}${pathAndQuery}`, headers: {} as Record<string, string>, where: direct };
        return { url: `${grafanaBase}/api/datasources/proxy/uid/${encodeURIComponent(targets.dataSourceUids[kind])}${pathAndQuery}`, headers: auth, where: `Grafana's data source proxy (${targets.dataSourceUids[kind]})` };
    }

    /** Polls until `found` returns something, the deadline passes, or an error that will not go away. */
    private async poll(hop: string, kind: "prometheus" | "loki", pathAndQuery: () => string, found: (json: any) => any, deadline: number): Promise<Poll | { timeout: string }> {
        const { o, container } = this;
        const component = kind === "prometheus" ? "Prometheus" : "Loki";
        let last = "no answer yet";
        for (let attempt = 0; ; attempt++) {
            const { url, headers, where } = this.queryUrl(kind, pathAndQuery());
            try {
                const r = await httpGet(url, headers, o.requestTimeoutMs);
                if (r.status === 200 && r.json?.status === "success") {
                    const hit = found(r.json);
                    if (hit) return { found: hit };
                    last = "the query returned nothing";
                } else if (this.viaGrafana(kind) && (r.status === 401 || r.status === 403)) {
                    return { failed: fail(hop, `${where}: HTTP ${r.status}`, "Grafana rejected checkTargets.grafanaAuthorization", "see the Grafana hops; npm run deploy") };
                } else if (r.status === 400 || r.status === 404) {
                    return { failed: fail(hop, `${where} answered HTTP ${r.status}: ${excerpt(r.json?.error ?? r.json?.message ?? r.text)}`, `${component} (or the proxy) refused the check's query`, this.viaGrafana(kind) ? "check the data source hops; npm run deploy" : `check ${kind === "prometheus" ? "prometheusUrl" : "lokiUrl"} in checkTargets`) };
                } else {
                    last = `${where} answered HTTP ${r.status}: ${excerpt(r.json?.error ?? r.json?.message ?? r.text, 120)}`;
                }
            } catch (e) {
                const err = e as HttpTransportError;
                if (err.code === "ECONNREFUSED" || err.code === "ENOTFOUND") {
                    const u = unreachable(err.code, url, this.viaGrafana(kind) ? "Grafana" : component, container(this.viaGrafana(kind) ? "grafana" : kind));
                    return { failed: { hop, status: "FAIL", detail: `${where}: ${err.message}`, ...u } };
                }
                last = `${where}: ${err.message}`;
            }
            const left = deadline - Date.now();
            if (left <= 0) return { timeout: last };
            if (attempt === 0) o.progress?.(`      … waiting up to ${Math.ceil(left / 1000)}s for the test ${kind === "prometheus" ? "metric in Prometheus" : "event in Loki"}`);
            // The last attempt happens at the deadline.
            await sleep(Math.min(o.pollIntervalMs, left));
        }
    }

    private metricHop(): Promise<HopResult> {
        return this.once("metric hop", async () => {
            const { targets, o, container } = this;
            const hop = "metric → Prometheus";
            const [sent] = await this.bothSent();
            if (sent.status !== "PASS") return skip(hop, "skipped because the collector did not accept the test metric");
            if (this.viaGrafana("prometheus")) {
                const { grafana } = await this.grafanaHealth();
                if (grafana.down) return skip(hop, `skipped because ${grafana.down} (without prometheusUrl, queries go through its data source proxy)`);
            }
            const deadline = Date.now() + o.timeoutMs;
            const q = prometheusQuery(o.runId);
            const r = await this.poll(hop, "prometheus", () => `/api/v1/query?${new URLSearchParams({ query: q })}`, (j) => j.data?.result?.[0], deadline);
            if ("failed" in r) return r.failed;
            if ("found" in r) {
                const labels = r.found.metric as Record<string, string>;
                if (labels.job !== CHECK_SERVICE_NAME)
                    return fail(
                        hop,
                        `${CHECK_PROM_METRIC} arrived with job="${labels.job}"${labels.exported_job ? `, exported_job="${labels.exported_job}"` : ""} instead of job="${CHECK_SERVICE_NAME}"`,
                        `the ${CLAUDE_CODE_SCRAPE_JOB} scrape job overwrites the exporter's job label, so every dashboard selector on job misses Claude Code's series too`,
                        `set honor_labels: true on the ${CLAUDE_CODE_SCRAPE_JOB} scrape job (configs/prometheus.ts); npm run deploy`,
                    );
                return pass(hop, `${q} = ${r.found.value?.[1] ?? "?"} (via ${this.viaGrafana("prometheus") ? "Grafana's data source proxy" : targets.prometheusUrl})`);
            }
            if (this.viaGrafana("prometheus"))
                // No Prometheus of the stack's own: the collector pushes to the team's backend.
                return fail(
                    hop,
                    `${q} did not appear within ${Math.round(o.timeoutMs / 1000)}s (last: ${r.timeout})`,
                    "the metric never reached the metrics backend behind Grafana: the collector's push (remote write / OTLP) is failing, or the data source reads another tenant than the collector writes",
                    `docker logs ${container(HOSTS.collector)} (look for prometheus_remote_write / otlp_http/metrics errors); compare teamMetricsWriteUrl with the data source URL`,
                );
            // Timed out: ask Prometheus whether it scrapes the collector's exporter at all, for a precise hint.
            let scrape = "";
            try {
                const { url, headers } = this.queryUrl("prometheus", `/api/v1/query?${new URLSearchParams({ query: `up{job="${CLAUDE_CODE_SCRAPE_JOB}"}` })}`);
                const up = await httpGet(url, headers, o.requestTimeoutMs);
                const series = (up.json?.data?.result ?? []) as { value?: [number, string] }[];
                if (up.json?.status === "success") scrape = series.length === 0 ? "none" : series.some((s) => s.value?.[1] === "1") ? "up" : "down";
            } catch {
                scrape = "";
            }
            const targetsPage = targets.prometheusUrl ? `${targets.prometheusUrl.replace(/\/+$/, "")}/targets` : "Prometheus' /targets page";
            const detail = `${q} did not appear within ${Math.round(o.timeoutMs / 1000)}s (last: ${r.timeout})`;
            if (scrape === "up")
                return fail(hop, detail, `Prometheus scrapes the collector's exporter (up{job="${CLAUDE_CODE_SCRAPE_JOB}"} = 1) but the metric is not there: the collector's metrics pipeline dropped it`, `docker logs ${container(HOSTS.collector)}`);
            if (scrape === "none")
                return fail(hop, `${detail}; up{job="${CLAUDE_CODE_SCRAPE_JOB}"} does not exist`, `Prometheus has no ${CLAUDE_CODE_SCRAPE_JOB} scrape job, so it never reads the collector's exporter`, `check ${targetsPage} and the scrape config (configs/prometheus.ts); npm run deploy`);
            return fail(
                hop,
                `${detail}${scrape === "down" ? `; up{job="${CLAUDE_CODE_SCRAPE_JOB}"} = 0` : ""}`,
                `Prometheus is not scraping the collector's exporter (check the ${CLAUDE_CODE_SCRAPE_JOB} target at ${targetsPage})`,
                `open ${targetsPage}; docker logs ${container(HOSTS.collector)}; docker logs ${container(HOSTS.prometheus)}`,
            );
        });
    }

    private eventHop(): Promise<HopResult> {
        return this.once("event hop", async () => {
            const { targets, o, container } = this;
            const hop = "event → Loki";
            const [, sent] = await this.bothSent();
            if (sent.status !== "PASS") return skip(hop, "skipped because the collector did not accept the test event");
            if (this.viaGrafana("loki")) {
                const { grafana } = await this.grafanaHealth();
                if (grafana.down) return skip(hop, `skipped because ${grafana.down} (without lokiUrl, queries go through its data source proxy)`);
            }
            const deadline = Date.now() + o.timeoutMs;
            const q = lokiQuery(o.runId);
            const startNs = (BigInt(Date.now()) - 600_000n) * 1_000_000n;
            const path = () =>
                `/loki/api/v1/query_range?${new URLSearchParams({ query: q, start: String(startNs), end: String((BigInt(Date.now()) + 60_000n) * 1_000_000n), limit: "10", direction: "backward" })}`;
            const found = (j: any) => ((j.data?.result ?? []) as { stream?: Record<string, string>; values?: [string, string][] }[]).find((s) => (s.values ?? []).length > 0);
            const r = await this.poll(hop, "loki", path, found, deadline);
            if ("failed" in r) return r.failed;
            if ("found" in r) return pass(hop, `${q} → "${r.found.values[0][1]}" (via ${this.viaGrafana("loki") ? "Grafana's data source proxy" : targets.lokiUrl})`);
            return fail(
                hop,
                `${q} found nothing within ${Math.round(o.timeoutMs / 1000)}s (last: ${r.timeout})`,
                "collector → Loki export failing (Loki refuses the records, or the collector cannot reach it)",
                `docker logs ${container(HOSTS.collector)} (look for otlp_http/loki errors); docker logs ${container(HOSTS.loki)}`,
            );
        });
    }
}

// ---------------------------------------------------------------------------------------------
// CLI

const USAGE = `Usage: npm run check -- [--stack <name>] [--targets <file.json>] [--timeout <seconds>]

Proves the deployed monitoring stack works end to end: sends a test metric and a test event over
OTLP/gRPC, waits for them in Prometheus and Loki, and checks Grafana's data sources, dashboards and
alert rules. Exit code 0 only when every hop passes.

  --stack <name>       Pulumi stack whose checkTargets output to read (default: $PULUMI_STACK or "local")
  --targets <file>     read the targets from a JSON file instead (the checkTargets output's shape)
  --timeout <seconds>  how long to wait for the test data in Prometheus and Loki (default 60)
`;

export interface MainDeps {
    out: (line: string) => void;
    err: (line: string) => void;
    env: NodeJS.ProcessEnv;
    readOutputs: (stack: string) => Record<string, unknown>;
}

export async function main(argv: string[], deps: MainDeps): Promise<number> {
    const options = { stack: { type: "string" }, targets: { type: "string" }, timeout: { type: "string" }, help: { type: "boolean", short: "h" } } as const;
    let args: ReturnType<typeof parseArgs<{ args: string[]; options: typeof options; strict: true; allowPositionals: false }>>["values"];
    try {
        args = parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
    } catch (e) {
        deps.err(`${(e as Error).message}\n\n${USAGE}`);
        return 2;
    }
    if (args.help) {
        deps.out(USAGE);
        return 0;
    }
    const timeoutSeconds = args.timeout === undefined ? DEFAULT_OPTIONS.timeoutMs / 1000 : Number(args.timeout);
    if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) {
        deps.err(`--timeout must be a positive number of seconds, not "${args.timeout}"`);
        return 2;
    }
    const stack = args.stack ?? deps.env.PULUMI_STACK ?? "local";

    let targets: CheckTargets;
    try {
        if (args.targets !== undefined) {
            let text: string;
            try {
                text = readFileSync(args.targets, "utf8");
            } catch (e) {
                throw new Error(`cannot read ${args.targets}: ${(e as Error).message}`);
            }
            let parsed: unknown;
            try {
                parsed = JSON.parse(text);
            } catch (e) {
                throw new Error(`${args.targets} is not JSON: ${(e as Error).message}`);
            }
            targets = parseTargets(parsed, args.targets);
        } else {
            const outputs = deps.readOutputs(stack);
            if (outputs.checkTargets === undefined) throw new Error(`stack "${stack}" has no checkTargets output: deploy the current version first (npm run deploy)`);
            targets = parseTargets(outputs.checkTargets, `the checkTargets output of stack "${stack}"`);
        }
    } catch (e) {
        deps.err(`error: ${(e as Error).message}`);
        return 2;
    }

    const runId = newRunId();
    deps.out(`End-to-end check of the Claude Code monitoring stack (run ${runId}; test data: ${CHECK_PROM_METRIC} and service_name="${CHECK_SERVICE_NAME}", not shown on any dashboard)`);
    const { results, ok } = await runCheck(targets, {
        ...DEFAULT_OPTIONS,
        timeoutMs: timeoutSeconds * 1000,
        runId,
        stack,
        progress: (line) => (/^(PASS|FAIL|SKIP) /.test(line) ? deps.out(line) : deps.err(line)),
    });
    const count = (s: HopStatus) => results.filter((r) => r.status === s).length;
    deps.out(`\n${count("PASS")} passed, ${count("FAIL")} failed, ${count("SKIP")} skipped: ${ok ? "the stack works end to end." : "see the causes and fixes above."}`);
    return ok ? 0 : 1;
}

if (typeof require !== "undefined" && require.main === module) {
    main(process.argv.slice(2), {
        out: (l) => process.stdout.write(`${l}\n`),
        err: (l) => process.stderr.write(`${l}\n`),
        env: process.env,
        readOutputs: readStackOutputs,
    }).then(
        (code) => {
            process.exitCode = code;
        },
        (e) => {
            process.stderr.write(`error: ${(e as Error).stack ?? e}\n`);
            process.exitCode = 2;
        },
    );
}
