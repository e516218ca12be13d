/**
 * A model of what the OpenTelemetry Collector (contrib) does to OTLP *sums* between the OTLP receiver and
 * a Prometheus scrape of its `prometheus` exporter, as configured by this project:
 *   otlp receiver → delta_to_cumulative → transform/stream_start → prometheus exporter
 *   (UnderscoreEscapingWithSuffixes) → Prometheus scrape with honor_labels: true.
 * test/harness.collectorModel.differential.test.ts holds it equal to the real collector (the pinned release).
 * Sources (opentelemetry-collector-contrib, current main as read; comments give the file of each rule):
 *   D2C = processor/deltatocumulativeprocessor/{processor.go, internal/delta/delta.go, config.go}
 *   ACC = exporter/prometheusexporter/accumulator.go
 *   COL = exporter/prometheusexporter/collector.go (+ prometheus.go extractJob/extractInstance)
 * Not modelled: memory_limiter, the privacy transform (hashing), max_streams, target_info,
 * gauges/histograms, the 1-minute granularity of D2C's stale sweep (expiry is applied lazily instead).
 * Wall-clock time of the collector is the `atMs` argument; point timestamps come from the client.
 */
import { STREAM_START } from "../configs/collector";
import type { MetricPoint, Scalar } from "./otlp";
import { prometheusLabelName, prometheusMetricName } from "./promNames";

export interface DroppedPoint {
    reason: "older_start" | "out_of_order";
    point: MetricPoint;
}

export interface Sample {
    labels: Record<string, string>;
    value: number;
}

export interface CollectorModelOptions {
    /** D2C `max_stale`. Upstream default 5m (config.go); this project's default collectorSeriesTtl is 6h. */
    maxStaleMs?: number;
    /** exporter `metric_expiration`. Upstream default 5m (factory.go); this project sets it to the same 6h TTL. */
    metricExpirationMs?: number;
    /** false = neither delta_to_cumulative nor the stream-start label after it (the exporter's own delta handling applies). */
    deltaToCumulative?: boolean;
    /** Scrape target address that Prometheus adds as `instance` (configs/prometheus.ts: otel-collector:8889). */
    instance?: string;
    /** Scrape job name, used by Prometheus only when the exporter sends no `job` (configs/prometheus.ts). */
    scrapeJob?: string;
}

const SIX_HOURS_MS = 6 * 3600 * 1000;

/** pcommon.Value.AsString: strings as-is, bools "true"/"false", numbers in shortest round-trip form. */
const asString = (v: Scalar): string => (typeof v === "string" ? v : String(v));

const sortedPairs = (r: Record<string, Scalar>) =>
    Object.keys(r)
        .sort()
        .map((k) => [k, asString(r[k])]);

/** COL/prometheus.go extractJob: service.name, or service.namespace/service.name when a namespace is set. */
function extractJob(res: Record<string, Scalar>): string | undefined {
    if (res["service.name"] === undefined) return undefined;
    const name = asString(res["service.name"]);
    return res["service.namespace"] === undefined ? name : `${asString(res["service.namespace"])}/${name}`;
}

/** COL/prometheus.go extractInstance: service.instance.id (Claude Code sends none). */
const extractInstance = (res: Record<string, Scalar>): string | undefined =>
    res["service.instance.id"] === undefined ? undefined : asString(res["service.instance.id"]);

/** D2C identity.Stream: resource + scope + metric identity (name, unit, type, monotonic, temporality) + point attributes. */
const streamId = (p: MetricPoint): string =>
    JSON.stringify([sortedPairs(p.resource), p.scope.name, p.scope.version, p.name, p.unit, "Sum", p.monotonic, p.temporality, sortedPairs(p.attributes)]);

/**
 * ACC timeseriesSignature: name + type + scope name/version/schema URL + point attributes + job + instance.
 * Unit and the other resource attributes are NOT part of it.
 */
