/**
 * Replays the real Claude Code 2.1.332 OTLP exports (test/fixtures/claude-code-2.1.332) through a model of the
 * collector (deltatocumulative → prometheus exporter → Prometheus scrape) and checks what Prometheus would
 * store against the ground truth from the same run's `api_request` log events.
 */
import { describe, expect, it } from "vitest";
import { CollectorModel, type CollectorModelOptions, type Sample } from "../harness/collectorModel";
import { type GroundTruth, type LogEvent, type MetricPoint, groundTruth, loadScenario, scenarioNames } from "../harness/otlp";
import { prometheusLabelName, prometheusMetricName } from "../harness/promNames";

const COST = "claude_code_cost_usage_USD_total";
const TOKENS = "claude_code_token_usage_tokens_total";
const TOKEN_TYPES = { input: "input", output: "output", cacheRead: "cacheRead", cacheCreation: "cacheCreation" } as const;

const DELTA = ["s01-text-default", "s03-long-session-delta", "s05-resource-attrs", "s06-tool-bash-allowed", "s08-tool-bash-denied",
    "s09-code-edit-accepted", "s10-code-edit-denied", "s11-git-commit-pr", "s12-api-error-then-success", "s13-api-error-fatal"];
const CUMULATIVE = ["s02-text-cumulative", "s04-long-session-cumulative"];

interface Replay {
    model: CollectorModel;
    samples: Sample[];
    truth: GroundTruth;
    /** metrics requests in arrival order, each with its arrival time (max point timeMs) */
    batches: { points: MetricPoint[]; atMs: number }[];
}

function batchesOf(name: string) {
    const { requests } = loadScenario(name);
    const events: LogEvent[] = requests.flatMap((r) => (r.kind === "logs" ? r.events : []));
    let last = 0;
    const batches = requests.flatMap((r) => {
        if (r.kind !== "metrics") return [];
        last = Math.max(last, ...r.points.map((p) => p.timeMs));
        return [{ points: r.points, atMs: last }];
    });
    return { truth: groundTruth(events), batches };
}

function replay(name: string, opts?: CollectorModelOptions): Replay {
    const { truth, batches } = batchesOf(name);
    const model = new CollectorModel(opts);
    for (const b of batches) model.receive(b.points, b.atMs);
    const samples = model.scrape(batches[batches.length - 1].atMs + 1000);
    return { model, samples, truth, batches };
}

const named = (s: Sample[], metric: string) => s.filter((x) => x.labels.__name__ === metric);
const total = (s: Sample[]) => s.reduce((a, x) => a + x.value, 0);
const tokensByType = (s: Sample[]) => {
    const out: Record<string, number> = {};
    for (const x of named(s, TOKENS)) out[x.labels.type] = (out[x.labels.type] ?? 0) + x.value;
    return out;
};
const expectTokens = (s: Sample[], t: GroundTruth) => {
    const got = tokensByType(s);
    for (const [key, type] of Object.entries(TOKEN_TYPES)) expect(got[type] ?? 0, type).toBe(t.tokens[key as keyof typeof TOKEN_TYPES]);
};

describe("fixture inventory", () => {
    it("has exactly the delta and cumulative scenarios this file knows about", () => {
        expect(scenarioNames()).toEqual([...DELTA, ...CUMULATIVE].sort());
        for (const name of scenarioNames()) {
            const temporalities = new Set(batchesOf(name).batches.flatMap((b) => b.points.map((p) => p.temporality)));
            expect([...temporalities], name).toEqual([CUMULATIVE.includes(name) ? "cumulative" : "delta"]);
        }
    });

    it("parses api_request events with numeric cost and token attributes", () => {
        const { truth } = batchesOf("s09-code-edit-accepted");
        expect(truth.requests).toBe(3);
        expect(truth.costUsd).toBeCloseTo(0.00966, 12);
        expect(truth.tokens).toEqual({ input: 360, output: 126, cacheRead: 6000, cacheCreation: 900 });
    });
});

