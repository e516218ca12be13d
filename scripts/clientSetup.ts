/**
 * `npm run client-setup`: writes the deployed stack's Claude Code client settings (the `env` block of
 * the `claudeCodeEnv` stack output, or of a JSON file) into the user's Claude Code settings,
 * ~/.claude/settings.json ($CLAUDE_CONFIG_DIR/settings.json when that is set).
 *
 * Safety: the file is merged, not replaced (other keys and other env entries are kept, in order); a
 * file that is not plain JSON, or whose shape is not what Claude Code expects, is refused and left
 * untouched; the previous file is backed up before every change; the write is atomic (temp file +
 * rename, through symlinks); a second run with the same settings changes nothing.
 *
 * The logic is a set of exported functions (tested in test/scripts.clientSetup.test.ts); `run()` is the CLI.
 */
import { existsSync, lstatSync, mkdirSync, readFileSync, realpathSync, statSync, unlinkSync } from "node:fs";
import { homedir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { visit } from "jsonc-parser";
import writeFileAtomic from "write-file-atomic";
import { z } from "zod";
import { CA_FILE_VARIABLE } from "../configs/client";
import { readStackOutputs } from "./stackOutputs";

// ---------------------------------------------------------------------------------------------
// Errors

/** A refusal or failure with a message meant for the user; `exitCode` 2 is a usage error. */
export class SetupError extends Error {
    constructor(
        message: string,
        readonly exitCode: 1 | 2 = 1,
    ) {
        super(message);
        this.name = "SetupError";
    }
}

// ---------------------------------------------------------------------------------------------
// Where the user settings live

export interface SettingsLocation {
    path: string;
    /** How the directory was chosen, for the report. */
    from: "CLAUDE_CONFIG_DIR" | "home";
}

/**
 * The user settings file Claude Code reads: $CLAUDE_CONFIG_DIR/settings.json when that variable is
 * set (Claude Code moves its whole configuration directory there), else <home>/.claude/settings.json.
 */
export function userSettingsLocation(home: string, env: NodeJS.ProcessEnv): SettingsLocation {
    const configDir = env.CLAUDE_CONFIG_DIR;
    if (configDir !== undefined && configDir.trim() !== "") return { path: join(resolve(configDir), "settings.json"), from: "CLAUDE_CONFIG_DIR" };
    return { path: join(home, ".claude", "settings.json"), from: "home" };
}

/** Managed (enterprise) settings files for a platform, which take precedence over user settings. */
export function managedSettingsPaths(platform: NodeJS.Platform): string[] {
    switch (platform) {
        case "darwin":
            return ["/Library/Application Support/ClaudeCode/managed-settings.json"];
        case "win32":
            return ["C:\\ProgramData\\ClaudeCode\\managed-settings.json"];
        default:
            return ["/etc/claude-code/managed-settings.json"];
    }
}

// ---------------------------------------------------------------------------------------------
// The env block to write

/** Keys this command may write: telemetry switches and OpenTelemetry variables, nothing else. */
export function isTelemetryKey(key: string): boolean {
    return (
        /^OTEL_[A-Z0-9_]+$/.test(key) ||
        /^CLAUDE_CODE_OTEL_[A-Z0-9_]+$/.test(key) ||
        ["CLAUDE_CODE_ENABLE_TELEMETRY", "CLAUDE_CODE_ENHANCED_TELEMETRY_BETA", "ENABLE_ENHANCED_TELEMETRY_BETA"].includes(key)
    );
}

function describeType(value: unknown): string {
    if (value === null) return "null";
    if (Array.isArray(value)) return "an array";
    if (typeof value === "object") return "an object";
    return `a ${typeof value}`;
}

/**
 * Checks an env block from the stack or from --env-json: an object of string values, only
 * telemetry keys (so a file handed around a team cannot slip in, say, ANTHROPIC_BASE_URL), and
 * CLAUDE_CODE_ENABLE_TELEMETRY=1. Throws a SetupError naming `origin`.
 */
export function validateEnvBlock(value: unknown, origin: string): Record<string, string> {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
        throw new SetupError(`${origin} is ${describeType(value)}; expected a JSON object of string values such as {"CLAUDE_CODE_ENABLE_TELEMETRY": "1", ...}.`);
    }
    const problems: string[] = [];
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) problems.push("it is empty");
    for (const [key, v] of entries) {
        if (!isTelemetryKey(key)) problems.push(`${key} is not a telemetry variable (only CLAUDE_CODE_ENABLE_TELEMETRY, OTEL_* and other telemetry switches are written)`);
        else if (typeof v !== "string") problems.push(`${key} is ${describeType(v)}; every value must be a string (e.g. "${String(v)}")`);
    }
    const enable = (value as Record<string, unknown>).CLAUDE_CODE_ENABLE_TELEMETRY;
    if (entries.length > 0 && enable !== "1") problems.push(`CLAUDE_CODE_ENABLE_TELEMETRY must be "1" (telemetry is off otherwise), not ${JSON.stringify(enable)}`);
    if (problems.length > 0) throw new SetupError(`${origin} is not a usable env block:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    return Object.fromEntries(entries as [string, string][]);
}

/** Reads --env-json: the env object itself, or {"env": {...}} as `pulumi stack output claudeCodeSettingsJson` prints it. */
export function loadEnvFile(path: string): Record<string, string> {
    let text: string;
    try {
        text = readFileSync(path, "utf8");
    } catch (e) {
        throw new SetupError(`cannot read --env-json ${path}: ${(e as Error).message}`);
    }
    let data: unknown;
    try {
        data = parseJsonStrict(text);
    } catch (e) {
        throw new SetupError(`--env-json ${path} is not valid JSON: ${(e as Error).message}.`);
    }
    if (typeof data === "object" && data !== null && !Array.isArray(data)) {
        const keys = Object.keys(data);
        if (keys.length === 1 && keys[0] === "env") data = (data as { env: unknown }).env;
    }
    return validateEnvBlock(data, `--env-json ${path}`);
}

/** Where the stack's CA certificate is kept for Claude Code: beside the settings file, named for this project. */
export function caFileLocation(settingsPath: string): string {
    return join(dirname(settingsPath), "claude-code-monitoring-ca.pem");
}

/** The `collectorCaCertificate` output of a deployed stack (a receiver with a private CA), if any. */
export function caFromStackOutputs(outputs: Record<string, unknown>, stack: string): string | undefined {
    const ca = outputs.collectorCaCertificate;
    if (ca === undefined || ca === null) return undefined;
    if (typeof ca !== "string" || !ca.includes("-----BEGIN CERTIFICATE-----")) throw new SetupError(`the collectorCaCertificate output of stack "${stack}" is not a PEM certificate; run npm run deploy again.`);
    return ca;
}

/** What client-setup wrote, kept beside the settings so --remove can take exactly that out, also after the stack is gone. */
const SetupRecord = z.object({
    /** The env entries written, with the values written. */
    env: z.record(z.string(), z.string()),
    /** The CA file written, and its text, when the stack has a private CA. */
    ca: z.object({ file: z.string(), pem: z.string() }).optional(),
});
export type SetupRecord = z.infer<typeof SetupRecord>;

export function recordLocation(settingsPath: string): string {
    return join(dirname(settingsPath), "claude-code-monitoring.client-setup.json");
}

/** The record of the last write, if any; a record that is not one is refused (it is ours, so something else changed it). */
export function readRecord(path: string): SetupRecord | undefined {
    if (!existsSync(path)) return undefined;
    let parsed: unknown;
    try {
        parsed = JSON.parse(readFileSync(path, "utf8"));
    } catch (e) {
        throw new SetupError(`${path} is not valid JSON (${(e as Error).message}); it is client-setup's record of what it wrote. Remove the entries by hand, then delete the file.`);
    }
    const record = SetupRecord.safeParse(parsed);
    if (!record.success) throw new SetupError(`${path} is not a client-setup record ({"env": {...}, "ca": {...}}); remove the entries by hand, then delete the file.`);
    return record.data;
}

