/**
 * Every setting, declared once: how its raw config value parses (a zod schema whose messages are
 * what the user reads), its default as Pulumi stores it, and its one line of documentation.
 * `DEFAULTS`, the settings' types, the `config:` block of Pulumi.yaml and the tables in
 * docs/configuration.md are derived from here (`npm run generate` writes the files; a test keeps
 * them current). Checks that involve more than one setting are in settings.ts.
 */
import { z } from "zod";
import { TEAM_METRICS_BACKENDS } from "./recordingWriter";

export const PRIVACY_MODES = ["hash", "drop", "keep"] as const;
export const CLIENT_PROTOCOLS = ["grpc", "http/protobuf"] as const;
export const CLIENT_TEMPORALITIES = ["cumulative", "delta"] as const;
export const STACK_MODES = ["local", "team"] as const;
export const METRICS_PROTOCOLS = ["remote_write", "otlp"] as const;
export const BUDGET_PERIODS = ["daily", "monthly"] as const;
export const BUDGET_SCOPES = ["total", "user", "team"] as const;

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

export function isHttpUrl(text: string): boolean {
    try {
        const url = new URL(text);
        return (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "";
    } catch {
        return false;
    }
}

function formatMs(ms: number): string {
    if (ms % 86400e3 === 0) return `${ms / 86400e3}d`;
    if (ms % 3600e3 === 0) return `${ms / 3600e3}h`;
    if (ms % 60e3 === 0) return `${ms / 60e3}m`;
    return `${ms / 1e3}s`;
}

const EMAIL = /^[^\s@,;]+@[^\s@,;]+$/;

// ---- Parsers from the raw config string. Each message is a hint; loadSettings prefixes the key
// ---- and, unless the hint names its own fix, appends `(fix: pulumi config set <key> <value>)`.

/** The message for any failure of a check, from the value it saw. */
const says = (message: (value: string) => string) => ({ error: (issue: { input?: unknown }) => message(String(issue.input)) });

const text = () => z.string().trim();
const matching = (pattern: RegExp, message: (value: string) => string) => text().regex(pattern, says(message));

const whole = (min: number, max: number, what: string) =>
    text()
        .refine((v) => /^-?\d+$/.test(v) && Number(v) >= min && Number(v) <= max, says((v) => `"${v}" is not ${what} (a whole number from ${min} to ${max})`))
        .transform(Number);

/** The Pulumi.yaml type of a schema whose default's own type would be wrong (read by settingsReference.ts). */
export const PULUMI_TYPES = z.registry<{ pulumiType: "string" }>();

/**
 * A number that may have a fraction. Pulumi's project schema has integer but no decimal type, and the CLI
 * rejects `2.5` for an integer before the program runs (ValidateConfigValue in
 * sdk/go/common/workspace/project.go, pulumi/pulumi v3.276.0), so Pulumi.yaml declares these as strings.
 */
const positive = (what: string) =>
    text()
        .refine((v) => v !== "" && Number(v) > 0 && Number.isFinite(Number(v)), says((v) => `"${v}" is not ${what} (a number greater than 0)`))
        .transform(Number)
        .register(PULUMI_TYPES, { pulumiType: "string" });

const flag = () =>
    text()
        .pipe(z.enum(["true", "false"], says((v) => `"${v}" is not a boolean (use true or false)`)))
        .transform((v) => v === "true");

const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
    text().pipe(z.enum(values, says((v) => `unknown value "${v}"; use one of ${values.map((a) => `"${a}"`).join(", ")}`)));

/** A duration of at least `minMs`, with an optional further rule that returns what is wrong. */
const duration = (minMs: number, rule?: (ms: number) => string | undefined) =>
    text().superRefine((value, ctx) => {
        const ms = parseDuration(value);
        const problem =
            ms === undefined
                ? "is not a duration; write it like 90d, 12h or 1h30m (units y w d h m s ms, largest first)"
                : ms < minMs
                  ? `is shorter than the minimum of ${formatMs(minMs)}`
                  : rule?.(ms);
        if (problem) ctx.addIssue({ code: "custom", message: `"${value}" ${problem}` });
    });

function isIPv4(text: string): boolean {
    const parts = text.split(".");
    return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

const port = () => whole(1, 65535, "a TCP port");
const memoryMb = () => whole(128, 65536, "a memory limit in MB");
const percent = () => whole(0, 100, "a percentage");
const budgetPercent = () => whole(1, 1000, "a percentage of the budget");
const exportIntervalMs = () => whole(1000, 600000, "an export interval in milliseconds");

export type BudgetPeriod = (typeof BUDGET_PERIODS)[number];
export type BudgetScope = (typeof BUDGET_SCOPES)[number];
export interface Budget {
    period: BudgetPeriod;
    scope: BudgetScope;
    amountUsd: number;
}

/** Parses budget entries like "monthly user 200"; returns the budgets and one hint per bad entry. */
export function parseBudgets(entries: readonly string[]): { value: Budget[]; problems: string[] } {
    const value: Budget[] = [];
    const problems: string[] = [];
    entries.forEach((entry, index) => {
        // Names the bad entry's own index, so following the fix replaces that entry and no other.
        const fix = `(fix: pulumi config set --path 'budgets[${index}]' "monthly total 500")`;
        const [period, scope, amount, ...rest] = entry.trim().split(/\s+/);
        const usd = Number(amount);
        if (rest.length > 0 || amount === undefined) problems.push(`"${entry}" is not "<period> <scope> <USD>" ${fix}`);
        else if (!(BUDGET_PERIODS as readonly string[]).includes(period)) problems.push(`"${entry}" has an unknown period "${period}"; use ${BUDGET_PERIODS.join(" or ")} ${fix}`);
        else if (!(BUDGET_SCOPES as readonly string[]).includes(scope)) problems.push(`"${entry}" has an unknown scope "${scope}"; use ${BUDGET_SCOPES.join(", ")} ${fix}`);
        else if (!/^\d+(\.\d+)?$/.test(amount) || !(usd > 0)) problems.push(`"${entry}" needs an amount in USD greater than 0 ${fix}`);
        else if (value.some((b) => b.period === period && b.scope === scope)) problems.push(`"${entry}" repeats the ${period} ${scope} budget; keep one (fix: pulumi config rm --path 'budgets[${index}]')`);
        else value.push({ period: period as BudgetPeriod, scope: scope as BudgetScope, amountUsd: usd });
    });
    return { value, problems };
}

/** Email addresses, each checked with a fix that names its index. */
function parseEmails(entries: readonly string[]): { value: string[]; problems: string[] } {
    const problems = entries.flatMap((email, index) =>
        EMAIL.test(email) ? [] : [`"${email}" is not an email address (fix: pulumi config set --path 'alertEmails[${index}]' you@example.com)`],
    );
    return { value: [...entries], problems };
}

/**
 * A JSON list of strings, as Pulumi stores a list set with `--path 'key[0]'` (empty means the
 * default), whose entries `parse` reads. `{key}` in a hint stands for the setting's name.
 */
const list = <T>(parse: (entries: string[]) => { value: T; problems: string[] }) =>
    z.string().transform((raw, ctx): T => {
        let parsed: unknown;
        try {
            parsed = JSON.parse(raw);
        } catch {
            // not JSON: reported below
        }
        if (!Array.isArray(parsed) || !parsed.every((x) => typeof x === "string")) {
            ctx.addIssue({ code: "custom", message: `"${raw}" is not a list of strings (fix: pulumi config rm {key}, then pulumi config set --path '{key}[0]' <value>)` });
            return z.NEVER;
        }
        const { value, problems } = parse(parsed.map((x) => x.trim()));
        for (const message of problems) ctx.addIssue({ code: "custom", message });
        return value;
    });

/** Team-mode endpoints; the example goes into the message when one is missing or malformed. */
const teamUrl = (example: string) => text().refine((v) => v === "" || isHttpUrl(v), says((v) => `"${v}" is not an http(s) URL (e.g. ${example})`));

/** A raw config default, as Pulumi.yaml declares it. */
export type ConfigValue = string | number | boolean | string[];

/** One plain setting. `section` starts a group in Pulumi.yaml. */
export interface SettingSpec<S extends z.ZodType<unknown, string> = z.ZodType<unknown, string>> {
    schema: S;
    default: ConfigValue;
    doc: string;
    section?: string;
}

/** An image setting: pinned to an exact version, its default named in the message. */
const image = (ref: string, doc: string, section?: string) =>
    setting(text().refine(isPinnedImage, says((v) => `"${v}" is not pinned; name an exact version such as ${ref} (no :latest, no missing tag)`)), ref, doc, section);

const setting = <S extends z.ZodType<unknown, string>>(schema: S, defaultValue: ConfigValue, doc: string, section?: string): SettingSpec<S> => ({
    schema,
    default: defaultValue,
    doc,
    section,
});

/** Team-mode endpoints with their examples (settings.ts requires them when mode is team). */
export const TEAM_URL_EXAMPLES = {
    teamGrafanaUrl: "https://<stack>.grafana.net, or your Grafana's address",
    teamMetricsWriteUrl: "Grafana Cloud https://prometheus-prod-<n>-<region>.grafana.net/api/prom/push, Mimir http://mimir:9009/api/v1/push, or an OTLP base such as https://otlp-gateway-<region>.grafana.net/otlp",
    teamMetricsQueryUrl: "Grafana Cloud https://prometheus-prod-<n>-<region>.grafana.net/api/prom, Mimir http://mimir:9009/prometheus",
    teamLogsWriteUrl: "Grafana Cloud https://logs-prod-<n>.grafana.net/otlp, Loki http://loki:3100/otlp",
    teamLogsQueryUrl: "Grafana Cloud https://logs-prod-<n>.grafana.net, Loki http://loki:3100",
} as const;

/** Every plain (non-secret) setting, in the order Pulumi.yaml and the reference list them. */
export const SETTINGS = {
    mode: setting(oneOf(STACK_MODES), "local", "local: run Prometheus, Loki and Grafana on this machine; team: run only the collector and provision an existing Grafana, Prometheus-compatible store and Loki (see Pulumi.team.example.yaml)."),
    bindAddress: setting(
        text().refine(isIPv4, says((v) => `"${v}" is not an IPv4 address; use 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)`)),
        "127.0.0.1",
        "Host address every published port binds to (127.0.0.1 = this machine only; 0.0.0.0 = every interface).",
        "Where things are published",
    ),
    grafanaPort: setting(port(), 3000, "Host port of the Grafana UI."),
    prometheusPort: setting(port(), 9090, "Host port of the Prometheus UI and API."),
    lokiPort: setting(port(), 3100, "Host port of the Loki API."),
    otlpGrpcPort: setting(port(), 4317, "Host port of the collector's OTLP gRPC receiver (where Claude Code sends telemetry)."),
    otlpHttpPort: setting(port(), 4318, "Host port of the collector's OTLP HTTP receiver."),
    collectorHealthPort: setting(port(), 13133, "Host port of the collector's health endpoint (curl it to see the collector is up)."),
    collectorImage: image("otel/opentelemetry-collector-contrib:0.158.0", "OpenTelemetry Collector contrib image, pinned.", "Images (exact versions)"),
    prometheusImage: image("prom/prometheus:v3.15.0", "Prometheus 3.x image, pinned (default busybox variant; its promtool is the healthcheck)."),
    lokiImage: image("grafana/loki:3.7.7", "Loki 3.x image, pinned (3.6.5 or later for the built-in health probe)."),
    grafanaImage: image("grafana/grafana:13.0.1", "Grafana image, pinned to a version the Grafana provider's CI tests (Alpine variant; wget is the healthcheck)."),
    metricsRetentionTime: setting(duration(3600e3), "90d", "Prometheus deletes samples older than this (duration, e.g. 90d, 26w).", "Retention"),
    metricsRetentionSize: setting(
        text().refine((v) => (parseSize(v) ?? 0) > 0, says((v) => `"${v}" is not a size; write it like 10GB or 512MB (units B KB MB GB TB PB EB)`)),
        "10GB",
        "Prometheus deletes the oldest blocks once the TSDB is larger than this (e.g. 10GB, 512MB).",
    ),
    logsRetention: setting(
        duration(86400e3, (ms) => (ms % 86400e3 === 0 ? undefined : "is not a whole number of days; Loki deletes by 24h index period (use e.g. 30d or 720h)")),
        "30d",
        "Loki deletes events older than this (whole days, at least 1d).",
    ),
    scrapeInterval: setting(
        duration(1e3, (ms) => (ms > 300e3 ? "is longer than 5m; Prometheus would treat series as stale between scrapes" : undefined)),
        "10s",
        "How often Prometheus scrapes the collector and evaluates rules.",
    ),
    collectorSeriesTtl: setting(duration(300e3), "6h", "How long the collector remembers an idle series (delta-to-cumulative state and exported value); at least 5m."),
    privacyMode: setting(oneOf(PRIVACY_MODES), "hash", "What the collector does with user.email and account ids before storage: hash (SHA-256), drop, or keep.", "Privacy"),
    keepDataOnDestroy: setting(flag(), true, "Keep the Prometheus, Loki and Grafana data volumes on `pulumi destroy` (false deletes them).", "Data and resources"),
    collectorMemoryMb: setting(memoryMb(), 512, "Memory limit of the collector container in MB (its memory_limiter and GOMEMLIMIT follow it)."),
    prometheusMemoryMb: setting(memoryMb(), 2048, "Memory limit of the Prometheus container in MB."),
    lokiMemoryMb: setting(memoryMb(), 1024, "Memory limit of the Loki container in MB."),
    grafanaMemoryMb: setting(memoryMb(), 512, "Memory limit of the Grafana container in MB."),
    grafanaAdminUser: setting(
        matching(/^[A-Za-z0-9._-]{1,64}$/, (v) => `"${v}" must be 1-64 letters, digits, dots, dashes or underscores`),
        "admin",
        "Grafana admin login (its password is generated and exported as a secret).",
        "Grafana",
    ),
    grafanaAnonymousViewer: setting(flag(), false, "Let anyone who can reach Grafana view dashboards without logging in (read-only Viewer role)."),
    clientProtocol: setting(oneOf(CLIENT_PROTOCOLS), "grpc", "OTLP protocol Claude Code uses: grpc or http/protobuf.", "Claude Code client settings (stack outputs)"),
    clientTemporality: setting(
        oneOf(CLIENT_TEMPORALITIES),
        "delta",
        "Metric temporality Claude Code exports: delta (loses only exports it cannot deliver while the collector is down) or cumulative (resends its totals, but counts a session's earlier growth twice after a collector outage over 15 minutes).",
    ),
    clientMetricExportIntervalMs: setting(exportIntervalMs(), 10000, "How often Claude Code exports metrics, in ms (matches the scrape interval for a live dashboard)."),
    clientLogsExportIntervalMs: setting(exportIntervalMs(), 5000, "How often Claude Code exports events, in ms."),
    budgets: setting(
        list(parseBudgets),
        ["daily total 25", "monthly total 500"],
        'Budgets as "<period> <scope> <USD>": period daily or monthly (UTC calendar), scope total, user or team; e.g. "monthly user 200".',
        "Alerts",
    ),
    budgetWarningPercent: setting(budgetPercent(), 80, "Warn when spend passes this percentage of a budget."),
    budgetCriticalPercent: setting(budgetPercent(), 100, "Critical alert when spend passes this percentage of a budget (must be above the warning level)."),
    teamLabel: setting(
        matching(/^[a-zA-Z_][a-zA-Z0-9_]*$/, (v) => `"${v}" is not a Prometheus label name; write the attribute key with dots as underscores (team.id → team_id)`),
        "team",
        "Label that names a team (an OTEL_RESOURCE_ATTRIBUTES key, dots as underscores), for team filters and budgets.",
    ),
    costSpikeFactor: setting(positive("a factor"), 3, "Alert when the last hour's cost exceeds this many times the 7-day hourly average ..."),
    costSpikeMinUsd: setting(positive("a cost in USD"), 5, "... and is above this many USD."),
    tokenBurnPerHour: setting(whole(1, Number.MAX_SAFE_INTEGER, "a number of tokens per hour"), 2000000, "Alert when one user's non-cached tokens (input, output, cache creation) in an hour exceed this."),
    cacheHitRateMinPercent: setting(percent(), 50, "Alert when the prompt-cache hit rate over 6 hours falls below this percentage."),
    apiErrorRateMaxPercent: setting(percent(), 10, "Alert when more than this percentage of API calls fail (after Claude Code's retries) over 15 minutes."),
    alertEmails: setting(list(parseEmails), [], "Email addresses for alert notifications (needs smtpHost)."),
    smtpHost: setting(matching(/^$|^[A-Za-z0-9.-]+:\d{1,5}$/, (v) => `"${v}" is not host:port (e.g. smtp.example.com:587)`), "", "SMTP server as host:port for email notifications."),
    smtpUser: setting(text(), "", "SMTP user name."),
    smtpFromAddress: setting(matching(EMAIL, (v) => `"${v}" is not an email address`), "grafana@localhost", "Sender address of alert emails."),
    collectorHost: setting(
        matching(/^$|^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/, (v) => `"${v}" is not a host name or IPv4 address (e.g. otel.team.example.com)`),
        "",
        "Host name Claude Code uses to reach the collector, for a collector on a shared host (empty = this machine).",
        "Collector reachability and team mode",
    ),
    collectorTlsCa: setting(text(), "", "CA certificate (PEM) clients verify the receiver's TLS certificate with (empty = their system's trusted roots). Set it with pulumi config set collectorTlsCa < ca.pem."),
    collectorAllowPlaintext: setting(flag(), false, "Let the collector's receiver listen beyond loopback without TLS (its token and every event then cross the network in clear)."),
    teamGrafanaUrl: setting(teamUrl(TEAM_URL_EXAMPLES.teamGrafanaUrl), "", "Team mode: URL of the existing Grafana (Grafana Cloud or self-hosted)."),
    teamMetricsProtocol: setting(oneOf(METRICS_PROTOCOLS), "remote_write", "Team mode: how the collector writes metrics: remote_write (Prometheus, Mimir, Grafana Cloud) or otlp (OTLP/HTTP)."),
    teamMetricsWriteUrl: setting(teamUrl(TEAM_URL_EXAMPLES.teamMetricsWriteUrl), "", "Team mode: remote-write URL (…/api/prom/push, …/api/v1/push) or OTLP/HTTP base URL (…/otlp) for metrics."),
    teamMetricsQueryUrl: setting(teamUrl(TEAM_URL_EXAMPLES.teamMetricsQueryUrl), "", "Team mode: Prometheus query API base URL for Grafana (Grafana Cloud …/api/prom, Mimir …/prometheus)."),
    teamMetricsBackend: setting(
        oneOf(TEAM_METRICS_BACKENDS),
        "mimir",
        "Team mode: the metrics store, mimir (Grafana Cloud, Mimir, Cortex) or prometheus (with --web.enable-remote-write-receiver); decides where Grafana writes the recorded series.",
    ),
    teamMetricsUser: setting(text(), "", "Team mode: basic-auth user of the metrics backend (Grafana Cloud: the instance id); empty = bearer token."),
    teamMetricsWriteUser: setting(
        text(),
        "",
        "Team mode: basic-auth user the collector writes metrics with, when it differs from teamMetricsUser (Grafana Cloud OTLP gateway: the stack id); empty = teamMetricsUser.",
    ),
    teamLogsWriteUrl: setting(teamUrl(TEAM_URL_EXAMPLES.teamLogsWriteUrl), "", "Team mode: Loki's OTLP endpoint base URL (…/otlp) for events."),
    teamLogsQueryUrl: setting(teamUrl(TEAM_URL_EXAMPLES.teamLogsQueryUrl), "", "Team mode: Loki base URL for Grafana."),
    teamLogsUser: setting(text(), "", "Team mode: basic-auth user of Loki (Grafana Cloud: the instance id); empty = bearer token."),
    teamRecordingDelay: setting(
        duration(30e3, (ms) =>
            ms > 1800e3 ? "is longer than 30m; every team dashboard and budget alert would lag by as much" : ms % 1000 !== 0 ? "is not a whole number of seconds" : undefined,
        ),
        "30s",
        "Team mode: how far behind real time the recording rules read (30s to 30m). A point the backend receives later than this after the collector stamped it (the backend was unreachable) is not counted; the dashboards and budget alerts lag by as much.",
    ),
    allowUnknownSettings: setting(
        flag(),
        false,
        "Only warn (instead of stopping before any change) when the stack sets a claude-code-monitoring key the program does not know, such as a misspelled one.",
        "Checks",
    ),
} satisfies Record<string, SettingSpec>;

/** One secret: what it is, how to set it, and the check its value must pass (the message never repeats the value). */
export interface SecretSpec {
    doc: string;
    example: string;
    check?: (value: string) => string | undefined;
}

const httpUrlSecret = (key: string) => (value: string) => (isHttpUrl(value) ? undefined : `the value is not an http(s) URL (fix: pulumi config set --secret ${key} https://…)`);

/**
 * Settings that hold credentials: read as secrets and never echoed in messages. They are not
 * declared in Pulumi.yaml: the Pulumi CLI refuses a project key that is `secret: true` with a
 * default before the program runs, and one without a default as missing (pulumi/pulumi v3.276.0,
 * pkg/workspace/config.go), so an optional secret cannot be declared at all.
 */
export const SECRETS = {
    smtpPassword: { doc: "SMTP password for alert email", example: "'<password>'" },
    alertWebhookUrl: { doc: "webhook URL that receives alert notifications", example: "https://…", check: httpUrlSecret("alertWebhookUrl") },
    slackWebhookUrl: { doc: "Slack incoming-webhook URL for alert notifications", example: "https://hooks.slack.com/services/…", check: httpUrlSecret("slackWebhookUrl") },
    collectorToken: {
        doc: "bearer token the collector's OTLP receiver requires; generated when empty and `bindAddress` is not loopback",
        example: '"$(openssl rand -hex 24)"',
        check: (value: string) =>
            /^[A-Za-z0-9._~+/=-]{16,256}$/.test(value)
                ? undefined
                : 'must be 16-256 characters of letters, digits and ._~+/=- (it travels in an HTTP header) (fix: pulumi config set --secret collectorToken "$(openssl rand -hex 24)")',
    },
    collectorTlsCert: {
        doc: "certificate chain (PEM, server certificate first) the OTLP receivers serve TLS with; required when `bindAddress` is not loopback, unless `collectorAllowPlaintext`",
        example: "< fullchain.pem",
    },
    collectorTlsKey: { doc: "the certificate's private key (PEM, unencrypted)", example: "< privkey.pem" },
    teamGrafanaAuth: { doc: "team mode: Grafana service-account token with the Admin role, or `user:password`", example: "glsa_…" },
    teamMetricsToken: { doc: "team mode: password or token of the metrics backend, for writing and reading", example: "glc_…" },
    teamLogsToken: { doc: "team mode: password or token of Loki, for writing and reading", example: "glc_…" },
} satisfies Record<string, SecretSpec>;

export type SecretKey = keyof typeof SECRETS;
export const SECRET_KEYS = Object.keys(SECRETS) as SecretKey[];

export type SettingKey = keyof typeof SETTINGS;
/** Every plain setting, parsed. */
export type PlainSettings = { -readonly [K in SettingKey]: z.output<(typeof SETTINGS)[K]["schema"]> };

/** The raw form Pulumi stores a value in (a string; lists as JSON). */
export const rawConfigValue = (value: ConfigValue): string => (Array.isArray(value) ? JSON.stringify(value) : String(value));

/** The plain settings' defaults as Pulumi config values (what Pulumi.yaml declares). */
export const CONFIG_DEFAULTS = Object.fromEntries(Object.entries(SETTINGS).map(([key, spec]) => [key, spec.default])) as Record<SettingKey, ConfigValue>;

/** The plain settings' defaults, parsed (a default that does not pass its own check fails here, at load). */
export const PARSED_DEFAULTS = Object.fromEntries(
    Object.entries(SETTINGS).map(([key, spec]) => [key, (spec.schema as z.ZodType).parse(rawConfigValue(spec.default))]),
) as PlainSettings;
