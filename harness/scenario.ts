/**
 * Realistic Claude Code telemetry for many users and sessions over days, with the hard cases,
 * from the wire shapes of the real 2.1.332 exports (test/fixtures): the same metric names, units,
 * attributes and export behaviour (delta points start at the interval's first recording and are
 * sent only for series that changed; cumulative points are re-sent every interval; everything is
 * flushed at exit), and one api_request event per call with its cost_usd: the ground truth.
 *
 * `simulate` runs the world through the collector model (deltatocumulative + prometheus exporter)
 * and a 10 s scrape, and yields what Prometheus would store, staleness markers included.
 */
import { CollectorModel } from "./collectorModel";
import type { MetricPoint, Scalar } from "./otlp";
import type { Series } from "./remoteWrite";
import { COLLECTOR_SELF_JOB } from "../configs/collector";

/** Deterministic PRNG (mulberry32), so every run builds the same world. */
export function rng(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

export const MODELS = {
    "claude-opus-5-5": { inputPerMTok: 15, outputPerMTok: 75, cacheReadPerMTok: 1.5, cacheWritePerMTok: 18.75 },
    "claude-sonnet-5": { inputPerMTok: 3, outputPerMTok: 15, cacheReadPerMTok: 0.3, cacheWritePerMTok: 3.75 },
    "claude-haiku-5": { inputPerMTok: 1, outputPerMTok: 5, cacheReadPerMTok: 0.1, cacheWritePerMTok: 1.25 },
} as const;
export type Model = keyof typeof MODELS;

export interface ApiCall {
    atMs: number;
    model: Model;
    querySource: "main" | "subagent";
    effort: "low" | "medium" | "high";
    tokens: { input: number; output: number; cacheRead: number; cacheCreation: number };
    costUsd: number;
    /** Seconds Claude worked for this call (active_time, type cli). */
    activeSeconds: number;
    linesAdded: number;
    linesRemoved: number;
    commits: number;
    pullRequests: number;
    /** Edit permission decisions made for this call's edits. */
    editDecisions: { decision: "accept" | "reject"; toolName: "Edit" | "Write"; language: string }[];
}

/** One Claude Code process (a CLI run). Several processes may share a session id (--resume). */
export interface ClaudeProcess {
    userId: string;
    sessionId: string;
    team?: string;
    startMs: number;
    endMs: number;
    temporality: "delta" | "cumulative";
    exportIntervalMs: number;
    startType: "fresh" | "resume";
    calls: ApiCall[];
}

export interface World {
    processes: ClaudeProcess[];
    /** Collector restarts: down from `atMs` for `downMs`. */
    collectorRestarts: { atMs: number; downMs: number }[];
    startMs: number;
    endMs: number;
}

const SCOPE = { name: "com.anthropic.claude_code", version: "2.1.332" };

/** A call with tokens and the cost Claude Code would compute from them. */
export function makeCall(r: () => number, atMs: number, model: Model, querySource: "main" | "subagent" = "main", effort: ApiCall["effort"] = "medium"): ApiCall {
    const p = MODELS[model];
    const tokens = {
        input: 20 + Math.floor(r() * 2000),
        output: 50 + Math.floor(r() * 3000),
        cacheRead: Math.floor(r() * 60000),
        cacheCreation: Math.floor(r() * 8000),
    };
    const costUsd =
        (tokens.input * p.inputPerMTok + tokens.output * p.outputPerMTok + tokens.cacheRead * p.cacheReadPerMTok + tokens.cacheCreation * p.cacheWritePerMTok) / 1e6;
    const edits = r() < 0.3;
    return {
        atMs,
        model,
        querySource,
        effort,
        tokens,
        costUsd,
        activeSeconds: Math.round((1 + r() * 40) * 1000) / 1000,
        linesAdded: edits ? Math.floor(r() * 80) : 0,
        linesRemoved: edits ? Math.floor(r() * 30) : 0,
        commits: r() < 0.05 ? 1 : 0,
        pullRequests: r() < 0.01 ? 1 : 0,
        editDecisions: edits
            ? [{ decision: r() < 0.85 ? "accept" : "reject", toolName: r() < 0.7 ? "Edit" : "Write", language: (["TypeScript", "Python", "Go"] as const)[Math.floor(r() * 3)] }]
            : [],
    };
}

/** One metric recording inside the client (before export). */
interface Recording {
    key: string;
    name: string;
    unit: string;
    attributes: Record<string, Scalar>;
    atMs: number;
    value: number;
}

function recordings(p: ClaudeProcess): Recording[] {
    const common: Record<string, Scalar> = {
        "user.id": p.userId,
        "session.id": p.sessionId,
        "terminal.type": "xterm-256color",
        ...(p.team ? { team: p.team } : {}),
    };
    const out: Recording[] = [];
    const add = (name: string, unit: string, attrs: Record<string, Scalar>, atMs: number, value: number) => {
        const attributes = { ...common, ...attrs };
        out.push({ key: JSON.stringify([name, attributes]), name, unit, attributes, atMs, value });
    };
    add("claude_code.session.count", "", { start_type: p.startType }, p.startMs, 1);
    for (const c of p.calls) {
        const costAttrs = { model: c.model, query_source: c.querySource, effort: c.effort };
        add("claude_code.cost.usage", "USD", costAttrs, c.atMs, c.costUsd);
        for (const [type, n] of Object.entries(c.tokens)) add("claude_code.token.usage", "tokens", { ...costAttrs, type }, c.atMs, n);
        add("claude_code.active_time.total", "s", { type: "cli" }, c.atMs, c.activeSeconds);
        if (c.linesAdded > 0) add("claude_code.lines_of_code.count", "", { type: "added", model: c.model }, c.atMs, c.linesAdded);
        if (c.linesRemoved > 0) add("claude_code.lines_of_code.count", "", { type: "removed", model: c.model }, c.atMs, c.linesRemoved);
        if (c.commits > 0) add("claude_code.commit.count", "", {}, c.atMs, c.commits);
        if (c.pullRequests > 0) add("claude_code.pull_request.count", "", {}, c.atMs, c.pullRequests);
        for (const d of c.editDecisions) {
            add("claude_code.code_edit_tool.decision", "", { decision: d.decision, source: "config", tool_name: d.toolName, language: d.language }, c.atMs, 1);
        }
    }
    return out.sort((a, b) => a.atMs - b.atMs);
}

/** The OTLP export requests one process sends: [send time, points]. */
export function exports(p: ClaudeProcess): { atMs: number; points: MetricPoint[] }[] {
    const recs = recordings(p);
    const resource: Record<string, Scalar> = {
        "host.arch": "amd64",
        "os.type": "linux",
        "service.name": "claude-code",
        "service.version": "2.1.332",
        ...(p.team ? { team: p.team } : {}),
    };
    const times: number[] = [];
    for (let t = p.startMs + p.exportIntervalMs; t < p.endMs; t += p.exportIntervalMs) times.push(t);
    times.push(p.endMs); // flush at exit
    const out: { atMs: number; points: MetricPoint[] }[] = [];
    const first = new Map<string, number>();
    const cumulative = new Map<string, number>();
    let previous = -Infinity;
    for (const t of times) {
        const inInterval = recs.filter((r) => r.atMs > previous && r.atMs <= t);
        const points: MetricPoint[] = [];
        const byKey = new Map<string, Recording[]>();
        for (const r of inInterval) byKey.set(r.key, [...(byKey.get(r.key) ?? []), r]);
        for (const r of inInterval) if (!first.has(r.key)) first.set(r.key, r.atMs);
        for (const [key, rs] of byKey) cumulative.set(key, (cumulative.get(key) ?? 0) + rs.reduce((s, r) => s + r.value, 0));
        const point = (r: Recording, startMs: number, value: number): MetricPoint => ({
            name: r.name,
            unit: r.unit,
            temporality: p.temporality,
            monotonic: true,
            resource,
            scope: SCOPE,
            attributes: r.attributes,
            startMs,
            startUnixNano: String(BigInt(Math.round(startMs * 1000)) * 1000n),
            timeMs: t,
            value,
        });
        if (p.temporality === "delta") {
            // Only series that changed; the start is the interval's first recording (observed).
            for (const rs of byKey.values()) points.push(point(rs[0], rs[0].atMs, rs.reduce((s, r) => s + r.value, 0)));
        } else {
            const latest = new Map<string, Recording>();
            for (const r of recs) if (r.atMs <= t) latest.set(r.key, r);
            for (const [key, r] of latest) points.push(point(r, first.get(key)!, cumulative.get(key)!));
        }
        if (points.length > 0) out.push({ atMs: t, points });
        previous = t;
    }
    return out;
}

/** Ground truth from the api_request events (one per call). */
export function truthCost(world: World, fromMs: number, toMs: number, filter: (p: ClaudeProcess, c: ApiCall) => boolean = () => true): number {
    let sum = 0;
    for (const p of world.processes) for (const c of p.calls) if (c.atMs > fromMs && c.atMs <= toMs && filter(p, c)) sum += c.costUsd;
    return sum;
}

export function truthTokens(world: World, fromMs: number, toMs: number, type: keyof ApiCall["tokens"]): number {
    let sum = 0;
    for (const p of world.processes) for (const c of p.calls) if (c.atMs > fromMs && c.atMs <= toMs) sum += c.tokens[type];
    return sum;
}

/** The series Prometheus writes for each scrape of the collector's own metrics. */
const COLLECTOR_UP_LABELS = { __name__: "up", job: COLLECTOR_SELF_JOB, instance: "otel-collector:8888" };

/** Client retries of the OTLP exporter (otlp-exporter-base: 5 attempts, backoff from 1 s up to 5 s). */
const RETRY_WINDOW_MS = 8000;

/**
 * Runs the world through the collector model and a scrape every `scrapeMs`, and yields batches of
 * series as Prometheus stores them (job/instance labels, staleness markers when a series leaves
 * the exposition or a scrape fails), with the `up` series of the scrape of the collector's own
 * metrics (0 while the collector is down).
 */
export function* simulate(world: World, opts: { scrapeMs?: number; ttlMs?: number; batchScrapes?: number } = {}): Generator<Series[]> {
    const scrapeMs = opts.scrapeMs ?? 10000;
    const model = new CollectorModel({ maxStaleMs: opts.ttlMs, metricExpirationMs: opts.ttlMs });
    const down = (t: number) => world.collectorRestarts.find((r) => t >= r.atMs && t < r.atMs + r.downMs);
    // Export requests in arrival order; those sent while the collector is down arrive when it is
    // back, if within the client's retry window, else they are lost.
    const requests = world.processes
        .flatMap(exports)
        .map((e) => {
            const outage = down(e.atMs);
            if (!outage) return e;
            const back = outage.atMs + outage.downMs;
            return back - e.atMs <= RETRY_WINDOW_MS ? { ...e, atMs: back } : undefined;
        })
        .filter((e): e is { atMs: number; points: MetricPoint[] } => e !== undefined)
        .sort((a, b) => a.atMs - b.atMs);
    const restarts = [...world.collectorRestarts].sort((a, b) => a.atMs - b.atMs);

    let next = 0;
    let restartIndex = 0;
    let previous = new Map<string, Record<string, string>>();
    // One entry per series per batch, samples in time order.
    let batch = new Map<string, Series>();
    const push = (key: string, labels: Record<string, string>, sample: Series["samples"][number]) => {
        const series = batch.get(key) ?? { labels, samples: [] };
        series.samples.push(sample);
        batch.set(key, series);
    };
    let scrapesInBatch = 0;
    const start = Math.floor(world.startMs / scrapeMs) * scrapeMs;
    for (let t = start; t <= world.endMs; t += scrapeMs) {
        while (restartIndex < restarts.length && restarts[restartIndex].atMs <= t) {
            model.restart();
            restartIndex++;
        }
        while (next < requests.length && requests[next].atMs <= t) {
            model.receive(requests[next].points, requests[next].atMs);
            next++;
        }
        push("up", COLLECTOR_UP_LABELS, { value: down(t) ? 0 : 1, timestampMs: t });
        const current = new Map<string, Record<string, string>>();
        if (!down(t)) {
            for (const s of model.scrape(t)) {
                const key = JSON.stringify(Object.entries(s.labels).sort());
                current.set(key, s.labels);
                push(key, s.labels, { value: s.value, timestampMs: t });
            }
        }
        for (const [key, labels] of previous) {
            if (!current.has(key)) push(key, labels, { value: NaN, timestampMs: t, stale: true });
        }
        previous = current;
        if (++scrapesInBatch >= (opts.batchScrapes ?? 360)) {
            yield [...batch.values()];
            batch = new Map();
            scrapesInBatch = 0;
        }
    }
    if (batch.size > 0) yield [...batch.values()];
}

/**
 * The proof world: `users` users over `days` days, 2-4 sessions a day each, plus every hard case
 * at known times. Activity comes in bursts separated by quiet gaps, so ranges can start and end
 * where nothing is in flight.
 */
export function buildWorld(args: { seed: number; users: number; days: number; startMs: number }): World {
    const r = rng(args.seed);
    const models = Object.keys(MODELS) as Model[];
    const processes: ClaudeProcess[] = [];
    const day = 86400000;
    let sessionCounter = 0;
    const sessionId = () => `00000000-0000-4000-8000-${String(++sessionCounter).padStart(12, "0")}`;
    const session = (user: number, startMs: number, minutes: number, overrides: Partial<ClaudeProcess> = {}): ClaudeProcess => {
        const endMs = startMs + minutes * 60000;
        const calls: ApiCall[] = [];
        const model = models[Math.floor(r() * models.length)];
        const effort = (["low", "medium", "high"] as const)[Math.floor(r() * 3)];
        for (let t = startMs + 2000 + r() * 20000; t < endMs - 500; t += 15000 + r() * 90000) {
            calls.push(makeCall(r, Math.round(t), r() < 0.8 ? model : models[Math.floor(r() * models.length)], r() < 0.15 ? "subagent" : "main", effort));
        }
        return {
            userId: `user-${user}`,
            sessionId: sessionId(),
            team: user % 2 === 0 ? "platform" : "product",
            startMs,
            endMs,
            temporality: user % 3 === 2 ? "cumulative" : "delta",
            exportIntervalMs: 10000,
            startType: "fresh",
            calls,
            ...overrides,
        };
    };

    for (let d = 0; d < args.days; d++) {
        for (let u = 0; u < args.users; u++) {
            const n = 2 + Math.floor(r() * 3);
            for (let i = 0; i < n; i++) {
                // Sessions start on the quarter hour between 08:00 and 20:00 (UTC) and last up to 50 minutes.
                const startMs = args.startMs + d * day + (8 * 60 + Math.floor(r() * 48) * 15) * 60000 + u * 1000 + 5000;
                processes.push(session(u, startMs, 2 + Math.floor(r() * 48)));
            }
        }
    }

    // Hard cases on the first day's night (00:00-07:00 UTC), away from the regular sessions.
    const night = args.startMs;
    const min = 60000;
    const hard: ClaudeProcess[] = [];
    // 1. Sessions shorter than one export interval: one export, at exit.
    for (let i = 0; i < 5; i++) {
        const t = night + 10 * min + i * 3 * min;
        hard.push({ ...session(0, t, 0.1), calls: [makeCall(r, t + 2000, "claude-sonnet-5")], endMs: t + 4000 });
    }
    /** A second process on the same session: same id, and calls on the same model and effort, so it writes the same series. */
    const resume = (of: ClaudeProcess, startMs: number, minutes: number): ClaudeProcess => {
        const b = session(Number(of.userId.split("-")[1]), startMs, minutes, { temporality: of.temporality });
        const like = of.calls[0];
        return {
            ...b,
            sessionId: of.sessionId,
            startType: "resume",
            calls: b.calls.map((c) => makeCall(r, c.atMs, like.model, like.querySource, like.effort)),
        };
    };
    // 2. Sequential resume: the same session id in a new process, counters from zero.
    const first = session(1, night + 40 * min, 5);
    hard.push(first, resume(first, night + 50 * min, 5));
    // 3. Concurrent resume: two live processes writing the same session id. Delta here; the
    //    cumulative variant is on the night after the last day (below).
    const concurrent = (startMs: number, temporality: "delta" | "cumulative") => {
        const a = session(2, startMs, 12, { temporality });
        a.calls = a.calls.map((c) => ({ ...c, querySource: "main" as const }));
        return [a, resume(a, a.startMs + 3 * min, 6)];
    };
    hard.push(...concurrent(night + 70 * min, "delta"));
    hard.push(...concurrent(night + args.days * day + 60 * min, "cumulative"));
    // 4. Collector restart in the middle of delta and cumulative sessions.
    hard.push(session(0, night + 120 * min, 15, { temporality: "delta" }), session(3 % args.users, night + 121 * min, 15, { temporality: "cumulative" }));
    // 5. Idle for longer than the collector's series TTL (6h), then active again in the same process.
    const idle = session(4 % args.users, night + 150 * min, 5);
    const late = idle.startMs + 7 * 60 * min;
    idle.calls.push(makeCall(r, late, "claude-opus-5-5"), makeCall(r, late + 30000, "claude-opus-5-5"));
    idle.endMs = late + 60000;
    hard.push(idle);
    processes.push(...hard);

    return {
        processes,
        collectorRestarts: [{ atMs: night + 127 * min + 3000, downMs: 4000 }],
        startMs: args.startMs,
        endMs: args.startMs + args.days * day + 7 * 3600000,
    };
}
