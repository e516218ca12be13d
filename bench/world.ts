/**
 * The test suite's world (harness/scenario.ts: `buildWorld`, `exports`) run through the test
 * suite's collector model (harness/collectorModel.ts), at benchmark scale.
 *
 * `simulate()` in scenario.ts scrapes every series of the exporter every 10 s and builds a label
 * object and a JSON key per sample: exact, but ~100k samples/s, and it computes every export
 * request of the world up front (memory grows with the whole world). Here the same pieces run
 * event-driven instead:
 *
 * - export requests are produced per process as simulated time reaches it (a heap, in the same
 *   order as simulate's stable sort: time, then process, then export);
 * - the collector model is the test's CollectorModel, unchanged; its exporter map is observed
 *   (a Map subclass), so every value the exporter would serve is known when it changes;
 * - a series is then a list of runs: [from, to) at one value, sampled at every scrape tick.
 *
 * Like simulate(), it also writes the `up` series of the scrape of the collector's own metrics
 * (1, or 0 while the collector is down), which the increment rules read.
 *
 * The scrape rule that is not in the model's receive path (a series not updated for longer than
 * metric_expiration is dropped at the next scrape) is applied here with the same comparison, and
 * bench/world.test.ts proves the result sample-for-sample equal to `simulate()` (staleness
 * markers included) on worlds with every hard case, a collector restart and a collector outage.
 */
import { CollectorModel } from "../harness/collectorModel";
import type { MetricPoint } from "../harness/otlp";
import { type World, buildWorld, exports } from "../harness/scenario";

export { buildWorld };
export type { World };

/** Client retries of the OTLP exporter: the same window as scenario.ts (not exported there). */
export const RETRY_WINDOW_MS = 8000;
/** The series Prometheus writes for each scrape of the collector's own metrics: the same as scenario.ts (not exported there). */
export const COLLECTOR_UP_LABELS = { __name__: "up", job: "otel-collector", instance: "otel-collector:8888" };
/** The collector's series TTL the model defaults to (this project's collectorSeriesTtl, 6h). */
export const DEFAULT_TTL_MS = 6 * 3600000;

/** One series as Prometheus stores it: samples at every scrape tick of each run. */
export interface SeriesRuns {
    labels: Record<string, string>;
    /** Flat [fromMs, toMs, value, …]: one sample per scrape tick t with from <= t < to. */
    runs: number[];
    /** Start of the open run (the series is served at every tick from here on), or NaN. */
    openFrom: number;
    openValue: number;
    /** When the open run really began (openFrom moves on at window boundaries). */
    openSince: number;
    /** Total samples ever written (for statistics). */
    samples: number;
}

interface Request {
    atMs: number;
    process: number;
    index: number;
    points: MetricPoint[];
}

/** Binary min-heap of requests by (atMs, process, index): simulate's order. */
class RequestHeap {
    private items: Request[] = [];
    get size(): number {
        return this.items.length;
    }
    peek(): Request | undefined {
        return this.items[0];
    }
    private less(a: Request, b: Request): boolean {
        return a.atMs !== b.atMs ? a.atMs < b.atMs : a.process !== b.process ? a.process < b.process : a.index < b.index;
    }
    push(r: Request): void {
        const a = this.items;
        a.push(r);
        let i = a.length - 1;
        while (i > 0) {
            const p = (i - 1) >> 1;
            if (!this.less(a[i], a[p])) break;
            [a[i], a[p]] = [a[p], a[i]];
            i = p;
        }
    }
    pop(): Request | undefined {
        const a = this.items;
        if (a.length === 0) return undefined;
        const top = a[0];
        const last = a.pop()!;
        if (a.length > 0) {
            a[0] = last;
            let i = 0;
            for (;;) {
                const l = 2 * i + 1;
                const r = l + 1;
                let m = i;
                if (l < a.length && this.less(a[l], a[m])) m = l;
                if (r < a.length && this.less(a[r], a[m])) m = r;
                if (m === i) break;
                [a[i], a[m]] = [a[m], a[i]];
                i = m;
            }
        }
        return top;
    }
}

interface Accumulated {
    point: MetricPoint;
    updatedMs: number;
}

