/**
 * The numbers are true: a world of Claude Code users and sessions over days (with every hard
 * case) goes through the collector model into a real Prometheus 3.x; the program's recording rules
 * are evaluated by promtool; then every dashboard and alert query the program generates runs
 * against it, and the totals are compared with the ground truth: the sum of cost_usd and tokens
 * in the api_request events.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { forecastRules, periodToDateCost } from "../configs/alerts";
import { ALERT_SETTINGS } from "../harness/queries";
import { incrementRuleGroups } from "../configs/rules";
import { signals } from "../configs/signals";
import { BUILD_HINT, PROMETHEUS_VERSION, findTool } from "../harness/tools";
import { PrometheusServer } from "../harness/prometheusServer";
import { type GeneratedQuery, generatedQueries, interpolate, variableAsPromQL } from "../harness/queries";
import { remoteWrite } from "../harness/remoteWrite";
import { type ApiCall, type World, buildWorld, simulate, truthCost, truthTokens } from "../harness/scenario";

const DAY = 86400000;
const MIN = 60000;
const START = Date.UTC(2026, 9, 1); // 1 October 2026, 00:00 UTC: a month start, for month-to-date
const TOLERANCE = 0.01; // the bound; the design aims for exact

const prometheusBin = findTool("prometheus");
const promtoolBin = findTool("promtool");
const haveTools = !!prometheusBin && !!promtoolBin;
if (!haveTools) {
    const message = `prometheus/promtool ${PROMETHEUS_VERSION} not found: ${BUILD_HINT}`;
    if (process.env.CI) throw new Error(message);
    console.warn(`\n*** SKIPPED (truth against real Prometheus): ${message}\n`);
}

let server: PrometheusServer;
let world: World;

/** Instant query, by label set → value. */
async function q(expr: string, atMs: number): Promise<Map<string, number>> {
    const rows = await server.query(expr, atMs);
    return new Map(rows.map((r) => [JSON.stringify(Object.entries(r.metric).sort()), r.value]));
}
async function scalar(expr: string, atMs: number): Promise<number> {
    const rows = await server.query(expr, atMs);
    expect(rows.length, expr).toBe(1);
    return rows[0].value;
}
const rangeExpr = (f: (range: string) => string, fromMs: number, toMs: number) => f(`${Math.round((toMs - fromMs) / 1000)}s`);
const relErr = (got: number, want: number) => Math.abs(got - want) / Math.max(Math.abs(want), 1e-12);

