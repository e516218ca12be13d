/**
 * Hard case on the real processes: the collector is killed (SIGKILL, no flush) in the middle of a
 * delta session (s03) and a cumulative session (s04), restarted with the same config, and the rest
 * of both sessions is sent. The real Prometheus keeps scraping and evaluating the program's rules
 * throughout; the recorded totals are then compared with the sessions' api_request events.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { INCREMENT_QUERY_OFFSET, monitoringWasDown } from "../configs/rules";
import { DEFAULTS, parseDuration } from "../configs/settings";
import { signals } from "../configs/signals";
import { CollectorProcess, collectorConfigOf, forTestHost } from "./support/collector";
import { LivePrometheus, LogsSink, captures, liveTools, truthOf } from "./support/liveStack";
import { sendGrpc, sendHttp } from "./support/otlpSend";
import { runProgram } from "./support/pulumiMocks";

const SCRAPE_MS = parseDuration(DEFAULTS.scrapeInterval)!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const { collectorBin, prometheusBin, missing } = liveTools("collector restart");

/** Cost a delta client exported in these requests: the sum of its claude_code.cost.usage points. */
function exportedDeltaCost(requests: { signal: string; body: any }[]): number {
    const metrics = requests.filter((r) => r.signal === "metrics").flatMap((r) => r.body.resourceMetrics.flatMap((rm: any) => rm.scopeMetrics.flatMap((sm: any) => sm.metrics)));
    return metrics.filter((m: any) => m.name === "claude_code.cost.usage").flatMap((m: any) => m.sum.dataPoints).reduce((sum: number, p: any) => sum + p.asDouble, 0);
}

/** Each session's requests up to and including its first metrics export that carries cost, then the rest. */
function split(scenario: string) {
    const all = captures(scenario);
    const firstCost = all.findIndex((c) => c.signal === "metrics" && JSON.stringify(c.body).includes("claude_code.cost.usage"));
    return { before: all.slice(0, firstCost + 1), after: all.slice(firstCost + 1) };
}

describe.skipIf(missing)("live: the collector killed and restarted inside a delta and a cumulative session", () => {
    let prometheus: LivePrometheus;
    let sink: LogsSink;
    const collectors: CollectorProcess[] = [];
    let sentAt = 0;
    const sessions = { delta: "s03-long-session-delta", cumulative: "s04-long-session-cumulative" } as const;

    beforeAll(async () => {
        const program = await runProgram({});
        sink = new LogsSink();
        await sink.start();
        const generated = collectorConfigOf(program);
        const { yaml, ports } = await forTestHost(generated, { logsUrl: sink.url });
        const start = async () => {
            const c = new CollectorProcess(collectorBin, yaml, ports);
            collectors.push(c);
            await c.start();
            return c;
        };
        const first = await start();
        prometheus = new LivePrometheus(prometheusBin, program, ports);
        await prometheus.start();
        await prometheus.waitUntilEmpty(monitoringWasDown(), 180000);
        // gRPC for the delta client (the stack's default), HTTP for the cumulative one.
        const send = (kind: keyof typeof sessions, c: { signal: "metrics" | "logs"; body: unknown }) =>
            kind === "delta" ? sendGrpc(`127.0.0.1:${ports.otlpGrpc}`, c.signal, c.body) : sendHttp(`http://127.0.0.1:${ports.otlpHttp}`, c.signal, c.body);
        for (const kind of ["delta", "cumulative"] as const) for (const c of split(sessions[kind]).before) await send(kind, c);
        // Scraped at least once before the kill, then down for more than one scrape.
        await sleep(2 * SCRAPE_MS);
        await first.kill();
        await sleep(2 * SCRAPE_MS);
        await start();
        for (const kind of ["delta", "cumulative"] as const) for (const c of split(sessions[kind]).after) await send(kind, c);
        sentAt = Date.now();
        await prometheus.waitForEvaluationAfter(sentAt + SCRAPE_MS + parseDuration(INCREMENT_QUERY_OFFSET)! + 1000, 180000);
    }, 480000);

    afterAll(async () => {
        for (const c of collectors) {
            await c.stop();
            c.cleanup();
        }
        await prometheus?.stop();
        await sink?.stop();
    });

    const range = () => `${Math.ceil((Date.now() - sentAt) / 1000) + 900}s`;
    const sessionCost = async (scenario: string) => {
        const id = JSON.stringify(captures(scenario)).match(/"session\.id","value":\{"stringValue":"([^"]+)"/)![1];
        const rows = await prometheus.query(signals.sessionCost(range(), `session_id="${id}"`));
        return rows.reduce((sum, r) => sum + r.value, 0);
    };

    it("the split really crosses the restart: both sessions spent before and after it", () => {
        for (const scenario of Object.values(sessions)) {
            const { before, after } = split(scenario);
            expect(before.length, scenario).toBeGreaterThan(0);
            expect(after.some((c) => c.signal === "metrics"), scenario).toBe(true);
        }
        expect(collectors).toHaveLength(2);
    });

    it("cumulative client: nothing is lost (its totals continue across the restart)", async () => {
        expect(Math.abs((await sessionCost(sessions.cumulative)) - truthOf([sessions.cumulative]).costUsd)).toBeLessThan(1e-9);
    });

    it("delta client: loses the growth before the kill when its first export after the restart is not below it (a known limit of the rules)", async () => {
        // The restarted collector rebuilds the delta session's total from zero. The increment rule
        // reads its first value c against the last value before the kill, T (configs/rules.ts): a
        // drop (c < T) counts c in full, but c >= T counts only c - T, so T is lost. Here T is the
        // first call's cost and c the second's: equal, so exactly one call's cost is lost.
        const lostT = exportedDeltaCost(split(sessions.delta).before);
        const got = await sessionCost(sessions.delta);
        const want = truthOf([sessions.delta]).costUsd;
        console.log(`delta session across a collector restart: counted ${got.toFixed(5)} of ${want.toFixed(5)} USD`);
        expect(lostT).toBeGreaterThan(0);
        expect(Math.abs(got - (want - lostT))).toBeLessThan(1e-9);
    });
});
