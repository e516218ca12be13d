/**
 * `pulumi up` type-checks and compiles index.ts through ts-node with the project's own
 * TypeScript. These tests do the same, without the CLI.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(__dirname, "..");

describe("compilation", () => {
    it("passes tsc --noEmit (strict) over the program and the tests", () => {
        const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
        const result = spawnSync(process.execPath, [tsc, "--noEmit", "-p", root], { encoding: "utf8" });
        expect(result.stdout + result.stderr).toBe("");
        expect(result.status).toBe(0);
    });

    it("pins TypeScript 5.x (TypeScript 7 has no compiler API, so ts-node cannot load the program)", () => {
        const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
        expect(pkg.devDependencies.typescript).toMatch(/^[~^]?5\.\d+/);
        const installed = JSON.parse(readFileSync(join(root, "node_modules", "typescript", "package.json"), "utf8")).version;
        expect(installed).toMatch(/^5\./);
        expect(pkg.engines.node).toBe(">=22");
    });

    it("loads index.ts the way the Pulumi CLI does (its ts-node registration, type-checked)", () => {
        // Mirrors @pulumi/pulumi cmd/run/run.js for a CommonJS project: same ts-node and TypeScript
        // resolution, same options; then requires the entry point. Mocks stand in for the engine
        // (without one, resource options such as deletedWith are refused before anything happens).
        const script = `
            const path = require("path");
            const pulumi = require("@pulumi/pulumi");
            pulumi.runtime.setMocks({ newResource: (a) => ({ id: a.name + "-id", state: a.inputs }), call: (a) => a.inputs }, "claude-code-monitoring", "local", false);
            const tsutils = require("@pulumi/pulumi/tsutils");
            const { tsnodeRequire, typescriptRequire } = tsutils.typeScriptRequireStrings();
            const tsConfigPath = path.join(process.cwd(), "tsconfig.json");
            const compilerOptions = tsutils.loadTypeScriptCompilerOptions(tsConfigPath);
            require(tsnodeRequire).register({
                compiler: typescriptRequire,
                transpileOnly: compilerOptions.noCheck,
                project: tsConfigPath,
                skipProject: false,
                compilerOptions: { target: "ES2020", module: "nodenext", moduleResolution: "nodenext", sourceMap: "true", ...compilerOptions },
            });
            require("./index.ts");
            console.log("loaded with typescript " + require(typescriptRequire).version);
        `;
        const out = execFileSync(process.execPath, ["-e", script], { cwd: root, encoding: "utf8", env: { ...process.env, PULUMI_CONFIG: "{}" } });
        expect(out.trim()).toMatch(/^loaded with typescript 5\./);
    });
});
