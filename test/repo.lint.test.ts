/**
 * The whole tree passes Biome's lint (biome.jsonc): no error, warning or note.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(__dirname, "..");

describe("lint", () => {
    it("biome lint finds nothing in the tree", () => {
        const r = spawnSync(join(ROOT, "node_modules", ".bin", "biome"), ["lint", "--diagnostic-level=info", "--max-diagnostics=50", "--colors=off"], { cwd: ROOT, encoding: "utf8" });
        expect(`${r.stdout}${r.stderr}`).toMatch(/Checked \d+ files/);
        expect(`${r.stdout}${r.stderr}`).not.toMatch(/Found \d+ (error|warning|info)/);
        expect(r.status).toBe(0);
    });

    it("would find something: a file breaking a recommended rule is reported", () => {
        const dir = mkdtempSync(join(ROOT, "test", "lint-sample-"));
        try {
            writeFileSync(join(dir, "example.ts"), "let x;\nexport const y = (x = 1);\n");
            const r = spawnSync(join(ROOT, "node_modules", ".bin", "biome"), ["lint", "--colors=off", dir], { cwd: ROOT, encoding: "utf8" });
            expect(`${r.stdout}${r.stderr}`).toContain("noImplicitAnyLet");
            expect(r.status).not.toBe(0);
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });
});
