/**
 * Every shipped stack file, judged by the real Pulumi CLI before the program runs, and then the
 * program run with exactly the config that CLI holds for the stack.
 *
 * The CLI is built from github.com/pulumi/pulumi/pkg/v3 at the version the stack pins
 * (.pulumi-version) by scripts/build-pulumi.sh. `pulumi up` and `preview` load Pulumi.yaml (with
 * Pulumi's project schema) and Pulumi.<stack>.yaml, build the passphrase secrets manager and call
 * ValidateStackConfigAndApplyProjectConfig before anything else (pkg/cmd/pulumi/operations/up.go,
 * preview.go at v3.276.0). The next step, starting the Node.js language host, cannot run here (its
 * module, sdk/nodejs/cmd/pulumi-language-nodejs, is not served): so "failed to load language plugin
 * nodejs" is the proof that config validation passed. The program itself then runs under mocks
 * with the config `pulumi config --json --show-secrets` reports, Pulumi.yaml defaults applied.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { parse, stringify } from "yaml";
import { SECRET_KEYS } from "../configs/settings";
import { SETTINGS } from "../configs/settingsSchema";
import { PROJECT, TYPES, runProgram } from "./support/pulumiMocks";
import { TEST_TLS } from "./support/tls";
import { PULUMI_BIN, PULUMI_VERSION } from "../harness/tools";

const ROOT = join(__dirname, "..");
const read = (file: string) => readFileSync(join(ROOT, file), "utf8");

const CLI_VERSION = PULUMI_VERSION;
const CLI = PULUMI_BIN;
const PASSPHRASE = "a passphrase only these tests use";
/** What the CLI prints when config validation passed and it went on to start the program. */
const PAST_VALIDATION = "error: failed to load language plugin nodejs: no language plugin 'pulumi-language-nodejs' found";

let cli: string | undefined;
const dirs: string[] = [];

