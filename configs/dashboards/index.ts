/**
 * Every dashboard the stack provisions, in the Claude Code folder.
 */
import { eventsDashboard } from "./events";
import type { StackMode } from "../settings";
import type { Dashboard } from "./model";
import { overviewDashboard } from "./overview";
import { pipelineDashboard } from "./pipeline";
import { productivityDashboard } from "./productivity";
import { sessionsDashboard } from "./sessions";

export type { Dashboard, Panel } from "./model";
export { OVERVIEW_UID } from "./overview";

export const FOLDER = { uid: "claude-code", title: "Claude Code" } as const;

export function allDashboards(teamLabel: string, mode: StackMode = "local"): Dashboard[] {
    return [overviewDashboard(teamLabel), productivityDashboard(teamLabel), sessionsDashboard(teamLabel), eventsDashboard(teamLabel), pipelineDashboard(mode)];
}