interface Entry {
    series: SeriesRuns;
    value: number;
    updatedMs: number;
    registered: boolean;
}

export interface SimulationStats {
    /** Series the collector exported (Claude Code's), not counting `up`. */
    series: number;
    /** Samples written, `up` included. */
    samples: number;
    /** Staleness markers simulate() would write (series leaving the exposition). */
    staleMarkers: number;
    processes: number;
    sessions: number;
}

/**
 * Runs the world tick by tick (scrape interval) and hands out, each time simulated time passes a
 * window boundary (windows aligned to `windowMs` since the epoch), every series that has samples
 * in the window. Handed-out runs are then dropped: memory stays bounded by one window's series.
 */
export class FastSimulation {
    readonly scrapeMs: number;
    readonly ttlMs: number;
    readonly stats: SimulationStats;
    private readonly model: CollectorModel;
    private readonly entries = new Map<string, Entry>();
    /** Series with runs not yet handed out, or an open run. */
    private readonly active = new Set<SeriesRuns>();
    private readonly labelsOf: (p: MetricPoint) => Record<string, string>;
    private now = 0;
    private up = true;
    private readonly start: number;
    /** Tick index → signatures whose expiry is due then (lazy: re-checked when due). */
    private readonly expiries = new Map<number, string[]>();
    private nextExpiryTick = 0;
    private readonly upSeries: SeriesRuns = { labels: { ...COLLECTOR_UP_LABELS }, runs: [], openFrom: NaN, openSince: NaN, openValue: 0, samples: 0 };

    constructor(
        private readonly world: World,
        opts: { scrapeMs?: number; ttlMs?: number } = {},
    ) {
        this.scrapeMs = opts.scrapeMs ?? 10000;
        this.ttlMs = opts.ttlMs ?? DEFAULT_TTL_MS;
        this.start = Math.floor(world.startMs / this.scrapeMs) * this.scrapeMs;
        this.model = new CollectorModel({ maxStaleMs: opts.ttlMs, metricExpirationMs: opts.ttlMs });
        // The model's exporter state, observed: the model is used as is, only its map is watched.
        const internals = this.model as unknown as { registered: Map<string, Accumulated>; labelsOf: (p: MetricPoint) => Record<string, string> };
        this.labelsOf = (p) => internals.labelsOf.call(this.model, p);
        const sim = this;
        internals.registered = new (class extends Map<string, Accumulated> {
            set(sig: string, acc: Accumulated): this {
                super.set(sig, acc);
                sim.onSet(sig, acc);
                return this;
            }
            delete(sig: string): boolean {
                const had = super.delete(sig);
                if (had) sim.onGone(sig);
                return had;
            }
            clear(): void {
                for (const sig of this.keys()) sim.onGone(sig);
                super.clear();
            }
        })();
        const sessions = new Set(world.processes.map((p) => p.sessionId)).size;
        this.stats = { series: 0, samples: 0, staleMarkers: 0, processes: world.processes.length, sessions };
    }

    private tickIndex(t: number): number {
        return Math.round((t - this.start) / this.scrapeMs);
    }

    private openRun(e: Entry, t: number): void {
        const s = e.series;
        if (!Number.isNaN(s.openFrom)) return;
        s.openFrom = t;
        s.openSince = t;
        s.openValue = e.value;
        this.active.add(s);
    }

    /** Ends the open run at t; true if that leaves a staleness marker at t. */
    private closeRun(e: Entry, t: number, stale: boolean): boolean {
        const s = e.series;
        if (Number.isNaN(s.openFrom)) return false;
        if (t > s.openFrom) {
            s.runs.push(s.openFrom, t, s.openValue);
            const n = (t - s.openFrom) / this.scrapeMs;
            s.samples += n;
            this.stats.samples += n;
        }
        // A run opened at this very tick was never served: nothing to mark.
        const marked = stale && t > s.openSince;
        if (marked) this.stats.staleMarkers++;
        s.openFrom = NaN;
        return marked;
    }

