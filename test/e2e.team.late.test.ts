/**
 * Team mode when the backend is unreachable for a while: what the team's recording rules count of
 * points the collector delivers late. The real collector with the program's team config pushes
 * through a proxy that answers 503 for OUTAGE_MS into the real Prometheus 3.15.0 standing in for
 * Mimir, which evaluates the team expressions every minute as Grafana would, twice: with the
 * default teamRecordingDelay and with a longer one (records renamed so both fit in one backend).
 * The collector retries, so every point arrives, each at the time the collector stamped it
 * (measured here first: before the push timeout was raised, remote write dropped a batch after
 * 5 s of failures). A point that lands in a minute already read adds nothing to it, and the next
 * point's increment starts from it: with the default delay the growth reported during the outage
 * is not counted; with a delay longer than the outage plus the retry wait, everything is.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { beforeAll, describe, expect, it } from "vitest";
import { monitoringWasDown, teamIncrementRecords, teamReading } from "../configs/rules";
import { DEFAULTS, parseDuration } from "../configs/settings";
import { INCREMENT_INTERVAL, signals } from "../configs/signals";
import { CollectorProcess, collectorConfigOf, collectorEnvOf, forTestHost } from "./support/collector";
import { stopAfterAll } from "./support/stopAfterAll";
import { LivePrometheus, LogsSink, asProcess, captures, exportedCost, lastTimeMs, liveTools } from "./support/liveStack";
import { sendGrpc } from "./support/otlpSend";
import { runProgram, stackFileConfig } from "./support/pulumiMocks";
import { TEST_TLS } from "./support/tls";

const SECRETS = { teamGrafanaAuth: "glsa_token", teamMetricsToken: "glc_metrics", teamLogsToken: "glc_logs", collectorToken: "team-late-token-0123456789", collectorTlsCert: TEST_TLS.cert, collectorTlsKey: TEST_TLS.key };
/** Longer than a minute plus the default 30 s delay, so the minute of the point sent during it is read before the point arrives. */
const OUTAGE_MS = 150000;
/** Longer than the outage plus the collector's retry wait after it (its backoff has grown to about a minute by then). */
const LONG_DELAY = { ...DEFAULTS, teamRecordingDelay: "5m" };
const LONG_PREFIX = "claude_code_delay5m:";
const withLongDelay = (expr: string) => expr.replaceAll("claude_code:", LONG_PREFIX);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A remote-write hop that can be switched to answer 503 (a backend that is down), forwarding otherwise. */
class FlakyProxy {
    private server?: Server;
    down = false;
    refused = 0;
    constructor(private readonly target: string) {}

