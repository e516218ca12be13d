/**
 * Typed parsing of OTLP/HTTP JSON export bodies (ExportMetricsServiceRequest, ExportLogsServiceRequest)
 * as Claude Code sends them, and the ground truth computed from its `api_request` events.
 *
 * OTLP JSON encoding: https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding
 * - 64-bit integers (timeUnixNano, intValue) are strings per the spec; Claude Code 2.1.332 sends the
 *   timestamps as strings but `intValue` as JSON numbers. Both forms are accepted.
 * - Nanosecond timestamps exceed Number.MAX_SAFE_INTEGER, so they are split with BigInt before becoming
 *   milliseconds (a double keeps about microsecond resolution at today's epoch).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export type Scalar = string | number | boolean;
export type AttrValue = Scalar | unknown[];

export interface Scope {
    name: string;
    version: string;
}

export interface MetricPoint {
    name: string;
    unit: string;
    temporality: "delta" | "cumulative";
    monotonic: boolean;
    resource: Record<string, Scalar>;
    scope: Scope;
    attributes: Record<string, Scalar>;
    startMs: number;
    /** The start as sent, in nanoseconds (decimal): exact, unlike startMs. */
    startUnixNano: string;
    timeMs: number;
    value: number;
}

export interface LogEvent {
    timeMs: number;
    body: string;
    resource: Record<string, Scalar>;
    scope: Scope;
    attributes: Record<string, AttrValue>;
}

export type ScenarioRequest = { kind: "metrics"; points: MetricPoint[] } | { kind: "logs"; events: LogEvent[] };

export interface GroundTruth {
    costUsd: number;
    tokens: { input: number; output: number; cacheRead: number; cacheCreation: number };
    /** number of `api_request` events */
    requests: number;
}

export const FIXTURES_DIR = join(__dirname, "..", "test", "fixtures", "claude-code-2.1.332");

type Json = Record<string, any>;

const obj = (v: unknown, what: string): Json => {
    if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error(`OTLP JSON: ${what} is not an object`);
    return v as Json;
};
const arr = (v: unknown): Json[] => (Array.isArray(v) ? v : []);

/** Nanoseconds (string or number) → milliseconds, fractional part kept. */
export function nanosToMs(v: unknown): number {
    if (v === undefined || v === null || v === "") return 0;
    const ns = BigInt(typeof v === "number" ? Math.trunc(v) : String(v));
    return Number(ns / 1_000_000n) + Number(ns % 1_000_000n) / 1e6;
}

/** Decodes an OTLP JSON AnyValue. */
export function anyValue(v: unknown): AttrValue {
    const o = obj(v, "AnyValue");
    if ("stringValue" in o) return String(o.stringValue);
    if ("boolValue" in o) return Boolean(o.boolValue);
    if ("intValue" in o) return Number(o.intValue); // int64: a string per spec, a number from the JS exporter
    if ("doubleValue" in o) return Number(o.doubleValue); // "NaN"/"Infinity" strings also end up as numbers
    if ("arrayValue" in o) return arr(obj(o.arrayValue, "arrayValue").values).map(anyValue);
    if ("bytesValue" in o) return String(o.bytesValue); // base64, as sent
    throw new Error(`OTLP JSON: unsupported AnyValue ${JSON.stringify(o)}`);
}

function scalar(v: unknown, key: string): Scalar {
    const d = anyValue(v);
    if (Array.isArray(d)) throw new Error(`OTLP JSON: attribute ${key} is an array where a scalar is required`);
    return d;
}

function attrs(list: unknown): Record<string, AttrValue> {
    const out: Record<string, AttrValue> = {};
    for (const kv of arr(list)) out[String(kv.key)] = anyValue(kv.value);
    return out;
}

function scalarAttrs(list: unknown): Record<string, Scalar> {
    const out: Record<string, Scalar> = {};
    for (const kv of arr(list)) out[String(kv.key)] = scalar(kv.value, String(kv.key));
    return out;
}

const scopeOf = (s: unknown): Scope => {
    const o = s && typeof s === "object" ? (s as Json) : {};
    return { name: String(o.name ?? ""), version: String(o.version ?? "") };
};

