/**
 * The naive twin of each query: a mechanical rewrite, checked on examples and on every query the
 * dashboards generate (each rewrite parses with Prometheus' grammar and reads no recorded series).
 */
import { describe, expect, it } from "vitest";
import { METRICS, signals } from "../configs/signals";
import { promqlSyntaxErrors } from "../test/support/queryLint";
import { interpolate } from "../harness/queries";
import { benchDashboards, grafanaStepMs, panelRequests, roundInterval, variableRequest } from "./grafana";
import { naiveQuery, readsRecorded } from "./naive";

describe("naiveQuery", () => {
    it("total over the range → increase of the raw counter, outer aggregation kept", () => {
        expect(naiveQuery(`sum (sum_over_time(claude_code:cost_usd:increase1m{user_id=~".*"}[86400s]))`)).toBe(
            `sum (increase(claude_code_cost_usage_USD_total{user_id=~".*"}[86400s]))`,
        );
    });

    it("grouped totals, without matchers", () => {
        expect(naiveQuery(`sum by (type) (sum_over_time(claude_code:tokens:increase1m[1h]))`)).toBe(`sum by (type) (increase(claude_code_token_usage_tokens_total[1h]))`);
    });

    it("ratios rewrite both sides", () => {
        expect(naiveQuery(signals.cacheHitRatio("7d"))).toBe(
            `sum (increase(claude_code_token_usage_tokens_total{type="cacheRead"}[7d])) / sum (increase(claude_code_token_usage_tokens_total{type=~"input|cacheRead|cacheCreation"}[7d]))`,
        );
    });

    it("per-session series → the raw series (which are per session already)", () => {
        expect(naiveQuery(`topk(25, ${signals.sessionCost("30d")})`)).toBe(`topk(25, sum by (session_id, user_id) (increase(claude_code_cost_usage_USD_total[30d])))`);
        expect(naiveQuery(signals.sessionActiveSeconds("1d"))).toBe(`sum by (session_id, user_id) (increase(${METRICS.activeTime}[1d]))`);
    });

    it("rollups of any resolution, offsets and label_values", () => {
        expect(naiveQuery(`sum(sum_over_time(claude_code:commits:increase1h{team="a"}[7d] offset 1d))`)).toBe(`sum(increase(claude_code_commit_count_total{team="a"}[7d] offset 1d))`);
        expect(naiveQuery(`label_values(claude_code:cost_usd:increase1m, user_id)`)).toBe(`label_values(claude_code_cost_usage_USD_total, user_id)`);
    });

    it("leaves queries without recorded series alone, and refuses what it cannot translate", () => {
        expect(naiveQuery(`sum(up)`)).toBe(`sum(up)`);
        expect(readsRecorded(`sum(up)`)).toBe(false);
        expect(() => naiveQuery(`max_over_time(claude_code:cost_usd:increase1m[1h])`)).toThrow(/no naive equivalent/);
        expect(() => naiveQuery(`sum_over_time(claude_code:unknown:increase1m[1h])`)).toThrow(/no raw metric/);
    });

    it("rewrites every dashboard query into valid PromQL on raw series only", () => {
        let n = 0;
        for (const d of benchDashboards()) {
            for (const p of d.panels) {
                for (const r of panelRequests(p, 90 * 86400000, Date.UTC(2026, 8, 1), "naive")) {
                    expect(promqlSyntaxErrors(r.expr), r.expr).toEqual([]);
                    expect(r.expr).not.toMatch(/claude_code:/);
                    n++;
                }
            }
            for (const v of d.variables) expect(variableRequest(v.query, 86400000, Date.UTC(2026, 8, 1), "naive").expr).not.toMatch(/claude_code:/);
        }
        expect(n).toBeGreaterThan(30);
        expect(interpolate("$__range", 60, 1)).toBe("60s");
    });
});

describe("Grafana's step", () => {
    it("rounds range / 1000 points as Grafana does, never below the panel's min interval", () => {
        expect(roundInterval(86400)).toBe(60000);
        expect(grafanaStepMs(86400000, 10000)).toBe(60000); // 1d → 1m
        expect(grafanaStepMs(7 * 86400000, 10000)).toBe(600000); // 7d → 10m
        expect(grafanaStepMs(30 * 86400000, 10000)).toBe(1800000); // 30d → 30m
        expect(grafanaStepMs(90 * 86400000, 10000)).toBe(7200000); // 90d → 2h
        expect(grafanaStepMs(3600000, 60000)).toBe(60000); // 1h, bars: the 1m min interval
        expect(grafanaStepMs(7 * 86400000, 86400000)).toBe(86400000); // daily bars
    });
});