const signature = (p: MetricPoint): string =>
    JSON.stringify([p.name, "Sum", p.scope.name, p.scope.version, "", sortedPairs(p.attributes), extractJob(p.resource) ?? null, extractInstance(p.resource) ?? null]);

/** configs/collector.ts transform/stream_start: the stream's start becomes a point attribute (when set). */
const withStreamStart = (p: MetricPoint): MetricPoint =>
    p.startUnixNano === "0" ? p : { ...p, attributes: { ...p.attributes, [STREAM_START.attribute]: p.startUnixNano } };

interface Accumulated {
    point: MetricPoint; // temporality is always "cumulative" once stored (ACC sets AggregationTemporalityCumulative)
    updatedMs: number; // ACC accumulatedValue.updated = collector wall clock at Accumulate
}

export class CollectorModel {
    readonly dropped: DroppedPoint[] = [];
    private readonly maxStaleMs: number;
    private readonly metricExpirationMs: number;
    private readonly deltaToCumulative: boolean;
    private readonly instance: string;
    private readonly scrapeJob: string;
    /** D2C state per stream: the running cumulative point. */
    private d2cState = new Map<string, MetricPoint>();
    /** D2C `stale` map: collector wall clock at which the stream was last seen. */
    private d2cLastSeen = new Map<string, number>();
    /** ACC registeredMetrics. */
    private registered = new Map<string, Accumulated>();

    constructor(opts: CollectorModelOptions = {}) {
        this.maxStaleMs = opts.maxStaleMs ?? SIX_HOURS_MS;
        this.metricExpirationMs = opts.metricExpirationMs ?? SIX_HOURS_MS;
        this.deltaToCumulative = opts.deltaToCumulative ?? true;
        this.instance = opts.instance ?? "otel-collector:8889";
        this.scrapeJob = opts.scrapeJob ?? "claude-code-otel";
    }

    /** One OTLP export request arriving at collector wall-clock time `atMs`. */
    receive(points: MetricPoint[], atMs: number): void {
        if (this.deltaToCumulative) this.expireStreams(atMs);
        for (const p of points) {
            const out = this.deltaToCumulative ? this.d2c(p, atMs) : p;
            if (out) this.accumulateSum(this.deltaToCumulative ? withStreamStart(out) : out, atMs);
        }
    }

    /** Collector process restart: every in-memory map is lost (D2C state, stale tracker, exporter series). */
    restart(): void {
        this.d2cState.clear();
        this.d2cLastSeen.clear();
        this.registered.clear();
        // `dropped` is an observation log of this model, not collector state; it is kept.
    }

    /** What Prometheus stores from one scrape of the exporter at collector wall-clock time `atMs`. */
    scrape(atMs: number): Sample[] {
        const samples: Sample[] = [];
        for (const [sig, acc] of this.registered) {
            // ACC Collect: a series not updated for longer than metric_expiration is deleted and not served.
            if (atMs - acc.updatedMs > this.metricExpirationMs) {
                this.registered.delete(sig);
                continue;
            }
            samples.push({ labels: this.labelsOf(acc.point), value: acc.point.value });
        }
        return samples;
    }

    // --- deltatocumulative --------------------------------------------------------------------------

    /** D2C processor.go Start: streams not seen for more than max_stale are forgotten (swept every minute upstream). */
    private expireStreams(atMs: number): void {
        for (const [id, last] of this.d2cLastSeen) {
            if (atMs - last > this.maxStaleMs) {
                this.d2cLastSeen.delete(id);
                this.d2cState.delete(id);
            }
        }
    }

