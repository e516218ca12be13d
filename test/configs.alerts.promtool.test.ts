/**
 * The PromQL behind the Grafana-managed alerts, unit-tested with `promtool test rules`.
 *
 * Each Grafana rule's Prometheus queries and math condition are turned into one Prometheus
 * alerting rule with the same meaning ($name → the query, && → and), taken from the program's own
 * rule models. The inputs are recorded per-minute increments; promtool's clock starts at
 * 1970-01-01T00:00Z, so day and month boundaries fall at known times.
 */
import { stringify } from "yaml";
import { describe, expect, it } from "vitest";
import { type AlertRule, budgetRules, usageRules } from "../configs/alerts";
import { parseBudgets, DEFAULTS } from "../configs/settings";
import { recordedIncrease } from "../configs/signals";
import { promtoolTestRules } from "../harness/tools";
import { DATASOURCE_UIDS } from "../configs/topology";

const settings = {
    ...DEFAULTS,
    budgets: parseBudgets(["daily total 25", "monthly total 500", "daily user 10"]).value,
    grafanaUrl: "http://127.0.0.1:3000",
};

/** The Grafana rule as a Prometheus alerting rule: same queries, same condition. */
function asPrometheusAlert(rule: AlertRule): { alert: string; expr: string; for: string } {
    const queries = new Map<string, string>();
    let condition = "";
    for (const d of rule.datas) {
        const model = JSON.parse(d.model);
        if (d.datasourceUid === DATASOURCE_UIDS.prometheus) queries.set(d.refId, model.expr);
        else if (model.type === "math") condition = model.expression;
        else if (model.type === "reduce") expect(model.reducer).toBe("last");
        else throw new Error(`${rule.name}: ${d.datasourceUid} query cannot run in promtool`);
    }
    const expr = condition
        .replace(/\$(\w+)_value/g, (_m, name) => `(${queries.get(name)})`)
        .replaceAll("&&", "and");
    return { alert: rule.uid, expr, for: rule.for };
}

const MIN = 60;
const HOUR = 3600;
const DAY = 86400;

/** promtool's value notation for a per-minute series: `a+bxn` expands to n+1 samples. */
const steady = (perMinute: number, minutes: number) => `${perMinute}x${minutes}`;

/**
 * Runs the rules over the input. `every` is how often promtool evaluates them: alerts here fire
 * without a `for` wait, so only the checked times matter, and days of input stay fast at 1h.
 */
function promtoolTest(
    rules: AlertRule[],
    inputSeries: { series: string; values: string }[],
    alertTests: { eval_time: string; alertname: string; exp_alerts: unknown[] }[],
    skip: (note?: string) => void,
    every = "1m",
) {
    const ruleFile = stringify({ groups: [{ name: "converted", interval: every, rules: rules.map(asPrometheusAlert) }] });
    return promtoolTestRules({ "alerts.yml": ruleFile }, [{ interval: "1m", input_series: inputSeries, alert_rule_test: alertTests }], skip);
}

const at = (seconds: number) => `${seconds}s`;
const cost = recordedIncrease("cost");

