/**
 * The committed files rendered from the source are current: Pulumi.yaml's config block, the
 * configuration reference, and rendered/ (every dashboard and alert rule group).
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RENDERED_DIR, RENDERED_IN_PLACE, renderedFiles } from "../configs/generated";

const ROOT = join(__dirname, "..");
const STALE = "is stale: run npm run generate and commit the result";

describe("generated files", () => {
    it.each(RENDERED_IN_PLACE.map((file) => [file.path, file] as const))("%s is current", (path, { render }) => {
        const current = readFileSync(join(ROOT, path), "utf8");
        expect(render(current), `${path} ${STALE}`).toBe(current);
    });

    const expected = renderedFiles();
    const dir = join(ROOT, RENDERED_DIR);

    it(`${RENDERED_DIR}/ has exactly the files the program renders`, () => {
        const present = readdirSync(dir, { recursive: true, withFileTypes: true })
            .filter((e) => e.isFile())
            .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
            .sort();
        expect(present, `${RENDERED_DIR}/ ${STALE}`).toEqual([...expected.keys()].sort());
    });

    it.each([...expected.keys()])(`${RENDERED_DIR}/%s is current`, (path) => {
        expect(readFileSync(join(dir, path), "utf8"), `${RENDERED_DIR}/${path} ${STALE}`).toBe(expected.get(path));
    });
});