/** Writes one of client-setup's own files (the CA, the record) atomically; no backup: nothing of the user's is in it. */
function writeOwnFile(path: string, text: string, mode = 0o644): void {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    writeFileAtomic.sync(path, text, { mode });
}

/** The `claudeCodeEnv` output of a deployed stack. */
export function envFromStackOutputs(outputs: Record<string, unknown>, stack: string): Record<string, string> {
    if (!("claudeCodeEnv" in outputs)) {
        throw new SetupError(`stack "${stack}" has no claudeCodeEnv output; update it with npm run deploy, or pass --env-json <json>.`);
    }
    return validateEnvBlock(outputs.claudeCodeEnv, `the claudeCodeEnv output of stack "${stack}"`);
}

// ---------------------------------------------------------------------------------------------
// Parsing the existing file, refusing anything that is not plain JSON of the right shape

/** 1-based line and column of a character offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
    const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
    const lines = before.split("\n");
    return { line: lines.length, column: lines[lines.length - 1].length + 1 };
}

/**
 * What jsonc-parser's scanner finds beyond plain JSON, outside strings: the first comment, the first
 * trailing comma, and the offset of the first syntax error (the start of the token that breaks it).
 */
function scanJson(text: string): { comment?: number; trailingComma?: number; error?: number } {
    const found: { comment?: number; trailingComma?: number; error?: number } = {};
    let comma: number | undefined;
    const other = () => {
        comma = undefined;
    };
    const closing = () => {
        if (comma !== undefined) found.trailingComma ??= comma;
        comma = undefined;
    };
    visit(
        text,
        {
            onComment: (offset) => {
                found.comment ??= offset;
            },
            onSeparator: (character, offset) => {
                comma = character === "," ? offset : undefined;
            },
            onObjectEnd: closing,
            onArrayEnd: closing,
            onObjectBegin: other,
            onArrayBegin: other,
            onObjectProperty: other,
            onLiteralValue: other,
            onError: (_code, offset) => {
                found.error ??= offset;
            },
        },
        { allowTrailingComma: false, disallowComments: false },
    );
    return found;
}

