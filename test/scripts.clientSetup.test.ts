/**
 * `npm run client-setup` (scripts/clientSetup.ts): merges the stack's Claude Code env block into the
 * user settings on temporary home directories, refuses malformed files without touching them,
 * backs up, is idempotent, masks secrets, and works end to end as a CLI.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { TEST_TLS } from "./support/tls";
import { CA_FILE_VARIABLE, claudeCodeEnv } from "../configs/client";
import { DEFAULTS } from "../configs/settings";
import {
    type Deps,
    SetupError,
    backupStamp,
    findJsoncExtension,
    jsonErrorOffset,
    loadEnvFile,
    maskValue,
    parseJsonStrict,
    parseSettings,
    planUpdate,
    renderSettings,
    run,
    userSettingsLocation,
    validateEnvBlock,
    writeSettingsFile,
} from "../scripts/clientSetup";

const ROOT = join(__dirname, "..");
const NOW = new Date("2026-11-27T06:30:17.123Z");

/** The stack's claudeCodeEnv output with the default client settings. */
const STACK_ENV: Record<string, string> = claudeCodeEnv(DEFAULTS, { tls: false });
const TOKEN = "Bearer 9f8e7d6c5b4a-very-secret";
/** Team mode: the receiver token travels in the OTLP headers, as configs/client.ts writes them. */
const TEAM_ENV = { ...STACK_ENV, OTEL_EXPORTER_OTLP_HEADERS: `Authorization=${TOKEN}` };

const homes: string[] = [];
afterEach(() => {
    for (const h of homes.splice(0)) rmSync(h, { recursive: true, force: true });
});

function tempHome(): string {
    const home = mkdtempSync(join(tmpdir(), "client-setup-"));
    homes.push(home);
    return home;
}

const settingsFile = (home: string) => join(home, ".claude", "settings.json");

function writeSettings(home: string, text: string, mode = 0o644): string {
    const file = settingsFile(home);
    mkdirSync(join(home, ".claude"), { recursive: true });
    writeFileSync(file, text);
    chmodSync(file, mode);
    return file;
}

function writeEnvFile(home: string, env: unknown): string {
    const file = join(home, "env.json");
    writeFileSync(file, JSON.stringify(env));
    return file;
}

/** Runs the CLI in-process with injected dependencies; returns status and captured output. */
function runIn(home: string, argv: string[], extra: Partial<Deps> = {}) {
    const out: string[] = [];
    const err: string[] = [];
    const deps: Deps = {
        home,
        env: {},
        managedSettingsPaths: [],
        readStackOutputs: () => {
            throw new Error("no stack in tests");
        },
        now: () => NOW,
        out: (l) => out.push(l),
        err: (l) => err.push(l),
        ...extra,
    };
    const status = run(argv, deps);
    return { status, out: out.join("\n"), err: err.join("\n"), all: [...out, ...err].join("\n") };
}

/** client-setup's record of what it wrote (tested in "the way back"). */
const RECORD = "claude-code-monitoring.client-setup.json";
/** The files in the settings directory other than settings.json and the record (backups, temp files). */
const extraFiles = (home: string) => (existsSync(join(home, ".claude")) ? readdirSync(join(home, ".claude")).filter((f) => f !== "settings.json" && f !== RECORD) : []);

describe("where the settings go", () => {
    it("is ~/.claude/settings.json, or $CLAUDE_CONFIG_DIR/settings.json when set", () => {
        expect(userSettingsLocation("/home/ann", {})).toEqual({ path: "/home/ann/.claude/settings.json", from: "home" });
        expect(userSettingsLocation("/home/ann", { CLAUDE_CONFIG_DIR: "/cfg/claude" })).toEqual({ path: "/cfg/claude/settings.json", from: "CLAUDE_CONFIG_DIR" });
        expect(userSettingsLocation("/home/ann", { CLAUDE_CONFIG_DIR: "" }).path).toBe("/home/ann/.claude/settings.json");
    });

    it("writes into $CLAUDE_CONFIG_DIR and leaves ~/.claude alone", () => {
        const home = tempHome();
        const configDir = join(home, "xdg", "claude");
        const r = runIn(home, ["--env-json", writeEnvFile(home, STACK_ENV)], { env: { CLAUDE_CONFIG_DIR: configDir } });
        expect(r.status).toBe(0);
        expect(JSON.parse(readFileSync(join(configDir, "settings.json"), "utf8"))).toEqual({ env: STACK_ENV });
        expect(existsSync(join(home, ".claude"))).toBe(false);
        expect(r.out).toContain("from $CLAUDE_CONFIG_DIR");
    });
});

