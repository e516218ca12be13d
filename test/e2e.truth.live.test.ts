/**
 * The numbers are true on reality: the real Claude Code 2.1.332 captures (test/fixtures) are sent
 * over real OTLP/gRPC and OTLP/HTTP into the real collector (the pinned release, built from its
 * modules) started with the config the program generates, the real pinned Prometheus scrapes it
 * with the program's prometheus.yml and evaluates the program's recording rules live, and the
 * dashboard queries then equal the sum of cost_usd and tokens in the captures' api_request events.
 * Only listen addresses and the Loki endpoint are rewritten for this host (test/support/collector.ts).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { CLAUDE_CODE_SCRAPE_JOB } from "../configs/prometheus";
import { INCREMENT_QUERY_OFFSET } from "../configs/rules";
import { DEFAULTS, parseDuration } from "../configs/settings";
import { signals } from "../configs/signals";
import { type LocalPipeline, captures, liveTools, startLocalPipeline, truthOf } from "./support/liveStack";
import { stopAfterAll } from "./support/stopAfterAll";
import { sendGrpc, sendHttp } from "./support/otlpSend";
import { scenarioNames } from "../harness/otlp";
import { generatedQueries, interpolate, variableAsPromQL } from "../harness/queries";
import { COLLECTOR_SELF_JOB } from "../configs/collector";
import { pipelineSignals } from "../configs/pipeline";

const TOLERANCE = 1e-9;

const { collectorBin, prometheusBin, missing } = liveTools("live truth");

describe.skipIf(missing)("live: real captures → real collector → real Prometheus → dashboard queries", () => {
    let pipeline: LocalPipeline;
    let sentAt = 0;
    const want = truthOf(scenarioNames());
    const scenarios = scenarioNames();
    const started = stopAfterAll();

    beforeAll(async () => {
        pipeline = await startLocalPipeline({ collectorBin, prometheusBin }, started);
        const { ports, prometheus } = pipeline;
        // Half the sessions over gRPC (the stack's default client protocol), half over HTTP.
        for (const [i, scenario] of scenarios.entries()) {
            for (const { signal, body } of captures(scenario)) {
                if (i % 2 === 0) await sendGrpc(`127.0.0.1:${ports.otlpGrpc}`, signal, body);
                else await sendHttp(`http://127.0.0.1:${ports.otlpHttp}`, signal, body);
            }
        }
        sentAt = Date.now();
        // Scraped within one interval, then evaluated once the rules' query offset has passed it.
        const scrapeMs = parseDuration(DEFAULTS.scrapeInterval)!;
        await prometheus.waitForEvaluationAfter(sentAt + scrapeMs + parseDuration(INCREMENT_QUERY_OFFSET)! + 1000, 180000);
        // Today's and this month's spend read whole minutes (a 1-minute-step subquery), so a record
        // written in the current minute shows from the next one: wait for that boundary.
        await new Promise((r) => setTimeout(r, 60000 - (Date.now() % 60000) + 1000));
    }, 420000);

    const range = () => `${Math.ceil((Date.now() - sentAt) / 1000) + 600}s`;
    const scalar = async (expr: string) => {
        const rows = await pipeline.prometheus.query(expr);
        expect(rows, expr).toHaveLength(1);
        return rows[0].value;
    };

    it("the captures hold the spend their README lists (23 api_request events, USD 0.07406)", () => {
        expect(want.requests).toBe(23);
        expect(want.costUsd).toBeCloseTo(0.07406, 10);
    });

    it("total cost equals the sum of cost_usd in the api_request events", async () => {
        expect(Math.abs((await scalar(signals.costUsd(range()))) - want.costUsd)).toBeLessThan(TOLERANCE);
    });

    it("tokens by type equal the events' token counts", async () => {
        for (const type of ["input", "output", "cacheRead", "cacheCreation"] as const) {
            expect(await scalar(signals.tokens(range(), `type="${type}"`)), type).toBe(want.tokens[type]);
        }
    });

    it("every session started is counted once", async () => {
        expect(await scalar(signals.sessions(range()))).toBe(scenarios.length);
    });

    it("Prometheus scraped the exporter and the collector's own metrics", async () => {
        const up = await pipeline.prometheus.query(`up{job=~"${CLAUDE_CODE_SCRAPE_JOB}|${COLLECTOR_SELF_JOB}"}`);
        expect(up.map((r) => [r.metric.job, r.value]).sort()).toEqual([
            [CLAUDE_CODE_SCRAPE_JOB, 1],
            [COLLECTOR_SELF_JOB, 1],
        ]);
    });

    it("events reach the logs endpoint: every api_request of every capture", () => {
        const all = Buffer.concat(pipeline.sink.bodies).toString("latin1");
        expect(all.split("claude_code.api_request").length - 1).toBe(want.requests);
    });

    describe("every dashboard and alert query runs on the live data", () => {
        const queries = generatedQueries().filter((g) => g.datasource === "prometheus");
        it.each(queries.map((g) => [g.source, g] as const))("%s", async (_source, g) => {
            const expr = interpolate(variableAsPromQL(g.expr), Math.ceil((Date.now() - sentAt) / 1000) + 600, 60);
            // Time-series panels as Grafana asks for them: a range query with 1-minute buckets.
            const rows = g.instant ? await pipeline.prometheus.query(expr) : await pipeline.prometheus.queryRange(expr, sentAt - 600000, Date.now(), 60);
            // Claude Code panels and the pipeline dashboard's collector panels read what the real
            // collector produced. Left out: the team-mode recording rules (they read only the last
            // minute), lines of code, commits and pull requests (rare in the captures), Loki's and
            // Grafana's metrics (neither runs here).
            // Also left out: the collector's failure counters, which it creates at the first
            // failure, and the 7-day baselines, whose hourly subquery steps precede this data.
            const readsLiveSeries =
                (/claude_code|otelcol_/.test(expr) || expr.includes(pipelineSignals.collectorUp)) && !/loki_|grafana_|otelcol_exporter_send_failed_|\[7d:1h\]/.test(expr);
            if (readsLiveSeries && !g.source.startsWith("grafana recording rule")) expect(rows.length, expr).toBeGreaterThan(0);
        });
    });

    it("the collector logged no warning or error at start-up or while running (no deprecated component or key)", () => {
        expect(pipeline.collector.warnings()).toEqual([]);
    });
});
