/**
 * The baseline: the same panels written the way most existing stacks write them, on the raw
 * per-session series with `increase()` and no recording rules. Derived mechanically from our
 * queries, so every panel has its twin:
 *
 *     sum_over_time(claude_code:<measure>:increase1m{m}[R])          → increase(<raw metric>{m}[R])
 *     sum_over_time(claude_code:<measure>:session_increase1m{m}[R])  → increase(<raw metric>{m}[R])
 *     label_values(claude_code:<measure>:increase1m, l)              → label_values(<raw metric>, l)
 *
 * Outer aggregations (sum by, topk, ratios, `and on`) are kept as written. Any recorded series
 * `claude_code:<measure>:<anything>increase<d>` maps to its measure's raw metric, so rollups
 * (e.g. `…:increase1h`) read through sum_over_time translate the same way. A query that still
 * reads a recorded series after the rewrite has no naive twin: `naiveQuery` throws.
 */
import { METRICS, type Measure, SESSION_MEASURES, recordedIncrease, recordedSessionIncrease } from "../configs/signals";

/** `cost_usd` → claude_code_cost_usage_USD_total, from the program's own naming functions. */
function rawByRecordPart(): Map<string, string> {
    const out = new Map<string, string>();
    for (const measure of Object.keys(METRICS) as Measure[]) out.set(recordedIncrease(measure).split(":")[1], METRICS[measure]);
    for (const measure of SESSION_MEASURES) out.set(recordedSessionIncrease(measure).split(":")[1], METRICS[measure]);
    return out;
}
const RAW = rawByRecordPart();

/** A recorded series name (`claude_code:<part>:<kind>`), with its selector matchers if any. */
const RECORDED = "claude_code:([a-z0-9_]+):[a-z0-9_]*increase[0-9a-z]+";

function raw(part: string, name: string): string {
    const metric = RAW.get(part);
    if (!metric) throw new Error(`no raw metric for recorded series ${name}`);
    return metric;
}

export function naiveQuery(expr: string): string {
    // sum_over_time(<recorded>{m}[R] offset X) → increase(<raw>{m}[R] offset X)
    let out = expr.replace(
        new RegExp(String.raw`sum_over_time\(\s*(${RECORDED})(\{[^}]*\})?(\s*\[[^\]]+\](?:\s+offset\s+-?[0-9a-z]+)?(?:\s*@\s*[0-9.a-z()]+)?)\s*\)`, "g"),
        (_all, name: string, part: string, matchers: string | undefined, range: string) => `increase(${raw(part, name)}${matchers ?? ""}${range})`,
    );
    // label_values(<recorded>{m}, label) → label_values(<raw>{m}, label)
    out = out.replace(new RegExp(String.raw`label_values\(\s*(${RECORDED})`, "g"), (_all, name: string, part: string) => `label_values(${raw(part, name)}`);
    const left = new RegExp(RECORDED).exec(out);
    if (left) throw new Error(`no naive equivalent: ${left[0]} is read other than through sum_over_time in: ${expr}`);
    return out;
}

/** Whether a query reads recorded series at all (if not, ours and naive are the same query). */
export function readsRecorded(expr: string): boolean {
    return new RegExp(RECORDED).test(expr);
}
