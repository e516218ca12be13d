/**
 * The README and docs/ link to each other by relative paths and heading anchors (GitHub's
 * rendering: lower case, punctuation dropped, spaces to dashes); every such link must land.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(__dirname, "..");
const DOCS = ["README.md", "BENCHMARKS.md", ...readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];

const anchorsOf = (markdown: string) =>
    new Set(markdown.split("\n").flatMap((line) => {
        const heading = /^#+ (.*)/.exec(line)?.[1];
        return heading ? [heading.trim().toLowerCase().replace(/[^\w\- ]/g, "").replace(/ /g, "-")] : [];
    }));

describe("documentation links", () => {
    it.each(DOCS)("every relative link and anchor in %s lands", (file) => {
        const text = readFileSync(join(ROOT, file), "utf8");
        const broken = [...text.matchAll(/\]\(([^)\s]+)\)/g)]
            .map((m) => m[1])
            .filter((link) => !/^[a-z]+:/.test(link))
            .filter((link) => {
                const [path, anchor] = link.split("#");
                const target = path ? normalize(join(dirname(file), path)) : file;
                if (!existsSync(join(ROOT, target))) return true;
                return anchor !== undefined && target.endsWith(".md") && !anchorsOf(readFileSync(join(ROOT, target), "utf8")).has(anchor);
            });
        expect(broken).toEqual([]);
    });

    it("the README links every maintainers' document in docs/", () => {
        const readme = readFileSync(join(ROOT, "README.md"), "utf8");
        for (const doc of DOCS.filter((d) => d.startsWith("docs/"))) expect(readme, doc).toContain(`](${doc})`);
    });
});