    async start(): Promise<void> {
        this.server = createServer(async (req, res) => {
            const body = await read(req);
            if (this.down) {
                this.refused++;
                res.writeHead(503).end("backend down (test)");
                return;
            }
            const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !["host", "content-length", "connection"].includes(k)) as [string, string][]);
            const forwarded = await fetch(this.target, { method: "POST", headers, body });
            res.writeHead(forwarded.status).end(Buffer.from(await forwarded.arrayBuffer()));
        });
        await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    }

    get url(): string {
        return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/api/v1/write`;
    }

    async stop(): Promise<void> {
        await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    }
}

function read(req: IncomingMessage): Promise<Buffer> {
    return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => resolve(Buffer.concat(chunks)));
        req.on("error", reject);
    });
}

const { collectorBin, prometheusBin, missing } = liveTools("team mode's late deliveries");

describe.skipIf(missing)("team mode: points the collector delivers late, after a backend outage", () => {
    let collector: CollectorProcess;
    let backend: LivePrometheus;
    let proxy: FlakyProxy;
    let sink: LogsSink;
    let sentAt = 0;
    let recoveredAt = 0;
    let deliveredAfterMs = 0;
    const samples = async () => (await backend.query(`count_over_time(claude_code_cost_usage_USD_total{session_id="late-session"}[15m])`)).reduce((n, r) => n + r.value, 0);
    const withCost = captures("s03-long-session-delta").filter((c) => exportedCost([c]) > 0);
    let before: { signal: "metrics" | "logs"; body: any }[] = [];
    let during: { signal: "metrics" | "logs"; body: any }[] = [];
    let after: { signal: "metrics" | "logs"; body: any }[] = [];

    const started = stopAfterAll();

    beforeAll(async () => {
        backend = started(LivePrometheus.asTeamBackend(prometheusBin, [
            { name: "team increments", interval: INCREMENT_INTERVAL, rules: teamIncrementRecords(DEFAULTS) },
            { name: "team increments, long delay", interval: INCREMENT_INTERVAL, rules: teamIncrementRecords(LONG_DELAY).map((r) => ({ ...r, record: withLongDelay(r.record) })) },
        ]));
        await backend.start();
        proxy = started(new FlakyProxy(backend.writeUrl));
        await proxy.start();
        sink = started(new LogsSink());
        await sink.start();
        const run = await runProgram({ ...stackFileConfig("Pulumi.team.example.yaml"), collectorTlsCa: TEST_TLS.ca, ...SECRETS }, Object.keys(SECRETS), "team");
        const { yaml, ports } = await forTestHost(collectorConfigOf(run), { logsUrl: sink.url, metricsUrl: proxy.url });
        collector = started(new CollectorProcess(collectorBin, yaml, ports, collectorEnvOf(run)));
        await collector.start();
        const send = (c: { signal: "metrics" | "logs"; body: unknown }) => sendGrpc(`127.0.0.1:${ports.otlpGrpc}`, c.signal, c.body, { authorization: `Bearer ${SECRETS.collectorToken}` }, TEST_TLS.ca);
        await backend.waitUntilEmpty(monitoringWasDown(teamReading(DEFAULTS)), 180000);

        // One delta session: an export before the outage, one during it, one after the backend is back.
        const at = (capture: (typeof withCost)[number]) => asProcess([capture], "late-session", Date.now() - lastTimeMs(capture));
        before = at(withCost[0]);
        await send(before[0]);
        await sleep(5000);
        proxy.down = true;
        await sleep(5000);
        during = at(withCost[1]);
        await send(during[0]);
        await sleep(OUTAGE_MS - 5000);
        proxy.down = false;
        recoveredAt = Date.now();
        // Until the point sent during the outage has arrived (the collector's next retry).
        while ((await samples()) < 2 && Date.now() < recoveredAt + 180000) await sleep(2000);
        deliveredAfterMs = Date.now() - recoveredAt;
        after = at(withCost[2]);
        await send(after[0]);
        sentAt = Date.now();
        await backend.waitForEvaluationAfter(sentAt + parseDuration(LONG_DELAY.teamRecordingDelay)! + 2000, 480000);
    }, 1200000);

    const counted = async (longDelay = false) => {
        const range = `${Math.ceil((Date.now() - sentAt) / 1000) + 1200}s`;
        const expr = signals.sessionCost(range, 'session_id="late-session"');
        return (await backend.query(longDelay ? withLongDelay(expr) : expr)).reduce((sum, r) => sum + r.value, 0);
    };

    it("the backend refused pushes during the outage, and the collector's retries delivered every point afterwards", async () => {
        expect(proxy.refused).toBeGreaterThan(0);
        expect(await samples()).toBe(3);
        console.log(`late delivery: the point sent during the ${OUTAGE_MS / 1000} s outage arrived ${(deliveredAfterMs / 1000).toFixed(0)} s after the backend was back`);
        const total = await backend.query(`last_over_time(claude_code_cost_usage_USD_total{session_id="late-session"}[15m])`);
        expect(Math.abs(total.reduce((s, r) => s + r.value, 0) - exportedCost([...before, ...during, ...after]))).toBeLessThan(1e-9);
    });

    it("with the default delay the rules count what was reported before and after the outage, and not what was reported during it", async () => {
        expect(exportedCost(during)).toBeGreaterThan(0);
        expect(Math.abs((await counted()) - exportedCost([...before, ...after]))).toBeLessThan(1e-9);
    });

    it("with a teamRecordingDelay longer than the outage and the retry wait, everything counts", async () => {
        expect(Math.abs((await counted(true)) - exportedCost([...before, ...during, ...after]))).toBeLessThan(1e-9);
    });
});
