/**
 * Overview: what did Claude Code cost, who and what drove it, how much was done.
 */
import { signals } from "../signals";
import { BUCKET, type Dashboard, type Item, RANGE, bars, barGauge, dashboard, pie, row, stat, thresholds, totalStat } from "./model";
import { NO_MODEL, promFilter, variables } from "./variables";

export const OVERVIEW_UID = "claude-code-overview";

/** Panel ids: fixed, because alerts and users' links name panels by id. */
export const OVERVIEW_PANELS = {
    totalsRow: 1,
    totalCost: 2,
    totalTokens: 3,
    activeTime: 4,
    sessions: 5,
    commits: 6,
    pullRequests: 7,
    costRow: 8,
    costByModel: 9,
    tokensByType: 10,
    costShareByModel: 11,
    tokensByTypeRange: 12,
    cacheHitRate: 13,
    dailyCost: 14,
    driversRow: 15,
    costByUser: 16,
    costByTeam: 17,
    costByRepository: 18,
    costByQuerySource: 19,
    costByEffort: 20,
    activeTimeByType: 21,
} as const;

export function overviewDashboard(teamLabel: string): Dashboard {
    const P = OVERVIEW_PANELS;
    const f = promFilter(teamLabel);
    const fm = promFilter(teamLabel, NO_MODEL);
    const by = (id: number, label: string, title: string, description: string) =>
        barGauge(id, title, description, signals.costUsd(RANGE, f, [label]), `{{${label}}}`, "currencyUSD").decimals(2);

    const panels: Item[] = [
        row(P.totalsRow, "Totals in the selected range"),
        totalStat(P.totalCost, "Total cost", "Cost Claude Code reports (its client-side estimate, USD), exact for the range: sessions, restarts and resumes included.", signals.costUsd(RANGE, f), "currencyUSD").decimals(2),
        totalStat(P.totalTokens, "Total tokens", "Input, output, cache-read and cache-creation tokens.", signals.tokens(RANGE, f), "short"),
        totalStat(P.activeTime, "Active time", "Time Claude was working (cli) plus time the user was typing (user).", signals.activeSeconds(RANGE, fm), "s"),
        totalStat(P.sessions, "Sessions", "Sessions started in the range (a resumed session counts again).", signals.sessions(RANGE, fm), "short").decimals(0),
        totalStat(P.commits, "Commits", "Git commits Claude Code created.", signals.commits(RANGE, fm), "short").decimals(0),
        totalStat(P.pullRequests, "Pull requests", "Pull requests Claude Code opened.", signals.pullRequests(RANGE, fm), "short").decimals(0),
        row(P.costRow, "Cost"),
        bars(P.costByModel, "Cost by model", "Exact cost per time bucket, by model.", [{ refId: "A", expr: signals.costUsd(BUCKET, f, ["model"]), legendFormat: "{{model}}" }], "currencyUSD"),
        bars(P.tokensByType, "Tokens by type", "Tokens per time bucket by type: input, output, cacheRead, cacheCreation.", [{ refId: "A", expr: signals.tokens(BUCKET, f, ["type"]), legendFormat: "{{type}}" }], "short"),
        pie(P.costShareByModel, "Cost distribution by model", "Share of the range's cost per model.", signals.costUsd(RANGE, f, ["model"]), "{{model}}", "currencyUSD"),
        pie(P.tokensByTypeRange, "Tokens by type (range)", "Tokens in the range by type.", signals.tokens(RANGE, f, ["type"]), "{{type}}", "short"),
        stat(
            P.cacheHitRate,
            "Cache hit rate",
            "cacheRead / (input + cacheRead + cacheCreation): the share of prompt tokens served from the prompt cache. Cache writes count as misses.",
            signals.cacheHitRatio(RANGE, f),
            "percentunit",
        )
            .span(8)
            .height(8)
            .decimals(1)
            .min(0)
            .max(1)
            .thresholds(thresholds([{ color: "red", value: null }, { color: "orange", value: 0.5 }, { color: "green", value: 0.8 }])),
        bars(P.dailyCost, "Daily cost", "Cost per UTC day.", [{ refId: "A", expr: signals.costUsd(BUCKET, f), legendFormat: "cost" }], "currencyUSD").span(24).interval("1d"),
        row(P.driversRow, "Who and what drove it"),
        by(P.costByUser, "user_id", "Cost by user", "user.id: Claude Code's per-install id (or the hashed email with OAuth, per privacyMode)."),
        by(P.costByTeam, teamLabel, "Cost by team", `The '${teamLabel}' key of OTEL_RESOURCE_ATTRIBUTES (set teamLabel for another key).`),
        by(P.costByRepository, "vcs_repository_name", "Cost by repository", "Needs OTEL_METRICS_INCLUDE_REPOSITORY=true in the client."),
        by(P.costByQuerySource, "query_source", "Cost by query source", "main thread vs subagents."),
        by(P.costByEffort, "effort", "Cost by effort", "The effort level of each request."),
        pie(P.activeTimeByType, "Active time by type", "cli: Claude working; user: the user typing (interactive sessions only).", signals.activeSeconds(RANGE, fm, ["type"]), "{{type}}", "s"),
    ];

    return dashboard({
        uid: OVERVIEW_UID,
        title: "Claude Code: overview",
        description: "Cost, tokens, activity and sessions of Claude Code, exact for any range (from recorded per-minute increments).",
        panels,
        variables: variables(teamLabel),
    });
}