/** The first JSONC extension outside strings: a comment (// or /*) or a trailing comma. JSON.parse rejects both; naming them makes the message useful. */
export function findJsoncExtension(text: string): { kind: "comment" | "trailing comma"; offset: number } | undefined {
    const { comment, trailingComma } = scanJson(text);
    if (comment !== undefined && (trailingComma === undefined || comment < trailingComma)) return { kind: "comment", offset: comment };
    return trailingComma !== undefined ? { kind: "trailing comma", offset: trailingComma } : undefined;
}

/** Offset of the first JSON syntax error, for when V8's message carries no position (e.g. `Unexpected token 'x', "..." is not valid JSON`). */
export function jsonErrorOffset(text: string): number | undefined {
    return scanJson(text).error;
}

/** JSON.parse with an error message carrying "line L, column C" and the kind of JSONC extension, if any. */
export function parseJsonStrict(text: string): unknown {
    const extension = findJsoncExtension(text);
    if (extension?.kind === "comment") {
        const { line, column } = lineColumn(text, extension.offset);
        throw new Error(`it contains a comment at line ${line}, column ${column} (settings.json is plain JSON; comments are not allowed)`);
    }
    try {
        return JSON.parse(text);
    } catch (e) {
        const message = (e as Error).message;
        let position: { line: number; column: number } | undefined;
        const lc = /\(line (\d+) column (\d+)\)/.exec(message);
        const at = /at position (\d+)/.exec(message);
        if (lc) position = { line: Number(lc[1]), column: Number(lc[2]) };
        else if (at) position = lineColumn(text, Number(at[1]));
        else if (/Unexpected end of JSON input/.test(message)) position = lineColumn(text, text.length);
        else {
            const offset = jsonErrorOffset(text);
            if (offset !== undefined) position = lineColumn(text, offset);
        }
        const what = message.replace(/\s*in JSON at position \d+( \(line \d+ column \d+\))?/, "").replace(/, ".*" is not valid JSON$/s, "");
        const where = position ? ` at line ${position.line}, column ${position.column}` : "";
        const hint = extension?.kind === "trailing comma" ? `; there is a trailing comma at line ${lineColumn(text, extension.offset).line}, column ${lineColumn(text, extension.offset).column}` : "";
        throw new Error(`${what}${where}${hint}`);
    }
}

export interface ParsedSettings {
    /** The exact bytes read (the backup is written from these). */
    bytes: Buffer;
    /** Top-level object, key order as in the file. */
    data: Record<string, unknown>;
    /** The `env` object, when present. */
    env: Record<string, string> | undefined;
    /** Formatting to keep: indentation, line ending, final newline, BOM. */
    style: FileStyle;
}

export interface FileStyle {
    indent: string;
    eol: "\n" | "\r\n";
    finalNewline: boolean;
    bom: boolean;
}

export const DEFAULT_STYLE: FileStyle = { indent: "  ", eol: "\n", finalNewline: true, bom: false };

function detectStyle(text: string, bom: boolean): FileStyle {
    const eol = text.includes("\r\n") ? "\r\n" : "\n";
    const body = text.trimEnd();
    // The file's own indentation when it has one; a one-line file (`{}`, `{"model": "opus"}`) is
    // expanded, since an env block of a dozen entries on one line is unreadable.
    const indent = body.includes("\n") ? (/\n([ \t]+)\S/.exec(text)?.[1] ?? "  ") : "  ";
    return { indent, eol, finalNewline: !body.includes("\n") || /\r?\n$/.test(text), bom };
}

/**
 * Parses the existing settings file's bytes. Refuses (SetupError naming `file`, the problem, its
 * position when known, and the fix) a file that is not plain JSON, whose top level is not an
 * object, or whose `env` is not an object of strings. An empty file counts as `{}`.
 */
export function parseSettings(bytes: Buffer, file: string): ParsedSettings {
    const refuse = (problem: string, fix: string) =>
        new SetupError(`refusing to change ${file}: ${problem}.\nFix: ${fix}, then run again. The file was left untouched.`);
    let text = bytes.toString("utf8");
    const bom = text.startsWith("\uFEFF");
    if (bom) text = text.slice(1);
    const style = detectStyle(text, bom);
    if (text.trim() === "") return { bytes, data: {}, env: undefined, style };
    let data: unknown;
    try {
        data = parseJsonStrict(text);
    } catch (e) {
        const message = (e as Error).message;
        const fix = /comment/.test(message)
            ? "remove the comment (keep the note elsewhere; Claude Code reads settings.json as plain JSON and this command will not delete your text for you)"
            : "correct the JSON there (or move the file aside to start from an empty one)";
        throw refuse(`it is not valid JSON: ${message}`, fix);
    }
    if (typeof data !== "object" || data === null || Array.isArray(data)) {
        throw refuse(`its top level is ${describeType(data)}, but Claude Code settings are a JSON object ({ ... })`, "make the file a JSON object, e.g. {\"env\": {}}");
    }
    const top = data as Record<string, unknown>;
    if (!("env" in top)) return { bytes, data: top, env: undefined, style };
    const env = top.env;
    if (typeof env !== "object" || env === null || Array.isArray(env)) {
        throw refuse(`its "env" is ${describeType(env)}, but it must be an object of strings such as {"FOO": "1"}`, 'make "env" an object (or delete it)');
    }
    const bad = Object.entries(env as Record<string, unknown>).filter(([, v]) => typeof v !== "string");
    if (bad.length > 0) {
        const list = bad.map(([k, v]) => `env.${k} is ${describeType(v)} (${JSON.stringify(v)})`).join(", ");
        throw refuse(`every value in "env" must be a string, but ${list}`, `quote ${bad.length === 1 ? "the value" : "those values"}, e.g. "${bad[0][0]}": ${JSON.stringify(String(JSON.stringify(bad[0][1])))}`);
    }
    return { bytes, data: top, env: env as Record<string, string>, style };
}