    private onSet(sig: string, acc: Accumulated): void {
        let e = this.entries.get(sig);
        if (!e) {
            const labels = this.labelsOf(acc.point);
            e = { series: { labels, runs: [], openFrom: NaN, openSince: NaN, openValue: 0, samples: 0 }, value: acc.point.value, updatedMs: acc.updatedMs, registered: false };
            this.entries.set(sig, e);
            this.stats.series++;
        }
        const t = this.now;
        const changed = e.value !== acc.point.value;
        e.value = acc.point.value;
        e.updatedMs = acc.updatedMs;
        const wasRegistered = e.registered;
        e.registered = true;
        if (this.up) {
            if (!wasRegistered) this.openRun(e, t);
            else if (changed && !Number.isNaN(e.series.openFrom)) {
                // A new value from this tick on: contiguous runs, no staleness marker.
                this.closeRun(e, t, false);
                this.openRun(e, t);
            }
        }
        // Due when t - updatedMs > ttl, i.e. at the first tick after updatedMs + ttl.
        const due = Math.floor((acc.updatedMs + this.ttlMs - this.start) / this.scrapeMs) + 1;
        const list = this.expiries.get(due);
        if (list) list.push(sig);
        else this.expiries.set(due, [sig]);
    }

    /** Dropped from the exporter (expiry at a scrape, or a collector restart). */
    private onGone(sig: string): void {
        const e = this.entries.get(sig)!;
        e.registered = false;
        // Absent from the scrape at this tick: the run ends here with a staleness marker (none if
        // the series comes back in the same tick, e.g. re-sent right after a restart).
        if (this.closeRun(e, this.now, true)) this.pendingStale.add(e);
    }
    /** Runs closed by a restart in this tick: a re-registration in the same tick continues them. */
    private readonly pendingStale = new Set<Entry>();

    /** Simulates every tick up to the world's end, handing out windows of `windowMs`. */
    run(windowMs: number, onWindow: (fromMs: number, toMs: number, series: Iterable<SeriesRuns>) => void): SimulationStats {
        for (const w of this.windows(windowMs)) onWindow(w.fromMs, w.toMs, w.series);
        return this.stats;
    }

    /**
     * The same as a generator: each window's series are valid until the next step (their runs are
     * consumed then), so a consumer can write a window and wait before asking for the next.
     */
    *windows(windowMs: number): Generator<{ fromMs: number; toMs: number; series: SeriesRuns[] }> {
        const world = this.world;
        const scrape = this.scrapeMs;
        const down = (t: number) => world.collectorRestarts.find((r) => t >= r.atMs && t < r.atMs + r.downMs);
        const processes = world.processes.map((p, i) => ({ p, i })).sort((a, b) => a.p.startMs - b.p.startMs || a.i - b.i);
        const restarts = [...world.collectorRestarts].sort((a, b) => a.atMs - b.atMs);
        const heap = new RequestHeap();
        let nextProcess = 0;
        let restartIndex = 0;
        let windowStart = Math.floor(this.start / windowMs) * windowMs;
        let windowEnd = windowStart + windowMs;

        for (let t = this.start; t <= world.endMs; t += scrape) {
            if (t >= windowEnd) {
                yield this.takeWindow(windowStart, windowEnd);
                this.consumeWindow();
                windowStart = windowEnd;
                windowEnd += windowMs;
            }
            this.now = t;
            // Export requests of every process started by now (requests never precede their process' start).
            while (nextProcess < processes.length && processes[nextProcess].p.startMs <= t) {
                const { p, i } = processes[nextProcess++];
                exports(p).forEach((e, index) => {
                    const outage = down(e.atMs);
                    if (!outage) heap.push({ atMs: e.atMs, process: i, index, points: e.points });
                    else {
                        const back = outage.atMs + outage.downMs;
                        if (back - e.atMs <= RETRY_WINDOW_MS) heap.push({ atMs: back, process: i, index, points: e.points });
                    }
                });
            }
            this.pendingStale.clear();
            const isUp = !down(t);
            if (!isUp && this.up) {
                // No scrape: every served series gets a staleness marker now.
                for (const e of this.entries.values()) this.closeRun(e, t, true);
                this.up = false;
            }
            while (restartIndex < restarts.length && restarts[restartIndex].atMs <= t) {
                this.model.restart();
                restartIndex++;
            }
            while (heap.size > 0 && heap.peek()!.atMs <= t) {
                const r = heap.pop()!;
                this.model.receive(r.points, r.atMs);
            }
            // A series dropped by a restart and re-sent in the same tick was never absent from a scrape.
            for (const e of this.pendingStale) {
                if (e.registered) this.stats.staleMarkers--;
            }
            if (isUp && !this.up) {
                // Back after an outage: every series still in the exporter is served again.
                this.up = true;
                for (const e of this.entries.values()) if (e.registered) this.openRun(e, t);
            }
            if (isUp) this.expire(t);
            this.scrapeUp(t, isUp ? 1 : 0);
        }
        // The world's end: runs still open end after the last tick (no staleness marker).
        const end = this.start + (Math.floor((world.endMs - this.start) / scrape) + 1) * scrape;
        this.now = end;
        for (const e of this.entries.values()) this.closeRun(e, end, false);
        this.scrapeUp(end, NaN);
        while (windowStart < end) {
            yield this.takeWindow(windowStart, windowEnd);
            this.consumeWindow();
            windowStart = windowEnd;
            windowEnd += windowMs;
        }
    }