describe("creating and merging", () => {
    it("creates the missing directory and file with exactly the env block", () => {
        const home = tempHome();
        const r = runIn(home, ["--env-json", writeEnvFile(home, STACK_ENV)]);
        expect(r.status).toBe(0);
        const text = readFileSync(settingsFile(home), "utf8");
        expect(text).toBe(`${JSON.stringify({ env: STACK_ENV }, null, 2)}\n`);
        expect(r.out).toContain("does not exist yet");
        expect(r.out).toMatch(/Created .*settings\.json \(11 added; mode \d+\)/);
        expect(r.out).toContain("+ CLAUDE_CODE_ENABLE_TELEMETRY = 1  (added)");
        expect(r.out).toContain("restart Claude Code");
        expect(r.out).toContain("npm run check");
        expect(r.out).toContain("a repository's .claude/settings.json cannot turn telemetry on");
        expect(statSync(join(home, ".claude")).mode & 0o777).toBe(0o700);
        expect(extraFiles(home)).toEqual([]); // no backup of a file that did not exist, no temp file left
    });

    it("creates the file in an existing directory without touching its other files", () => {
        const home = tempHome();
        mkdirSync(join(home, ".claude"));
        writeFileSync(join(home, ".claude", "CLAUDE.md"), "notes");
        expect(runIn(home, ["--env-json", writeEnvFile(home, STACK_ENV)]).status).toBe(0);
        expect(JSON.parse(readFileSync(settingsFile(home), "utf8"))).toEqual({ env: STACK_ENV });
        expect(extraFiles(home)).toEqual(["CLAUDE.md"]);
    });

    it("keeps every other key and env entry exactly, in order, in the file's own indentation", () => {
        const home = tempHome();
        const before = {
            $schema: "https://json.schemastore.org/claude-code-settings.json",
            model: "opus",
            permissions: { allow: ["Bash(npm test:*)", "Read(~/.zshrc)"], deny: [] },
            env: { ANTHROPIC_MODEL: "claude-opus", OTEL_METRIC_EXPORT_INTERVAL: "60000", API_TIMEOUT_MS: "600000" },
            hooks: { PreToolUse: [{ matcher: "Bash", hooks: [{ type: "command", command: "echo hi" }] }] },
            statusLine: { type: "command", command: "~/bin/status", padding: 0 },
            cleanupPeriodDays: 30,
            includeCoAuthoredBy: false,
        };
        const file = writeSettings(home, `${JSON.stringify(before, null, 4)}\n`);
        const r = runIn(home, ["--env-json", writeEnvFile(home, STACK_ENV)]);
        expect(r.status).toBe(0);

        const text = readFileSync(file, "utf8");
        const after = JSON.parse(text);
        // Top-level keys and their values: unchanged except env, same order.
        expect(Object.keys(after)).toEqual(Object.keys(before));
        for (const key of Object.keys(before).filter((k) => k !== "env")) expect(after[key], key).toEqual(before[key as keyof typeof before]);
        // Env: the user's entries stay where they were, the stack's value replaces the old interval in place, new keys follow.
        const { OTEL_METRIC_EXPORT_INTERVAL, ...newKeys } = STACK_ENV;
        expect(Object.keys(after.env)).toEqual(["ANTHROPIC_MODEL", "OTEL_METRIC_EXPORT_INTERVAL", "API_TIMEOUT_MS", ...Object.keys(newKeys)]);
        expect(after.env).toEqual({ ...before.env, ...STACK_ENV });
        expect(after.env.OTEL_METRIC_EXPORT_INTERVAL).toBe(OTEL_METRIC_EXPORT_INTERVAL);
        // The whole file is what the user's formatting gives for the merged object.
        expect(text).toBe(`${JSON.stringify({ ...before, env: after.env }, null, 4)}\n`);
        expect(r.out).toContain("~ OTEL_METRIC_EXPORT_INTERVAL: 60000 → 10000  (updated)");
    });

    it("adds env at the end of a file that has none", () => {
        const home = tempHome();
        const file = writeSettings(home, '{\n  "model": "sonnet"\n}\n');
        expect(runIn(home, ["--env-json", writeEnvFile(home, STACK_ENV)]).status).toBe(0);
        const after = JSON.parse(readFileSync(file, "utf8"));
        expect(Object.keys(after)).toEqual(["model", "env"]);
        expect(after.env).toEqual(STACK_ENV);
    });

    it("updates a changed value in place and reports it", () => {
        const home = tempHome();
        const file = writeSettings(home, `${JSON.stringify({ env: { ...STACK_ENV, OTEL_EXPORTER_OTLP_ENDPOINT: "http://old-host:4317" } }, null, 2)}\n`);
        const r = runIn(home, ["--env-json", writeEnvFile(home, STACK_ENV)]);
        expect(r.status).toBe(0);
        expect(readFileSync(file, "utf8")).toBe(`${JSON.stringify({ env: STACK_ENV }, null, 2)}\n`);
        expect(r.out).toContain("~ OTEL_EXPORTER_OTLP_ENDPOINT: http://old-host:4317 → http://127.0.0.1:4317  (updated)");
        expect(r.out).toContain("= CLAUDE_CODE_ENABLE_TELEMETRY = 1  (unchanged)");
        expect(r.out).toMatch(/Updated .* \(1 updated, 10 unchanged; mode 644\)/);
    });

    it("keeps CRLF line endings, tab indentation, a missing final newline and a BOM", () => {
        const home = tempHome();
        const file = join(home, ".claude", "settings.json");
        mkdirSync(join(home, ".claude"));
        writeFileSync(file, '\uFEFF{\r\n\t"model": "opus"\r\n}');
        expect(runIn(home, ["--env-json", writeEnvFile(home, { CLAUDE_CODE_ENABLE_TELEMETRY: "1" })]).status).toBe(0);
        expect(readFileSync(file, "utf8")).toBe('\uFEFF{\r\n\t"model": "opus",\r\n\t"env": {\r\n\t\t"CLAUDE_CODE_ENABLE_TELEMETRY": "1"\r\n\t}\r\n}');
    });

    it("expands a one-line file to two-space indentation", () => {
        const home = tempHome();
        const file = writeSettings(home, '{"model": "opus"}');
        expect(runIn(home, ["--env-json", writeEnvFile(home, { CLAUDE_CODE_ENABLE_TELEMETRY: "1" })]).status).toBe(0);
        expect(readFileSync(file, "utf8")).toBe('{\n  "model": "opus",\n  "env": {\n    "CLAUDE_CODE_ENABLE_TELEMETRY": "1"\n  }\n}\n');
    });

    it("treats an empty file as {}", () => {
        const home = tempHome();
        const file = writeSettings(home, "\n");
        expect(runIn(home, ["--env-json", writeEnvFile(home, STACK_ENV)]).status).toBe(0);
        expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({ env: STACK_ENV });
        expect(readFileSync(`${file}.bak-${backupStamp(NOW)}`, "utf8")).toBe("\n");
    });

    it("replaces the target of a symlinked settings file and keeps the link", () => {
        const home = tempHome();
        mkdirSync(join(home, "dotfiles"));
        const real = join(home, "dotfiles", "claude-settings.json");
        writeFileSync(real, '{"model": "opus"}');
        mkdirSync(join(home, ".claude"));
        symlinkSync(real, settingsFile(home));
        const r = runIn(home, ["--env-json", writeEnvFile(home, STACK_ENV)]);
        expect(r.status).toBe(0);
        expect(r.out).toContain(`symlink to ${real}`);
        expect(statSync(settingsFile(home)).isFile()).toBe(true);
        expect(readdirSync(join(home, ".claude")).sort()).toEqual([RECORD, "settings.json", `settings.json.bak-${backupStamp(NOW)}`]);
        expect(JSON.parse(readFileSync(real, "utf8"))).toEqual({ model: "opus", env: STACK_ENV });
        expect(readdirSync(join(home, "dotfiles"))).toEqual(["claude-settings.json"]); // no temp file left beside the target
        expect(readFileSync(join(home, ".claude", `settings.json.bak-${backupStamp(NOW)}`), "utf8")).toBe('{"model": "opus"}');
    });
});