describe("Prometheus names (UnderscoreEscapingWithSuffixes)", () => {
    const table: [string, string, string][] = [
        ["claude_code.cost.usage", "USD", "claude_code_cost_usage_USD_total"],
        ["claude_code.token.usage", "tokens", "claude_code_token_usage_tokens_total"],
        ["claude_code.active_time.total", "s", "claude_code_active_time_seconds_total"],
        ["claude_code.session.count", "", "claude_code_session_count_total"],
        ["claude_code.lines_of_code.count", "", "claude_code_lines_of_code_count_total"],
        ["claude_code.code_edit_tool.decision", "", "claude_code_code_edit_tool_decision_total"],
        ["claude_code.commit.count", "", "claude_code_commit_count_total"],
        ["claude_code.pull_request.count", "", "claude_code_pull_request_count_total"],
    ];

    it.each(table)("%s [%s] → %s", (otlp, unit, prom) => {
        expect(prometheusMetricName(otlp, unit, "monotonic_sum")).toBe(prom);
    });

    it("covers every metric the fixtures contain, with the units they really carry", () => {
        const seen = new Map<string, string>();
        for (const name of scenarioNames()) for (const b of batchesOf(name).batches) for (const p of b.points) {
            expect(p.monotonic, p.name).toBe(true);
            seen.set(p.name, p.unit);
        }
        expect([...seen].sort()).toEqual(table.map(([n, u]) => [n, u]).sort());
    });

    it("applies the other unit and label rules of otlptranslator", () => {
        expect(prometheusMetricName("http.server.duration", "ms", "histogram")).toBe("http_server_duration_milliseconds");
        expect(prometheusMetricName("system.memory.usage", "By", "gauge")).toBe("system_memory_usage_bytes");
        expect(prometheusMetricName("cpu.utilization", "1", "gauge")).toBe("cpu_utilization_ratio");
        expect(prometheusMetricName("requests", "1", "monotonic_sum")).toBe("requests_total");
        expect(prometheusMetricName("tokens.used", "{token}", "monotonic_sum")).toBe("tokens_used_total");
        expect(prometheusMetricName("net.io", "By/s", "gauge")).toBe("net_io_bytes_per_second");
        expect(prometheusMetricName("total.time", "s", "monotonic_sum")).toBe("time_seconds_total");
        expect(prometheusLabelName("session.id")).toBe("session_id");
        expect(prometheusLabelName("agent.name")).toBe("agent_name");
        expect(prometheusLabelName("2fa")).toBe("key_2fa");
        expect(prometheusLabelName("_private")).toBe("key_private");
    });
});

