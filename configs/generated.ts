/** The files in the repository that are rendered from the source: each path with its renderer (given the file's current text). */
import { renderConfigurationDoc, renderPulumiYaml } from "./settingsReference";

export const GENERATED_FILES: readonly { path: string; render: (current: string) => string }[] = [
    { path: "Pulumi.yaml", render: renderPulumiYaml },
    { path: "docs/configuration.md", render: renderConfigurationDoc },
];