describe("idempotency and backups", () => {
    it("a second run with the same env changes nothing: same bytes, same mtime, no backup", () => {
        const home = tempHome();
        const file = writeSettings(home, '{\n  "model": "opus",\n  "env": {\n    "FOO": "bar"\n  }\n}\n');
        const envFile = writeEnvFile(home, STACK_ENV);
        expect(runIn(home, ["--env-json", envFile]).status).toBe(0);
        expect(extraFiles(home)).toHaveLength(1); // the first run's backup
        const bytes = readFileSync(file);
        const mtime = statSync(file).mtimeMs;

        const second = runIn(home, ["--env-json", envFile], { now: () => new Date(NOW.getTime() + 60000) });
        expect(second.status).toBe(0);
        expect(second.out).toContain("Already up to date");
        expect(second.out).not.toMatch(/\((added|updated|removed)\)/);
        expect(readFileSync(file).equals(bytes)).toBe(true);
        expect(statSync(file).mtimeMs).toBe(mtime);
        expect(extraFiles(home)).toHaveLength(1);
    });

    it("does not rewrite an up-to-date file whose formatting differs from ours", () => {
        const home = tempHome();
        const original = `{"env":${JSON.stringify(STACK_ENV)},   "model":"opus"}`;
        const file = writeSettings(home, original);
        const r = runIn(home, ["--env-json", writeEnvFile(home, STACK_ENV)]);
        expect(r.status).toBe(0);
        expect(r.out).toContain("Already up to date");
        expect(readFileSync(file, "utf8")).toBe(original);
        expect(extraFiles(home)).toEqual([]);
    });

    it("backs up the previous bytes exactly, with the previous mode, before changing the file", () => {
        const home = tempHome();
        const original = '{\n  "env": { "OTEL_METRIC_EXPORT_INTERVAL": "60000" },\n  "model": "opus"\n}\n';
        const file = writeSettings(home, original, 0o640);
        const r = runIn(home, ["--env-json", writeEnvFile(home, STACK_ENV)]);
        expect(r.status).toBe(0);
        const backup = `${file}.bak-20261127T063017Z`;
        expect(r.out).toContain(`Backup of the previous file: ${backup}`);
        expect(readFileSync(backup, "utf8")).toBe(original);
        expect(statSync(backup).mode & 0o777).toBe(0o640);
        expect(statSync(file).mode & 0o777).toBe(0o640); // an existing file keeps its mode
    });

    it("never overwrites an earlier backup made in the same second", () => {
        const home = tempHome();
        const file = writeSettings(home, "{}");
        expect(runIn(home, ["--env-json", writeEnvFile(home, STACK_ENV)]).status).toBe(0);
        expect(runIn(home, ["--env-json", writeEnvFile(home, TEAM_ENV)]).status).toBe(0);
        expect(readFileSync(`${file}.bak-20261127T063017Z`, "utf8")).toBe("{}");
        expect(JSON.parse(readFileSync(`${file}.bak-20261127T063017Z-1`, "utf8"))).toEqual({ env: STACK_ENV });
    });

    it("refuses to overwrite a file that changed after it was read", () => {
        const home = tempHome();
        const file = writeSettings(home, '{"model": "opus"}');
        const stale = readFileSync(file);
        writeFileSync(file, '{"model": "sonnet"}'); // e.g. Claude Code saved /config meanwhile
        expect(() => writeSettingsFile(file, "{}", stale, { secret: false, now: NOW })).toThrow(/changed while this command ran/);
        expect(readFileSync(file, "utf8")).toBe('{"model": "sonnet"}');
        expect(extraFiles(home)).toEqual([]);
    });
});

