/**
 * Typed stack settings: defaults, parsing and validation.
 *
 * Every plain setting is a flat Pulumi config key declared in Pulumi.yaml with the same default as
 * `DEFAULTS` below (a test keeps the two in step). The secrets (`SECRET_KEYS`) are not declared
 * there: the Pulumi CLI refuses a project key that is `secret: true` with a default before the
 * program runs, and one without a default as missing (pulumi/pulumi v3.276.0,
 * pkg/workspace/config.go), so an optional secret cannot be declared at all. Validation collects
 * every problem before any resource is created, and each message names the setting and the fix.
 */
import { closest } from "fastest-levenshtein";
import { TEAM_METRICS_BACKENDS, type TeamMetricsBackend, recordingWriteProblem } from "./recordingWriter";
import { receiverTlsProblems } from "./tls";

/** How identity attributes (`user.email`, account ids) are treated before storage. */
export type PrivacyMode = "hash" | "drop" | "keep";
export const PRIVACY_MODES: readonly PrivacyMode[] = ["hash", "drop", "keep"];

/** OTLP protocol Claude Code uses to reach the collector. */
export type ClientProtocol = "grpc" | "http/protobuf";
export const CLIENT_PROTOCOLS: readonly ClientProtocol[] = ["grpc", "http/protobuf"];

/** Metric temporality Claude Code exports. */
export type ClientTemporality = "cumulative" | "delta";
export const CLIENT_TEMPORALITIES: readonly ClientTemporality[] = ["cumulative", "delta"];

/** Where the data lives: this machine's own Prometheus, Loki and Grafana, or a team's existing ones. */
export type StackMode = "local" | "team";
export const STACK_MODES: readonly StackMode[] = ["local", "team"];

/** How the collector writes metrics to a team's Prometheus-compatible backend. */
export type MetricsProtocol = "remote_write" | "otlp";
export const METRICS_PROTOCOLS: readonly MetricsProtocol[] = ["remote_write", "otlp"];

/** How the stack authenticates to a team backend: none, basic auth (user + token) or a bearer token. */
export type BackendAuth = { kind: "none" } | { kind: "basic"; user: string } | { kind: "bearer" };

/** Basic auth with a user; a bearer token without one; nothing when there is no token. */
export function backendAuth(user: string, token: string): BackendAuth {
    if (user !== "") return { kind: "basic", user };
    return token !== "" ? { kind: "bearer" } : { kind: "none" };
}

