/** `npm run generate`: rewrites the files rendered from the source (configs/generated.ts). */
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { RENDERED_DIR, RENDERED_IN_PLACE, renderedFiles } from "../configs/generated";

const root = join(__dirname, "..");
for (const { path, render } of RENDERED_IN_PLACE) writeFileSync(join(root, path), render(readFileSync(join(root, path), "utf8")));
const dir = join(root, RENDERED_DIR);
rmSync(dir, { recursive: true, force: true });
for (const [path, content] of renderedFiles()) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
}
const written = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
console.log(`wrote ${RENDERED_IN_PLACE.map((f) => f.path).join(", ")} and ${written.length} files in ${relative(root, dir)}/`);