describe("collector model vs. api_request ground truth", () => {
    it.each([...DELTA, ...CUMULATIVE])("%s: cost and tokens in Prometheus equal the events' sums", (name) => {
        const { model, samples, truth } = replay(name);
        expect(model.dropped).toEqual([]);
        expect(Math.abs(total(named(samples, COST)) - truth.costUsd)).toBeLessThan(1e-9);
        expectTokens(samples, truth);
        if (name === "s13-api-error-fatal") {
            // Every API attempt failed: no api_request event, and Claude Code records no cost/token point at all,
            // so the series do not exist (sum over nothing = 0). Only session.count and active_time.total exist.
            expect(truth.requests).toBe(0);
            expect(named(samples, COST)).toEqual([]);
            expect(named(samples, TOKENS)).toEqual([]);
            expect([...new Set(samples.map((s) => s.labels.__name__))].sort()).toEqual(["claude_code_active_time_seconds_total", "claude_code_session_count_total"]);
        } else {
            expect(truth.requests).toBeGreaterThan(0);
            expect(named(samples, COST).length).toBe(1); // one model, one query_source per run
        }
    });

    it("reproduces the known failure: delta straight into the exporter undercounts s03 (multi-export delta)", () => {
        const withD2c = replay("s03-long-session-delta");
        const without = replay("s03-long-session-delta", { deltaToCumulative: false });
        // 3 api_requests exported in 3 different intervals; the deltas are not contiguous (start != previous time),
        // so the exporter replaces instead of adding and Prometheus ends on the last delta alone.
        expect(withD2c.truth.requests).toBe(3);
        expect(total(named(withD2c.samples, COST))).toBeCloseTo(withD2c.truth.costUsd, 12);
        expect(total(named(without.samples, COST))).toBeLessThan(without.truth.costUsd - 1e-9);
        expect(total(named(without.samples, COST))).toBeCloseTo(without.truth.costUsd / 3, 12);
        expect(tokensByType(without.samples).input).toBe(without.truth.tokens.input / 3);
    });

    it.each(DELTA.filter((n) => n !== "s03-long-session-delta"))(
        "%s: without deltatocumulative the total is still right, because all its cost is in one export",
        (name) => {
            const { samples, truth } = replay(name, { deltaToCumulative: false });
            expect(Math.abs(total(named(samples, COST)) - truth.costUsd)).toBeLessThan(1e-9);
            expectTokens(samples, truth);
        },
    );

    it.each(CUMULATIVE)("%s: cumulative input is right with or without deltatocumulative", (name) => {
        const { samples, truth } = replay(name, { deltaToCumulative: false });
        expect(Math.abs(total(named(samples, COST)) - truth.costUsd)).toBeLessThan(1e-9);
        expectTokens(samples, truth);
    });

    it("a re-delivered export (client retry) is dropped as out of order, not double counted", () => {
        const { truth, batches } = batchesOf("s03-long-session-delta");
        const model = new CollectorModel();
        for (const b of batches) {
            model.receive(b.points, b.atMs);
            model.receive(b.points, b.atMs + 500);
        }
        const samples = model.scrape(batches[batches.length - 1].atMs + 1000);
        expect(Math.abs(total(named(samples, COST)) - truth.costUsd)).toBeLessThan(1e-9);
        expect(model.dropped.length).toBe(batches.reduce((n, b) => n + b.points.length, 0));
        expect(new Set(model.dropped.map((d) => d.reason))).toEqual(new Set(["out_of_order"]));
    });

    it("two processes writing one series (no session.id): later-arriving older starts are dropped", () => {
        // As with OTEL_METRICS_INCLUDE_SESSION_ID=false and one user: strip session.id, unify user.id.
        const asOneWriter = (name: string) => {
            const { truth, batches } = batchesOf(name);
            const strip = (p: MetricPoint): MetricPoint => {
                const { "session.id": _session, ...attributes } = p.attributes;
                return { ...p, attributes: { ...attributes, "user.id": "same-user" } };
            };
            return { truth, batches: batches.map((b) => ({ atMs: b.atMs, points: b.points.map(strip) })) };
        };
        const early = asOneWriter("s09-code-edit-accepted"); // ran ~45 s before s03
        const late = asOneWriter("s03-long-session-delta");
        const both = early.truth.costUsd + late.truth.costUsd;
        const run = (first: typeof early, second: typeof early) => {
            const model = new CollectorModel();
            const end = Math.max(...[...first.batches, ...second.batches].map((b) => b.atMs));
            for (const b of first.batches) model.receive(b.points, b.atMs);
            for (const b of second.batches) model.receive(b.points, end + 1); // arrives last
            return { model, cost: total(named(model.scrape(end + 2000), COST)) };
        };
        // Early process first: the later process's deltas start after the stream start and are added.
        expect(Math.abs(run(early, late).cost - both)).toBeLessThan(1e-9);
        // Later process first: the earlier process's point starts before the stream start → ErrOlderStart.
        const reversed = run(late, early);
        expect(reversed.cost).toBeCloseTo(late.truth.costUsd, 12);
        expect(reversed.model.dropped.some((d) => d.reason === "older_start" && d.point.name === "claude_code.cost.usage")).toBe(true);
    });

    it("a collector restart mid-session loses delta increments but not cumulative totals", () => {
        const restartAfterFirstCost = (name: string) => {
            const { truth, batches } = batchesOf(name);
            const model = new CollectorModel();
            let restarted = false;
            for (const b of batches) {
                model.receive(b.points, b.atMs);
                if (!restarted && b.points.some((p) => p.name === "claude_code.cost.usage")) {
                    model.restart();
                    restarted = true;
                }
            }
            return { truth, cost: total(named(model.scrape(batches[batches.length - 1].atMs + 1000), COST)) };
        };
        const delta = restartAfterFirstCost("s03-long-session-delta");
        expect(delta.cost).toBeCloseTo(delta.truth.costUsd - 0.00322, 12); // the first request's cost is gone
        const cumulative = restartAfterFirstCost("s04-long-session-cumulative");
        expect(Math.abs(cumulative.cost - cumulative.truth.costUsd)).toBeLessThan(1e-9);
    });

    it("series disappear from the scrape after metric_expiration without updates", () => {
        const { batches } = batchesOf("s01-text-default");
        const model = new CollectorModel({ metricExpirationMs: 5 * 60e3 });
        model.receive(batches[0].points, batches[0].atMs);
        expect(named(model.scrape(batches[0].atMs + 5 * 60e3), COST).length).toBe(1);
        expect(model.scrape(batches[0].atMs + 5 * 60e3 + 1)).toEqual([]);
    });

    it("forgets deltatocumulative state after max_stale: a later delta restarts from zero as a new series (its own stream_start)", () => {
        const { batches } = batchesOf("s03-long-session-delta");
        const costBatches = batches.filter((b) => b.points.some((p) => p.name === "claude_code.cost.usage"));
        const model = new CollectorModel({ maxStaleMs: 60e3, metricExpirationMs: 3600e3 });
        model.receive(costBatches[0].points, costBatches[0].atMs);
        model.receive(costBatches[1].points, costBatches[0].atMs + 60e3 + 1); // arrives after the stream went stale
        const series = named(model.scrape(costBatches[0].atMs + 120e3), COST);
        // The old total is still exported (metric_expiration 1h) beside the restarted one, so neither hides the other.
        expect(series).toHaveLength(2);
        for (const s of series) expect(s.value).toBeCloseTo(0.00322, 12);
        expect(new Set(series.map((s) => s.labels.stream_start)).size).toBe(2);
    });
});

