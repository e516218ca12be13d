/**
 * Team mode's series as they arrive at the backend: the real collector with the program's team
 * config (remote write) pushes into the real Prometheus 3.15.0's remote-write receiver, standing in
 * for the team's Mimir. A delta session's total is pushed only when a new delta arrives, while the
 * collector's own metrics arrive every scrape interval: the gap the team rules' previous-value
 * look-back must span (configs/rules.ts pushedPreviousValueLookback).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULTS, parseDuration } from "../configs/settings";
import { CollectorProcess, collectorConfigOf, forTestHost } from "./support/collector";
import { LogsSink, asProcess, captures, exportedCost, liveTools } from "./support/liveStack";
import { sendGrpc } from "./support/otlpSend";
import { runProgram, stackFileConfig, unwrapSecrets, TYPES } from "./support/pulumiMocks";
import { findTool } from "./support/tools";
import { parseMetricsRequest } from "./truth/otlp";
import { PrometheusServer } from "./truth/prometheusServer";
import { pipelineSignals } from "../configs/pipeline";

const SECRETS = { teamGrafanaAuth: "glsa_token", teamMetricsToken: "glc_metrics", teamLogsToken: "glc_logs", collectorToken: "team-test-token-0123456789" };
const GAP_MS = 45000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const { collectorBin, missing } = liveTools("team mode's pushed series");

describe.skipIf(missing)("team mode: what remote write delivers to the backend", () => {
    let collector: CollectorProcess;
    let prometheus: PrometheusServer;
    let sink: LogsSink;
    const counts: Record<string, number> = {};

    beforeAll(async () => {
        prometheus = new PrometheusServer(findTool("prometheus")!, "");
        await prometheus.start();
        sink = new LogsSink();
        await sink.start();
        const run = await runProgram({ ...stackFileConfig("Pulumi.team.example.yaml"), ...SECRETS }, Object.keys(SECRETS), "team");
        const container = run.one(TYPES.container, "-collector-container").inputs;
        const env = Object.fromEntries((unwrapSecrets(container.envs) as string[]).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
        const { yaml, ports } = await forTestHost(collectorConfigOf(run), { logsUrl: sink.url, metricsUrl: `${prometheus.url}/api/v1/write` });
        collector = new CollectorProcess(collectorBin, yaml, ports, env);
        await collector.start();

        // Two exports of a delta session, moved to now (remote write keeps the points' timestamps), GAP_MS apart.
        const withCost = captures("s03-long-session-delta").filter((c) => exportedCost([c]) > 0);
        const firstMs = Math.max(...parseMetricsRequest(withCost[0].body).map((p) => p.timeMs));
        const [first] = asProcess(withCost.slice(0, 1), "pushed-session", Date.now() - firstMs - 1000);
        const [second] = asProcess(withCost.slice(1, 2), "pushed-session", Date.now() - firstMs - 1000 + GAP_MS - (Math.max(...parseMetricsRequest(withCost[1].body).map((p) => p.timeMs)) - firstMs));
        const send = (c: { body: unknown }) => sendGrpc(`127.0.0.1:${ports.otlpGrpc}`, "metrics", c.body, { authorization: `Bearer ${SECRETS.collectorToken}` });
        await send(first);
        // One of its events too, so the collector's log counters exist.
        const [event] = asProcess(captures("s03-long-session-delta").filter((c) => c.signal === "logs").slice(0, 1), "pushed-session", 0);
        await sendGrpc(`127.0.0.1:${ports.otlpGrpc}`, "logs", event.body, { authorization: `Bearer ${SECRETS.collectorToken}` });
        await sleep(GAP_MS);
        await send(second);
        // Delivered within the exporter's queue flush; then read what the backend holds for the span.
        const span = `${Math.ceil(GAP_MS / 1000) + 30}s`;
        const deadline = Date.now() + 30000;
        do {
            await sleep(2000);
            for (const [name, expr] of Object.entries({
                cost: `count_over_time(claude_code_cost_usage_USD_total{session_id="pushed-session"}[${span}])`,
                collectorUp: `count_over_time(${pipelineSignals.collectorUp}[${span}])`,
            })) {
                counts[name] = (await prometheus.query(expr, Date.now())).reduce((n, r) => n + r.value, 0);
            }
        } while (counts.cost < 2 && Date.now() < deadline);
    }, 180000);

    afterAll(async () => {
        await collector?.stop();
        collector?.cleanup();
        await prometheus?.stop();
        prometheus?.cleanup();
        await sink?.stop();
    });

    it("the session's cost series has one sample per export, nothing in the 45 s between", () => {
        expect(counts.cost).toBe(2);
    });

    it("while the collector's own up series arrives every scrape interval, under the stack's job (what monitoringWasDown reads)", () => {
        expect(counts.collectorUp).toBeGreaterThanOrEqual(Math.floor(GAP_MS / parseDuration(DEFAULTS.scrapeInterval)!));
    });

    it("every collector query of the pipeline dashboard and alerts finds its series in the backend", async () => {
        // Not the failure counters: the collector creates them at the first failure.
        const collectorQueries = Object.entries(pipelineSignals).filter(([, q]) => /otelcol_(?!exporter_send_failed_)/.test(String(typeof q === "function" ? q("5m") : q)));
        expect(collectorQueries.length).toBeGreaterThan(5);
        for (const [name, q] of collectorQueries) {
            const expr = typeof q === "function" ? q("5m") : q;
            expect((await prometheus.query(expr, Date.now())).length, `${name}: ${expr}`).toBeGreaterThan(0);
        }
    });
});
