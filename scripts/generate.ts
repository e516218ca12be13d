/**
 * `npm run generate`: rewrites the files derived from the source (GENERATED_FILES); test/generated.test.ts fails when one is stale.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { GENERATED_FILES } from "../configs/generated";

const root = join(__dirname, "..");
for (const { path, render } of GENERATED_FILES) {
    const file = join(root, path);
    const current = readFileSync(file, "utf8");
    const next = render(current);
    if (next !== current) writeFileSync(file, next);
    console.log(`${next === current ? "unchanged" : "written  "} ${path}`);
}