// ---------------------------------------------------------------------------------------------
// Planning the change

export type ChangeKind = "added" | "updated" | "unchanged" | "removed";

export interface EnvChange {
    key: string;
    kind: ChangeKind;
    before?: string;
    after?: string;
}

export interface Plan {
    changes: EnvChange[];
    /** True when the file must be written (a key was added, updated or removed, or the file is new). */
    changed: boolean;
    /** The resulting top-level object. */
    data: Record<string, unknown>;
    /** Telemetry keys already in the file's env that the stack does not set (kept unless --prune). */
    leftovers: string[];
}

/**
 * Merges `env` into the file's `env` object: existing keys keep their place (changed values are
 * updated in place), new keys are appended in the stack's order, every other key and entry is kept.
 * With `prune`, telemetry keys (OTEL_* and the other telemetry switches) that the stack no longer
 * sets are removed; without it they are kept and reported as leftovers.
 */
export function planUpdate(current: ParsedSettings | undefined, env: Record<string, string>, options: { prune?: boolean } = {}): Plan {
    const before = current?.env ?? {};
    const changes: EnvChange[] = [];
    const leftovers: string[] = [];
    const entries: [string, string][] = [];
    for (const [key, value] of Object.entries(before)) {
        if (key in env) {
            const kind = value === env[key] ? "unchanged" : "updated";
            changes.push({ key, kind, before: value, after: env[key] });
            entries.push([key, env[key]]);
        } else if (isTelemetryKey(key) && options.prune) {
            changes.push({ key, kind: "removed", before: value });
        } else {
            if (isTelemetryKey(key)) leftovers.push(key);
            entries.push([key, value]);
        }
    }
    for (const [key, value] of Object.entries(env)) {
        if (!Object.hasOwn(before, key)) {
            changes.push({ key, kind: "added", after: value });
            entries.push([key, value]);
        }
    }
    // Object.fromEntries defines own properties, so no key (not even "__proto__") is treated specially.
    const nextEnv = Object.fromEntries(entries);
    const top = current?.data ?? {};
    const data = "env" in top ? Object.fromEntries(Object.entries(top).map(([k, v]) => [k, k === "env" ? nextEnv : v])) : Object.fromEntries([...Object.entries(top), ["env", nextEnv]]);
    const changed = current === undefined || changes.some((c) => c.kind !== "unchanged");
    return { changes, changed, data, leftovers };
}

/**
 * Takes out of the file's `env` exactly the entries client-setup wrote (`written`, from its
 * record): an entry still holding the value it wrote is removed; one the user changed since is
 * kept and reported. Every other key and entry stays as it is.
 */
export function planRemoval(current: ParsedSettings, written: Record<string, string>): Plan & { changedByUser: string[] } {
    const changes: EnvChange[] = [];
    const changedByUser: string[] = [];
    const entries: [string, string][] = [];
    for (const [key, value] of Object.entries(current.env ?? {})) {
        if (Object.hasOwn(written, key) && written[key] === value) {
            changes.push({ key, kind: "removed", before: value });
            continue;
        }
        if (Object.hasOwn(written, key)) changedByUser.push(key);
        entries.push([key, value]);
    }
    const data = Object.fromEntries(Object.entries(current.data).map(([k, v]) => [k, k === "env" ? Object.fromEntries(entries) : v]));
    return { changes, changed: changes.length > 0, data, leftovers: [], changedByUser };
}

/** The file's text for `data`, in the existing file's style. */
export function renderSettings(data: Record<string, unknown>, style: FileStyle = DEFAULT_STYLE): string {
    let text = JSON.stringify(data, null, style.indent);
    if (style.eol === "\r\n") text = text.replace(/\n/g, "\r\n");
    if (style.finalNewline) text += style.eol;
    return (style.bom ? "\uFEFF" : "") + text;
}

// ---------------------------------------------------------------------------------------------
// Secrets

const SECRET_KEY = /HEADERS$|TOKEN|SECRET|PASSWORD|PASSPHRASE|_KEY$|API_KEY|CREDENTIAL|AUTH/i;
const SECRET_VALUE = /\b(bearer|basic)\s+\S|(authorization|api[-_]?key|x-scope-orgid|token)\s*=/i;

/** Does this env entry look like it holds a credential (OTLP headers with a bearer token, API keys, ...)? */
export function isSecretEntry(key: string, value: string): boolean {
    return SECRET_KEY.test(key) || SECRET_VALUE.test(value);
}