describe("refusing malformed files (exit 1, file untouched)", () => {
    function expectRefused(text: string, message: RegExp) {
        const home = tempHome();
        const file = writeSettings(home, text);
        const mtime = statSync(file).mtimeMs;
        const r = runIn(home, ["--env-json", writeEnvFile(home, STACK_ENV)]);
        expect(r.status).toBe(1);
        expect(r.err).toContain(`refusing to change ${file}`);
        expect(r.err).toMatch(message);
        expect(r.err).toContain("Fix:");
        expect(r.err).toContain("left untouched");
        expect(readFileSync(file, "utf8")).toBe(text);
        expect(statSync(file).mtimeMs).toBe(mtime);
        expect(extraFiles(home)).toEqual([]); // no backup, no temp file
        return r;
    }

    it("a file with comments, naming where the comment is (never stripping it)", () => {
        const r = expectRefused('{\n  "model": "opus", // my favourite\n  "env": {}\n}\n', /contains a comment at line 2, column 20/);
        expect(r.err).toMatch(/remove the comment/);
    });

    it("a block comment", () => {
        expectRefused('/* settings */\n{"env": {}}', /contains a comment at line 1, column 1/);
    });

    it("invalid JSON, with line and column", () => {
        expectRefused('{\n  "model": "opus"\n  "env": {}\n}\n', /not valid JSON: .* at line 3, column 3/);
    });

    it("a trailing comma, named as such", () => {
        expectRefused('{\n  "env": {\n    "A": "1",\n  }\n}\n', /line 4, column 3; there is a trailing comma at line 3, column 13/);
    });

    it("a bare word, positioned even though V8's message has no position", () => {
        expectRefused('{\n  "model": opus\n}\n', /Unexpected token 'o' at line 2, column 12/);
    });

    it("an error inside a token at the character V8 names, not at the token's start", () => {
        // jsonc-parser's scanner places this at the key's opening quote (column 3); V8 at the escaped "o" (column 6).
        expectRefused('{\n  "m\\odel": "opus"\n}\n', /Bad escaped character at line 2, column 6/);
    });

    it("a truncated file", () => {
        expectRefused('{\n  "env": {\n', /Expected property name or '}' at line 3, column 1/);
        expectRefused('{\n  "env":', /Unexpected end of JSON input at line 2, column 9/);
    });

    it("a top-level array", () => {
        expectRefused('[{"env": {}}]\n', /its top level is an array, but Claude Code settings are a JSON object/);
    });

    it("a top-level string or null", () => {
        expectRefused('"hello"', /its top level is a string/);
        expectRefused("null", /its top level is null/);
    });

    it("env that is not an object", () => {
        expectRefused('{"env": ["OTEL_METRICS_EXPORTER=otlp"]}', /its "env" is an array, but it must be an object of strings/);
        expectRefused('{"env": "CLAUDE_CODE_ENABLE_TELEMETRY=1"}', /its "env" is a string/);
        expectRefused('{"env": null}', /its "env" is null/);
    });

    it("env with a non-string value, naming the key and the fix", () => {
        const r = expectRefused('{"env": {"OTEL_METRIC_EXPORT_INTERVAL": 15000}}', /env\.OTEL_METRIC_EXPORT_INTERVAL is a number \(15000\)/);
        expect(r.err).toContain('"OTEL_METRIC_EXPORT_INTERVAL": "15000"');
    });

    it("also in --print and --dry-run", () => {
        const home = tempHome();
        writeSettings(home, "{ // no\n}");
        for (const flag of ["--print", "--dry-run"]) expect(runIn(home, ["--env-json", writeEnvFile(home, STACK_ENV), flag]).status).toBe(1);
    });
});

describe("--print and --dry-run write nothing", () => {
    it("--print shows the resulting file with secrets masked, and creates neither file nor directory", () => {
        const home = tempHome();
        const r = runIn(home, ["--env-json", writeEnvFile(home, TEAM_ENV), "--print"]);
        expect(r.status).toBe(0);
        expect(existsSync(join(home, ".claude"))).toBe(false);
        const printed = JSON.parse(r.out);
        expect(printed.env).toEqual({ ...STACK_ENV, OTEL_EXPORTER_OTLP_HEADERS: "Authorization=****" });
        expect(r.all).not.toContain("very-secret");
        expect(r.err).toContain("Nothing was written (--print)");
    });

    it("--print masks the user's own secrets too, and --show-secrets shows them", () => {
        const home = tempHome();
        const file = writeSettings(home, JSON.stringify({ env: { ANTHROPIC_API_KEY: "sk-ant-xyz", OTEL_EXPORTER_OTLP_HEADERS: `authorization=${TOKEN}` } }));
        const before = readFileSync(file, "utf8");
        const masked = runIn(home, ["--env-json", writeEnvFile(home, TEAM_ENV), "--print"]);
        expect(JSON.parse(masked.out).env.ANTHROPIC_API_KEY).toBe("****");
        expect(masked.all).not.toContain("sk-ant-xyz");
        expect(masked.all).not.toContain("very-secret");
        const shown = runIn(home, ["--env-json", writeEnvFile(home, TEAM_ENV), "--print", "--show-secrets"]);
        expect(JSON.parse(shown.out).env).toEqual({ ANTHROPIC_API_KEY: "sk-ant-xyz", ...TEAM_ENV });
        expect(readFileSync(file, "utf8")).toBe(before);
        expect(extraFiles(home)).toEqual([]);
    });

    it("--dry-run lists the key changes, masked, and writes nothing", () => {
        const home = tempHome();
        const file = writeSettings(home, JSON.stringify({ env: { OTEL_EXPORTER_OTLP_HEADERS: "authorization=Bearer old-token" } }));
        const before = readFileSync(file, "utf8");
        const r = runIn(home, ["--env-json", writeEnvFile(home, TEAM_ENV), "--dry-run"]);
        expect(r.status).toBe(0);
        expect(r.out).toContain("~ OTEL_EXPORTER_OTLP_HEADERS: authorization=**** → Authorization=****  (updated)");
        expect(r.out).toContain("+ OTEL_EXPORTER_OTLP_ENDPOINT = http://127.0.0.1:4317  (added)");
        expect(r.out).toContain("Dry run:");
        expect(r.all).not.toMatch(/old-token|very-secret/);
        expect(readFileSync(file, "utf8")).toBe(before);
        expect(extraFiles(home)).toEqual([]);
    });

    it("the normal report masks secrets as well", () => {
        const home = tempHome();
        const r = runIn(home, ["--env-json", writeEnvFile(home, TEAM_ENV)]);
        expect(r.out).toContain("+ OTEL_EXPORTER_OTLP_HEADERS = Authorization=****  (added)");
        expect(r.all).not.toContain("very-secret");
        expect(readFileSync(settingsFile(home), "utf8")).toContain(TOKEN); // the file itself has the real value
    });
});

