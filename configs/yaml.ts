import { stringify } from "yaml";

/**
 * Serialises a config object as YAML with a header comment. Key order is insertion order and no
 * anchors or line folding are used, so the same settings always give the same bytes (no diff on
 * a second `pulumi preview`).
 */
export function toYaml(value: unknown, header: string): string {
    const body = stringify(value, { aliasDuplicateObjects: false, lineWidth: 0, indent: 2 });
    return `# ${header}\n${body}`;
}
