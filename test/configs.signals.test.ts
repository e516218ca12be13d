/**
 * Which recorded series each query reads: the narrow record unless it groups or filters by a
 * request label, and never a per-session record outside the sessions dashboard.
 */
import { describe, expect, it } from "vitest";
import { allDashboards } from "../configs/dashboards";
import { SESSIONS_UID } from "../configs/dashboards/sessions";
import { RECORDS } from "../configs/rules";
import { DEFAULTS } from "../configs/settings";
import { recordedIncrease, recordedRequestIncrease, signals } from "../configs/signals";

const recordsIn = (expr: string) => expr.match(/claude_code:[a-z_]+:[a-z_]*increase1m/g) ?? [];

describe("total() reads the narrowest record that has the labels it needs", () => {
    it("cost by model or user reads the record without request labels", () => {
        expect(recordsIn(signals.costUsd("1h", `user_id=~"a"`, ["model"]))).toEqual([recordedIncrease("cost")]);
    });

    it("cost grouped or filtered by query source or effort reads the record that keeps them", () => {
        expect(recordsIn(signals.costUsd("1h", "", ["query_source"]))).toEqual([recordedRequestIncrease("cost")]);
        expect(recordsIn(signals.costUsd("1h", `effort="high"`))).toEqual([recordedRequestIncrease("cost")]);
        expect(recordsIn(signals.costUsd("1h", `user_id=~"a", query_source!="main"`))).toEqual([recordedRequestIncrease("cost")]);
    });

    it("a label name that only ends like a request label does not switch records", () => {
        expect(recordsIn(signals.costUsd("1h", `my_effort="x"`))).toEqual([recordedIncrease("cost")]);
    });

    it("a measure without a request record refuses to be split by request labels, naming the fix", () => {
        expect(() => signals.tokens("1h", "", ["effort"])).toThrow(/REQUEST_MEASURES/);
    });
});

describe("series the long-range dashboards read grow with users, not sessions", () => {
    const perSession = new Set(RECORDS.filter((r) => !r.summedAway.includes("session_id")).map((r) => r.record));

    it("per-session records exist, and only the sessions dashboard reads them", () => {
        expect(perSession.size).toBeGreaterThan(0);
        const readers = new Set<string>();
        for (const d of allDashboards(DEFAULTS.teamLabel)) {
            for (const p of d.panels) {
                for (const t of p.targets ?? []) {
                    if (recordsIn(t.expr).some((r) => perSession.has(r))) readers.add(d.uid);
                }
            }
        }
        expect([...readers]).toEqual([SESSIONS_UID]);
    });

    it("no dashboard reads raw Claude Code counters", () => {
        for (const d of allDashboards(DEFAULTS.teamLabel)) {
            for (const p of d.panels) {
                for (const t of p.targets ?? []) expect(t.expr, `${d.uid} / ${p.title}`).not.toMatch(/claude_code_[a-z_]+_total/);
            }
        }
    });
});