describe("file modes", () => {
    it("a new file holding a header token is created with mode 600", () => {
        const home = tempHome();
        expect(runIn(home, ["--env-json", writeEnvFile(home, TEAM_ENV)]).status).toBe(0);
        expect(statSync(settingsFile(home)).mode & 0o777).toBe(0o600);
    });

    it("an existing world-readable file keeps its mode, with a warning when it now holds a token", () => {
        const home = tempHome();
        const file = writeSettings(home, "{}", 0o644);
        const r = runIn(home, ["--env-json", writeEnvFile(home, TEAM_ENV)]);
        expect(r.status).toBe(0);
        expect(statSync(file).mode & 0o777).toBe(0o644);
        expect(r.err).toContain(`chmod 600 ${file}`);
    });
});

describe("stale keys", () => {
    const file = { env: { OTEL_EXPORTER_OTLP_HEADERS: "authorization=Bearer old", OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: "http://elsewhere:4318/v1/metrics", ANTHROPIC_MODEL: "opus" } };

    it("are kept and reported by default", () => {
        const home = tempHome();
        const path = writeSettings(home, JSON.stringify(file));
        const r = runIn(home, ["--env-json", writeEnvFile(home, STACK_ENV)]);
        expect(r.status).toBe(0);
        const env = JSON.parse(readFileSync(path, "utf8")).env;
        expect(env).toMatchObject(file.env);
        expect(r.err).toMatch(/also sets OTEL_EXPORTER_OTLP_METRICS_ENDPOINT=http:\/\/elsewhere:4318\/v1\/metrics, which the stack does not set.*--prune/);
        expect(r.err).toMatch(/also sets OTEL_EXPORTER_OTLP_HEADERS=authorization=\*\*\*\*/);
        expect(r.err).not.toContain("ANTHROPIC_MODEL"); // not a telemetry key: none of this command's business
    });

    it("--prune removes telemetry keys the stack does not set, and nothing else", () => {
        const home = tempHome();
        const path = writeSettings(home, JSON.stringify(file));
        const r = runIn(home, ["--env-json", writeEnvFile(home, STACK_ENV), "--prune"]);
        expect(r.status).toBe(0);
        expect(JSON.parse(readFileSync(path, "utf8")).env).toEqual({ ANTHROPIC_MODEL: "opus", ...STACK_ENV });
        expect(r.out).toContain("- OTEL_EXPORTER_OTLP_METRICS_ENDPOINT = http://elsewhere:4318/v1/metrics  (removed)");
        expect(r.out).toContain("- OTEL_EXPORTER_OTLP_HEADERS = authorization=****  (removed)");
        expect(r.out).toMatch(/2 removed/);
    });
});

describe("warnings", () => {
    it("a managed settings file that may override the destination", () => {
        const home = tempHome();
        const managed = join(home, "managed-settings.json");
        writeFileSync(managed, JSON.stringify({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: "https://otel.corp.example:4317", OTEL_EXPORTER_OTLP_HEADERS: "x-api-key=abc123" } }));
        const r = runIn(home, ["--env-json", writeEnvFile(home, STACK_ENV)], { managedSettingsPaths: [managed, join(home, "absent.json")] });
        expect(r.status).toBe(0);
        expect(r.err).toContain(`managed settings exist at ${managed}; it sets OTEL_EXPORTER_OTLP_ENDPOINT=https://otel.corp.example:4317, OTEL_EXPORTER_OTLP_HEADERS=x-api-key=****`);
        expect(r.err).toContain("lock the OTLP destination");
        expect(r.err).not.toContain("abc123");
        expect(r.err).not.toContain("absent.json");
    });

    it("no managed or shell warning when there is nothing to warn about", () => {
        const home = tempHome();
        const r = runIn(home, ["--env-json", writeEnvFile(home, STACK_ENV)], { env: { PATH: "/usr/bin", OTEL_EXPORTER_OTLP_ENDPOINT: STACK_ENV.OTEL_EXPORTER_OTLP_ENDPOINT } });
        expect(r.err).toBe("");
    });

    it("OTEL_* variables in the shell: the file wins for keys it sets; others still apply", () => {
        const home = tempHome();
        const r = runIn(home, ["--env-json", writeEnvFile(home, STACK_ENV)], {
            env: { OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector.old:4317", OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: "http://elsewhere/v1/logs", OTEL_EXPORTER_OTLP_HEADERS: "authorization=Bearer shell-token" },
        });
        expect(r.status).toBe(0);
        expect(r.err).toMatch(/your shell sets OTEL_EXPORTER_OTLP_ENDPOINT=http:\/\/collector\.old:4317, but the settings file sets http:\/\/127\.0\.0\.1:4317\. The settings file wins for Claude Code/);
        expect(r.err).toMatch(/your shell sets OTEL_EXPORTER_OTLP_LOGS_ENDPOINT=http:\/\/elsewhere\/v1\/logs, which the settings file does not set, so Claude Code still uses it/);
        expect(r.err).toMatch(/OTEL_EXPORTER_OTLP_HEADERS=authorization=\*\*\*\*/);
        expect(r.err).not.toContain("shell-token");
    });

    it("content logging turned on", () => {
        const home = tempHome();
        const r = runIn(home, ["--env-json", writeEnvFile(home, { ...STACK_ENV, OTEL_LOG_USER_PROMPTS: "1" })]);
        expect(r.err).toContain("OTEL_LOG_USER_PROMPTS=1 is on");
    });
});

