/**
 * Series growth without Prometheus: for worlds of growing size, the distinct raw series (what
 * naive queries read) and the distinct label sets the recording rules keep (what our panels
 * read), counted from the generator's export requests. A record's series are its counter's
 * label sets minus the labels it sums away (RECORDS in configs/rules.ts), so the counts follow
 * the program's rules.
 */
import { RECORDS } from "../configs/rules";
import { METRICS } from "../configs/signals";
import { CollectorModel } from "../harness/collectorModel";
import type { MetricPoint } from "../harness/otlp";
import { exports } from "../harness/scenario";
import { benchWorld } from "./world";

export interface GrowthRow {
    users: number;
    days: number;
    sessions: number;
    rawSeries: number;
    /** Label sets of the records without session_id (all measures; what the overview and productivity dashboards read). */
    recordedSeries: number;
    /** Label sets of the per-session records (the sessions dashboard). */
    sessionRecordedSeries: number;
    ms: number;
}

export function seriesGrowth(users: number, days: number): GrowthRow {
    const t0 = performance.now();
    const world = benchWorld(users, days);
    const model = new CollectorModel() as unknown as { labelsOf: (p: MetricPoint) => Record<string, string> };
    const claude = new Set<string>(Object.values(METRICS));
    const raw = new Set<string>();
    const recorded = new Set<string>();
    const sessionRecorded = new Set<string>();
    const seen = new Set<string>();
    for (const p of world.processes) {
        for (const e of exports(p)) {
            for (const point of e.points) {
                const quick = `${point.name}\u0000${JSON.stringify(point.attributes)}\u0000${JSON.stringify(point.resource)}`;
                if (seen.has(quick)) continue;
                seen.add(quick);
                const labels = model.labelsOf(point);
                if (!claude.has(labels.__name__)) continue;
                raw.add(JSON.stringify(Object.entries(labels).sort()));
                for (const r of RECORDS) {
                    if (METRICS[r.measure] !== labels.__name__) continue;
                    const kept = JSON.stringify([r.record, ...Object.entries(labels).filter(([k]) => k !== "__name__" && !r.summedAway.includes(k)).sort()]);
                    (r.summedAway.includes("session_id") ? recorded : sessionRecorded).add(kept);
                }
            }
        }
    }
    return {
        users,
        days,
        sessions: new Set(world.processes.map((p) => p.sessionId)).size,
        rawSeries: raw.size,
        recordedSeries: recorded.size,
        sessionRecordedSeries: sessionRecorded.size,
        ms: performance.now() - t0,
    };
}
