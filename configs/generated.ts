/**
 * The files in the repository rendered from the source, so reviews see what the program provisions
 * and what Pulumi and users read: `npm run generate` writes them, test/configs.generated.test.ts fails when
 * one is stale.
 */
import { alertGroups } from "./alerts";
import { allDashboards } from "./dashboards";
import { DEFAULTS, hostForClients } from "./settings";
import { renderConfigurationDoc, renderPulumiYaml } from "./settingsReference";

/** Files that keep hand-written parts: each is re-rendered from its current text. */
export const RENDERED_IN_PLACE: readonly { path: string; render: (current: string) => string }[] = [
    { path: "Pulumi.yaml", render: renderPulumiYaml },
    { path: "docs/configuration.md", render: renderConfigurationDoc },
];

/** The directory whose every file is generated (a file the program no longer renders is removed). */
export const RENDERED_DIR = "rendered";

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
const slug = (name: string) => name.toLowerCase().replace(/[^a-z0-9]+/g, "-");

/** Path under rendered/ → content: every dashboard and alert rule group the default settings provision. */
export function renderedFiles(): Map<string, string> {
    const files = new Map<string, string>();
    const local = allDashboards(DEFAULTS.teamLabel, "local");
    for (const d of local) files.set(`dashboards/${d.uid}.json`, json(d));
    // Team mode changes only some dashboards; only those get a team copy.
    for (const d of allDashboards(DEFAULTS.teamLabel, "team")) {
        if (json(d) !== json(local.find((l) => l.uid === d.uid))) files.set(`dashboards/team/${d.uid}.json`, json(d));
    }
    const settings = { ...DEFAULTS, grafanaUrl: `http://${hostForClients(DEFAULTS)}:${DEFAULTS.grafanaPort}` };
    for (const g of alertGroups(settings)) {
        // Models parsed, not as the JSON strings the provider takes, so a change to one reads as a diff.
        const rules = g.rules.map((r) => ({ ...r, datas: r.datas.map((q) => ({ ...q, model: JSON.parse(q.model) })) }));
        files.set(`alerts/${slug(g.name)}.json`, json({ ...g, rules }));
    }
    return files;
}
