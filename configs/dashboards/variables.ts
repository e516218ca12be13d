/**
 * Template variables shared by the dashboards, and the label matchers they produce.
 */
import { QueryVariableBuilder, VariableRefresh, VariableSort } from "@grafana/grafana-foundation-sdk/dashboard";
import { recordedIncrease } from "../signals";
import { PROMETHEUS } from "./model";

/** Dimensions users filter by: variable name → Prometheus label (the team label is a setting). */
export function dimensions(teamLabel: string) {
    return [
        { name: "user", label: "User", labelName: "user_id" },
        { name: "model", label: "Model", labelName: "model" },
        { name: "team", label: "Team", labelName: teamLabel },
        { name: "repository", label: "Repository", labelName: "vcs_repository_name" },
    ] as const;
}

/** One multi-select variable per dimension (or per named one), listing the values seen in the recorded cost series. */
export function variables(teamLabel: string, names?: readonly string[]): QueryVariableBuilder[] {
    return dimensions(teamLabel)
        .filter((d) => !names || names.includes(d.name))
        .map((d) => {
            const query = `label_values(${recordedIncrease("cost")}, ${d.labelName})`;
            return (
                new QueryVariableBuilder(d.name)
                    .label(d.label)
                    .datasource(PROMETHEUS)
                    .query({ query, refId: `${d.name}-values`, qryType: 1 })
                    .definition(query)
                    .refresh(VariableRefresh.OnTimeRangeChanged)
                    .includeAll(true)
                    .multi(true)
                    // "All" also matches series without the label (e.g. no team attribute set).
                    .allValue(".*")
                    .current({ selected: true, text: ["All"], value: ["$__all"] })
                    .sort(VariableSort.AlphabeticalAsc)
            );
        });
}

/**
 * PromQL label matchers for the selected variables (absent labels match "All"). Measures whose
 * series lack a dimension (commits, sessions and active time have no model) leave it out, or
 * picking a model would empty them.
 */
export function promFilter(teamLabel: string, without: readonly string[] = []): string {
    return dimensions(teamLabel)
        .filter((d) => !without.includes(d.name))
        .map((d) => `${d.labelName}=~"$${d.name}"`)
        .join(", ");
}

/** Dimensions a measure's series do not carry. */
export const NO_MODEL = ["model"] as const;

/** LogQL structured-metadata filters for the variables events carry (tool events have no model). */
export function lokiFilter(withModel = true): string {
    return withModel ? `| user_id=~"$user" | model=~"$model"` : `| user_id=~"$user"`;
}
