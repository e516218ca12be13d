/**
 * Sessions: one row per Claude Code session. Every session is its own series, so what this
 * dashboard reads grows with the number of sessions in the range; the overview and productivity
 * dashboards read series that grow only with users × models × types. It opens on the last 24
 * hours, and stays quick up to a week or so for a team (see BENCHMARKS.md).
 */
import * as histogram from "@grafana/grafana-foundation-sdk/histogram";
import { VizLegendOptionsBuilder } from "@grafana/grafana-foundation-sdk/common";
import { signals } from "../signals";
import { BUCKET, type Dashboard, type Item, RANGE, bars, dashboard, panel, table } from "./model";
import { NO_MODEL, promFilter, variables } from "./variables";

export const SESSIONS_UID = "claude-code-sessions";

/** Panel ids: fixed, because alerts and users' links name panels by id. */
export const SESSIONS_PANELS = { sessionsStarted: 1, topSessions: 2, activeTimeDistribution: 3 } as const;

export function sessionsDashboard(teamLabel: string): Dashboard {
    const f = promFilter(teamLabel);
    const fm = promFilter(teamLabel, NO_MODEL);
    const top = `topk(25, ${signals.sessionCost(RANGE, f)})`;
    const P = SESSIONS_PANELS;
    const panels: Item[] = [
        bars(P.sessionsStarted, "Sessions started", "Sessions started per time bucket (a resumed session counts again).", [{ refId: "A", expr: signals.sessions(BUCKET, fm), legendFormat: "sessions" }], "short")
            .span(24)
            .height(6),
        table(
            P.topSessions,
            "Top sessions by cost",
            "Sessions in the range, most expensive first: cost, tokens and active time within the range.",
            [
                { refId: "cost", expr: top, column: "Cost", unit: "currencyUSD", decimals: 4 },
                { refId: "tokens", expr: `${signals.sessionTokens(RANGE, f)} and on (session_id) ${top}`, column: "Tokens", unit: "short" },
                { refId: "active", expr: `${signals.sessionActiveSeconds(RANGE, fm)} and on (session_id) ${top}`, column: "Active time", unit: "s" },
            ],
            { session_id: "Session", user_id: "User" },
            "Cost",
        ),
        panel(
            new histogram.PanelBuilder(),
            P.activeTimeDistribution,
            "Session active-time distribution",
            "How long sessions in the range were active (Claude working plus the user typing), one value per session.",
            24,
            8,
            [{ refId: "A", expr: signals.sessionActiveSeconds(RANGE, fm), instant: true, format: "table" }],
            "s",
        )
            .bucketCount(20)
            .combine(false)
            .legend(new VizLegendOptionsBuilder().showLegend(false)),
    ];
    return dashboard({
        uid: SESSIONS_UID,
        title: "Claude Code: sessions",
        description: "Per-session cost, tokens and active time. Reads one series per session: keep the range short for a large team.",
        panels,
        variables: variables(teamLabel),
    });
}