/** A value safe to print: header names are kept (`authorization=****`), everything secret is masked. */
export function maskValue(key: string, value: string): string {
    if (!isSecretEntry(key, value)) return value;
    if (/HEADERS$/.test(key) || /^[^=,\s]+=/.test(value)) {
        return value
            .split(",")
            .map((pair) => {
                const eq = pair.indexOf("=");
                return eq < 0 ? "****" : `${pair.slice(0, eq + 1)}****`;
            })
            .join(",");
    }
    return "****";
}

export function maskEnv(env: Record<string, string>): Record<string, string> {
    return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, maskValue(k, v)]));
}

/** `data` with every secret-looking env value masked, for printing. */
export function maskSettings(data: Record<string, unknown>): Record<string, unknown> {
    return Object.fromEntries(
        Object.entries(data).map(([k, v]) => [k, k === "env" && typeof v === "object" && v !== null && !Array.isArray(v) ? maskEnv(v as Record<string, string>) : v]),
    );
}

// ---------------------------------------------------------------------------------------------
// Warnings

/**
 * What the shell environment does next to the file. Claude Code applies the settings file's `env`
 * over the environment it was started with (anthropics/claude-code#78567: "overrides shell-provided
 * values by design"), so a shell value for a key the file sets is overridden for Claude Code; a
 * telemetry key the file does not set still applies on top.
 */
export function shellConflicts(processEnv: NodeJS.ProcessEnv, fileEnv: Record<string, string>, show: (key: string, value: string) => string): string[] {
    const warnings: string[] = [];
    for (const [key, value] of Object.entries(processEnv)) {
        if (value === undefined || !isTelemetryKey(key)) continue;
        if (key in fileEnv) {
            if (fileEnv[key] !== value) {
                warnings.push(
                    `your shell sets ${key}=${show(key, value)}, but the settings file sets ${show(key, fileEnv[key])}. The settings file wins for Claude Code (its env is applied over the shell's), but other programs started from this shell still see the shell value; remove the export from your shell profile to avoid confusion.`,
                );
            }
        } else {
            warnings.push(
                `your shell sets ${key}=${show(key, value)}, which the settings file does not set, so Claude Code still uses it on top of these settings (a per-signal endpoint, protocol or header variable overrides the general one). Unset it unless you mean it.`,
            );
        }
    }
    return warnings;
}

/** Warnings for managed settings files that exist (they outrank user settings and can lock the OTLP destination). */
export function managedSettingsWarnings(paths: string[], show: (key: string, value: string) => string): string[] {
    const warnings: string[] = [];
    for (const path of paths) {
        if (!existsSync(path)) continue;
        let detail = "";
        try {
            const data = JSON.parse(readFileSync(path, "utf8")) as { env?: Record<string, unknown> };
            const keys = Object.entries(data?.env ?? {}).filter(([k]) => isTelemetryKey(k));
            detail = keys.length > 0 ? `; it sets ${keys.map(([k, v]) => `${k}=${show(k, String(v))}`).join(", ")}` : "; it sets no telemetry variables itself";
        } catch {
            detail = " (not readable here)";
        }
        warnings.push(
            `managed settings exist at ${path}${detail}. Managed settings take precedence over your user settings, and from Claude Code v2.1.217 they lock the OTLP destination: endpoints, protocols and credentials set by you are stripped. Your telemetry may go to your organisation's collector instead of this stack; ask your administrator.`,
        );
    }
    return warnings;
}

const CONTENT_GATES = ["OTEL_LOG_USER_PROMPTS", "OTEL_LOG_ASSISTANT_RESPONSES", "OTEL_LOG_TOOL_DETAILS", "OTEL_LOG_TOOL_CONTENT", "OTEL_LOG_RAW_API_BODIES"];

/** Content logging turned on in the resulting env (prompts, responses, tool details leave the machine's logs). */
export function contentGateWarnings(env: Record<string, string>): string[] {
    return CONTENT_GATES.filter((k) => env[k] !== undefined && !["", "0", "false"].includes(env[k].toLowerCase())).map(
        (k) => `${k}=${env[k]} is on: Claude Code will send content (prompts, responses or tool details) with its telemetry.`,
    );
}

// ---------------------------------------------------------------------------------------------
// Writing

/** UTC timestamp for backup names, e.g. 20261127T063017Z. */
export function backupStamp(now: Date): string {
    return now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
}

export interface WriteResult {
    created: boolean;
    backup?: string;
    /** Permission bits of the written file. */
    mode: number;
    /** The file actually replaced (differs from the settings path when that is a symlink). */
    target: string;
}

/**
 * Writes `text` to the settings file atomically: a backup of the previous bytes first (next to the
 * settings path, same permissions), then a temp file in the target's directory renamed over it.
 * A symlinked settings file (dotfiles) stays a symlink: its target is replaced. An existing file
 * keeps its permission bits; a new one is 0600 when `secret`, else the usual 0666 minus umask.
 * Refuses when the file changed since it was read.
 */