beforeAll(() => {
    if (existsSync(CLI)) {
        cli = CLI;
        return;
    }
    const message = `pulumi ${CLI_VERSION} not found in .cache: run \`bash scripts/build-pulumi.sh\` (needs Go; on macOS \`brew install go\`)`;
    if (process.env.CI) throw new Error(message);
    console.warn(`\n*** SKIPPED: ${message}\n`);
});
afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A scratch project: Pulumi.yaml (the repository's or a variant), one stack file, its own state and Pulumi home. */
interface Project {
    dir: string;
    stack: string;
    /** Runs the real CLI there (with `input` on its stdin); never prompts, never reaches the network. */
    pulumi(args: string[], input?: string): { status: number | null; output: string };
}

function project(skip: (note?: string) => void, stack: string, stackFile: string | undefined, projectFile = read("Pulumi.yaml")): Project {
    if (!cli) skip("pulumi not built");
    const root = mkdtempSync(join(tmpdir(), "pulumi-cli-"));
    dirs.push(root);
    const dir = join(root, "project");
    for (const sub of ["project", "state", "home"]) mkdirSync(join(root, sub));
    writeFileSync(join(dir, "Pulumi.yaml"), projectFile);
    if (stackFile !== undefined) writeFileSync(join(dir, `Pulumi.${stack}.yaml`), stackFile);
    // The CLI checks that `main` exists before it starts the language host.
    writeFileSync(join(dir, "index.ts"), "");
    const env = {
        PATH: process.env.PATH,
        PULUMI_HOME: join(root, "home"),
        PULUMI_BACKEND_URL: `file://${join(root, "state")}`,
        PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    };
    const pulumi = (args: string[], input?: string) => {
        const r = spawnSync(cli!, [...args, "--non-interactive", "--color", "never"], { cwd: dir, env, encoding: "utf8", timeout: 60000, ...(input === undefined ? {} : { input }) });
        return { status: r.status, output: `${r.stdout}${r.stderr}` };
    };
    // As scripts/deploy.sh creates it.
    const created = pulumi(["stack", "select", "--create", stack, "--secrets-provider", "passphrase"]);
    expect(created.output).toContain(`Created stack '${stack}'`);
    return { dir, stack, pulumi };
}

/** `pulumi config set --secret KEY VALUE`. */
function setSecret(p: Project, key: string, value: string): void {
    const r = p.pulumi(["config", "set", "--secret", key, value, "--stack", p.stack]);
    expect(r.output).toBe("");
    expect(r.status).toBe(0);
}

/** `pulumi config set [--secret] KEY < file`, as the README says to set a PEM certificate or key. */
function setFromFile(p: Project, key: string, pem: string, secret: boolean): void {
    const r = p.pulumi(["config", "set", ...(secret ? ["--secret"] : []), key, "--stack", p.stack], pem);
    expect(r.output).toBe("");
    expect(r.status).toBe(0);
}

/** The output of a command that must stop at the language host, i.e. after config validation passed. */
function expectPastValidation(p: Project, command: string[]): void {
    const r = p.pulumi([...command, "--stack", p.stack]);
    expect(r.output).not.toContain("validating stack config");
    expect(r.output).toContain(PAST_VALIDATION);
}

/** The error `pulumi up` stops with. */
function upError(p: Project): string {
    const r = p.pulumi(["up", "--yes", "--stack", p.stack]);
    expect(r.status).not.toBe(0);
    return r.output.trim().split("\n").filter((line) => line.startsWith("error: ")).join("\n");
}

/** The config the CLI holds for the stack (project defaults applied), and which keys are secret. */
function cliConfig(p: Project): { config: Record<string, string>; secretKeys: string[] } {
    const r = p.pulumi(["config", "--json", "--show-secrets", "--stack", p.stack]);
    expect(r.status).toBe(0);
    const entries = Object.entries(JSON.parse(r.output) as Record<string, { value: string; secret: boolean }>)
        .filter(([key]) => key.startsWith(`${PROJECT}:`))
        .map(([key, v]) => [key.slice(PROJECT.length + 1), v] as const);
    return { config: Object.fromEntries(entries.map(([key, v]) => [key, v.value])), secretKeys: entries.filter(([, v]) => v.secret).map(([key]) => key) };
}

/** Runs index.ts (under mocks) with the config the CLI holds. */
function runWith(p: Project) {
    const { config, secretKeys } = cliConfig(p);
    return runProgram(config, secretKeys, p.stack);
}

/** Stack file text with some settings added (keys without the project prefix). */
function withSettings(stackFile: string, settings: Record<string, unknown>): string {
    const parsed = parse(stackFile) ?? {};
    parsed.config = { ...parsed.config, ...Object.fromEntries(Object.entries(settings).map(([k, v]) => [`${PROJECT}:${k}`, v])) };
    return stringify(parsed);
}

const TEAM_SECRETS = { teamGrafanaAuth: "glsa_team_service_account", teamMetricsToken: "glc_metrics_token_value", teamLogsToken: "glc_logs_token_value" };
/** The receiver's certificate and key, set from files on stdin as the team example's comments say. */
const TLS_FILE_SECRETS = { collectorTlsCert: TEST_TLS.cert, collectorTlsKey: TEST_TLS.key };
const LOCAL_SECRETS = {
    smtpPassword: "smtp pass with spaces",
    alertWebhookUrl: "https://hooks.example.com/alerts/abc",
    slackWebhookUrl: "https://hooks.slack.com/services/T000/B000/XXXX",
    collectorToken: "0123456789abcdef0123456789abcdef",
};

describe("shipped stack files pass the CLI's config validation with nothing set by hand", () => {
    for (const [file, stack] of [["Pulumi.local.yaml", "local"], ["Pulumi.ci.yaml", "ci"]] as const) {
        it(`${file}: pulumi up and preview get past validation, and the program builds the local stack from the CLI's config`, async ({ skip }) => {
            const p = project(skip, stack, read(file));
            expectPastValidation(p, ["up", "--yes"]);
            expectPastValidation(p, ["preview", "--diff"]);
            const { config, secretKeys } = cliConfig(p);
            // The CLI applied every Pulumi.yaml default, as the program's own defaults assume.
            expect(config.grafanaPort).toBe("3000");
            expect(JSON.parse(config.budgets)).toEqual(["daily total 25", "monthly total 500"]);
            expect(secretKeys).toEqual([]);
            const run = await runWith(p);
            expect(run.ofType(TYPES.container)).toHaveLength(4);
        });
    }

    it("Pulumi.team.example.yaml as shipped: past validation; the program then asks for the Grafana token with its --secret command", async ({ skip }) => {
        const p = project(skip, "team", read("Pulumi.team.example.yaml"));
        expectPastValidation(p, ["up", "--yes"]);
        await expect(runWith(p)).rejects.toThrow(/teamGrafanaAuth: is required when mode is team.*\(fix: pulumi config set --secret teamGrafanaAuth/);
    });

    it("Pulumi.team.example.yaml with its tokens, certificate and key set as its comments say: past validation, and the program builds the team stack", async ({ skip }) => {
        const p = project(skip, "team", read("Pulumi.team.example.yaml"));
        for (const [key, value] of Object.entries(TEAM_SECRETS)) setSecret(p, key, value);
        for (const [key, pem] of Object.entries(TLS_FILE_SECRETS)) setFromFile(p, key, pem, true);
        expectPastValidation(p, ["up", "--yes"]);
        const { config, secretKeys } = cliConfig(p);
        expect(secretKeys.sort()).toEqual([...Object.keys(TEAM_SECRETS), ...Object.keys(TLS_FILE_SECRETS)].sort());
        // The CLI strips the file's last newline (pkg/cmd/pulumi/config/config.go at v3.276.0); the PEM is otherwise intact.
        expect(config.collectorTlsKey).toBe(TEST_TLS.key.trimEnd());
        const file = readFileSync(join(p.dir, "Pulumi.team.yaml"), "utf8");
        expect(file).not.toContain(TEST_TLS.key.split("\n")[1]);
        const run = await runWith(p);
        expect(run.ofType(TYPES.container).map((c) => c.inputs.name)).toEqual(["claude-code-team-otel-collector"]);
        expect(run.exports.otlpGrpcEndpoint).toBe("https://otel.team.example.com:4317");
    });

    it("Pulumi.team.example.yaml without the certificate: past the CLI, then the program asks for TLS with the commands that set it", async ({ skip }) => {
        const p = project(skip, "team", read("Pulumi.team.example.yaml"));
        for (const [key, value] of Object.entries(TEAM_SECRETS)) setSecret(p, key, value);
        expectPastValidation(p, ["up", "--yes"]);
        await expect(runWith(p)).rejects.toThrow(/collectorTlsCert: is required when bindAddress is 0\.0\.0\.0 .*pulumi config set --secret collectorTlsCert < fullchain\.pem/);
    });

    it("a private CA set from a file (plain, multi-line) reaches the program intact and the clients' CA output", async ({ skip }) => {
        const p = project(skip, "team", read("Pulumi.team.example.yaml"));
        for (const [key, value] of Object.entries(TEAM_SECRETS)) setSecret(p, key, value);
        for (const [key, pem] of Object.entries(TLS_FILE_SECRETS)) setFromFile(p, key, pem, true);
        setFromFile(p, "collectorTlsCa", TEST_TLS.ca, false);
        expectPastValidation(p, ["up", "--yes"]);
        const run = await runWith(p);
        expect(run.exports.collectorCaCertificate).toBe(TEST_TLS.ca);
    });

    it("a machine with no stack file at all (what npm run deploy creates): past validation", ({ skip }) => {
        expectPastValidation(project(skip, "local", undefined), ["up", "--yes"]);
    });
});

describe("secrets a user sets with --secret", () => {
    it("each optional secret: stored only as ciphertext, past validation, and handed to the program as a secret", async ({ skip }) => {
        const p = project(skip, "local", read("Pulumi.local.yaml"));
        for (const [key, value] of Object.entries(LOCAL_SECRETS)) setSecret(p, key, value);
        const file = readFileSync(join(p.dir, "Pulumi.local.yaml"), "utf8");
        for (const [key, value] of Object.entries(LOCAL_SECRETS)) {
            expect(parse(file).config[`${PROJECT}:${key}`].secure, key).toMatch(/^v1:/);
            expect(file, key).not.toContain(value);
        }
        expect(parse(file).encryptionsalt).toMatch(/^v1:/);
        expectPastValidation(p, ["up", "--yes"]);
        const { config, secretKeys } = cliConfig(p);
        for (const [key, value] of Object.entries(LOCAL_SECRETS)) expect(config[key], key).toBe(value);
        expect(secretKeys.sort()).toEqual(Object.keys(LOCAL_SECRETS).sort());
        const run = await runWith(p);
        expect(run.ofType(TYPES.contactPoint).length).toBeGreaterThan(0);
    });

    it("covers every secret the program reads (local and team)", () => {
        expect([...Object.keys(LOCAL_SECRETS), ...Object.keys(TEAM_SECRETS), ...Object.keys(TLS_FILE_SECRETS)].sort()).toEqual([...SECRET_KEYS].sort());
    });
});

describe("what users get wrong, and the message each gets", () => {
    it("a secret declared in Pulumi.yaml with a default (the bug mock tests once missed) stops up before the program", ({ skip }) => {
        const declared = parse(read("Pulumi.yaml"));
        declared.config.alertWebhookUrl = { type: "string", secret: true, default: "" };
        const p = project(skip, "local", read("Pulumi.local.yaml"), stringify(declared));
        expect(upError(p)).toBe("error: validating stack config: Stack 'local' with configuration key 'alertWebhookUrl' must be encrypted as it's secret");
    });

    it("a wrong type (pulumi config set grafanaPort abc) gets the CLI's own message", ({ skip }) => {
        const p = project(skip, "local", read("Pulumi.local.yaml"));
        expect(p.pulumi(["config", "set", "grafanaPort", "abc", "--stack", "local"]).status).toBe(0);
        expect(upError(p)).toBe("error: validating stack config: Stack 'local' with configuration key 'grafanaPort' must be of type 'integer'");
    });

    it("a list where a string belongs gets the CLI's own message", ({ skip }) => {
        const p = project(skip, "local", withSettings(read("Pulumi.local.yaml"), { privacyMode: ["hash"] }));
        expect(upError(p)).toBe("error: validating stack config: Stack 'local' with configuration key 'privacyMode' must be of type 'string'");
    });

    // Found by running the CLI, not by reading: once every numeric setting was declared `type: integer`,
    // and `pulumi config set costSpikeFactor 2.5` stopped preview with "must be of type 'integer'".
    // (That no such setting is declared integer is also checked without the CLI, in configs.settings.test.ts.)
    it("a decimal for every setting whose check accepts one passes the CLI and reaches the program", async ({ skip }) => {
        const DECIMAL = "2.5";
        const acceptsDecimal = Object.entries(SETTINGS)
            .filter(([, spec]) => spec.schema.safeParse(DECIMAL).data === Number(DECIMAL))
            .map(([key]) => key);
        expect(acceptsDecimal).toEqual(expect.arrayContaining(["costSpikeFactor", "costSpikeMinUsd"]));
        const p = project(skip, "local", read("Pulumi.local.yaml"));
        for (const key of acceptsDecimal) expect(p.pulumi(["config", "set", key, DECIMAL, "--stack", "local"]).status, key).toBe(0);
        expectPastValidation(p, ["preview", "--diff"]);
        const run = await runWith(p);
        const spike = run.ofType(TYPES.ruleGroup).flatMap((g) => g.inputs.rules).find((r) => r.name === "Claude Code cost spike");
        expect(JSON.stringify(spike.datas)).toContain(`$hour_value > ${DECIMAL} * $baseline_value && $hour_value > ${DECIMAL}`);
    });

    it("a value the project requires (no default) and the stack lacks is reported missing by the CLI", ({ skip }) => {
        const declared = parse(read("Pulumi.yaml"));
        delete declared.config.teamGrafanaUrl.default;
        const p = project(skip, "team", read("Pulumi.local.yaml"), stringify(declared));
        expect(upError(p)).toBe("error: validating stack config: Stack 'team' is missing configuration value 'teamGrafanaUrl'");
    });

    it("a value team mode needs that the stack lacks passes the CLI (it has a default) and is named by the program, with the fix", async ({ skip }) => {
        const example = parse(read("Pulumi.team.example.yaml"));
        delete example.config[`${PROJECT}:teamMetricsQueryUrl`];
        const p = project(skip, "team", stringify(example));
        for (const [key, value] of Object.entries(TEAM_SECRETS)) setSecret(p, key, value);
        expectPastValidation(p, ["up", "--yes"]);
        await expect(runWith(p)).rejects.toThrow(/teamMetricsQueryUrl: is required when mode is team .*\(fix: pulumi config set teamMetricsQueryUrl <value>\)/);
    });

    it("a misspelled key (grafanaPrt) passes the CLI, which checks only declared keys, and the program stops on it naming grafanaPort", async ({ skip }) => {
        const p = project(skip, "local", read("Pulumi.local.yaml"));
        p.pulumi(["config", "set", "grafanaPrt", "3001", "--stack", "local"]);
        expectPastValidation(p, ["up", "--yes"]);
        await expect(runWith(p)).rejects.toThrow(
            "grafanaPrt: is not a setting of this project; did you mean grafanaPort? (fix: pulumi config rm grafanaPrt, then pulumi config set grafanaPort <value>; or pulumi config set allowUnknownSettings true to only warn)",
        );
    });

    it("with allowUnknownSettings the misspelled key only warns and the stack is built", async ({ skip }) => {
        const p = project(skip, "local", withSettings(read("Pulumi.local.yaml"), { grafanaPrt: 3001, allowUnknownSettings: true }));
        expectPastValidation(p, ["up", "--yes"]);
        // Without an engine (mocks), pulumi.log.warn writes to console.warn.
        const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
        try {
            const run = await runWith(p);
            expect(run.ofType(TYPES.container)).toHaveLength(4);
            expect(warn.mock.calls.map((call) => String(call[0]))).toContain(
                "warning: [runtime] grafanaPrt: is not a setting of this project; did you mean grafanaPort? (fix: pulumi config rm grafanaPrt, then pulumi config set grafanaPort <value>; or pulumi config set allowUnknownSettings true to only warn)",
            );
        } finally {
            warn.mockRestore();
        }
    });

    it("a bad budget entry's fix names that entry's index, and following it with the CLI fixes the stack", async ({ skip }) => {
        const p = project(skip, "local", withSettings(read("Pulumi.local.yaml"), { budgets: ["daily total 25", "weekly total 100"] }));
        const fix = `budgets: "weekly total 100" has an unknown period "weekly"; use daily or monthly (fix: pulumi config set --path 'budgets[1]' "monthly total 500")`;
        await expect(runWith(p)).rejects.toThrow(fix);
        expect(p.pulumi(["config", "set", "--path", "budgets[1]", "monthly total 500", "--stack", "local"]).status).toBe(0);
        expect(JSON.parse(cliConfig(p).config.budgets)).toEqual(["daily total 25", "monthly total 500"]);
        await runWith(p);
    });

    it("pulumi destroy and refresh skip config validation unless they run the program (v3.276.0), so a bad value never blocks a teardown", ({ skip }) => {
        const p = project(skip, "local", withSettings(read("Pulumi.local.yaml"), { grafanaPort: "abc" }));
        for (const command of [["destroy", "--yes"], ["refresh", "--yes"]]) {
            const r = p.pulumi([...command, "--stack", "local"]);
            expect(r.output, command[0]).not.toContain("validating stack config");
            expect(r.status, command[0]).toBe(0);
        }
    });
});

describe("the CLI is Pulumi's own, at the version the stack pins", () => {
    it("is built from pulumi/pkg at .pulumi-version, the version of @pulumi/pulumi, and says so", ({ skip }) => {
        expect(read("tools/pulumi-cli/go.mod")).toMatch(new RegExp(`github\\.com/pulumi/pulumi/pkg/v3 v${CLI_VERSION.replace(/\./g, "\\.")}\n`));
        expect(JSON.parse(read("package.json")).dependencies["@pulumi/pulumi"]).toBe(CLI_VERSION);
        if (!cli) skip("pulumi not built");
        expect(spawnSync(cli!, ["version"], { encoding: "utf8" }).stdout.trim()).toBe(`v${CLI_VERSION}`);
    });

    it("Pulumi.yaml declares no secret (an optional secret cannot be declared; the program reads them itself)", () => {
        const declared: Record<string, { secret?: boolean }> = parse(read("Pulumi.yaml")).config;
        expect(Object.entries(declared).filter(([, d]) => d.secret).map(([k]) => k)).toEqual([]);
        for (const key of SECRET_KEYS) expect(declared, key).not.toHaveProperty(key);
    });
});
