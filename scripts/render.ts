/**
 * `npm run render`: writes every dashboard and alert rule group the default settings provision to
 * rendered/, so a change to them reads as a diff in review (test/rendered.test.ts fails when the
 * copy is stale).
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { alertGroups } from "../configs/alerts";
import { allDashboards } from "../configs/dashboards";
import { DEFAULTS, hostForClients, parseBudgets } from "../configs/settings";

export const RENDERED_DIR = join(__dirname, "..", "rendered");
export const RENDER_COMMAND = "npm run render";

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
const slug = (name: string) => name.toLowerCase().replace(/[^a-z0-9]+/g, "-");

/** Path under rendered/ → content, for the default settings. */
export function renderedFiles(): Map<string, string> {
    const files = new Map<string, string>();
    const local = allDashboards(DEFAULTS.teamLabel, "local");
    for (const d of local) files.set(`dashboards/${d.uid}.json`, json(d));
    // Team mode changes only some dashboards; only those get a team copy.
    for (const d of allDashboards(DEFAULTS.teamLabel, "team")) {
        if (json(d) !== json(local.find((l) => l.uid === d.uid))) files.set(`dashboards/team/${d.uid}.json`, json(d));
    }
    const settings = { ...DEFAULTS, parsedBudgets: parseBudgets(DEFAULTS.budgets).budgets, grafanaUrl: `http://${hostForClients(DEFAULTS)}:${DEFAULTS.grafanaPort}` };
    for (const g of alertGroups(settings)) {
        // Models parsed, not as the JSON strings the provider takes, so a change to one reads as a diff.
        const rules = g.rules.map((r) => ({ ...r, datas: r.datas.map((q) => ({ ...q, model: JSON.parse(q.model) })) }));
        files.set(`alerts/${slug(g.name)}.json`, json({ ...g, rules }));
    }
    return files;
}

/** Every file under rendered/, relative to it. */
export function listRendered(dir = RENDERED_DIR): string[] {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
        .sort();
}

if (typeof require !== "undefined" && require.main === module) {
    rmSync(RENDERED_DIR, { recursive: true, force: true });
    for (const [path, content] of renderedFiles()) {
        mkdirSync(dirname(join(RENDERED_DIR, path)), { recursive: true });
        writeFileSync(join(RENDERED_DIR, path), content);
    }
    console.log(`wrote ${listRendered().length} files to rendered/`);
}
