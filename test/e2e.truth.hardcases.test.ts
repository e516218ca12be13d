/**
 * Hard cases on the real processes, counted by the real Prometheus with the program's rules and
 * compared with the sessions' api_request events:
 *  - a delta session idle past the series TTL comes back (the collector rebuilds its total from
 *    zero, and the first value after the gap equals the total before it: the case that used to
 *    lose the earlier total);
 *  - two processes on one session id (two terminals resuming one session), delta and cumulative.
 * The TTL is shortened to 30 s so the test can wait past it (withSeriesTtl); everything else is the
 * program's config.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { INCREMENT_QUERY_OFFSET } from "../configs/rules";
import { DEFAULTS, parseDuration } from "../configs/settings";
import { signals } from "../configs/signals";
import { withSeriesTtl } from "./support/collector";
import { type LivePrometheus, asProcess, captures, exportedCost, liveTools, splitAtFirstCost, truthOf, startLocalPipeline, twoProcesses } from "./support/liveStack";
import { stopAfterAll } from "./support/stopAfterAll";
import { sendGrpc, sendHttp } from "./support/otlpSend";

const TTL_MS = 30000;
const SCRAPE_MS = parseDuration(DEFAULTS.scrapeInterval)!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const { collectorBin, prometheusBin, missing } = liveTools("hard cases");

const DELTA = "s03-long-session-delta";
const CUMULATIVE = "s04-long-session-cumulative";

describe.skipIf(missing)("live: a session idle past the series TTL, and two processes on one session id", () => {
    let prometheus: LivePrometheus;
    let sentAt = 0;
    const started = stopAfterAll();
    const metrics = (scenario: string) => captures(scenario).filter((c) => c.signal === "metrics");
    const idle = splitAtFirstCost(asProcess(metrics(DELTA), "idle-past-ttl", 0));
    const twoDelta = twoProcesses(metrics(DELTA), "two-delta");
    const twoCumulative = twoProcesses(metrics(CUMULATIVE), "two-cumulative");

    beforeAll(async () => {
        const pipeline = await startLocalPipeline({ collectorBin, prometheusBin }, started, (yaml) => withSeriesTtl(yaml, `${TTL_MS / 1000}s`));
        const { ports } = pipeline;
        prometheus = pipeline.prometheus;
        const grpc = (c: { body: unknown }) => sendGrpc(`127.0.0.1:${ports.otlpGrpc}`, "metrics", c.body);
        const http = (c: { body: unknown }) => sendHttp(`http://127.0.0.1:${ports.otlpHttp}`, "metrics", c.body);
        for (const c of idle.before) await grpc(c);
        for (const c of twoDelta) await grpc(c);
        for (const c of twoCumulative) await http(c);
        // Past the TTL and delta_to_cumulative's once-a-minute sweep: the idle session's state is gone.
        await sleep(TTL_MS + 65000);
        for (const c of idle.after) await grpc(c);
        sentAt = Date.now();
        await prometheus.waitForEvaluationAfter(sentAt + SCRAPE_MS + parseDuration(INCREMENT_QUERY_OFFSET)! + 1000, 180000);
    }, 480000);

    const sessionCost = async (session: string) => {
        const range = `${Math.ceil((Date.now() - sentAt) / 1000) + 900}s`;
        return (await prometheus.query(signals.sessionCost(range, `session_id="${session}"`))).reduce((sum, r) => sum + r.value, 0);
    };

    it("idle past the TTL: the session's whole cost counts, though its first value after the gap equals its total before it", async () => {
        // The case is the hard one: not a drop, which any counter logic reads as a restart.
        expect(exportedCost(idle.before)).toBeGreaterThan(0);
        expect(exportedCost([idle.after.find((c) => exportedCost([c]) > 0)!])).toBeGreaterThanOrEqual(exportedCost(idle.before));
        expect(Math.abs((await sessionCost("idle-past-ttl")) - truthOf([DELTA]).costUsd)).toBeLessThan(1e-9);
    });

    it("two delta processes on one session id: both count (the collector merges them into one stream)", async () => {
        expect(Math.abs((await sessionCost("two-delta")) - 2 * truthOf([DELTA]).costUsd)).toBeLessThan(1e-9);
    });

    it("two cumulative processes on one session id: both count (one series per process start)", async () => {
        expect(Math.abs((await sessionCost("two-cumulative")) - 2 * truthOf([CUMULATIVE]).costUsd)).toBeLessThan(1e-9);
    });
});
