/**
 * `npm run deploy`'s prerequisite checks (scripts/deploy.sh), run with bash on a PATH the test
 * builds: every missing prerequisite is reported at once, before anything runs, and a Pulumi CLI
 * older than the one the project is tested with (.pulumi-version) is named. The current-version
 * case runs the real Pulumi CLI the tests build (scripts/build-pulumi.sh).
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PULUMI_BIN, PULUMI_VERSION } from "../harness/tools";

const ROOT = join(__dirname, "..");
const TESTED = PULUMI_VERSION;
const REAL_PULUMI = PULUMI_BIN;
const dirs: string[] = [];
afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The system tools deploy.sh uses before its checks, linked one by one: /usr/bin itself may hold docker or pulumi. */
const TOOLS = ["cat", "dirname", "head", "mkdir"].map((tool) => {
    const found = ["/usr/bin", "/bin"].map((dir) => join(dir, tool)).find((path) => existsSync(path));
    if (!found) throw new Error(`${tool} not found in /usr/bin or /bin`);
    return [tool, found] as const;
});

/** A bin folder with the given commands (a path to link, or a shell script body that logs its call) and TOOLS. */
function machine(commands: Record<string, string>): { bin: string; calls: () => string[] } {
    const root = mkdtempSync(join(tmpdir(), "deploy-"));
    dirs.push(root);
    const bin = join(root, "bin");
    mkdirSync(bin);
    const log = join(root, "calls.log");
    for (const [name, what] of [...TOOLS, ...Object.entries(commands)]) {
        if (what.startsWith("/")) symlinkSync(what, join(bin, name));
        else {
            writeFileSync(join(bin, name), `#!/bin/sh\necho "${name} $*" >> "${log}"\n${what}\n`);
            chmodSync(join(bin, name), 0o755);
        }
    }
    return { bin, calls: () => (existsSync(log) ? readFileSync(log, "utf8").trim().split("\n") : []) };
}

function deploy(bin: string) {
    const r = spawnSync("/bin/bash", [join(ROOT, "scripts", "deploy.sh")], {
        cwd: ROOT,
        env: { PATH: bin, HOME: join(bin, "..") },
        encoding: "utf8",
        timeout: 30000,
    });
    return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

const EXIT_OLD_NODE = 'echo 18';
const DOCKER_NO_ENGINE = 'if [ "$1" = info ]; then exit 1; fi';

describe("npm run deploy's prerequisites", () => {
    it("reports every missing prerequisite at once, and runs nothing", () => {
        const { bin, calls } = machine({ node: EXIT_OLD_NODE });
        const r = deploy(bin);
        expect(r.status).toBe(1);
        expect(r.stderr.trim().split("\n")).toEqual([
            "error: npm run deploy cannot start; fix 3 problem(s) first:",
            `  - the Pulumi CLI is not installed (https://www.pulumi.com/docs/install/; ${TESTED} or later)`,
            "  - the Docker CLI is not installed (Docker Desktop, Colima, or docker.io on Linux)",
            "  - Node.js 24 (or 26 and later) is needed (found 18; https://nodejs.org)",
        ]);
        expect(calls()).toEqual(["node -p process.versions.node.split(\".\")[0]", "node --version"]);
    });

    it("names an older Pulumi CLI and a Docker engine that does not answer; nothing but the checks ran", () => {
        const { bin, calls } = machine({ pulumi: "echo v3.100.2", docker: DOCKER_NO_ENGINE, node: process.execPath });
        const r = deploy(bin);
        expect(r.status).toBe(1);
        expect(r.stderr.trim().split("\n")).toEqual([
            `warning: the Pulumi CLI is 3.100.2, older than ${TESTED}, the version this project is tested with; if pulumi up fails, upgrade it (https://www.pulumi.com/docs/install/)`,
            "error: npm run deploy cannot start; fix 1 problem(s) first:",
            "  - no Docker engine answers; start Docker (or set DOCKER_HOST, e.g. for Colima or rootless Docker)",
        ]);
        expect(calls()).toEqual(["pulumi version", "docker info"]);
    });

    it("the real Pulumi CLI of the tested version gets no warning", ({ skip }) => {
        if (!existsSync(REAL_PULUMI)) {
            const message = `pulumi ${TESTED} not found in .cache: run \`bash scripts/build-pulumi.sh\``;
            if (process.env.CI) throw new Error(message);
            console.warn(`\n*** SKIPPED: ${message}\n`);
            skip(message);
        }
        const { bin } = machine({ pulumi: REAL_PULUMI, docker: DOCKER_NO_ENGINE, node: process.execPath });
        const r = deploy(bin);
        expect(r.status).toBe(1);
        expect(r.stderr).not.toContain("warning:");
        expect(r.stderr).toContain("no Docker engine answers");
    });
});