/** Plain (non-secret) settings with their defaults. Keys are the Pulumi config keys. */
export const DEFAULTS = {
    /** local: run Prometheus, Loki and Grafana here; team: only the collector, writing to existing backends. */
    mode: "local" as StackMode,
    /** Host address every published port binds to. */
    bindAddress: "127.0.0.1",
    grafanaPort: 3000,
    prometheusPort: 9090,
    lokiPort: 3100,
    otlpGrpcPort: 4317,
    otlpHttpPort: 4318,
    collectorHealthPort: 13133,
    collectorImage: "otel/opentelemetry-collector-contrib:0.158.0",
    prometheusImage: "prom/prometheus:v3.15.0",
    lokiImage: "grafana/loki:3.7.7",
    grafanaImage: "grafana/grafana:13.0.1",
    /** Prometheus keeps samples this long ... */
    metricsRetentionTime: "90d",
    /** ... or until the TSDB reaches this size, whichever comes first. */
    metricsRetentionSize: "10GB",
    /** Loki deletes log lines older than this (whole days). */
    logsRetention: "30d",
    /** How often Prometheus scrapes the collector. */
    scrapeInterval: "10s",
    /** How long the collector keeps an idle series (delta state and exported value). */
    collectorSeriesTtl: "6h",
    privacyMode: "hash" as PrivacyMode,
    keepDataOnDestroy: true,
    collectorMemoryMb: 512,
    prometheusMemoryMb: 2048,
    lokiMemoryMb: 1024,
    grafanaMemoryMb: 512,
    grafanaAdminUser: "admin",
    grafanaAnonymousViewer: false,
    clientProtocol: "grpc" as ClientProtocol,
    clientTemporality: "delta" as ClientTemporality,
    clientMetricExportIntervalMs: 10000,
    clientLogsExportIntervalMs: 5000,
    /** Budgets as "<period> <scope> <USD>": period daily|monthly (UTC), scope total|user|team. */
    budgets: ["daily total 25", "monthly total 500"] as string[],
    budgetWarningPercent: 80,
    budgetCriticalPercent: 100,
    /** Label carrying the team (an OTEL_RESOURCE_ATTRIBUTES key, dots as underscores). */
    teamLabel: "team",
    costSpikeFactor: 3,
    costSpikeMinUsd: 5,
    tokenBurnPerHour: 2000000,
    cacheHitRateMinPercent: 50,
    apiErrorRateMaxPercent: 10,
    alertEmails: [] as string[],
    smtpHost: "",
    smtpUser: "",
    smtpFromAddress: "grafana@localhost",
    /** Host name Claude Code uses to reach the collector ("" = this machine: the bind address, or 127.0.0.1). */
    collectorHost: "",
    /** CA certificate (PEM) clients verify the receiver's TLS certificate with ("" = their system's trusted roots). */
    collectorTlsCa: "",
    /** Let the receiver listen beyond loopback without TLS (its token and every event then cross the network in clear). */
    collectorAllowPlaintext: false,
    /** Team mode: the existing Grafana that receives the dashboards, rules and alerts. */
    teamGrafanaUrl: "",
    /** Team mode: remote_write (Prometheus, Mimir, Grafana Cloud) or otlp (an OTLP/HTTP metrics endpoint). */
    teamMetricsProtocol: "remote_write" as MetricsProtocol,
    /** Team mode: where the collector writes metrics (remote-write URL, or OTLP/HTTP base URL). */
    teamMetricsWriteUrl: "",
    /** Team mode: Prometheus query API base URL that Grafana reads. */
    teamMetricsQueryUrl: "",
    /** Team mode: mimir (Grafana Cloud, Mimir, Cortex) or prometheus; decides where Grafana writes the recorded series. */
    teamMetricsBackend: "mimir" as TeamMetricsBackend,
    /** Team mode: basic-auth user for the metrics backend ("" = bearer token, or no auth without a token). */
    teamMetricsUser: "",
    /** Team mode: basic-auth user the collector writes metrics with, when it differs ("" = teamMetricsUser; Grafana Cloud OTLP: the stack id). */
    teamMetricsWriteUser: "",
    /** Team mode: Loki's OTLP endpoint base URL (…/otlp) the collector writes events to. */
    teamLogsWriteUrl: "",
    /** Team mode: Loki base URL that Grafana reads. */
    teamLogsQueryUrl: "",
    /** Team mode: basic-auth user for Loki ("" = bearer token, or no auth without a token). */
    teamLogsUser: "",
    /** Team mode: how far behind real time the recording rules read; a point the backend gets later is not counted (dashboards lag by as much). */
    teamRecordingDelay: "30s",
    /** Only warn (instead of stopping) about a `claude-code-monitoring:` key the program does not know. */
    allowUnknownSettings: false,
};

export type BudgetPeriod = "daily" | "monthly";
export const BUDGET_PERIODS: readonly BudgetPeriod[] = ["daily", "monthly"];
export type BudgetScope = "total" | "user" | "team";
export const BUDGET_SCOPES: readonly BudgetScope[] = ["total", "user", "team"];

export interface Budget {
    period: BudgetPeriod;
    scope: BudgetScope;
    amountUsd: number;
}

