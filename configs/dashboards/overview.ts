/**
 * Overview: what did Claude Code cost, who and what drove it, how much was done.
 */
import { signals } from "../signals";
import { BUCKET, type Dashboard, type PanelSpec, RANGE, bars, barGauge, dashboard, pie, row, stat, totalStat } from "./model";
import { NO_MODEL, promFilter, variables } from "./variables";

export const OVERVIEW_UID = "claude-code-overview";

export function overviewDashboard(teamLabel: string): Dashboard {
    const f = promFilter(teamLabel);
    const fm = promFilter(teamLabel, NO_MODEL);
    const by = (label: string, title: string, description: string): PanelSpec =>
        barGauge(title, description, signals.costUsd(RANGE, f, [label]), `{{${label}}}`, "currencyUSD", { decimals: 2 });

    const panels: PanelSpec[] = [
        row("Totals in the selected range"),
        totalStat("Total cost", "Cost Claude Code reports (its client-side estimate, USD), exact for the range: sessions, restarts and resumes included.", signals.costUsd(RANGE, f), "currencyUSD", { decimals: 2 }),
        totalStat("Total tokens", "Input, output, cache-read and cache-creation tokens.", signals.tokens(RANGE, f), "short"),
        totalStat("Active time", "Time Claude was working (cli) plus time the user was typing (user).", signals.activeSeconds(RANGE, fm), "s"),
        totalStat("Sessions", "Sessions started in the range (a resumed session counts again).", signals.sessions(RANGE, fm), "short", { decimals: 0 }),
        totalStat("Commits", "Git commits Claude Code created.", signals.commits(RANGE, fm), "short", { decimals: 0 }),
        totalStat("Pull requests", "Pull requests Claude Code opened.", signals.pullRequests(RANGE, fm), "short", { decimals: 0 }),
        row("Cost"),
        bars("Cost by model", "Exact cost per time bucket, by model.", [{ refId: "A", expr: signals.costUsd(BUCKET, f, ["model"]), legendFormat: "{{model}}" }], "currencyUSD"),
        bars("Tokens by type", "Tokens per time bucket by type: input, output, cacheRead, cacheCreation.", [{ refId: "A", expr: signals.tokens(BUCKET, f, ["type"]), legendFormat: "{{type}}" }], "short"),
        pie("Cost distribution by model", "Share of the range's cost per model.", signals.costUsd(RANGE, f, ["model"]), "{{model}}", "currencyUSD"),
        pie("Tokens by type (range)", "Tokens in the range by type.", signals.tokens(RANGE, f, ["type"]), "{{type}}", "short"),
        stat(
            "Cache hit rate",
            "cacheRead / (input + cacheRead + cacheCreation): the share of prompt tokens served from the prompt cache. Cache writes count as misses.",
            signals.cacheHitRatio(RANGE, f),
            "percentunit",
            { w: 8, h: 8, decimals: 1, min: 0, max: 1, thresholds: [{ color: "red", value: null }, { color: "orange", value: 0.5 }, { color: "green", value: 0.8 }] },
        ),
        bars("Daily cost", "Cost per UTC day.", [{ refId: "A", expr: signals.costUsd(BUCKET, f), legendFormat: "cost" }], "currencyUSD", { w: 24, interval: "1d" }),
        row("Who and what drove it"),
        by("user_id", "Cost by user", "user.id: Claude Code's per-install id (or the hashed email with OAuth, per privacyMode)."),
        by(teamLabel, "Cost by team", `The '${teamLabel}' key of OTEL_RESOURCE_ATTRIBUTES (set teamLabel for another key).`),
        by("vcs_repository_name", "Cost by repository", "Needs OTEL_METRICS_INCLUDE_REPOSITORY=true in the client."),
        by("query_source", "Cost by query source", "main thread vs subagents."),
        by("effort", "Cost by effort", "The effort level of each request."),
        pie("Active time by type", "cli: Claude working; user: the user typing (interactive sessions only).", signals.activeSeconds(RANGE, fm, ["type"]), "{{type}}", "s"),
    ];

    return dashboard({
        uid: OVERVIEW_UID,
        title: "Claude Code: overview",
        description: "Cost, tokens, activity and sessions of Claude Code, exact for any range (from recorded per-minute increments).",
        panels,
        variables: variables(teamLabel),
    });
}