export function writeSettingsFile(path: string, text: string, previous: Buffer | undefined, options: { secret: boolean; now: Date }): WriteResult {
    let target = path;
    let existing = false;
    try {
        const link = lstatSync(path);
        existing = true;
        if (link.isSymbolicLink()) {
            try {
                target = realpathSync(path);
            } catch {
                throw new SetupError(`refusing to change ${path}: it is a symlink to a file that does not exist. Fix: point it at an existing file or remove it, then run again.`);
            }
        }
        if (!statSync(target).isFile()) throw new SetupError(`refusing to change ${path}: it is not a regular file.`);
    } catch (e) {
        if (e instanceof SetupError) throw e;
        if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
    if (existing !== (previous !== undefined)) {
        throw new SetupError(`${path} was ${existing ? "created" : "removed"} while this command ran; nothing was written. Run it again.`);
    }
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    let mode = options.secret ? 0o600 : 0o666;
    let exactMode = options.secret;
    let backup: string | undefined;
    if (previous !== undefined) {
        const now = readFileSync(target);
        if (!now.equals(previous)) throw new SetupError(`${path} changed while this command ran (Claude Code may have saved it); nothing was written. Run it again.`);
        mode = statSync(target).mode & 0o7777;
        exactMode = true;
        const base = join(dirname(path), `${basename(path)}.bak-${backupStamp(options.now)}`);
        backup = base;
        for (let n = 1; existsSync(backup); n++) backup = `${base}-${n}`;
        writeFileAtomic.sync(backup, previous, { mode: mode & 0o777 });
    }
    // write-file-atomic writes a temp file beside the target, fsyncs it and renames it over; an exact mode is set, else the new file gets 0666 minus umask.
    writeFileAtomic.sync(target, text, exactMode ? { mode } : {});
    return { created: previous === undefined, backup, mode: statSync(target).mode & 0o7777, target };
}

// ---------------------------------------------------------------------------------------------
// The command

export const USAGE = `Usage: npm run client-setup -- [options]

Writes the deployed stack's Claude Code telemetry settings into the "env" object of your user
settings, ~/.claude/settings.json ($CLAUDE_CONFIG_DIR/settings.json when CLAUDE_CONFIG_DIR is set).
A repository's .claude/settings.json (or settings.local.json) cannot turn telemetry on or point it
anywhere: Claude Code ignores those variables there, so the user-level file is the right place.

Options:
  --stack <name>      read the claudeCodeEnv output of this stack (default: $PULUMI_STACK or "local")
  --env-json <json>   take the env block from a JSON file instead of the stack: an object of string
                      values, or {"env": {...}} as \`pulumi stack output claudeCodeSettingsJson\` prints it
  --dry-run           show which env keys would be added, updated or removed; write nothing
  --print             print the resulting settings.json; write nothing
  --show-secrets      do not mask secret-looking values (OTLP headers, tokens) in what is printed
  --remove            take out exactly what client-setup wrote (its record beside the settings says
                      what): entries you changed since, and everything else, stay; the stack's CA
                      file goes too. Works after pulumi destroy; run it before you remove the stack
  --prune             also remove telemetry keys (OTEL_*, CLAUDE_CODE_*TELEMETRY*) that the stack no
                      longer sets; without it they are kept and listed
  -h, --help          this text

Safety: other settings and other env entries are kept as they are, in order; a file that is not
plain JSON (comments included), is not a JSON object, or has an "env" that is not an object of
strings is refused and left untouched (exit 1); the previous file is copied to
settings.json.bak-<UTC timestamp> before any change; the write is atomic; a new file holding a
token is created with mode 600, an existing file keeps its mode; a second run changes nothing.
Only telemetry variables are ever written. Claude Code applies this env over the shell's
environment; managed settings (/etc/claude-code/managed-settings.json, ...) outrank both.

Exit status: 0 written or already up to date, 1 refused or failed, 2 usage error.`;

export interface Options {
    stack?: string;
    envFile?: string;
    dryRun: boolean;
    print: boolean;
    showSecrets: boolean;
    prune: boolean;
    remove: boolean;
    help: boolean;
}

export function parseOptions(argv: string[]): Options {
    let values: Record<string, string | boolean | undefined>;
    try {
        ({ values } = parseArgs({
            args: argv,
            strict: true,
            allowPositionals: false,
            options: {
                stack: { type: "string" },
                "env-json": { type: "string" },
                "dry-run": { type: "boolean", default: false },
                print: { type: "boolean", default: false },
                "show-secrets": { type: "boolean", default: false },
                prune: { type: "boolean", default: false },
                remove: { type: "boolean", default: false },
                help: { type: "boolean", short: "h", default: false },
            },
        }));
    } catch (e) {
        throw new SetupError(`${(e as Error).message}\nRun with --help for the options.`, 2);
    }
    const withRemove = ["stack", "env-json", "prune", "print"].filter((k) => values[k] !== undefined && values[k] !== false);
    if (values.remove && withRemove.length > 0) {
        throw new SetupError(`--remove takes out what client-setup wrote, from its own record; it does not combine with --${withRemove.join(", --")}.`, 2);
    }
    if (values.stack !== undefined && values["env-json"] !== undefined) {
        throw new SetupError("--stack and --env-json exclude each other: the env block comes from a deployed stack or from a file.", 2);
    }
    return {
        stack: values.stack as string | undefined,
        envFile: values["env-json"] as string | undefined,
        dryRun: values["dry-run"] as boolean,
        print: values.print as boolean,
        showSecrets: values["show-secrets"] as boolean,
        prune: values.prune as boolean,
        remove: values.remove as boolean,
        help: values.help as boolean,
    };
}

export interface Deps {
    home: string;
    env: NodeJS.ProcessEnv;
    managedSettingsPaths: string[];
    readStackOutputs: (stack: string) => Record<string, unknown>;
    now: () => Date;
    out: (line: string) => void;
    err: (line: string) => void;
}

export function defaultDeps(): Deps {
    return {
        home: homedir(),
        env: process.env,
        managedSettingsPaths: managedSettingsPaths(process.platform),
        readStackOutputs,
        now: () => new Date(),
        out: (line) => process.stdout.write(`${line}\n`),
        err: (line) => process.stderr.write(`${line}\n`),
    };
}

const SIGN: Record<ChangeKind, string> = { added: "+", updated: "~", unchanged: "=", removed: "-" };

/** One line per env key: `+ KEY = value (added)`, `~ KEY: old → new (updated)`, ... */
export function describeChanges(changes: EnvChange[], show: (key: string, value: string) => string): string[] {
    return changes.map((c) => {
        const value =
            c.kind === "updated" ? `${show(c.key, c.before!)} → ${show(c.key, c.after!)}` : c.kind === "removed" ? show(c.key, c.before!) : show(c.key, c.after!);
        return `  ${SIGN[c.kind]} ${c.key}${c.kind === "updated" ? ": " : " = "}${value}  (${c.kind})`;
    });
}

/** The CLI: returns the exit status. */
export function run(argv: string[], deps: Deps): number {
    try {
        return runOrThrow(argv, deps);
    } catch (e) {
        if (e instanceof SetupError) {
            deps.err(`client-setup: ${e.message}`);
            return e.exitCode;
        }
        deps.err(`client-setup: ${(e as Error).message}`);
        return 1;
    }
}

function runOrThrow(argv: string[], deps: Deps): number {
    const options = parseOptions(argv);
    if (options.help) {
        deps.out(USAGE);
        return 0;
    }
    const show = options.showSecrets ? (_key: string, value: string) => value : maskValue;
    if (options.remove) return remove(options, deps, show);

    const location = userSettingsLocation(deps.home, deps.env);
    const file = location.path;

    // 1. The env block, and the CA file it points Claude Code to (a receiver with a private CA).
    let env: Record<string, string>;
    let source: string;
    let ca: string | undefined;
    if (options.envFile !== undefined) {
        env = loadEnvFile(options.envFile);
        source = `--env-json ${options.envFile}`;
    } else {
        const stack = options.stack ?? deps.env.PULUMI_STACK ?? "local";
        let outputs: Record<string, unknown>;
        try {
            outputs = deps.readStackOutputs(stack);
        } catch (e) {
            if (e instanceof SetupError) throw e;
            throw new SetupError(`${(e as Error).message}\nOr pass --env-json <json> with the env block from whoever deployed the stack.`);
        }
        env = envFromStackOutputs(outputs, stack);
        ca = caFromStackOutputs(outputs, stack);
        source = `stack "${stack}"`;
    }
    const caFile = caFileLocation(file);
    if (ca !== undefined) env = { ...env, [CA_FILE_VARIABLE]: caFile };

    // 2. The existing file.
    let previous: Buffer | undefined;
    try {
        previous = readFileSync(file);
    } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === "EISDIR") throw new SetupError(`refusing to change ${file}: it is a directory, not a file.`);
        if (code !== "ENOENT") throw new SetupError(`cannot read ${file}: ${(e as Error).message}`);
    }
    const current = previous === undefined ? undefined : parseSettings(previous, file);

    // 3. The plan.
    const plan = planUpdate(current, env, { prune: options.prune });
    const style = current?.style ?? DEFAULT_STYLE;
    const text = renderSettings(plan.data, style);
    const resultEnv = plan.data.env as Record<string, string>;
    const secret = Object.entries(resultEnv).some(([k, v]) => isSecretEntry(k, v));

    const where = location.from === "CLAUDE_CONFIG_DIR" ? "from $CLAUDE_CONFIG_DIR" : "user settings";
    const log = options.print ? deps.err : deps.out;
    log(`Claude Code ${where}: ${file}${current === undefined ? " (does not exist yet)" : ""}`);
    log(`Telemetry settings from ${source}:`);
    for (const line of describeChanges(plan.changes, show)) log(line);

    // 4. Warnings.
    const warnings = [
        ...plan.leftovers.map(
            (k) =>
                `${file} also sets ${k}=${show(k, resultEnv[k])}, which the stack does not set; Claude Code still uses it. Kept (a hand-set value is yours); remove it with --prune if it is a leftover.`,
        ),
        ...contentGateWarnings(resultEnv),
        ...shellConflicts(deps.env, resultEnv, show),
        ...managedSettingsWarnings(deps.managedSettingsPaths, show),
    ];
    if (previous !== undefined && secret && !options.dryRun && !options.print && process.platform !== "win32") {
        const mode = statSync(file).mode & 0o777;
        if ((mode & 0o077) !== 0) warnings.push(`${file} holds a token but is readable by others (mode ${mode.toString(8)}); its mode is kept. Run: chmod 600 ${file}`);
    }
    for (const w of warnings) deps.err(`warning: ${w}`);

    // 5. Print, or write.
    if (options.print) {
        deps.out(renderSettings(options.showSecrets ? plan.data : maskSettings(plan.data), style).replace(/^\uFEFF/, "").trimEnd());
        deps.err(plan.changed ? "Nothing was written (--print)." : "Already up to date; nothing to write (--print).");
        return 0;
    }
    if (ca !== undefined && !options.dryRun) {
        // First, so the settings never name a file that is not there yet.
        const previousCa = existsSync(caFile) ? readFileSync(caFile, "utf8") : undefined;
        if (previousCa === ca) deps.out(`CA certificate of the stack's receiver: ${caFile} (already up to date).`);
        else {
            writeOwnFile(caFile, ca);
            deps.out(`CA certificate of the stack's receiver: ${caFile} (${previousCa === undefined ? "written" : "replaced"}).`);
        }
    }
    if (!plan.changed) {
        deps.out(`Already up to date: ${file} has these settings; nothing was written.`);
    } else if (options.dryRun) {
        deps.out(`Dry run: ${file} would be ${current === undefined ? "created" : "updated"}; nothing was written.`);
        return 0;
    } else {
        const result = writeSettingsFile(file, text, previous, { secret, now: deps.now() });
        const counts = (["added", "updated", "removed", "unchanged"] as ChangeKind[])
            .map((k) => [k, plan.changes.filter((c) => c.kind === k).length] as const)
            .filter(([, n]) => n > 0)
            .map(([k, n]) => `${n} ${k}`)
            .join(", ");
        deps.out(`${result.created ? "Created" : "Updated"} ${file} (${counts}; mode ${result.mode.toString(8)}${result.target !== file ? `; symlink to ${result.target}` : ""}).`);
        if (result.backup) deps.out(`Backup of the previous file: ${result.backup}`);
    }
    if (!options.dryRun) {
        const record: SetupRecord = { env, ...(ca !== undefined ? { ca: { file: caFile, pem: ca } } : {}) };
        writeOwnFile(recordLocation(file), `${JSON.stringify(record, null, 2)}\n`, 0o600);
    }
    deps.out(
        "These are user settings on purpose: a repository's .claude/settings.json cannot turn telemetry on or point it anywhere.",
    );
    deps.out(
        "Next: restart Claude Code (a running session keeps the telemetry settings it started with), then run `npm run check` to verify the pipeline end to end.",
    );
    return 0;
}