/** Parses budget entries like "monthly user 200"; returns the budgets and one problem per bad entry. */
export function parseBudgets(entries: string[]): { budgets: Budget[]; problems: string[] } {
    const budgets: Budget[] = [];
    const problems: string[] = [];
    entries.forEach((entry, index) => {
        // Names the bad entry's own index, so following the fix replaces that entry and no other.
        const fix = `(fix: pulumi config set --path 'budgets[${index}]' "monthly total 500")`;
        const [period, scope, amount, ...rest] = entry.trim().split(/\s+/);
        const usd = Number(amount);
        if (rest.length > 0 || amount === undefined) {
            problems.push(`budgets: "${entry}" is not "<period> <scope> <USD>" ${fix}`);
        } else if (!(BUDGET_PERIODS as readonly string[]).includes(period)) {
            problems.push(`budgets: "${entry}" has an unknown period "${period}"; use ${BUDGET_PERIODS.join(" or ")} ${fix}`);
        } else if (!(BUDGET_SCOPES as readonly string[]).includes(scope)) {
            problems.push(`budgets: "${entry}" has an unknown scope "${scope}"; use ${BUDGET_SCOPES.join(", ")} ${fix}`);
        } else if (!/^\d+(\.\d+)?$/.test(amount) || !(usd > 0)) {
            problems.push(`budgets: "${entry}" needs an amount in USD greater than 0 ${fix}`);
        } else if (budgets.some((b) => b.period === period && b.scope === scope)) {
            problems.push(`budgets: "${entry}" repeats the ${period} ${scope} budget; keep one (fix: pulumi config rm --path 'budgets[${index}]')`);
        } else {
            budgets.push({ period: period as BudgetPeriod, scope: scope as BudgetScope, amountUsd: usd });
        }
    });
    return { budgets, problems };
}

/** Settings that hold credentials: read as secrets and never echoed in messages. */
export const SECRET_KEYS = [
    "smtpPassword",
    "alertWebhookUrl",
    "slackWebhookUrl",
    /** Bearer token the collector's OTLP receiver requires (generated when empty and the receiver is reachable from the network). */
    "collectorToken",
    /** Certificate chain (PEM, server certificate first) the OTLP receiver serves TLS with. */
    "collectorTlsCert",
    /** Private key (PEM) of that certificate. */
    "collectorTlsKey",
    /** Team mode: Grafana service-account token, or user:password. */
    "teamGrafanaAuth",
    /** Team mode: password or token of the metrics backend. */
    "teamMetricsToken",
    /** Team mode: password or token of Loki. */
    "teamLogsToken",
] as const;
export type SecretKey = (typeof SECRET_KEYS)[number];

export type PlainSettings = typeof DEFAULTS;

