/**
 * Typed stack settings: loading and the checks that involve more than one setting.
 *
 * Each setting is declared once, in settingsSchema.ts: its parser, default and documentation.
 * Validation collects every problem before any resource is created, and each message names the
 * setting and the fix.
 */
import { closest } from "fastest-levenshtein";
import { recordingWriteProblem } from "./recordingWriter";
import {
    type CLIENT_PROTOCOLS,
    type CLIENT_TEMPORALITIES,
    type METRICS_PROTOCOLS,
    PARSED_DEFAULTS,
    type PRIVACY_MODES,
    type PlainSettings,
    SECRETS,
    SECRET_KEYS,
    SETTINGS,
    type STACK_MODES,
    type SecretKey,
    type SecretSpec,
    type SettingKey,
    TEAM_URL_EXAMPLES,
} from "./settingsSchema";
import { receiverTlsProblems } from "./tls";

export { PRIVACY_MODES, SECRET_KEYS, STACK_MODES, isPinnedImage, parseBudgets, parseDuration, parseSize } from "./settingsSchema";
export type { Budget, BudgetPeriod, BudgetScope, PlainSettings, SecretKey } from "./settingsSchema";

/** How identity attributes (`user.email`, account ids) are treated before storage. */
export type PrivacyMode = (typeof PRIVACY_MODES)[number];
/** OTLP protocol Claude Code uses to reach the collector. */
export type ClientProtocol = (typeof CLIENT_PROTOCOLS)[number];
/** Metric temporality Claude Code exports. */
export type ClientTemporality = (typeof CLIENT_TEMPORALITIES)[number];
/** Where the data lives: this machine's own Prometheus, Loki and Grafana, or a team's existing ones. */
export type StackMode = (typeof STACK_MODES)[number];
/** How the collector writes metrics to a team's Prometheus-compatible backend. */
export type MetricsProtocol = (typeof METRICS_PROTOCOLS)[number];

/** How the stack authenticates to a team backend: none, basic auth (user + token) or a bearer token. */
export type BackendAuth = { kind: "none" } | { kind: "basic"; user: string } | { kind: "bearer" };

/** Basic auth with a user; a bearer token without one; nothing when there is no token. */
export function backendAuth(user: string, token: string): BackendAuth {
    if (user !== "") return { kind: "basic", user };
    return token !== "" ? { kind: "bearer" } : { kind: "none" };
}

/** Every plain setting's default, parsed. */
export const DEFAULTS: Readonly<PlainSettings> = PARSED_DEFAULTS;

/** Everything the program needs, validated. Secrets are kept apart so they can be wrapped. */
export interface StackSettings extends PlainSettings {
    secrets: Record<SecretKey, string>;
}

/** Reads one raw config value (as Pulumi stores it: a string), or undefined when unset. */
export type ConfigLookup = (key: string) => string | undefined;

