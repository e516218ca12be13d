/**
 * Productivity: what the spend produced (code, commits, pull requests), how edits were received,
 * and how models compare.
 */
import { signals } from "../signals";
import { BUCKET, type Dashboard, type Item, RANGE, bars, barGauge, dashboard, row, stat, table, totalStat } from "./model";
import { NO_MODEL, promFilter, variables } from "./variables";

export const PRODUCTIVITY_UID = "claude-code-productivity";

/** Panel ids: fixed, because alerts and users' links name panels by id. */
export const PRODUCTIVITY_PANELS = {
    outputRow: 1,
    linesAdded: 2,
    linesRemoved: 3,
    commits: 4,
    pullRequests: 5,
    costPerCommit: 6,
    costPerKiloLine: 7,
    linesOfCode: 8,
    commitsAndPullRequests: 9,
    editsRow: 10,
    editAcceptRate: 11,
    acceptRateByTool: 12,
    acceptRateByLanguage: 13,
    decisionsBySource: 14,
    modelsRow: 15,
    costPerKiloOutputToken: 16,
    cacheHitRateByModel: 17,
    modelComparison: 18,
} as const;

export function productivityDashboard(teamLabel: string): Dashboard {
    const f = promFilter(teamLabel);
    const fm = promFilter(teamLabel, NO_MODEL);
    const P = PRODUCTIVITY_PANELS;
    const panels: Item[] = [
        row(P.outputRow, "Output"),
        totalStat(P.linesAdded, "Lines added", "Lines of code Claude Code added (Write, Edit, NotebookEdit).", signals.linesOfCode(RANGE, `type="added", ${f}`, []), "short").decimals(0),
        totalStat(P.linesRemoved, "Lines removed", "Lines of code Claude Code removed.", signals.linesOfCode(RANGE, `type="removed", ${f}`, []), "short").decimals(0),
        totalStat(P.commits, "Commits", "Git commits Claude Code created.", signals.commits(RANGE, fm), "short").decimals(0),
        totalStat(P.pullRequests, "Pull requests", "Pull requests Claude Code opened.", signals.pullRequests(RANGE, fm), "short").decimals(0),
        stat(P.costPerCommit, "Cost per commit", "Total cost / commits in the range (all models: commits carry no model).", signals.costPerCommit(RANGE, fm), "currencyUSD").decimals(2),
        stat(P.costPerKiloLine, "Cost per 1,000 changed lines", "Total cost / (lines added + removed) × 1,000.", signals.costPerKiloLine(RANGE, f), "currencyUSD").decimals(2),
        bars(P.linesOfCode, "Lines of code", "Lines added and removed per time bucket.", [{ refId: "A", expr: signals.linesOfCode(BUCKET, f), legendFormat: "{{type}}" }], "short"),
        bars(
            P.commitsAndPullRequests,
            "Commits and pull requests",
            "Per time bucket.",
            [
                { refId: "A", expr: signals.commits(BUCKET, fm), legendFormat: "commits" },
                { refId: "B", expr: signals.pullRequests(BUCKET, fm), legendFormat: "pull requests" },
            ],
            "short",
        ),
        row(P.editsRow, "Edit decisions"),
        stat(P.editAcceptRate, "Edit accept rate", "Accepted / all permission decisions on Edit, Write and NotebookEdit.", signals.editAcceptRatio(RANGE, fm), "percentunit").span(8).height(8).decimals(1).min(0).max(1),
        barGauge(P.acceptRateByTool, "Accept rate by tool", "Accepted share of edit decisions per tool.", signals.editAcceptRatio(RANGE, fm, ["tool_name"]), "{{tool_name}}", "percentunit").min(0).max(1),
        barGauge(P.acceptRateByLanguage, "Accept rate by language", "Accepted share of edit decisions per language (from the file extension).", signals.editAcceptRatio(RANGE, fm, ["language"]), "{{language}}", "percentunit")
            .min(0)
            .max(1),
        barGauge(P.decisionsBySource, "Decisions by source", "Who decided: config, hook, classifier, the user (temporary, permanent, reject, abort).", signals.editDecisions(RANGE, fm, ["decision", "source"]), "{{decision}} / {{source}}", "short"),
        row(P.modelsRow, "Models"),
        barGauge(P.costPerKiloOutputToken, "Cost per 1,000 output tokens", "USD per 1,000 output tokens by model: what a unit of answer costs.", signals.costPerKiloOutputToken(RANGE, f), "{{model}}", "currencyUSD").decimals(3),
        barGauge(P.cacheHitRateByModel, "Cache hit rate by model", "cacheRead / (input + cacheRead + cacheCreation) per model.", signals.cacheHitRatio(RANGE, f, ["model"]), "{{model}}", "percentunit").min(0).max(1),
        table(
            P.modelComparison,
            "Model comparison",
            "Per model over the range: cost, output tokens and cache hit rate.",
            [
                { refId: "cost", expr: signals.costUsd(RANGE, f, ["model"]), column: "Cost", unit: "currencyUSD", decimals: 2 },
                { refId: "output", expr: signals.tokens(RANGE, `type="output", ${f}`, ["model"]), column: "Output tokens", unit: "short" },
                { refId: "perk", expr: signals.costPerKiloOutputToken(RANGE, f), column: "USD / 1k output", unit: "currencyUSD", decimals: 3 },
                { refId: "cache", expr: signals.cacheHitRatio(RANGE, f, ["model"]), column: "Cache hit rate", unit: "percentunit", decimals: 1 },
            ],
            { model: "Model" },
            "Cost",
        )
            .span(8)
            .height(8),
    ];
    return dashboard({
        uid: PRODUCTIVITY_UID,
        title: "Claude Code: productivity",
        description: "Lines, commits, pull requests, edit decisions and model comparison.",
        panels,
        variables: variables(teamLabel),
    });
}
