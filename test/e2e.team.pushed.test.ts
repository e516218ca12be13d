/**
 * Team mode's series as they arrive at the backend: the real collector with the program's team
 * config (remote write) pushes into the real Prometheus 3.15.0's remote-write receiver, standing in
 * for the team's Mimir, which evaluates the team's recording expressions every minute as Grafana
 * would (configs/rules.ts teamIncrementRecords; Grafana itself cannot run here).
 *  - A delta session's total is pushed only when a new delta arrives, while the collector's own
 *    metrics arrive every scrape interval: the gap the team look-back must span
 *    (pushedPreviousValueLookback).
 *  - A client whose clock is 3 minutes slow: its points would land in minutes the rules had read
 *    already; the collector stamps them with its own clock (ARRIVAL_TIME_PROCESSOR).
 * The recorded totals equal what the sessions spent.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { pipelineDashboard } from "../configs/dashboards/pipeline";
import { pipelineSignals } from "../configs/pipeline";
import { monitoringWasDown, teamIncrementRecords, teamReading } from "../configs/rules";
import { DEFAULTS, parseDuration } from "../configs/settings";
import { INCREMENT_INTERVAL, signals } from "../configs/signals";
import { CollectorProcess, collectorConfigOf, collectorEnvOf, forTestHost } from "./support/collector";
import { stopAfterAll } from "./support/stopAfterAll";
import { LivePrometheus, LogsSink, asProcess, captures, exportedCost, lastTimeMs, liveTools } from "./support/liveStack";
import { sendGrpc } from "./support/otlpSend";
import { runProgram, stackFileConfig } from "./support/pulumiMocks";
import { TEST_TLS } from "./support/tls";

const SECRETS = { teamGrafanaAuth: "glsa_token", teamMetricsToken: "glc_metrics", teamLogsToken: "glc_logs", collectorToken: "team-test-token-0123456789", collectorTlsCert: TEST_TLS.cert, collectorTlsKey: TEST_TLS.key };
const GAP_MS = 45000;
const CLOCK_BEHIND_MS = 180000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const { collectorBin, prometheusBin, missing } = liveTools("team mode's pushed series");

describe.skipIf(missing)("team mode: what remote write delivers to the backend, and what the team rules count", () => {
    let collector: CollectorProcess;
    let backend: LivePrometheus;
    let sink: LogsSink;
    let sentAt = 0;
    const counts: Record<string, number> = {};
    const delta = captures("s03-long-session-delta");
    const withCost = delta.filter((c) => exportedCost([c]) > 0);
    let pushed: { signal: "metrics" | "logs"; body: any }[] = [];
    let slowClock: { signal: "metrics" | "logs"; body: any }[] = [];

    const started = stopAfterAll();

    beforeAll(async () => {
        backend = started(LivePrometheus.asTeamBackend(prometheusBin, [{ name: "team increments", interval: INCREMENT_INTERVAL, rules: teamIncrementRecords(DEFAULTS) }]));
        await backend.start();
        sink = started(new LogsSink());
        await sink.start();
        const run = await runProgram({ ...stackFileConfig("Pulumi.team.example.yaml"), collectorTlsCa: TEST_TLS.ca, ...SECRETS }, Object.keys(SECRETS), "team");
        const env = collectorEnvOf(run);
        const { yaml, ports } = await forTestHost(collectorConfigOf(run), { logsUrl: sink.url, metricsUrl: backend.writeUrl });
        collector = started(new CollectorProcess(collectorBin, yaml, ports, env));
        await collector.start();
        const send = (c: { signal: "metrics" | "logs"; body: unknown }) => sendGrpc(`127.0.0.1:${ports.otlpGrpc}`, c.signal, c.body, { authorization: `Bearer ${SECRETS.collectorToken}` }, TEST_TLS.ca);
        // As on a running stack: the rules count a new series once the collector's own metrics have been seen.
        await backend.waitUntilEmpty(monitoringWasDown(teamReading(DEFAULTS)), 180000);

        // Two exports of a delta session, moved to now (remote write keeps the points' times), GAP_MS apart.
        const now = Date.now();
        pushed = [
            ...asProcess(withCost.slice(0, 1), "pushed-session", now - lastTimeMs(withCost[0])),
            ...asProcess(withCost.slice(1, 2), "pushed-session", now + GAP_MS - lastTimeMs(withCost[1])),
        ];
        // The whole session from a client whose clock is 3 minutes behind.
        slowClock = asProcess(delta, "slow-clock-session", now - CLOCK_BEHIND_MS - lastTimeMs(delta.at(-1)!));
        await send(pushed[0]);
        for (const c of slowClock) await send(c);
        await sleep(GAP_MS);
        await send(pushed[1]);
        sentAt = Date.now();
        const span = `${Math.ceil(GAP_MS / 1000) + 20}s`;
        const deadline = Date.now() + 30000;
        do {
            await sleep(2000);
            for (const [name, expr] of Object.entries({
                cost: `count_over_time(claude_code_cost_usage_USD_total{session_id="pushed-session"}[${span}])`,
                collectorUp: `count_over_time(${pipelineSignals.collectorUp}[${span}])`,
            })) {
                counts[name] = (await backend.query(expr)).reduce((n, r) => n + r.value, 0);
            }
        } while (counts.cost < 2 && Date.now() < deadline);
        await backend.waitForEvaluationAfter(sentAt + parseDuration(DEFAULTS.teamRecordingDelay)! + 2000, 180000);
    }, 480000);

    const sessionCost = async (session: string) => {
        const range = `${Math.ceil((Date.now() - sentAt) / 1000) + 900}s`;
        return (await backend.query(signals.sessionCost(range, `session_id="${session}"`))).reduce((sum, r) => sum + r.value, 0);
    };

    it("the session's cost series has one sample per export, nothing in the 45 s between", () => {
        expect(counts.cost).toBe(2);
    });

    it("while the collector's own up series arrives every scrape interval, under the stack's job (what monitoringWasDown reads)", () => {
        expect(counts.collectorUp).toBeGreaterThanOrEqual(Math.floor(GAP_MS / parseDuration(DEFAULTS.scrapeInterval)!));
    });

    it("the team rules count the sparse session exactly", async () => {
        expect(Math.abs((await sessionCost("pushed-session")) - exportedCost(pushed))).toBeLessThan(1e-9);
    });

    it("a client clock 3 minutes slow: every call still counts (stamped with the collector's clock)", async () => {
        expect(exportedCost(slowClock)).toBeGreaterThan(0);
        expect(Math.abs((await sessionCost("slow-clock-session")) - exportedCost(slowClock))).toBeLessThan(1e-9);
    });

    it("every panel of team mode's pipeline dashboard shows data from the backend (no panel about engines the stack does not run)", async () => {
        const panels = pipelineDashboard("team").panels.filter((panel) => panel.type !== "row");
        expect(panels.map((panel) => panel.title)).not.toEqual(expect.arrayContaining(["Prometheus ingestion"]));
        for (const panel of panels) {
            for (const target of panel.targets ?? []) {
                // Failure counters exist only after a failure; the failure stat reads 0 through its `or vector(0)`.
                if (/send_failed_/.test(target.expr) && !/or vector\(0\)/.test(target.expr)) continue;
                const expr = target.expr.replaceAll("$__rate_interval", "1m").replaceAll("$__range", "5m");
                expect((await backend.query(expr)).length, `${panel.title}: ${expr}`).toBeGreaterThan(0);
            }
        }
    });

    it("every collector query of the pipeline dashboard and alerts finds its series in the backend", async () => {
        // Not the failure counters: the collector creates them at the first failure.
        const collectorQueries = Object.entries(pipelineSignals).filter(([, q]) => /otelcol_(?!exporter_send_failed_)/.test(String(typeof q === "function" ? q("5m") : q)));
        expect(collectorQueries.length).toBeGreaterThan(5);
        for (const [name, q] of collectorQueries) {
            const expr = typeof q === "function" ? q("5m") : q;
            expect((await backend.query(expr)).length, `${name}: ${expr}`).toBeGreaterThan(0);
        }
    });
});
