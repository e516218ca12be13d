/**
 * The committed copy of the dashboards and alert rule groups (rendered/) is what the program
 * generates, and every alert links to a panel its dashboard has.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { alertGroups } from "../configs/alerts";
import { allDashboards } from "../configs/dashboards";
import { STACK_MODES } from "../configs/settings";
import { ALERT_SETTINGS } from "../harness/queries";
import { RENDERED_DIR, RENDER_COMMAND, listRendered, renderedFiles } from "../scripts/render";

describe("rendered/", () => {
    const expected = renderedFiles();

    it("has exactly the files the program renders", () => {
        expect(listRendered(), `stale rendered/: run ${RENDER_COMMAND}`).toEqual([...expected.keys()].sort());
    });

    it.each([...expected.keys()])("%s is current", (path) => {
        expect(readFileSync(join(RENDERED_DIR, path), "utf8"), `stale rendered/${path}: run ${RENDER_COMMAND}`).toBe(expected.get(path));
    });
});

describe("alert links", () => {
    it.each(STACK_MODES)("name a panel of their dashboard (%s mode)", (mode) => {
        const dashboards = allDashboards(ALERT_SETTINGS.teamLabel, mode);
        const rules = alertGroups(ALERT_SETTINGS).flatMap((g) => g.rules);
        expect(rules.length).toBeGreaterThan(5);
        for (const r of rules) {
            const dashboard = dashboards.find((d) => d.uid === r.annotations.__dashboardUid__);
            const panel = dashboard?.panels.find((p) => String(p.id) === r.annotations.__panelId__);
            const link = `${r.uid} → ${r.annotations.__dashboardUid__} panel ${r.annotations.__panelId__}`;
            expect(panel, link).toBeDefined();
            expect(panel?.type, link).not.toBe("row");
        }
    });
});
