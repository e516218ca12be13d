/**
 * Series growth without Prometheus: for worlds of growing size, the distinct raw series (what
 * naive queries read) and the distinct label sets the recording rules keep (what our panels
 * read), counted from the generator's export requests. A rule's output series are its input's
 * label sets minus the labels it aggregates away (`sum without (PER_SESSION_LABELS)`; the
 * per-session records keep session_id), so the counts follow configs/rules.ts.
 */
import { PER_SESSION_LABELS } from "../configs/rules";
import { METRICS, SESSION_MEASURES } from "../configs/signals";
import { CollectorModel } from "../test/truth/collectorModel";
import { MetricPoint } from "../test/truth/otlp";
import { exports } from "../test/truth/scenario";
import { benchWorld } from "./world";

export interface GrowthRow {
    users: number;
    days: number;
    sessions: number;
    rawSeries: number;
    /** Label sets of the aggregated records (all measures). */
    recordedSeries: number;
    /** Label sets of the per-session records (session-table measures). */
    sessionRecordedSeries: number;
    ms: number;
}

export function seriesGrowth(users: number, days: number): GrowthRow {
    const t0 = performance.now();
    const world = benchWorld(users, days);
    const model = new CollectorModel() as unknown as { labelsOf: (p: MetricPoint) => Record<string, string> };
    const claude = new Set<string>(Object.values(METRICS));
    const perSession = new Set<string>(SESSION_MEASURES.map((m) => METRICS[m]));
    const raw = new Set<string>();
    const recorded = new Set<string>();
    const sessionRecorded = new Set<string>();
    const seen = new Set<string>();
    const drop = (labels: Record<string, string>, keep: string[]) =>
        JSON.stringify(
            Object.entries(labels)
                .filter(([k]) => keep.includes(k) || !(PER_SESSION_LABELS as readonly string[]).includes(k))
                .sort(),
        );
    for (const p of world.processes) {
        for (const e of exports(p)) {
            for (const point of e.points) {
                const quick = `${point.name}\u0000${JSON.stringify(point.attributes)}\u0000${JSON.stringify(point.resource)}`;
                if (seen.has(quick)) continue;
                seen.add(quick);
                const labels = model.labelsOf(point);
                if (!claude.has(labels.__name__)) continue;
                raw.add(JSON.stringify(Object.entries(labels).sort()));
                recorded.add(drop(labels, []));
                if (perSession.has(labels.__name__)) sessionRecorded.add(drop(labels, ["session_id"]));
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