export class SettingsError extends Error {
    constructor(readonly problems: string[]) {
        super(
            `Invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
                problems.map((p) => `  - ${p}`).join("\n"),
        );
        this.name = "SettingsError";
    }
}

/** Host ports the stack publishes; each must be free and distinct. */
export const PORT_KEYS = ["grafanaPort", "prometheusPort", "lokiPort", "otlpGrpcPort", "otlpHttpPort", "collectorHealthPort"] as const;

/** True for an address only this machine can reach. */
export function isLoopback(address: string): boolean {
    return /^127\./.test(address) || address === "::1" || address === "localhost";
}

/** Every key the program reads. */
export const KNOWN_KEYS: readonly string[] = [...Object.keys(SETTINGS), ...SECRET_KEYS];

/**
 * One message per configured key the program does not read (a typo such as `grafanaPrt` would
 * otherwise be ignored without a word; Pulumi checks only the keys Pulumi.yaml declares), naming
 * the nearest known key. Only key names are printed, never values: the key may hold a secret.
 */
export function unknownSettingsProblems(configuredKeys: readonly string[]): string[] {
    return configuredKeys
        .filter((key) => !KNOWN_KEYS.includes(key))
        .sort()
        .map((key) => {
            const nearest = closest(key, KNOWN_KEYS as string[]);
            const secret = (SECRET_KEYS as readonly string[]).includes(nearest) ? " --secret" : "";
            return `${key}: is not a setting of this project; did you mean ${nearest}? (fix: pulumi config rm ${key}, then pulumi config set${secret} ${nearest} <value>; or pulumi config set allowUnknownSettings true to only warn)`;
        });
}

/** What loadSettings needs besides the values. */
export interface LoadOptions {
    /** The project's configured keys (without the `claude-code-monitoring:` prefix), to find unknown ones. */
    configuredKeys?: readonly string[];
    /** Receives each warning (unknown keys when allowUnknownSettings is true). */
    warn?: (message: string) => void;
    /** The time certificates are judged at (default: now). */
    now?: Date;
}

/** A problem as the user reads it: the key, the hint, and the fix (the generic one unless the hint names its own). */
function problemFor(key: string, hint: string): string {
    const message = `${key}: ${hint.replaceAll("{key}", key)}`;
    return hint.includes("(fix:") ? message : `${message} (fix: pulumi config set ${key} <value>)`;
}

/** Each plain setting parsed by its schema; a bad or unset one keeps its default, so later checks still run. */
function parsePlain(lookup: ConfigLookup, problems: string[]): PlainSettings {
    const values: Record<string, unknown> = {};
    for (const [key, spec] of Object.entries(SETTINGS)) {
        const raw = lookup(key);
        // An empty list is how `pulumi config set --path` leaves one; it means the default.
        const unset = raw === undefined || (Array.isArray(spec.default) && raw.trim() === "");
        const parsed = unset ? undefined : spec.schema.safeParse(raw);
        if (parsed && !parsed.success) problems.push(...parsed.error.issues.map((issue) => problemFor(key, issue.message)));
        values[key] = parsed?.success ? parsed.data : DEFAULTS[key as SettingKey];
    }
    return values as PlainSettings;
}

/** Each secret, trimmed, with its own check (whose message never repeats the value). */
function parseSecrets(lookup: ConfigLookup, problems: string[]): Record<SecretKey, string> {
    const secrets = {} as Record<SecretKey, string>;
    for (const key of SECRET_KEYS) {
        secrets[key] = (lookup(key) ?? "").trim();
        const problem = secrets[key] === "" ? undefined : (SECRETS[key] as SecretSpec).check?.(secrets[key]);
        if (problem) problems.push(`${key}: ${problem}`);
    }
    return secrets;
}

/** The plain settings parsed without stopping: a bad or unset value is its default (for readers such as the policy pack, where the program reports problems). */
export function plainSettingsOrDefaults(lookup: ConfigLookup): PlainSettings {
    return parsePlain(lookup, []);
}

/** The checks that involve more than one setting. */
function crossProblems(s: StackSettings, now: Date): string[] {
    const problems: string[] = [];
    const byPort = new Map<number, string[]>();
    for (const key of PORT_KEYS) byPort.set(s[key], [...(byPort.get(s[key]) ?? []), key]);
    for (const [port, keys] of byPort) {
        if (keys.length > 1) problems.push(`${keys.join(" and ")}: all set to port ${port}; give each service its own port (fix: pulumi config set ${keys[1]} <free port>)`);
    }
    if (s.budgetWarningPercent >= s.budgetCriticalPercent) {
        problems.push(`budgetWarningPercent and budgetCriticalPercent: the warning level (${s.budgetWarningPercent}%) must be below the critical level (${s.budgetCriticalPercent}%) (fix: pulumi config set budgetWarningPercent 80)`);
    }
    if (s.alertEmails.length > 0 && s.smtpHost === "") {
        problems.push(problemFor("smtpHost", "is empty but alertEmails is set; Grafana cannot send email without an SMTP server (host:port, e.g. smtp.example.com:587)"));
    }
    for (const [key, example] of Object.entries(TEAM_URL_EXAMPLES) as [keyof typeof TEAM_URL_EXAMPLES, string][]) {
        if (s.mode === "team" && s[key] === "") problems.push(problemFor(key, `is required when mode is team (e.g. ${example})`));
        else if (s.mode === "local" && s[key] !== "") problems.push(`${key}: is only used when mode is team, but mode is local (fix: pulumi config set mode team, or pulumi config rm ${key})`);
    }
    if (s.mode === "team" && s.secrets.teamGrafanaAuth === "") {
        problems.push("teamGrafanaAuth: is required when mode is team: a Grafana service-account token with the Admin role (or user:password) (fix: pulumi config set --secret teamGrafanaAuth glsa_…)");
    }
    for (const [userKey, tokenKey] of [["teamMetricsUser", "teamMetricsToken"], ["teamMetricsWriteUser", "teamMetricsToken"], ["teamLogsUser", "teamLogsToken"]] as const) {
        if (s[userKey] !== "" && s.secrets[tokenKey] === "") {
            problems.push(`${tokenKey}: is empty but ${userKey} is set; basic auth needs both (fix: pulumi config set --secret ${tokenKey} <password or token>)`);
        }
    }
    if (s.mode === "team" && s.teamMetricsQueryUrl !== "") {
        const problem = recordingWriteProblem(s.teamMetricsBackend, s.teamMetricsQueryUrl);
        if (problem) problems.push(problem);
    }
    const tls = { cert: s.secrets.collectorTlsCert, key: s.secrets.collectorTlsKey, ca: s.collectorTlsCa };
    problems.push(...receiverTlsProblems(tls, collectorHostForClients(s), now));
    if (!isLoopback(s.bindAddress) && tls.cert === "" && tls.key === "" && !s.collectorAllowPlaintext) {
        problems.push(
            `collectorTlsCert: is required when bindAddress is ${s.bindAddress} (beyond this machine): without TLS the receiver's token and every event cross the network in clear ` +
                "(fix: pulumi config set --secret collectorTlsCert < fullchain.pem and pulumi config set --secret collectorTlsKey < privkey.pem; " +
                "or, on a network you trust, pulumi config set collectorAllowPlaintext true)",
        );
    }
    return problems;
}