describe("where the env block comes from", () => {
    it("the claudeCodeEnv output of --stack, $PULUMI_STACK, or local", () => {
        for (const [argv, env, expected] of [
            [["--stack", "team"], { PULUMI_STACK: "other" }, "team"],
            [[], { PULUMI_STACK: "other" }, "other"],
            [[], {}, "local"],
        ] as const) {
            const home = tempHome();
            const asked: string[] = [];
            const r = runIn(home, [...argv], {
                env: { ...env },
                readStackOutputs: (stack) => {
                    asked.push(stack);
                    return { claudeCodeEnv: STACK_ENV, grafanaUrl: "http://127.0.0.1:3000" };
                },
            });
            expect(r.status).toBe(0);
            expect(asked).toEqual([expected]);
            expect(r.out).toContain(`Telemetry settings from stack "${expected}"`);
            expect(JSON.parse(readFileSync(settingsFile(home), "utf8"))).toEqual({ env: STACK_ENV });
        }
    });

    it("a receiver with a private CA: the CA file is written beside the settings and Claude Code pointed at it by absolute path; a rerun changes nothing", () => {
        const home = tempHome();
        const outputs = { claudeCodeEnv: STACK_ENV, collectorCaCertificate: TEST_TLS.ca };
        const caFile = join(home, ".claude", "claude-code-monitoring-ca.pem");
        const dry = runIn(home, ["--dry-run"], { readStackOutputs: () => outputs });
        expect(dry.status).toBe(0);
        expect(dry.out).toContain(`+ ${CA_FILE_VARIABLE} = ${caFile}  (added)`);
        expect(existsSync(caFile)).toBe(false);

        const first = runIn(home, [], { readStackOutputs: () => outputs });
        expect(first.status).toBe(0);
        expect(first.out).toContain(`CA certificate of the stack's receiver: ${caFile} (written).`);
        expect(readFileSync(caFile, "utf8")).toBe(TEST_TLS.ca);
        expect(JSON.parse(readFileSync(settingsFile(home), "utf8"))).toEqual({ env: { ...STACK_ENV, [CA_FILE_VARIABLE]: caFile } });

        const again = runIn(home, [], { readStackOutputs: () => outputs });
        expect(again.out).toContain("(already up to date)");
        expect(again.out).toContain("Already up to date");
        // No backup and no temp file: the first run created both files, the second wrote nothing.
        expect(extraFiles(home)).toEqual(["claude-code-monitoring-ca.pem"]);
    });

    it("a CA output that is not a certificate is refused before anything is written", () => {
        const home = tempHome();
        const r = runIn(home, [], { readStackOutputs: () => ({ claudeCodeEnv: STACK_ENV, collectorCaCertificate: "not a certificate" }) });
        expect(r.status).toBe(1);
        expect(r.err).toContain('the collectorCaCertificate output of stack "local" is not a PEM certificate');
        expect(existsSync(join(home, ".claude"))).toBe(false);
    });

    it("a stack that cannot be read, or has no claudeCodeEnv output, fails with the way out", () => {
        const home = tempHome();
        const failing = runIn(home, [], { readStackOutputs: () => { throw new Error('could not read the outputs of stack "local" (deploy it first with npm run deploy)'); } });
        expect(failing.status).toBe(1);
        expect(failing.err).toContain("deploy it first");
        expect(failing.err).toContain("--env-json");
        const old = runIn(home, [], { readStackOutputs: () => ({ grafanaUrl: "x" }) });
        expect(old.status).toBe(1);
        expect(old.err).toContain('stack "local" has no claudeCodeEnv output');
        expect(existsSync(join(home, ".claude"))).toBe(false);
    });

    it("--env-json takes the env object or {\"env\": {...}} as claudeCodeSettingsJson prints it", () => {
        const home = tempHome();
        expect(loadEnvFile(writeEnvFile(home, STACK_ENV))).toEqual(STACK_ENV);
        expect(loadEnvFile(writeEnvFile(home, { env: STACK_ENV }))).toEqual(STACK_ENV);
    });

    it("refuses an env block with non-telemetry keys, non-string values or telemetry off", () => {
        expect(() => validateEnvBlock({ ...STACK_ENV, ANTHROPIC_BASE_URL: "https://evil.example" }, "x")).toThrow(/ANTHROPIC_BASE_URL is not a telemetry variable/);
        expect(() => validateEnvBlock({ ...STACK_ENV, OTEL_METRIC_EXPORT_INTERVAL: 10000 }, "x")).toThrow(/OTEL_METRIC_EXPORT_INTERVAL is a number; every value must be a string/);
        expect(() => validateEnvBlock({ ...STACK_ENV, CLAUDE_CODE_ENABLE_TELEMETRY: "0" }, "x")).toThrow(/CLAUDE_CODE_ENABLE_TELEMETRY must be "1"/);
        expect(() => validateEnvBlock({}, "x")).toThrow(/empty/);
        expect(() => validateEnvBlock(["a"], "x")).toThrow(/x is an array/);
        const home = tempHome();
        const r = runIn(home, ["--env-json", writeEnvFile(home, { ...STACK_ENV, PATH: "/tmp/evil" })]);
        expect(r.status).toBe(1);
        expect(r.err).toContain("PATH is not a telemetry variable");
        expect(existsSync(join(home, ".claude"))).toBe(false);
    });

    it("an --env-json that is missing or not JSON", () => {
        const home = tempHome();
        expect(runIn(home, ["--env-json", join(home, "nope.json")]).err).toMatch(/cannot read --env-json/);
        writeFileSync(join(home, "bad.json"), '{"CLAUDE_CODE_ENABLE_TELEMETRY": "1",}');
        expect(runIn(home, ["--env-json", join(home, "bad.json")]).err).toMatch(/--env-json .*bad\.json is not valid JSON: .*line 1, column 38; there is a trailing comma at line 1, column 37/);
    });

    it("usage errors exit 2", () => {
        const home = tempHome();
        expect(runIn(home, ["--nope"]).status).toBe(2);
        expect(runIn(home, ["--stack", "a", "--env-json", "b"]).status).toBe(2);
        expect(runIn(home, ["positional"]).status).toBe(2);
    });
});