/** Flattens an ExportMetricsServiceRequest into one MetricPoint per sum data point. */
export function parseMetricsRequest(json: unknown): MetricPoint[] {
    const points: MetricPoint[] = [];
    for (const rm of arr(obj(json, "metrics request").resourceMetrics)) {
        const resource = scalarAttrs(rm.resource?.attributes);
        for (const sm of arr(rm.scopeMetrics)) {
            const scope = scopeOf(sm.scope);
            for (const m of arr(sm.metrics)) {
                // Claude Code 2.1.332 only sends monotonic sums; anything else is out of this model's scope.
                if (!m.sum) throw new Error(`OTLP JSON: metric ${m.name} is not a sum (only sums are modelled)`);
                // AggregationTemporality enum: 0 unspecified, 1 delta, 2 cumulative.
                const t = Number(m.sum.aggregationTemporality);
                if (t !== 1 && t !== 2) throw new Error(`OTLP JSON: metric ${m.name} has aggregationTemporality ${t}`);
                for (const dp of arr(m.sum.dataPoints)) {
                    const raw = "asDouble" in dp ? dp.asDouble : dp.asInt; // asInt is an int64 (string per spec)
                    points.push({
                        name: String(m.name),
                        unit: String(m.unit ?? ""),
                        temporality: t === 1 ? "delta" : "cumulative",
                        monotonic: Boolean(m.sum.isMonotonic),
                        resource,
                        scope,
                        attributes: scalarAttrs(dp.attributes),
                        startMs: nanosToMs(dp.startTimeUnixNano),
                        startUnixNano: String(BigInt(dp.startTimeUnixNano ?? 0)),
                        timeMs: nanosToMs(dp.timeUnixNano),
                        value: Number(raw ?? 0),
                    });
                }
            }
        }
    }
    return points;
}

/** Flattens an ExportLogsServiceRequest into one LogEvent per log record. */
export function parseLogsRequest(json: unknown): LogEvent[] {
    const events: LogEvent[] = [];
    for (const rl of arr(obj(json, "logs request").resourceLogs)) {
        const resource = scalarAttrs(rl.resource?.attributes);
        for (const sl of arr(rl.scopeLogs)) {
            const scope = scopeOf(sl.scope);
            for (const r of arr(sl.logRecords)) {
                const body = r.body === undefined ? "" : anyValue(r.body);
                events.push({
                    // timeUnixNano may be 0/absent per spec; observedTimeUnixNano is then the time.
                    timeMs: nanosToMs(r.timeUnixNano && r.timeUnixNano !== "0" ? r.timeUnixNano : r.observedTimeUnixNano),
                    body: typeof body === "string" ? body : JSON.stringify(body),
                    resource,
                    scope,
                    attributes: attrs(r.attributes),
                });
            }
        }
    }
    return events;
}

/** Reads `<fixtures>/<name>/NNN-{metrics,logs}.json` in numeric (arrival) order. */
export function loadScenario(name: string): { requests: ScenarioRequest[] } {
    const dir = join(FIXTURES_DIR, name);
    const files = readdirSync(dir)
        .map((f) => ({ f, m: /^(\d+)-(metrics|logs)\.json$/.exec(f) }))
        .filter((x): x is { f: string; m: RegExpExecArray } => x.m !== null)
        .sort((a, b) => Number(a.m[1]) - Number(b.m[1]));
    if (files.length === 0) throw new Error(`no NNN-*.json requests in ${dir}`);
    const requests = files.map(({ f, m }): ScenarioRequest => {
        const json: unknown = JSON.parse(readFileSync(join(dir, f), "utf8"));
        return m[2] === "metrics" ? { kind: "metrics", points: parseMetricsRequest(json) } : { kind: "logs", events: parseLogsRequest(json) };
    });
    return { requests };
}

/** The scenario folders present in the fixture set (every subdirectory). */
export function scenarioNames(): string[] {
    return readdirSync(FIXTURES_DIR, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name)
        .sort();
}

/** Number, or a numeric string (some Claude Code attributes arrive as strings); anything else is 0. */
function num(v: AttrValue | undefined): number {
    if (typeof v === "number") return v;
    if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
    return 0;
}

/** Sums cost and tokens over the `api_request` events (attribute `event.name`, short name in 2.1.332). */
export function groundTruth(events: LogEvent[]): GroundTruth {
    const t: GroundTruth = { costUsd: 0, tokens: { input: 0, output: 0, cacheRead: 0, cacheCreation: 0 }, requests: 0 };
    for (const e of events) {
        if (e.attributes["event.name"] !== "api_request") continue;
        t.requests++;
        t.costUsd += num(e.attributes.cost_usd);
        t.tokens.input += num(e.attributes.input_tokens);
        t.tokens.output += num(e.attributes.output_tokens);
        t.tokens.cacheRead += num(e.attributes.cache_read_tokens);
        t.tokens.cacheCreation += num(e.attributes.cache_creation_tokens);
    }
    return t;
}