/** Problems in the order the reference lists the settings they name first (unknown keys last); stable within a setting. */
function inReferenceOrder(problems: string[]): string[] {
    const rank = (problem: string) => {
        const index = KNOWN_KEYS.indexOf(problem.split(/[: ]/, 1)[0]);
        return index === -1 ? KNOWN_KEYS.length : index;
    };
    return problems.map((problem) => ({ problem, rank: rank(problem) })).sort((a, b) => a.rank - b.rank).map(({ problem }) => problem);
}

/**
 * Parses and validates every setting. Throws one SettingsError listing every problem, so a user
 * fixes them all in one go. Nothing here creates resources.
 */
export function loadSettings(lookup: ConfigLookup, options: LoadOptions = {}): StackSettings {
    const problems: string[] = [];
    const settings: StackSettings = { ...parsePlain(lookup, problems), secrets: parseSecrets(lookup, problems) };
    problems.push(...crossProblems(settings, options.now ?? new Date()));

    const unknown = unknownSettingsProblems(options.configuredKeys ?? []);
    if (settings.allowUnknownSettings) for (const message of unknown) options.warn?.(message);
    else problems.push(...unknown);

    if (problems.length > 0) throw new SettingsError(inReferenceOrder(problems));
    return settings;
}

/** Only the named settings: what a component gets, so it cannot come to depend on the rest unseen. */
export function pickSettings<K extends keyof PlainSettings>(settings: PlainSettings, keys: readonly K[]): Pick<PlainSettings, K> {
    return Object.fromEntries(keys.map((key) => [key, settings[key]])) as Pick<PlainSettings, K>;
}

/**
 * Address clients on this machine use to reach a published port. An IP literal, not `localhost`:
 * Docker publishes on IPv4 only, and `localhost` may resolve to ::1 first (macOS, Node ≥ 17).
 */
export function hostForClients(settings: Pick<PlainSettings, "bindAddress">): string {
    return settings.bindAddress === "0.0.0.0" ? "127.0.0.1" : settings.bindAddress;
}

/** Host Claude Code uses to reach the collector: the configured name (a shared host), else this machine. */
export function collectorHostForClients(settings: Pick<PlainSettings, "bindAddress" | "collectorHost">): string {
    return settings.collectorHost !== "" ? settings.collectorHost : hostForClients(settings);
}

/** The receiver serves TLS when a certificate is configured (validation makes sure the key comes with it). */
export function receiverUsesTls(settings: { secrets: Pick<Record<SecretKey, string>, "collectorTlsCert"> }): boolean {
    return settings.secrets.collectorTlsCert !== "";
}

/**
 * The collector's receiver requires a bearer token when one is configured, and always when it is
 * published beyond this machine: otherwise anyone on the network could write (and inflate) the
 * team's cost data.
 */
export function receiverRequiresToken(settings: Pick<PlainSettings, "bindAddress"> & { secrets: Pick<Record<SecretKey, string>, "collectorToken"> }): boolean {
    return settings.secrets.collectorToken !== "" || !isLoopback(settings.bindAddress);
}
