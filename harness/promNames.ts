/**
 * OTLP → Prometheus names as the collector's `prometheus` exporter builds them with
 * `translation_strategy: UnderscoreEscapingWithSuffixes` (WithMetricSuffixes=true, UTF8Allowed=false).
 *
 * Sources (github.com/prometheus/otlptranslator, used by contrib exporter/prometheusexporter/collector.go):
 * - metric_namer.go: buildCompliantMetricName → normalizeName, addUnitTokens, removeItem, unitMap, perUnitMap
 * - unit_namer.go:   buildUnitSuffixes, cleanUpUnit
 * - label_namer.go:  LabelNamer.Build (sanitizeLabelName + `key_`/`key` prefixes)
 * Only the unit table entries that matter here are copied; unknown units (USD, tokens) pass through as-is.
 */

/** otlptranslator MetricType, as the collector derives it from the pmetric type. */
export type MetricKind = "monotonic_sum" | "non_monotonic_sum" | "gauge" | "histogram" | "exponential_histogram" | "summary";

// unitMap (subset). "1" maps to "" (dimensionless): no suffix, except `_ratio` for gauges (below).
const UNIT_MAP: Record<string, string> = {
    d: "days",
    h: "hours",
    min: "minutes",
    s: "seconds",
    ms: "milliseconds",
    us: "microseconds",
    ns: "nanoseconds",
    By: "bytes",
    KiBy: "kibibytes",
    MiBy: "mebibytes",
    KBy: "kilobytes",
    MBy: "megabytes",
    "%": "percent",
    "1": "",
};
// perUnitMap (subset): "By/s" → bytes_per_second.
const PER_UNIT_MAP: Record<string, string> = { s: "second", m: "minute", h: "hour", d: "day", w: "week", mo: "month", y: "year" };

// isValidCompliantMetricChar: [a-zA-Z0-9:]; everything else (including `_` and `.`) splits tokens.
const INVALID_METRIC_CHARS = /[^a-zA-Z0-9:]+/;

/** unit_namer.go cleanUpUnit: invalid chars → `_`, runs of `_` collapsed, leading `_` removed. */
const cleanUpUnit = (u: string) => u.replace(/[^a-zA-Z0-9:]/g, "_").replace(/__+/g, "_").replace(/^_/, "");

/** unit_namer.go buildUnitSuffixes: a unit part containing `{` or `}` (an annotation like `{token}`) gives no suffix at all. */
function unitSuffixes(unit: string): [main: string, per: string] {
    const [mainRaw, perRaw] = unit.split(/\/(.*)/s, 2);
    const main = (mainRaw ?? "").trim();
    let mainSuffix = "";
    if (main !== "" && !/[{}]/.test(main)) mainSuffix = UNIT_MAP[main] ?? main;
    let perSuffix = "";
    const per = (perRaw ?? "").trim();
    if (per !== "" && !/[{}]/.test(per)) perSuffix = `per_${PER_UNIT_MAP[per] ?? per}`;
    return [cleanUpUnit(mainSuffix), cleanUpUnit(perSuffix)];
}

/** metric_namer.go normalizeName (no namespace). */
export function prometheusMetricName(otlpName: string, unit: string, kind: MetricKind): string {
    let tokens = otlpName.split(INVALID_METRIC_CHARS).filter((t) => t !== "");
    let [main, per] = unitSuffixes(unit);
    // addUnitTokens: a unit already present as a name token is not added again.
    if (tokens.includes(main)) main = "";
    if (per === "per_") per = "";
    else {
        per = per.replace(/_$/, "");
        if (tokens.includes(per)) per = "";
    }
    if (per !== "") main = main.replace(/_$/, "");
    if (main !== "") tokens.push(main);
    if (per !== "") tokens.push(per);
    // Monotonic counters end in `total`; a `total` token elsewhere is moved to the end.
    if (kind === "monotonic_sum") tokens = [...tokens.filter((t) => t !== "total"), "total"];
    // Unit "1" gives `_ratio`, for gauges only.
    if (unit === "1" && kind === "gauge") tokens = [...tokens.filter((t) => t !== "ratio"), "ratio"];
    let name = tokens.join("_");
    // A name cannot start with a digit.
    if (/^[0-9]/.test(name)) name = `_${name}`;
    if (name === "") throw new Error(`normalization for metric "${otlpName}" resulted in empty name`);
    return name;
}

/** label_namer.go LabelNamer.Build (UTF8Allowed=false, PermissiveLabelSanitization=false). */
export function prometheusLabelName(key: string): string {
    if (key === "") throw new Error("empty label name");
    let name = key.replace(/[^a-zA-Z0-9_]/g, "_");
    if (/^[0-9]/.test(name)) name = `key_${name}`;
    else if (name.startsWith("_") && !name.startsWith("__")) name = `key${name}`;
    return name;
}
