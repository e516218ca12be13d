/** The committed files rendered from the source (Pulumi.yaml's config block, the configuration reference) are current. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { GENERATED_FILES } from "../configs/generated";

describe("generated files", () => {
    it.each(GENERATED_FILES.map((file) => [file.path, file] as const))("%s is current (else: npm run generate)", (path, { render }) => {
        const current = readFileSync(join(__dirname, "..", path), "utf8");
        expect(render(current), `${path} is stale: run npm run generate and commit the result`).toBe(current);
    });
});