describe("alert PromQL (promtool test rules)", () => {
    const budgets = budgetRules(settings);
    const rule = (uid: string) => budgets.find((r) => r.uid === uid)!;

    it("daily total budget: warns at 80%, fires at 100%, and starts again at UTC midnight", (ctx) => {
        // 0.1 USD a minute from 00:00 (a sample every minute, the first at 00:00): 19.9 USD by
        // 00:198, 20.3 by 00:202 (80% of 25 is 20); 24.9 by 248 minutes, 25.3 by 252.
        const out = promtoolTest(
            [rule("cc-budget-daily-total-warning"), rule("cc-budget-daily-total-critical")],
            [{ series: `${cost}{user_id="u1",model="m"}`, values: steady(0.1, 2 * 24 * 60) }],
            [
                { eval_time: at(198 * MIN), alertname: "cc-budget-daily-total-warning", exp_alerts: [] },
                { eval_time: at(202 * MIN), alertname: "cc-budget-daily-total-warning", exp_alerts: [{ exp_labels: {} }] },
                { eval_time: at(248 * MIN), alertname: "cc-budget-daily-total-critical", exp_alerts: [] },
                { eval_time: at(252 * MIN), alertname: "cc-budget-daily-total-critical", exp_alerts: [{ exp_labels: {} }] },
                // Next day, 01:00: only 6.1 USD spent today, whatever yesterday cost.
                { eval_time: at(DAY + HOUR), alertname: "cc-budget-daily-total-warning", exp_alerts: [] },
                { eval_time: at(DAY + HOUR), alertname: "cc-budget-daily-total-critical", exp_alerts: [] },
            ],
            ctx.skip,
        );
        expect(out).toContain("SUCCESS");
    });

    it("per-user daily budget fires only for the user over it", (ctx) => {
        // u1 spends 0.1 USD a minute, u2 0.01: u1 passes 10 USD after 100 minutes, u2 never today.
        const out = promtoolTest(
            [rule("cc-budget-daily-user-critical")],
            [
                { series: `${cost}{user_id="u1",model="m"}`, values: steady(0.1, 300) },
                { series: `${cost}{user_id="u2",model="m"}`, values: steady(0.01, 300) },
            ],
            [
                { eval_time: at(95 * MIN), alertname: "cc-budget-daily-user-critical", exp_alerts: [] },
                { eval_time: at(105 * MIN), alertname: "cc-budget-daily-user-critical", exp_alerts: [{ exp_labels: { user_id: "u1" } }] },
            ],
            ctx.skip,
        );
        expect(out).toContain("SUCCESS");
    });

    it("monthly spend counts from the first of the month (UTC), across the month boundary", (ctx) => {
        // 0.02 USD a minute from 00:00 on 30 January (a sample every minute). At 23:00 on 31
        // January the month holds 2 days and 23 hours of it; at 01:00 on 1 February, one hour.
        const spend = JSON.parse(budgets.find((r) => r.uid === "cc-budget-monthly-total-critical")!.datas[0].model).expr;
        const jan30 = 29 * DAY;
        const minutes = (fromS: number, toS: number) => (toS - fromS) / MIN;
        const out = promtoolTestRules(
            { "rules.yml": stringify({ groups: [] }) },
            [
                {
                    interval: "1m",
                    input_series: [{ series: `${cost}{user_id="u1",model="m"}`, values: `_x${minutes(0, jan30)} ${steady(0.02, minutes(0, 3 * DAY))}` }],
                    promql_expr_test: [
                        // Samples at every minute from 30 Jan 00:00 (inclusive) to 31 Jan 23:00.
                        { expr: spend, eval_time: at(31 * DAY - HOUR), exp_samples: [{ labels: "{}", value: 0.02 * (minutes(jan30, 31 * DAY - HOUR) + 1) }] },
                        // The sample at 00:00 closes January's last minute; February has 60 minutes by 01:00.
                        { expr: spend, eval_time: at(31 * DAY + HOUR), exp_samples: [{ labels: "{}", value: 0.02 * 60 }] },
                    ],
                },
            ],
            ctx.skip,
        );
        expect(out).toContain("SUCCESS");
    });

    it("cost spike: an hour over 3x the 7-day hourly average and over the minimum", (ctx) => {
        const spike = usageRules(settings).find((r) => r.uid === "cc-cost-spike")!;
        // 7 days at 0.02 USD a minute (1.2 USD an hour), then an hour at 0.2 USD a minute (12 USD).
        const week = 7 * 24 * 60;
        const out = promtoolTest(
            [spike],
            [{ series: `${cost}{user_id="u1",model="m"}`, values: `${steady(0.02, week)} ${steady(0.2, 60)}` }],
            [
                { eval_time: at(week * MIN), alertname: "cc-cost-spike", exp_alerts: [] },
                { eval_time: at((week + 60) * MIN), alertname: "cc-cost-spike", exp_alerts: [{ exp_labels: {} }] },
            ],
            ctx.skip,
            "1h",
        );
        expect(out).toContain("SUCCESS");
    });
});
