/**
 * The benchmark's event-driven simulation writes exactly what the test suite's `simulate()` writes:
 * the same series, the same sample at every scrape, the same staleness markers.
 */
import { describe, expect, it } from "vitest";
import { simulate, type World } from "../harness/scenario";
import { FastSimulation, type SeriesRuns, benchWorld, samplesOf } from "./world";

type Sample = [t: number, value: number | "stale"];
const keyOf = (labels: Record<string, string>) => JSON.stringify(Object.entries(labels).sort());

function reference(world: World, ttlMs?: number): Map<string, Sample[]> {
    const out = new Map<string, Sample[]>();
    for (const batch of simulate(world, { ttlMs })) {
        for (const s of batch) {
            const key = keyOf(s.labels);
            const list = out.get(key) ?? [];
            for (const x of s.samples) list.push([x.timestampMs, x.stale ? "stale" : x.value]);
            out.set(key, list);
        }
    }
    return out;
}

function fast(world: World, ttlMs: number | undefined, windowMs: number): { samples: Map<string, Sample[]>; staleMarkers: number; samplesTotal: number } {
    const sim = new FastSimulation(world, { ttlMs });
    const runs = new Map<string, number[]>();
    const stats = sim.run(windowMs, (from, to, series: Iterable<SeriesRuns>) => {
        for (const s of series) {
            for (const [t] of samplesOf(s, sim.scrapeMs)) expect(t >= from && t < to).toBe(true);
            const key = keyOf(s.labels);
            runs.set(key, [...(runs.get(key) ?? []), ...s.runs]);
        }
    });
    const lastTick = Math.floor(world.startMs / 10000) * 10000 + Math.floor((world.endMs - Math.floor(world.startMs / 10000) * 10000) / 10000) * 10000;
    const samples = new Map<string, Sample[]>();
    for (const [key, flat] of runs) {
        const list: Sample[] = [];
        const starts = new Set<number>();
        for (let i = 0; i < flat.length; i += 3) starts.add(flat[i]);
        for (let i = 0; i < flat.length; i += 3) {
            for (let t = flat[i]; t < flat[i + 1]; t += 10000) list.push([t, flat[i + 2]]);
            const to = flat[i + 1];
            if (!starts.has(to) && to <= lastTick) list.push([to, "stale"]);
        }
        samples.set(key, list.sort((a, b) => a[0] - b[0]));
    }
    return { samples, staleMarkers: stats.staleMarkers, samplesTotal: stats.samples };
}

function compare(world: World, ttlMs?: number, windowMs = 6 * 3600000) {
    const want = reference(world, ttlMs);
    const got = fast(world, ttlMs, windowMs);
    expect([...got.samples.keys()].sort()).toEqual([...want.keys()].sort());
    let stale = 0;
    let values = 0;
    for (const [key, samples] of want) {
        expect(got.samples.get(key), key).toEqual(samples);
        stale += samples.filter((s) => s[1] === "stale").length;
        values += samples.filter((s) => s[1] !== "stale").length;
    }
    expect(got.staleMarkers).toBe(stale);
    expect(got.samplesTotal).toBe(values);
    return { series: want.size, values, stale };
}

describe("FastSimulation equals simulate()", () => {
    it("on the test world with every hard case (3 users × 2 days)", () => {
        const r = compare(benchWorld(3, 2));
        expect(r.series).toBeGreaterThan(100);
    });

    it("with a collector outage spanning scrapes and a short series TTL", () => {
        const world = benchWorld(2, 1, 7);
        world.collectorRestarts.push({ atMs: world.startMs + 9 * 3600000 + 1000, downMs: 35000 }, { atMs: world.startMs + 14 * 3600000 + 20000, downMs: 9000 });
        const r = compare(world, 5 * 60000, 2 * 3600000);
        expect(r.stale).toBeGreaterThan(100);
    });

    it("whatever the window size", () => {
        const world = benchWorld(1, 2, 3);
        compare(world, undefined, 3600000);
        compare(world, undefined, 54 * 3600000);
    });
});
