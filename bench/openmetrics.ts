/**
 * OpenMetrics text for `promtool tsdb create-blocks-from openmetrics`: one file per block window,
 * series by series, every sample with its timestamp.
 *
 * What OpenMetrics cannot say: staleness markers. Prometheus writes one (a special NaN) when a
 * series leaves a scrape; a backfilled series just stops. Why that does not change any number
 * here: every query the dashboards and rules run reads series through range functions
 * (sum_over_time, last_over_time, max_over_time, resets, increase), and range selectors drop
 * staleness markers. They would only matter to instant selectors (a series stays visible for the
 * 5m lookback after its last sample instead of vanishing at once) — none of the measured queries
 * has one — and to storage (one sample per series end: under 0.1 % of the samples).
 */
import { closeSync, openSync, writeSync } from "node:fs";
import type { SeriesRuns } from "./world";

/** `name{a="x",b="y"}` with label values escaped as the text formats require. */
export function seriesText(labels: Record<string, string>): string {
    const name = labels.__name__;
    const pairs = Object.keys(labels)
        .filter((k) => k !== "__name__")
        .sort()
        .map((k) => `${k}="${labels[k].replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`);
    return `${name}{${pairs.join(",")}}`;
}

/** Writes the samples of [fromMs, toMs) to `path`; returns the number of samples written. */
export function writeOpenMetricsWindow(path: string, series: Iterable<SeriesRuns>, fromMs: number, toMs: number, scrapeMs: number): { samples: number; bytes: number } {
    const fd = openSync(path, "w");
    const CHUNK = 4 << 20;
    const parts: string[] = [];
    let pending = 0;
    let samples = 0;
    let bytes = 0;
    const flush = () => {
        if (parts.length === 0) return;
        const buf = Buffer.from(parts.join(""), "latin1");
        writeSync(fd, buf);
        bytes += buf.length;
        parts.length = 0;
        pending = 0;
    };
    try {
        for (const s of series) {
            const head = seriesText(s.labels);
            if (/[^\x20-\x7e]/.test(head)) throw new Error(`non-ASCII label in ${head}: the writer encodes latin1`);
            for (let i = 0; i < s.runs.length; i += 3) {
                const from = Math.max(s.runs[i], fromMs);
                const to = Math.min(s.runs[i + 1], toMs);
                if (from >= to) continue;
                const prefix = `${head} ${s.runs[i + 2]} `;
                // Timestamps in whole seconds (scrapes are on 10 s boundaries).
                for (let t = from; t < to; t += scrapeMs) {
                    const line = `${prefix}${t / 1000}\n`;
                    parts.push(line);
                    pending += line.length;
                    samples++;
                    if (pending >= CHUNK) flush();
                }
            }
        }
        parts.push("# EOF\n");
        flush();
    } finally {
        closeSync(fd);
    }
    return { samples, bytes };
}
