/**
 * The rule backfill takes whatever rule groups the program delivers: dependency levels (a rollup
 * reading increase1m after the group recording it) and a block size each group's interval allows.
 */
import { describe, expect, it } from "vitest";
import type { RuleGroup } from "../configs/prometheus";
import { incrementRuleGroups } from "../configs/rules";
import { programRuleGroups, ruleBlockMs, ruleLevels } from "./prometheus";

const HOUR = 3600000;
const rollup = (name: string, interval: string, from: string, to: string): RuleGroup => ({
    name,
    interval,
    rules: [{ record: `claude_code:cost_usd:${to}`, expr: `sum_over_time(claude_code:cost_usd:${from}[${interval}])` }],
});

describe("ruleLevels", () => {
    it("puts the program's increment rules on one level", () => {
        const levels = ruleLevels(programRuleGroups(incrementRuleGroups()));
        expect(levels).toHaveLength(1);
        expect(levels[0].flatMap((e) => e.group.rules)).toHaveLength(incrementRuleGroups()[0].rules.length);
    });

    it("orders rollups after what they read, whatever the order of the groups", () => {
        const groups = [rollup("daily", "1d", "increase1h", "increase1d"), rollup("hourly", "1h", "increase1m", "increase1h"), ...incrementRuleGroups()];
        const levels = ruleLevels(programRuleGroups(groups));
        expect(levels.map((l) => l.map((e) => e.group.name))).toEqual([["claude-code-increments"], ["hourly"], ["daily"]]);
        expect(levels[2][0].group.interval).toBe("1d");
    });

    it("splits a group whose rules read each other, keeping its name and interval", () => {
        const g: RuleGroup = {
            name: "mixed",
            interval: "1m",
            rules: [
                { record: "a:x:increase1m", expr: "sum(up)" },
                { record: "a:x:increase5m", expr: "sum_over_time(a:x:increase1m[5m])" },
                { alert: "Ignored", expr: "a:x:increase5m > 0" },
            ],
        };
        const levels = ruleLevels([{ file: "f.yml", group: g }]);
        expect(levels.map((l) => l.map((e) => [e.group.name, e.group.interval, e.group.rules.map((r) => ("record" in r ? r.record : ""))]))).toEqual([
            [["mixed", "1m", ["a:x:increase1m"]]],
            [["mixed", "1m", ["a:x:increase5m"]]],
        ]);
    });

    it("refuses cycles, and does not mistake a longer name for a shorter one", () => {
        const cyc: RuleGroup = { name: "c", rules: [{ record: "a:b", expr: "a:c + 1" }, { record: "a:c", expr: "a:b + 1" }] };
        expect(() => ruleLevels([{ file: "f.yml", group: cyc }])).toThrow(/cycle/);
        const prefix: RuleGroup = { name: "p", rules: [{ record: "a:b", expr: "sum(up)" }, { record: "a:b2", expr: "a:b_other + 1" }] };
        expect(ruleLevels([{ file: "f.yml", group: prefix }])).toHaveLength(1);
    });
});

describe("ruleBlockMs", () => {
    it("18h blocks for minute and hour groups, larger for daily ones, smaller for second ones", () => {
        expect(ruleBlockMs(60000)).toBe(18 * HOUR);
        expect(ruleBlockMs(10000)).toBe(18 * HOUR);
        expect(ruleBlockMs(HOUR)).toBe(18 * HOUR);
        expect(ruleBlockMs(24 * HOUR)).toBe(54 * HOUR);
        expect(ruleBlockMs(7 * 24 * HOUR)).toBe(486 * HOUR);
        expect(ruleBlockMs(1000)).toBe(2 * HOUR);
    });
});
