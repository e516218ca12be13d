/** Every alert links to a panel its dashboard has (alerts name the dashboards' declared panel ids). */
import { describe, expect, it } from "vitest";
import { alertGroups } from "../configs/alerts";
import { allDashboards } from "../configs/dashboards";
import { STACK_MODES } from "../configs/settings";
import { ALERT_SETTINGS } from "../harness/queries";

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
