/**
 * Samples of the Prometheus text exposition format (what the collector's exporter serves on
 * /metrics). Hand-written because no maintained JavaScript parser of the format exists; it reads
 * what the exporter writes: one sample per line, quoted label values with \\, \" and \n escapes,
 * an optional timestamp.
 */
export interface ExposedSample {
    labels: Record<string, string>;
    value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
const unescapeLabel = (v: string) => v.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));

export function parseExposition(text: string): ExposedSample[] {
    return text
        .split("\n")
        .filter((line) => line !== "" && !line.startsWith("#"))
        .map((line) => {
            const m = SAMPLE.exec(line);
            if (!m) throw new Error(`not a sample line: ${line}`);
            const labels: Record<string, string> = { __name__: m[1] };
            for (const [, name, value] of (m[2] ?? "").matchAll(LABEL)) labels[name] = unescapeLabel(value);
            return { labels, value: Number(m[3]) };
        });
}