/** --remove: takes out what the record says client-setup wrote; the user's own entries and changes stay. */
function remove(options: Options, deps: Deps, show: (key: string, value: string) => string): number {
    const file = userSettingsLocation(deps.home, deps.env).path;
    const recordFile = recordLocation(file);
    const record = readRecord(recordFile);
    if (record === undefined) {
        deps.out(`Nothing to remove: ${recordFile} does not exist, so client-setup has not written ${file} (or it was removed already).`);
        return 0;
    }
    const previous = existsSync(file) ? readFileSync(file) : undefined;
    const current = previous === undefined ? undefined : parseSettings(previous, file);
    const plan = current?.env ? planRemoval(current, record.env) : undefined;
    deps.out(`Claude Code user settings: ${file}${previous === undefined ? " (does not exist)" : ""}`);
    deps.out("Telemetry settings client-setup wrote:");
    for (const line of describeChanges(plan?.changes ?? [], show)) deps.out(line);
    for (const key of plan?.changedByUser ?? []) deps.err(`warning: ${key} was changed since client-setup wrote it (now ${show(key, current!.env![key])}); kept, as yours.`);
    const caStays = record.ca !== undefined && existsSync(record.ca.file) && readFileSync(record.ca.file, "utf8") !== record.ca.pem;
    if (caStays) deps.err(`warning: ${record.ca!.file} was changed since client-setup wrote it; kept, as yours.`);
    if (options.dryRun) {
        deps.out(`Dry run: ${plan?.changed ? `${file} would be updated; ` : ""}nothing was written.`);
        return 0;
    }
    if (plan?.changed) {
        const result = writeSettingsFile(file, renderSettings(plan.data, current!.style), previous, { secret: false, now: deps.now() });
        deps.out(`Updated ${file} (${plan.changes.length} removed).`);
        if (result.backup) deps.out(`Backup of the previous file: ${result.backup}`);
    } else {
        deps.out(`${file} holds none of the entries client-setup wrote; nothing to change there.`);
    }
    if (record.ca !== undefined && existsSync(record.ca.file) && !caStays) {
        unlinkSync(record.ca.file);
        deps.out(`Removed ${record.ca.file}.`);
    }
    unlinkSync(recordFile);
    deps.out("Next: restart Claude Code; a running session keeps sending until it exits.");
    return 0;
}

if (typeof require !== "undefined" && require.main === module) {
    process.exitCode = run(process.argv.slice(2), defaultDeps());
}