describe("pieces", () => {
    it("finds comments and trailing commas outside strings only", () => {
        expect(findJsoncExtension('{"url": "http://x/*y*/", "a": "b,}"}')).toBeUndefined();
        expect(findJsoncExtension('{"a": "\\"//"} // c')).toEqual({ kind: "comment", offset: 14 });
        expect(findJsoncExtension('[1, 2 ,\n]')).toEqual({ kind: "trailing comma", offset: 6 });
        expect(parseJsonStrict('{"url": "http://x"}')).toEqual({ url: "http://x" });
    });

    it("locates JSON errors like JSON.parse, and accepts what JSON.parse accepts", () => {
        for (const ok of ['{"a": [1, -2.5e3, true, false, null, "\\u00e9\\n"]}', " [] ", '"x"']) {
            expect(() => JSON.parse(ok)).not.toThrow();
            expect(jsonErrorOffset(ok)).toBeUndefined();
        }
        // jsonc-parser's scanner points at the start of the token that breaks the JSON ("tru").
        expect(jsonErrorOffset('{"a": tru}')).toBe(6);
        expect(jsonErrorOffset('{"a": 1} x')).toBe(9);
        expect(jsonErrorOffset('{"a" 1}')).toBe(5);
    });

    it("masks header values but keeps their names; leaves ordinary values alone", () => {
        expect(maskValue("OTEL_EXPORTER_OTLP_HEADERS", "authorization=Bearer abc,x-scope-orgid=team1")).toBe("authorization=****,x-scope-orgid=****");
        expect(maskValue("OTEL_EXPORTER_OTLP_METRICS_HEADERS", "garbage")).toBe("****");
        expect(maskValue("ANTHROPIC_AUTH_TOKEN", "abc")).toBe("****");
        expect(maskValue("SOMETHING", "Bearer abc")).toBe("****");
        expect(maskValue("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4317")).toBe("http://127.0.0.1:4317");
        expect(maskValue("OTEL_RESOURCE_ATTRIBUTES", "team=platform")).toBe("team=platform");
    });

    it("plans without mutating the parsed file, and a planned no-op is not a change", () => {
        const parsed = parseSettings(Buffer.from(JSON.stringify({ env: STACK_ENV, model: "opus" })), "f");
        const snapshot = JSON.stringify(parsed.data);
        const same = planUpdate(parsed, STACK_ENV);
        expect(same.changed).toBe(false);
        const next = planUpdate(parsed, TEAM_ENV);
        expect(next.changed).toBe(true);
        expect(JSON.stringify(parsed.data)).toBe(snapshot);
        expect(renderSettings(next.data)).toBe(`${JSON.stringify({ env: TEAM_ENV, model: "opus" }, null, 2)}\n`);
    });

    it("SetupError carries the exit status", () => {
        expect(new SetupError("x").exitCode).toBe(1);
        expect(new SetupError("x", 2).exitCode).toBe(2);
        expect(backupStamp(NOW)).toBe("20261127T063017Z");
    });
});

describe("the way back: --remove takes out exactly what client-setup wrote", () => {
    const fromStack = { claudeCodeEnv: TEAM_ENV, collectorCaCertificate: TEST_TLS.ca };
    const gone = () => {
        throw new Error('could not read the outputs of stack "local": no stack named "local" found');
    };

    it("after the stack is destroyed: the user's own entries, other settings and changed values stay; the CA file and the record go", () => {
        const home = tempHome();
        writeSettings(home, JSON.stringify({ model: "opus", env: { MY_VAR: "1", OTEL_RESOURCE_ATTRIBUTES: "team=core" } }, null, 2));
        expect(runIn(home, [], { readStackOutputs: () => fromStack }).status).toBe(0);
        const record = JSON.parse(readFileSync(join(home, ".claude", RECORD), "utf8"));
        expect(Object.keys(record.env)).toEqual([...Object.keys(TEAM_ENV), CA_FILE_VARIABLE]);
        expect(statSync(join(home, ".claude", RECORD)).mode & 0o777).toBe(0o600);
        // The user edits one of the written values afterwards.
        const edited = JSON.parse(readFileSync(settingsFile(home), "utf8"));
        edited.env.OTEL_METRIC_EXPORT_INTERVAL = "60000";
        writeFileSync(settingsFile(home), JSON.stringify(edited, null, 2));

        const dry = runIn(home, ["--remove", "--dry-run"], { readStackOutputs: gone });
        expect(dry.status).toBe(0);
        expect(dry.out).toContain("  - CLAUDE_CODE_ENABLE_TELEMETRY = 1  (removed)");
        expect(dry.out).toContain("Dry run:");
        expect(existsSync(join(home, ".claude", RECORD))).toBe(true);

        const r = runIn(home, ["--remove"], { readStackOutputs: gone });
        expect(r.status).toBe(0);
        expect(r.err).toContain("warning: OTEL_METRIC_EXPORT_INTERVAL was changed since client-setup wrote it (now 60000); kept, as yours.");
        expect(r.out).not.toContain("very-secret");
        expect(JSON.parse(readFileSync(settingsFile(home), "utf8"))).toEqual({ model: "opus", env: { MY_VAR: "1", OTEL_RESOURCE_ATTRIBUTES: "team=core", OTEL_METRIC_EXPORT_INTERVAL: "60000" } });
        expect(existsSync(join(home, ".claude", "claude-code-monitoring-ca.pem"))).toBe(false);
        expect(existsSync(join(home, ".claude", RECORD))).toBe(false);
        expect(r.out).toContain(`Backup of the previous file: ${settingsFile(home)}.bak-${backupStamp(NOW)}`);

        const again = runIn(home, ["--remove"], { readStackOutputs: gone });
        expect(again.status).toBe(0);
        expect(again.out).toContain("Nothing to remove:");
    });

    it("a file client-setup created holds an empty env afterwards, not the stack's values", () => {
        const home = tempHome();
        runIn(home, ["--env-json", writeEnvFile(home, STACK_ENV)]);
        expect(runIn(home, ["--remove"]).status).toBe(0);
        expect(JSON.parse(readFileSync(settingsFile(home), "utf8"))).toEqual({ env: {} });
    });

    it("does not combine with the options that write, and refuses a record it cannot read", () => {
        const home = tempHome();
        expect(runIn(home, ["--remove", "--prune"]).err).toContain("--remove takes out what client-setup wrote, from its own record; it does not combine with --prune.");
        expect(runIn(home, ["--remove", "--stack", "team"]).status).toBe(2);
        writeSettings(home, "{}");
        writeFileSync(join(home, ".claude", RECORD), "not json");
        const r = runIn(home, ["--remove"]);
        expect(r.status).toBe(1);
        expect(r.err).toContain(`${join(home, ".claude", RECORD)} is not valid JSON`);
    });
});

