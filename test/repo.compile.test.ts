/**
 * `pulumi up` type-checks and compiles index.ts through ts-node with the project's own
 * TypeScript. These tests do the same, without the CLI.
 */
import { execFileSync, spawnSync } from "node:child_process";
import semver from "semver";
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
    });

    it("states one Node.js requirement that every installed package accepts (package.json engines; deploy.sh and .ci/run check the same)", () => {
        const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
        const ours: string = pkg.engines.node;
        const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8"));
        const narrower = Object.entries(lock.packages as Record<string, { engines?: { node?: string }; optional?: boolean }>)
            .filter(([path, p]) => path !== "" && !p.optional && p.engines?.node && !semver.subset(ours, p.engines.node))
            .map(([path, p]) => `${path.replace(/^node_modules\//, "")} wants ${p.engines!.node}`);
        expect(narrower).toEqual([]);
        // The shell scripts' check (scripts/node-version.sh) accepts exactly the majors the range accepts.
        for (const major of [20, 22, 23, 24, 25, 26, 27]) {
            const r = spawnSync("bash", ["-c", `source scripts/node-version.sh && node_supported ${major}`], { cwd: root });
            expect(r.status === 0, `Node ${major}`).toBe(semver.satisfies(`${major}.99.0`, ours));
        }
        for (const script of ["scripts/deploy.sh", ".ci/run"]) expect(readFileSync(join(root, script), "utf8"), script).toContain("source scripts/node-version.sh");
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