/** Everything the program needs, validated. Secrets are kept apart so they can be wrapped. */
export interface StackSettings extends PlainSettings {
    /** The parsed `budgets` entries. */
    parsedBudgets: Budget[];
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
const IMAGE_KEYS = ["collectorImage", "prometheusImage", "lokiImage", "grafanaImage"] as const;
const MEMORY_KEYS = ["collectorMemoryMb", "prometheusMemoryMb", "lokiMemoryMb", "grafanaMemoryMb"] as const;

/** Prometheus duration syntax (also used by Loki): units from years down to milliseconds, in order. */
const DURATION = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
const DURATION_MS = [365 * 86400e3, 7 * 86400e3, 86400e3, 3600e3, 60e3, 1e3, 1];

/** Milliseconds in a Prometheus-style duration such as `90d` or `1h30m`; undefined if unparsable. */
export function parseDuration(text: string): number | undefined {
    const m = DURATION.exec(text);
    if (!m || text === "") return undefined;
    return m.slice(1).reduce((sum, part, i) => sum + (part ? Number(part) * DURATION_MS[i] : 0), 0);
}

/** Bytes in a Prometheus size such as `10GB` or `512MB` (powers of 1024, as Prometheus reads them). */
export function parseSize(text: string): number | undefined {
    const m = /^(\d+)(B|KB|MB|GB|TB|PB|EB)$/.exec(text);
    if (!m) return undefined;
    const power = ["B", "KB", "MB", "GB", "TB", "PB", "EB"].indexOf(m[2]);
    return Number(m[1]) * 1024 ** power;
}

/** True for an image reference with an explicit, immutable-looking version (a tag other than latest, or a digest). */
export function isPinnedImage(ref: string): boolean {
    if (/@sha256:[0-9a-f]{64}$/.test(ref)) return true;
    const lastSegment = ref.split("/").pop() ?? "";
    const tag = lastSegment.includes(":") ? lastSegment.split(":").pop() : undefined;
    return !!tag && tag !== "latest" && /^[\w][\w.-]{0,127}$/.test(tag) && /\d/.test(tag);
}

function isIPv4(text: string): boolean {
    const parts = text.split(".");
    return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

function isHttpUrl(text: string): boolean {
    try {
        const url = new URL(text);
        return (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "";
    } catch {
        return false;
    }
}

const EMAIL = /^[^\s@,;]+@[^\s@,;]+$/;

/** Team-mode endpoints, each with an example for the error message. */
const TEAM_URLS = {
    teamGrafanaUrl: "https://<stack>.grafana.net, or your Grafana's address",
    teamMetricsWriteUrl: "Grafana Cloud https://prometheus-prod-<n>-<region>.grafana.net/api/prom/push, Mimir http://mimir:9009/api/v1/push, or an OTLP base such as https://otlp-gateway-<region>.grafana.net/otlp",
    teamMetricsQueryUrl: "Grafana Cloud https://prometheus-prod-<n>-<region>.grafana.net/api/prom, Mimir http://mimir:9009/prometheus",
    teamLogsWriteUrl: "Grafana Cloud https://logs-prod-<n>.grafana.net/otlp, Loki http://loki:3100/otlp",
    teamLogsQueryUrl: "Grafana Cloud https://logs-prod-<n>.grafana.net, Loki http://loki:3100",
} as const;
type TeamUrlKey = keyof typeof TEAM_URLS;

/** True for an address only this machine can reach. */
export function isLoopback(address: string): boolean {
    return /^127\./.test(address) || address === "::1" || address === "localhost";
}

/** Every key the program reads. */
export const KNOWN_KEYS: readonly string[] = [...Object.keys(DEFAULTS), ...SECRET_KEYS];

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

/**
 * Parses and validates every setting. Throws one SettingsError listing every problem, so a user
 * fixes them all in one go. Nothing here creates resources.
 */
export function loadSettings(lookup: ConfigLookup, options: LoadOptions = {}): StackSettings {
    const problems: string[] = [];
    const set = (key: string, hint: string) => `${key}: ${hint} (fix: pulumi config set ${key} <value>)`;

    const str = <K extends keyof PlainSettings>(key: K): string => {
        const raw = lookup(key);
        return raw === undefined ? String(DEFAULTS[key]) : raw.trim();
    };
    const int = (key: keyof PlainSettings, min: number, max: number, what: string): number => {
        const raw = lookup(key);
        const fallback = DEFAULTS[key] as number;
        if (raw === undefined) return fallback;
        const n = Number(raw.trim());
        if (!/^-?\d+$/.test(raw.trim()) || n < min || n > max) {
            problems.push(set(key, `"${raw}" is not ${what} (a whole number from ${min} to ${max})`));
            return fallback;
        }
        return n;
    };
    const num = (key: keyof PlainSettings, what: string): number => {
        const raw = lookup(key);
        const fallback = DEFAULTS[key] as number;
        if (raw === undefined) return fallback;
        const n = Number(raw.trim());
        if (raw.trim() === "" || !Number.isFinite(n) || n <= 0) {
            problems.push(set(key, `"${raw}" is not ${what} (a number greater than 0)`));
            return fallback;
        }
        return n;
    };
    const bool = (key: keyof PlainSettings): boolean => {
        const raw = lookup(key);
        if (raw === undefined) return DEFAULTS[key] as boolean;
        if (raw.trim() === "true") return true;
        if (raw.trim() === "false") return false;
        problems.push(set(key, `"${raw}" is not a boolean (use true or false)`));
        return DEFAULTS[key] as boolean;
    };
    const oneOf = <T extends string>(key: keyof PlainSettings, allowed: readonly T[]): T => {
        const value = str(key);
        if (!(allowed as readonly string[]).includes(value)) {
            problems.push(set(key, `unknown value "${value}"; use one of ${allowed.map((a) => `"${a}"`).join(", ")}`));
            return DEFAULTS[key] as T;
        }
        return value as T;
    };
    const duration = (key: keyof PlainSettings, minMs: number, extra?: (ms: number) => string | undefined): string => {
        const value = str(key);
        const ms = parseDuration(value);
        if (ms === undefined || ms < minMs) {
            problems.push(
                set(key, ms === undefined
                    ? `"${value}" is not a duration; write it like 90d, 12h or 1h30m (units y w d h m s ms, largest first)`
                    : `"${value}" is shorter than the minimum of ${formatMs(minMs)}`),
            );
            return String(DEFAULTS[key]);
        }
        const extraProblem = extra?.(ms);
        if (extraProblem) {
            problems.push(set(key, `"${value}" ${extraProblem}`));
            return String(DEFAULTS[key]);
        }
        return value;
    };
    const list = (key: keyof PlainSettings): string[] => {
        const raw = lookup(key);
        if (raw === undefined || raw.trim() === "") return [...(DEFAULTS[key] as string[])];
        try {
            const parsed: unknown = JSON.parse(raw);
            if (Array.isArray(parsed) && parsed.every((x) => typeof x === "string")) return parsed.map((x) => x.trim());
        } catch {
            // fall through to the message below
        }
        problems.push(`${key}: "${raw}" is not a list of strings (fix: pulumi config rm ${key}, then pulumi config set --path '${key}[0]' <value>)`);
        return [];
    };

    const bindAddress = str("bindAddress");
    if (!isIPv4(bindAddress)) {
        problems.push(set("bindAddress", `"${bindAddress}" is not an IPv4 address; use 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)`));
    }

    const ports = {} as Record<(typeof PORT_KEYS)[number], number>;
    for (const key of PORT_KEYS) ports[key] = int(key, 1, 65535, "a TCP port");
    const byPort = new Map<number, string[]>();
    for (const key of PORT_KEYS) byPort.set(ports[key], [...(byPort.get(ports[key]) ?? []), key]);
    for (const [port, keys] of byPort) {
        if (keys.length > 1) {
            problems.push(`${keys.join(" and ")}: all set to port ${port}; give each service its own port (fix: pulumi config set ${keys[1]} <free port>)`);
        }
    }

    const images = {} as Record<(typeof IMAGE_KEYS)[number], string>;
    for (const key of IMAGE_KEYS) {
        images[key] = str(key);
        if (!isPinnedImage(images[key])) {
            problems.push(set(key, `"${images[key]}" is not pinned; name an exact version such as ${DEFAULTS[key]} (no :latest, no missing tag)`));
        }
    }

    const memory = {} as Record<(typeof MEMORY_KEYS)[number], number>;
    for (const key of MEMORY_KEYS) memory[key] = int(key, 128, 65536, "a memory limit in MB");

    const metricsRetentionTime = duration("metricsRetentionTime", 3600e3);
    const metricsRetentionSize = str("metricsRetentionSize");
    if (parseSize(metricsRetentionSize) === undefined || parseSize(metricsRetentionSize) === 0) {
        problems.push(set("metricsRetentionSize", `"${metricsRetentionSize}" is not a size; write it like 10GB or 512MB (units B KB MB GB TB PB EB)`));
    }
    const logsRetention = duration("logsRetention", 86400e3, (ms) =>
        ms % 86400e3 === 0 ? undefined : "is not a whole number of days; Loki deletes by 24h index period (use e.g. 30d or 720h)",
    );
    const scrapeInterval = duration("scrapeInterval", 1e3, (ms) => (ms > 300e3 ? "is longer than 5m; Prometheus would treat series as stale between scrapes" : undefined));
    const collectorSeriesTtl = duration("collectorSeriesTtl", 300e3);
    const teamRecordingDelay = duration("teamRecordingDelay", 30e3, (ms) =>
        ms > 1800e3 ? "is longer than 30m; every team dashboard and budget alert would lag by as much" : ms % 1000 !== 0 ? "is not a whole number of seconds" : undefined,
    );

    const clientMetricExportIntervalMs = int("clientMetricExportIntervalMs", 1000, 600000, "an export interval in milliseconds");
    const clientLogsExportIntervalMs = int("clientLogsExportIntervalMs", 1000, 600000, "an export interval in milliseconds");

    const budgetEntries = list("budgets");
    const { budgets: parsedBudgets, problems: budgetProblems } = parseBudgets(budgetEntries);
    problems.push(...budgetProblems);
    const budgetWarningPercent = int("budgetWarningPercent", 1, 1000, "a percentage of the budget");
    const budgetCriticalPercent = int("budgetCriticalPercent", 1, 1000, "a percentage of the budget");
    if (budgetWarningPercent >= budgetCriticalPercent) {
        problems.push(`budgetWarningPercent and budgetCriticalPercent: the warning level (${budgetWarningPercent}%) must be below the critical level (${budgetCriticalPercent}%) (fix: pulumi config set budgetWarningPercent 80)`);
    }
    const teamLabel = str("teamLabel");
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(teamLabel)) {
        problems.push(set("teamLabel", `"${teamLabel}" is not a Prometheus label name; write the attribute key with dots as underscores (team.id → team_id)`));
    }

    const alertEmails = list("alertEmails");
    alertEmails.forEach((email, index) => {
        if (!EMAIL.test(email)) problems.push(`alertEmails: "${email}" is not an email address (fix: pulumi config set --path 'alertEmails[${index}]' you@example.com)`);
    });
    const smtpHost = str("smtpHost");
    if (alertEmails.length > 0 && smtpHost === "") {
        problems.push(set("smtpHost", "is empty but alertEmails is set; Grafana cannot send email without an SMTP server (host:port, e.g. smtp.example.com:587)"));
    }
    if (smtpHost !== "" && !/^[A-Za-z0-9.-]+:\d{1,5}$/.test(smtpHost)) {
        problems.push(set("smtpHost", `"${smtpHost}" is not host:port (e.g. smtp.example.com:587)`));
    }
    const smtpFromAddress = str("smtpFromAddress");
    if (!EMAIL.test(smtpFromAddress)) problems.push(set("smtpFromAddress", `"${smtpFromAddress}" is not an email address`));

    const secrets = Object.fromEntries(SECRET_KEYS.map((key) => [key, (lookup(key) ?? "").trim()])) as Record<SecretKey, string>;
    for (const key of ["alertWebhookUrl", "slackWebhookUrl"] as const) {
        // The value is a secret: the message says what is wrong without repeating it.
        if (secrets[key] !== "" && !isHttpUrl(secrets[key])) {
            problems.push(`${key}: the value is not an http(s) URL (fix: pulumi config set --secret ${key} https://…)`);
        }
    }

    const mode = oneOf("mode", STACK_MODES);
    const teamUrls = {} as Record<TeamUrlKey, string>;
    for (const key of Object.keys(TEAM_URLS) as TeamUrlKey[]) {
        teamUrls[key] = str(key);
        if (teamUrls[key] !== "" && !isHttpUrl(teamUrls[key])) {
            problems.push(set(key, `"${teamUrls[key]}" is not an http(s) URL (e.g. ${TEAM_URLS[key]})`));
        } else if (mode === "team" && teamUrls[key] === "") {
            problems.push(set(key, `is required when mode is team (e.g. ${TEAM_URLS[key]})`));
        } else if (mode === "local" && teamUrls[key] !== "") {
            problems.push(`${key}: is only used when mode is team, but mode is local (fix: pulumi config set mode team, or pulumi config rm ${key})`);
        }
    }
    if (mode === "team" && secrets.teamGrafanaAuth === "") {
        problems.push("teamGrafanaAuth: is required when mode is team: a Grafana service-account token with the Admin role (or user:password) (fix: pulumi config set --secret teamGrafanaAuth glsa_…)");
    }
    for (const [userKey, tokenKey] of [["teamMetricsUser", "teamMetricsToken"], ["teamMetricsWriteUser", "teamMetricsToken"], ["teamLogsUser", "teamLogsToken"]] as const) {
        if (str(userKey) !== "" && secrets[tokenKey] === "") {
            problems.push(`${tokenKey}: is empty but ${userKey} is set; basic auth needs both (fix: pulumi config set --secret ${tokenKey} <password or token>)`);
        }
    }
    const teamMetricsBackend = oneOf("teamMetricsBackend", TEAM_METRICS_BACKENDS);
    if (mode === "team" && isHttpUrl(teamUrls.teamMetricsQueryUrl)) {
        const problem = recordingWriteProblem(teamMetricsBackend, teamUrls.teamMetricsQueryUrl);
        if (problem) problems.push(problem);
    }
    const collectorHost = str("collectorHost");
    if (collectorHost !== "" && !/^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/.test(collectorHost)) {
        problems.push(set("collectorHost", `"${collectorHost}" is not a host name or IPv4 address (e.g. otel.team.example.com)`));
    }
    // A secret: the message says what is wrong without repeating it.
    if (secrets.collectorToken !== "" && !/^[A-Za-z0-9._~+/=-]{16,256}$/.test(secrets.collectorToken)) {
        problems.push("collectorToken: must be 16-256 characters of letters, digits and ._~+/=- (it travels in an HTTP header) (fix: pulumi config set --secret collectorToken \"$(openssl rand -hex 24)\")");
    }

    const collectorTlsCa = str("collectorTlsCa");
    const collectorAllowPlaintext = bool("collectorAllowPlaintext");
    const tls = { cert: secrets.collectorTlsCert, key: secrets.collectorTlsKey, ca: collectorTlsCa };
    problems.push(...receiverTlsProblems(tls, collectorHostForClients({ bindAddress, collectorHost }), options.now ?? new Date()));
    if (!isLoopback(bindAddress) && tls.cert === "" && tls.key === "" && !collectorAllowPlaintext) {
        problems.push(
            `collectorTlsCert: is required when bindAddress is ${bindAddress} (beyond this machine): without TLS the receiver's token and every event cross the network in clear ` +
                "(fix: pulumi config set --secret collectorTlsCert < fullchain.pem and pulumi config set --secret collectorTlsKey < privkey.pem; " +
                "or, on a network you trust, pulumi config set collectorAllowPlaintext true)",
        );
    }

    const grafanaAdminUser = str("grafanaAdminUser");
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(grafanaAdminUser)) {
        problems.push(set("grafanaAdminUser", `"${grafanaAdminUser}" must be 1-64 letters, digits, dots, dashes or underscores`));
    }

    const settings: StackSettings = {
        mode,
        bindAddress,
        ...ports,
        ...images,
        ...memory,
        metricsRetentionTime,
        metricsRetentionSize,
        logsRetention,
        scrapeInterval,
        collectorSeriesTtl,
        privacyMode: oneOf("privacyMode", PRIVACY_MODES),
        keepDataOnDestroy: bool("keepDataOnDestroy"),
        grafanaAdminUser,
        grafanaAnonymousViewer: bool("grafanaAnonymousViewer"),
        clientProtocol: oneOf("clientProtocol", CLIENT_PROTOCOLS),
        clientTemporality: oneOf("clientTemporality", CLIENT_TEMPORALITIES),
        clientMetricExportIntervalMs,
        clientLogsExportIntervalMs,
        budgets: budgetEntries,
        parsedBudgets,
        budgetWarningPercent,
        budgetCriticalPercent,
        teamLabel,
        costSpikeFactor: num("costSpikeFactor", "a factor"),
        costSpikeMinUsd: num("costSpikeMinUsd", "a cost in USD"),
        tokenBurnPerHour: int("tokenBurnPerHour", 1, Number.MAX_SAFE_INTEGER, "a number of tokens per hour"),
        cacheHitRateMinPercent: int("cacheHitRateMinPercent", 0, 100, "a percentage"),
        apiErrorRateMaxPercent: int("apiErrorRateMaxPercent", 0, 100, "a percentage"),
        alertEmails,
        smtpHost,
        smtpUser: str("smtpUser"),
        smtpFromAddress,
        collectorHost,
        collectorTlsCa,
        collectorAllowPlaintext,
        ...teamUrls,
        teamMetricsProtocol: oneOf("teamMetricsProtocol", METRICS_PROTOCOLS),
        teamMetricsBackend,
        teamMetricsUser: str("teamMetricsUser"),
        teamMetricsWriteUser: str("teamMetricsWriteUser"),
        teamLogsUser: str("teamLogsUser"),
        teamRecordingDelay,
        allowUnknownSettings: bool("allowUnknownSettings"),
        secrets,
    };

    const unknown = unknownSettingsProblems(options.configuredKeys ?? []);
    if (settings.allowUnknownSettings) for (const message of unknown) options.warn?.(message);
    else problems.push(...unknown);

    if (problems.length > 0) throw new SettingsError(problems);
    return settings;
}

function formatMs(ms: number): string {
    if (ms % 86400e3 === 0) return `${ms / 86400e3}d`;
    if (ms % 3600e3 === 0) return `${ms / 3600e3}h`;
    if (ms % 60e3 === 0) return `${ms / 60e3}m`;
    return `${ms / 1e3}s`;
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