describe("the CLI end to end (npm run client-setup, via tsx)", () => {
    function cli(home: string, args: string[], env: Record<string, string> = {}) {
        const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(OTEL_|CLAUDE_C)/.test(k) && k !== "PULUMI_STACK"));
        const r = spawnSync(join(ROOT, "node_modules", ".bin", "tsx"), [join(ROOT, "scripts", "clientSetup.ts"), ...args], {
            cwd: ROOT,
            env: { ...clean, HOME: home, USERPROFILE: home, ...env },
            encoding: "utf8",
            timeout: 60000,
        });
        return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    }

    it("a missing --env-json file gets the script's own message and exit status (tsx would hand Node's --env-file to Node)", () => {
        const home = tempHome();
        const missing = cli(home, ["--env-json", join(home, "typo.json")]);
        expect(missing.status).toBe(1);
        expect(missing.stderr).toContain(`client-setup: cannot read --env-json ${join(home, "typo.json")}: ENOENT`);
        // What the old name did: Node took it as its own flag and exited 9 before the script ran.
        const old = cli(home, ["--env-file", join(home, "typo.json")]);
        expect(old.status).toBe(9);
        expect(old.stderr).toContain("typo.json: not found");
    });

    it("creates, then reports up to date, then refuses a commented file; exit codes 0, 0, 1", () => {
        const home = tempHome();
        const envFile = writeEnvFile(home, { env: TEAM_ENV });

        const first = cli(home, ["--env-json", envFile]);
        // No error and no warning (a managed settings file on the machine running the tests would be the one legitimate warning).
        expect(first.stderr.split("\n").filter((l) => l !== "" && !l.includes("managed settings exist"))).toEqual([]);
        expect(first.status).toBe(0);
        expect(first.stdout).toContain(`Created ${settingsFile(home)}`);
        expect(first.stdout).toContain("Next: restart Claude Code");
        expect(first.stdout).not.toContain("very-secret");
        expect(JSON.parse(readFileSync(settingsFile(home), "utf8"))).toEqual({ env: TEAM_ENV });
        expect(statSync(settingsFile(home)).mode & 0o777).toBe(0o600);

        const second = cli(home, ["--env-json", envFile]);
        expect(second.status).toBe(0);
        expect(second.stdout).toContain("Already up to date");
        expect(extraFiles(home)).toEqual([]);

        const commented = '{\n  // telemetry\n  "env": {}\n}\n';
        writeFileSync(settingsFile(home), commented);
        const third = cli(home, ["--env-json", envFile]);
        expect(third.status).toBe(1);
        expect(third.stderr).toContain(`client-setup: refusing to change ${settingsFile(home)}: it is not valid JSON: it contains a comment at line 2, column 3`);
        expect(readFileSync(settingsFile(home), "utf8")).toBe(commented);
        expect(extraFiles(home)).toEqual([]);
    });

    it("--print on stdout is the resulting JSON, masked; CLAUDE_CONFIG_DIR is honoured", () => {
        const home = tempHome();
        const configDir = join(home, "cfg");
        const r = cli(home, ["--env-json", writeEnvFile(home, TEAM_ENV), "--print"], { CLAUDE_CONFIG_DIR: configDir });
        expect(r.status).toBe(0);
        expect(JSON.parse(r.stdout).env.OTEL_EXPORTER_OTLP_HEADERS).toBe("Authorization=****");
        expect(r.stderr).toContain(join(configDir, "settings.json"));
        expect(existsSync(configDir)).toBe(false);
    });

    it("--help explains the options and why the user-level file; a bad option exits 2", () => {
        const home = tempHome();
        const help = cli(home, ["--help"]);
        expect(help.status).toBe(0);
        for (const text of ["--stack", "--env-json", "--print", "--dry-run", "--show-secrets", "--prune", "cannot turn telemetry on", "CLAUDE_CONFIG_DIR", "managed"]) {
            expect(help.stdout).toContain(text);
        }
        const bad = cli(home, ["--frobnicate"]);
        expect(bad.status).toBe(2);
        expect(bad.stderr).toContain("Unknown option '--frobnicate'");
    });
});