    /** `up` of the collector's self-scrape at tick t (NaN: the world's end, closes the run). */
    private scrapeUp(t: number, value: number): void {
        const s = this.upSeries;
        if (!Number.isNaN(s.openFrom) && s.openValue === value) return;
        if (!Number.isNaN(s.openFrom) && t > s.openFrom) {
            s.runs.push(s.openFrom, t, s.openValue);
            const n = (t - s.openFrom) / this.scrapeMs;
            s.samples += n;
            this.stats.samples += n;
        }
        s.openFrom = Number.isNaN(value) ? NaN : t;
        s.openSince = s.openFrom;
        s.openValue = value;
        this.active.add(s);
    }

    /** The scrape's expiry: a series not updated for longer than metric_expiration is dropped. */
    private expire(t: number): void {
        const tick = this.tickIndex(t);
        const registered = (this.model as unknown as { registered: Map<string, Accumulated> }).registered;
        for (; this.nextExpiryTick <= tick; this.nextExpiryTick++) {
            const due = this.expiries.get(this.nextExpiryTick);
            if (!due) continue;
            this.expiries.delete(this.nextExpiryTick);
            for (const sig of due) {
                const acc = registered.get(sig);
                // The same comparison as CollectorModel.scrape.
                if (acc && t - acc.updatedMs > this.ttlMs) registered.delete(sig);
            }
        }
    }

    /** Series with samples in [from, to): handed out, then consumed when the next window is asked for. */
    private handedOut: SeriesRuns[] = [];
    private consumeWindow(): void {
        for (const s of this.handedOut) s.runs = [];
        this.handedOut = [];
        for (const s of [...this.active]) if (Number.isNaN(s.openFrom) && s.runs.length === 0) this.active.delete(s);
    }
    private takeWindow(from: number, to: number): { fromMs: number; toMs: number; series: SeriesRuns[] } {
        const inWindow: SeriesRuns[] = [];
        for (const s of this.active) {
            // Hand out the open run up to the window's end as a closed piece; it continues from `to`.
            if (!Number.isNaN(s.openFrom) && s.openFrom < to) {
                s.runs.push(s.openFrom, to, s.openValue);
                const n = (to - s.openFrom) / this.scrapeMs;
                s.samples += n;
                this.stats.samples += n;
                s.openFrom = to;
            }
            if (s.runs.length > 0) inWindow.push(s);
        }
        this.handedOut = inWindow;
        return { fromMs: from, toMs: to, series: inWindow };
    }
}

/** Every sample of a window, series by series (time order within a series). */
export function* samplesOf(s: SeriesRuns, scrapeMs: number): Generator<[number, number]> {
    for (let i = 0; i < s.runs.length; i += 3) {
        for (let t = s.runs[i]; t < s.runs[i + 1]; t += scrapeMs) yield [t, s.runs[i + 2]];
    }
}

/** A world of `users` users over `days` days, starting at a fixed UTC midnight. */
export function benchWorld(users: number, days: number, seed = 20260701): World {
    return buildWorld({ seed, users, days, startMs: BENCH_START });
}

/** 1 July 2026, 00:00 UTC: every size (up to 90 days and the last night) ends before "today". */
export const BENCH_START = Date.UTC(2026, 6, 1);