describe.skipIf(!haveTools && !process.env.CI)("dashboard and alert numbers against ground truth (real Prometheus)", () => {
    beforeAll(async () => {
        world = buildWorld({ seed: 20261001, users: 6, days: 3, startMs: START });
        server = new PrometheusServer(prometheusBin!, promtoolBin!);
        await server.start();
        for (const batch of simulate(world)) await remoteWrite(server.url, batch);
        await server.backfillRules(incrementRuleGroups(), world.startMs, world.endMs);
    }, 600000);

    afterAll(async () => {
        await server?.stop();
        server?.cleanup();
    });

    it("the world has every hard case and realistic volume", () => {
        const sessions = new Set(world.processes.map((p) => p.sessionId));
        expect(sessions.size).toBeGreaterThan(40);
        expect(world.processes.length).toBeGreaterThan(sessions.size); // resumed sessions share ids
        expect(world.processes.some((p) => p.endMs - p.startMs < 10000)).toBe(true); // shorter than an export interval
        expect(world.processes.some((p) => p.temporality === "delta")).toBe(true);
        expect(world.processes.some((p) => p.temporality === "cumulative")).toBe(true);
        expect(world.collectorRestarts.length).toBeGreaterThan(0);
        expect(truthCost(world, START, world.endMs)).toBeGreaterThan(10);
    });

    describe("every generated Prometheus query runs and names real series", () => {
        const queries = generatedQueries().filter((g) => g.datasource === "prometheus");
        const onClaudeCode = (g: GeneratedQuery) => /claude_code/.test(g.expr);
        it.each(queries.map((g) => [g.source, g] as const))("%s", async (_source, g) => {
            // At the world's busy end (minutes without growth are not recorded, so its idle tail
            // has no recorded samples): the range is the whole world, buckets and alert windows
            // the last hour.
            const at = Math.max(...world.processes.map((p) => p.endMs)) + 2 * 60000;
            const expr = interpolate(variableAsPromQL(g.expr), (at - START) / 1000, 3600);
            const rows = await server.query(expr, at);
            // Queries on Claude Code data return something; pipeline queries read the collector's
            // and Prometheus' own metrics, which this world does not contain, and team mode's
            // recording rules read only the last minute (their totals are proved in
            // configs.rules.promtool.test.ts).
            const lastMinuteOnly = g.source.startsWith("grafana recording rule");
            if (onClaudeCode(g) && !lastMinuteOnly && !/pull_requests|commits/.test(expr)) expect(rows.length, expr).toBeGreaterThan(0);
            for (const name of expr.match(/claude_code[:_][A-Za-z0-9_:]+/g) ?? []) {
                const found = await server.query(`count({__name__="${name}"})`, world.endMs - DAY);
                const ever = found.length > 0 || (await server.query(`count(last_over_time({__name__="${name}"}[30d]))`, world.endMs)).length > 0;
                expect(ever, `${name} in ${g.source}`).toBe(true);
            }
        });
    });

    describe("totals for whole days equal the events' sums", () => {
        for (let d = 0; d < 3; d++) {
            it(`day ${d + 1}: total cost, cost by model and user, tokens by type, sessions`, async () => {
                const from = START + d * DAY;
                const to = from + DAY;
                const cost = await scalar(rangeExpr((r) => signals.costUsd(r), from, to), to);
                expect(relErr(cost, truthCost(world, from, to))).toBeLessThan(TOLERANCE);

                const byModel = await q(rangeExpr((r) => signals.costUsd(r, "", ["model"]), from, to), to);
                for (const [key, value] of byModel) {
                    const model = JSON.parse(key)[0][1];
                    expect(relErr(value, truthCost(world, from, to, (_p, c) => c.model === model))).toBeLessThan(TOLERANCE);
                }
                const byUser = await q(rangeExpr((r) => signals.costUsd(r, "", ["user_id"]), from, to), to);
                for (const [key, value] of byUser) {
                    const user = JSON.parse(key)[0][1];
                    expect(relErr(value, truthCost(world, from, to, (p) => p.userId === user))).toBeLessThan(TOLERANCE);
                }
                for (const type of ["input", "output", "cacheRead", "cacheCreation"] as const) {
                    const tokens = await scalar(rangeExpr((r) => signals.tokens(r, `type="${type}"`), from, to), to);
                    expect(relErr(tokens, truthTokens(world, from, to, type))).toBeLessThan(TOLERANCE);
                }
                const sessions = await scalar(rangeExpr((r) => signals.sessions(r), from, to), to);
                expect(sessions).toBe(world.processes.filter((p) => p.startMs > from && p.startMs <= to).length);
            });
        }
    });

    describe("hard cases, each in its own window", () => {
        const window = async (fromMin: number, toMin: number) => {
            const from = START + fromMin * MIN;
            const to = START + toMin * MIN;
            return { got: await scalar(rangeExpr((r) => `${signals.costUsd(r)} or vector(0)`, from, to), to), want: truthCost(world, from, to) };
        };
        it("sessions shorter than one export interval", async () => {
            const { got, want } = await window(5, 30);
            expect(want).toBeGreaterThan(0);
            expect(relErr(got, want)).toBeLessThan(TOLERANCE);
        });
        it("a session resumed in a new process (counters restart from zero)", async () => {
            const { got, want } = await window(35, 60);
            expect(relErr(got, want)).toBeLessThan(TOLERANCE);
        });
        it("two live processes sharing a session id, sending delta (the default)", async () => {
            const { got, want } = await window(65, 85);
            expect(relErr(got, want)).toBeLessThan(TOLERANCE);
        });
        it("two live processes sharing a session id, sending cumulative", async () => {
            // Each process's total is its own series: the collector labels it with the process's
            // stream start (configs/collector.ts STREAM_START), so neither overwrites the other.
            const { got, want } = await window(3 * 24 * 60 + 55, 3 * 24 * 60 + 80);
            expect(want).toBeGreaterThan(0);
            expect(relErr(got, want)).toBeLessThan(TOLERANCE);
        });
        it("a collector restart in the middle of delta and cumulative sessions", async () => {
            const { got, want } = await window(115, 145);
            expect(relErr(got, want)).toBeLessThan(TOLERANCE);
        });
        it("a session idle for longer than the series TTL, then active again", async () => {
            const idle = world.processes.find((p) => p.endMs - p.startMs > 6 * 3600000)!;
            const got = await scalar(`sum(sum_over_time(claude_code:cost_usd:session_increase1m{session_id="${idle.sessionId}"}[5d]))`, world.endMs);
            const want = idle.calls.reduce((s: number, c: ApiCall) => s + c.costUsd, 0);
            expect(relErr(got, want)).toBeLessThan(TOLERANCE);
        });
    });

    it("per-session totals (the top-sessions table) equal each session's events", async () => {
        const rows = await q(signals.sessionCost("4d"), world.endMs);
        const bySession = new Map<string, number>();
        for (const [key, value] of rows) bySession.set(Object.fromEntries(JSON.parse(key)).session_id, value);
        for (const id of new Set(world.processes.map((p) => p.sessionId))) {
            const want = world.processes.filter((p) => p.sessionId === id).reduce((s, p) => s + p.calls.reduce((a, c) => a + c.costUsd, 0), 0);
            if (want === 0) continue;
            expect(relErr(bySession.get(id) ?? 0, want), id).toBeLessThan(TOLERANCE);
        }
    });

    it("budget queries: today's and this month's spend (UTC calendar) equal the events' sums", async () => {
        const endOfDay2 = START + 2 * DAY - MIN;
        const today = await scalar(periodToDateCost("daily", []), endOfDay2);
        expect(relErr(today, truthCost(world, START + DAY, endOfDay2))).toBeLessThan(TOLERANCE);
        const byUser = await q(periodToDateCost("daily", ["user_id"]), endOfDay2);
        for (const [key, value] of byUser) {
            const user = JSON.parse(key)[0][1];
            expect(relErr(value, truthCost(world, START + DAY, endOfDay2, (p) => p.userId === user))).toBeLessThan(TOLERANCE);
        }
        const endOfDay3 = START + 3 * DAY - MIN;
        const month = await scalar(periodToDateCost("monthly", []), endOfDay3);
        expect(relErr(month, truthCost(world, START, endOfDay3))).toBeLessThan(TOLERANCE);
    });

    it("forecast: month-to-date plus the last 7 days' hourly rate carried to the month's end", async () => {
        const t = START + 3 * DAY - MIN; // 3 October, 23:59 UTC
        const [forecast] = forecastRules(ALERT_SETTINGS);
        const expr = (refId: string) => JSON.parse(forecast.datas.find((d) => d.refId === refId)!.model).expr as string;
        const spent = await scalar(expr("spent"), t);
        const rest = await scalar(expr("rest"), t);
        const lastHour = Math.floor(t / 3600000) * 3600000;
        const end = new Date(t);
        const monthEnd = Date.UTC(end.getUTCFullYear(), end.getUTCMonth() + 1, 1);
        // Seconds left counted from the current minute, as the rule's clock functions do.
        const secondsLeft = (monthEnd - Math.floor(t / 60000) * 60000) / 1000;
        expect(relErr(spent, truthCost(world, START, t))).toBeLessThan(TOLERANCE);
        expect(relErr(rest, (truthCost(world, lastHour - 7 * DAY, lastHour) / (7 * 86400)) * secondsLeft)).toBeLessThan(TOLERANCE);
    });

    it("the naive query most stacks use (increase over raw series) is wrong on the same data", async () => {
        const from = START;
        const to = START + DAY;
        const naive = await scalar(`sum(increase(claude_code_cost_usage_USD_total[${DAY / 1000}s]))`, to);
        const want = truthCost(world, from, to);
        const error = relErr(naive, want);
        console.log(`naive increase(): ${naive.toFixed(2)} USD vs ${want.toFixed(2)} USD true (error ${(error * 100).toFixed(1)}%)`);
        expect(error).toBeGreaterThan(TOLERANCE);
    });
});