describe("labels Prometheus stores", () => {
    const common = ["__name__", "job", "instance", "otel_scope_name", "otel_scope_version",
        "user_id", "session_id", "anthropic_provider", "anthropic_custom_base_url", "terminal_type", "stream_start"];

    it("cost series of s01 has exactly these labels", () => {
        const [cost] = named(replay("s01-text-default").samples, COST);
        expect(Object.keys(cost.labels).sort()).toEqual([...common, "model", "query_source", "effort"].sort());
        expect(cost.labels).toMatchObject({
            __name__: COST,
            job: "claude-code",
            instance: "otel-collector:8889",
            otel_scope_name: "com.anthropic.claude_code",
            otel_scope_version: "2.1.332",
            anthropic_provider: "firstParty",
            anthropic_custom_base_url: "true", // a bool attribute, rendered with AsString
            terminal_type: "dumb",
            model: "claude-opus-5-5",
            query_source: "main",
            effort: "medium",
        });
        expect(cost.labels.user_id).toMatch(/^[0-9a-f]{64}$/);
        expect(cost.labels.session_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    });

    it("each metric carries the common labels plus its own", () => {
        const own: Record<string, string[]> = {
            claude_code_session_count_total: ["start_type"],
            claude_code_cost_usage_USD_total: ["model", "query_source", "effort"],
            claude_code_token_usage_tokens_total: ["model", "query_source", "effort", "type"],
            claude_code_active_time_seconds_total: ["type"],
            claude_code_lines_of_code_count_total: ["type", "model"],
            claude_code_code_edit_tool_decision_total: ["decision", "source", "tool_name", "language"],
            claude_code_commit_count_total: [],
            claude_code_pull_request_count_total: [],
        };
        const seen = new Set<string>();
        for (const name of [...DELTA, ...CUMULATIVE]) {
            const extra = name === "s05-resource-attrs" ? ["team", "department"] : []; // OTEL_RESOURCE_ATTRIBUTES copied onto points
            for (const s of replay(name).samples) {
                seen.add(s.labels.__name__);
                expect(Object.keys(s.labels).sort(), `${name} ${s.labels.__name__}`).toEqual([...common, ...extra, ...own[s.labels.__name__]].sort());
                expect(s.labels.job).toBe("claude-code");
                expect(s.labels.instance).toBe("otel-collector:8889");
            }
        }
        expect([...seen].sort()).toEqual(Object.keys(own).sort());
    });

    it("resource-only attributes (host.arch, os.*, service.version) never become series labels", () => {
        const { samples } = replay("s05-resource-attrs");
        for (const s of samples) {
            for (const k of ["host_arch", "os_type", "os_version", "service_name", "service_version", "otel_scope_schema_url", "exported_job"]) {
                expect(s.labels[k], `${s.labels.__name__} ${k}`).toBeUndefined();
            }
            expect(s.labels).toMatchObject({ team: "platform", department: "eng" });
        }
    });
});