    /** Returns the point that leaves the processor, or undefined if it was dropped. */
    private d2c(p: MetricPoint, atMs: number): MetricPoint | undefined {
        // D2C processor.go ConsumeMetrics: non-delta metrics pass through untouched.
        if (p.temporality !== "delta") return p;
        const id = streamId(p);
        // D2C processor.go: the stale tracker is refreshed before aggregation, so even dropped points keep a stream alive.
        this.d2cLastSeen.set(id, atMs);
        const state = this.d2cState.get(id);
        // D2C delta.go Aggregate: first sample of a stream → state = copy of the point.
        if (!state) {
            const first: MetricPoint = { ...p, temporality: "cumulative" };
            this.d2cState.set(id, first);
            return { ...first };
        }
        // D2C delta.go: start older than the stream's start → ErrOlderStart, point dropped.
        if (BigInt(p.startUnixNano) < BigInt(state.startUnixNano)) {
            this.dropped.push({ reason: "older_start", point: p });
            return undefined;
        }
        // D2C delta.go: time not after the stream's last time → ErrOutOfOrder, point dropped.
        if (p.timeMs <= state.timeMs) {
            this.dropped.push({ reason: "out_of_order", point: p });
            return undefined;
        }
        // D2C delta.go + data/add.go: value added, state time advances; start stays the first point's (gaps allowed).
        state.value += p.value;
        state.timeMs = p.timeMs;
        // D2C processor.go: the outgoing point is a copy of the state, marked cumulative.
        return { ...state };
    }

    // --- prometheus exporter ---------------------------------------------------------------------------

    /** ACC accumulateSum for one point (cumulative after D2C, or raw delta when D2C is off). */
    private accumulateSum(p: MetricPoint, atMs: number): void {
        // ACC: non-monotonic delta sums are dropped (only reachable without D2C).
        if (p.temporality === "delta" && !p.monotonic) return;
        const sig = signature(p);
        const prev = this.registered.get(sig);
        // ACC: first point of a series is stored as-is (temporality set to cumulative).
        if (!prev) {
            this.registered.set(sig, { point: { ...p, temporality: "cumulative" }, updatedMs: atMs });
            return;
        }
        // ACC: a point older than the stored one is ignored (and does not refresh `updated`).
        if (p.timeMs < prev.point.timeMs) return;
        let stored: MetricPoint = { ...p, temporality: "cumulative" };
        // ACC "Delta-to-Cumulative": a delta is added only if it starts exactly where the stored point ended.
        if (p.temporality === "delta" && p.startMs === prev.point.timeMs) {
            stored = { ...stored, startMs: prev.point.startMs, startUnixNano: prev.point.startUnixNano, value: p.value + prev.point.value };
        }
        // ACC: otherwise the point REPLACES the stored value (for a non-contiguous delta: value = that delta alone).
        this.registered.set(sig, { point: stored, updatedMs: atMs });
    }

    /** COL getMetricMetadata + Prometheus scrape semantics. */
    private labelsOf(p: MetricPoint): Record<string, string> {
        const labels: Record<string, string> = {};
        // COL: metric name via otlptranslator MetricNamer (monotonic sum → counter).
        labels.__name__ = prometheusMetricName(p.name, p.unit, p.monotonic ? "monotonic_sum" : "non_monotonic_sum");
        // COL: one label per point attribute, name via LabelNamer, value via AsString.
        for (const [k, v] of Object.entries(p.attributes)) labels[prometheusLabelName(k)] = asString(v);
        // COL: scope labels (otel_scope_schema_url is sent too, but empty here; see the filter below).
        labels.otel_scope_name = p.scope.name;
        labels.otel_scope_version = p.scope.version;
        labels.otel_scope_schema_url = "";
        // COL: job from service.namespace/service.name; instance from service.instance.id, only if present.
        const job = extractJob(p.resource);
        if (job !== undefined) labels.job = job;
        const instance = extractInstance(p.resource);
        if (instance !== undefined) labels.instance = instance;
        // Prometheus scrape, honor_labels: true: exposed job/instance win; missing ones get the target's.
        if (labels.instance === undefined) labels.instance = this.instance;
        if (labels.job === undefined) labels.job = this.scrapeJob;
        // Prometheus: a label with an empty value is the same as no label, so it is not stored.
        for (const k of Object.keys(labels)) if (labels[k] === "") delete labels[k];
        return labels;
    }
}
