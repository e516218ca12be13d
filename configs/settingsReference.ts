/**
 * What the settings' declarations imply for files people read: the `config:` block of Pulumi.yaml
 * (what the Pulumi CLI checks and fills in before the program runs) and the tables of
 * docs/configuration.md. `npm run generate` writes them; test/configs.generated.test.ts keeps them current.
 */
import { type Document, isMap, isScalar, isSeq, parseDocument } from "yaml";
import { type ConfigValue, PULUMI_TYPES, SECRETS, SETTINGS, type SettingSpec } from "./settingsSchema";

/** Pulumi's config type for a setting (its project schema knows string, integer, boolean and array): the schema's own, else its default's. */
const pulumiType = (spec: SettingSpec) =>
    PULUMI_TYPES.get(spec.schema)?.pulumiType ?? (Array.isArray(spec.default) ? "array" : typeof spec.default === "number" ? "integer" : typeof spec.default);

/** Pulumi.yaml with its `config:` block rebuilt from the declarations; everything else in the file is kept. */
export function renderPulumiYaml(current: string): string {
    const doc: Document = parseDocument(current);
    const config = Object.fromEntries(
        Object.entries(SETTINGS).map(([key, spec]) => {
            const type = pulumiType(spec);
            // The CLI checks a default against its declared type, so a string-typed number is written as a string.
            const value = type === "string" ? String(spec.default) : spec.default;
            return [key, { type, ...(type === "array" ? { items: { type: "string" } } : {}), default: value, description: spec.doc }];
        }),
    );
    const node = doc.createNode(config);
    for (const pair of node.items) {
        const section = isScalar(pair.key) ? (SETTINGS as Record<string, { section?: string }>)[String(pair.key.value)]?.section : undefined;
        if (section && isScalar(pair.key)) pair.key.commentBefore = ` --- ${section} ${"-".repeat(90 - section.length)}`;
        // A list default stays on one line of quoted strings, as people write one by hand.
        const listDefault = isMap(pair.value) ? pair.value.get("default", true) : undefined;
        if (isSeq(listDefault)) {
            listDefault.flow = true;
            for (const item of listDefault.items) if (isScalar(item)) item.type = "QUOTE_DOUBLE";
        }
    }
    doc.set("config", node);
    return doc.toString({ lineWidth: 0, flowCollectionPadding: false }).replace(/\n+$/, "\n");
}

const shown = (value: ConfigValue) =>
    Array.isArray(value) ? (value.length === 0 ? "[]" : value.map((x) => `"${x}"`).join(", ")) : value === "" ? '""' : String(value);

/** The Markdown table of plain settings. */
export function settingsTable(): string {
    const rows = Object.entries(SETTINGS).map(([key, spec]) => `| \`${key}\` | \`${shown(spec.default)}\` | ${spec.doc} |`);
    return ["| Setting | Default | Meaning |", "|---|---|---|", ...rows].join("\n");
}

/** The Markdown table of secrets, each with the command that sets it. */
export function secretsTable(): string {
    const rows = Object.entries(SECRETS).map(([key, spec]) => `| \`${key}\` | ${spec.doc} | \`pulumi config set --secret ${key} ${spec.example}\` |`);
    return ["| Secret | What it is | Set it with |", "|---|---|---|", ...rows].join("\n");
}

/** Markers around the generated tables in docs/configuration.md. */
const region = (name: string) => [`<!-- generated: ${name} (npm run generate) -->`, `<!-- end generated: ${name} -->`] as const;

/** docs/configuration.md with the text between each pair of markers replaced by its table. */
export function renderConfigurationDoc(current: string): string {
    let text = current;
    for (const [name, table] of [["settings", settingsTable()], ["secrets", secretsTable()]] as const) {
        const [start, end] = region(name);
        const from = text.indexOf(start);
        const to = text.indexOf(end);
        if (from === -1 || to < from) throw new Error(`docs/configuration.md: the markers ${start} … ${end} are missing`);
        text = `${text.slice(0, from + start.length)}\n${table}\n${text.slice(to)}`;
    }
    return text;
}
