/**
 * Settings: defaults agree with Pulumi.yaml, and every kind of bad input stops the program with
 * a message that names the setting and the fix.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { DEFAULTS, SECRET_KEYS, SettingsError, isPinnedImage, loadSettings, parseDuration, parseSize } from "../configs/settings";
import { CONFIG_DEFAULTS, type ConfigValue, SETTINGS, rawConfigValue } from "../configs/settingsSchema";

const lookup = (config: Record<string, string>) => (key: string) => config[key];

/** The problems reported for a config, or [] when it is valid. */
function problems(config: Record<string, string>): string[] {
    try {
        loadSettings(lookup(config));
        return [];
    } catch (e) {
        if (e instanceof SettingsError) return e.problems;
        throw e;
    }
}

describe("Pulumi.yaml", () => {
    const project = parse(readFileSync(join(__dirname, "..", "Pulumi.yaml"), "utf8"));
    const declared: Record<string, { type: string; default: unknown; description?: string; secret?: boolean }> = project.config;

    it("declares every plain setting the program reads, each with a type, default and description, and no secret", () => {
        expect(Object.keys(declared).sort()).toEqual(Object.keys(DEFAULTS).sort());
        for (const [key, decl] of Object.entries(declared)) {
            expect(decl.type, key).toMatch(/^(string|integer|boolean|array)$/);
            expect(decl, key).toHaveProperty("default");
            expect(decl.description, key).toMatch(/\S{3,}/);
        }
    });

    it("has the same defaults as the program (mocks do not apply Pulumi.yaml defaults)", () => {
        for (const [key, value] of Object.entries(DEFAULTS)) {
            expect(loadSettings(lookup({ [key]: rawConfigValue(declared[key].default as ConfigValue) }))[key as keyof typeof DEFAULTS], key).toEqual(value);
        }
    });

    it("types match the defaults' types, except that a number whose check accepts a fraction is a string (the CLI has no decimal type)", () => {
        const acceptsFraction = (key: string) => SETTINGS[key as keyof typeof SETTINGS].schema.safeParse("0.5").success;
        const typeOf = (key: string, v: unknown) => (Array.isArray(v) ? "array" : typeof v === "number" ? (acceptsFraction(key) ? "string" : "integer") : typeof v);
        for (const [key, value] of Object.entries(CONFIG_DEFAULTS)) expect(declared[key].type, key).toBe(typeOf(key, value));
    });

    it("is documented in docs/configuration.md's table with the same defaults", () => {
        const readme = readFileSync(join(__dirname, "..", "docs", "configuration.md"), "utf8");
        for (const [key, decl] of Object.entries(declared)) {
            const shown = Array.isArray(decl.default)
                ? decl.default.length === 0
                    ? "[]"
                    : decl.default.map((x) => `"${x}"`).join(", ")
                : decl.default === ""
                  ? '""'
                  : String(decl.default);
            expect(readme, key).toContain(`| \`${key}\` | \`${shown}\` |`);
        }
    });

    it("documents every secret in docs/configuration.md with the pulumi config set --secret line that sets it", () => {
        const readme = readFileSync(join(__dirname, "..", "docs", "configuration.md"), "utf8");
        for (const key of SECRET_KEYS) expect(readme, key).toMatch(new RegExp(`\\| \`${key}\` \\| .+ \\| \`pulumi config set --secret ${key} .+\` \\|`));
    });

    it("keeps the local stack free of a cloud login (file backend)", () => {
        expect(project.backend.url).toBe("file://~");
    });
});

describe("valid settings", () => {
    it("accepts an empty config and returns the defaults", () => {
        const s = loadSettings(lookup({}));
        const { secrets, ...plain } = s;
        expect(plain).toEqual(DEFAULTS);
        expect(s.budgets).toEqual([
            { period: "daily", scope: "total", amountUsd: 25 },
            { period: "monthly", scope: "total", amountUsd: 500 },
        ]);
        expect(secrets).toEqual(Object.fromEntries(SECRET_KEYS.map((key) => [key, ""])));
    });

    it("reads values as Pulumi stores them (strings, JSON arrays)", () => {
        const s = loadSettings(
            lookup({
                grafanaPort: "3300",
                keepDataOnDestroy: "false",
                alertEmails: '["a@example.com","b@example.com"]',
                smtpHost: "smtp.example.com:587",
                privacyMode: "drop",
                alertWebhookUrl: "https://hooks.example.com/x",
                logsRetention: "720h",
            }),
        );
        expect(s.grafanaPort).toBe(3300);
        expect(s.keepDataOnDestroy).toBe(false);
        expect(s.alertEmails).toEqual(["a@example.com", "b@example.com"]);
        expect(s.privacyMode).toBe("drop");
        expect(s.secrets.alertWebhookUrl).toBe("https://hooks.example.com/x");
        expect(s.logsRetention).toBe("720h");
    });
});

describe("invalid settings", () => {
    const cases: [string, Record<string, string>, RegExp][] = [
        ["port out of range", { grafanaPort: "70000" }, /^grafanaPort: "70000" is not a TCP port \(a whole number from 1 to 65535\).*pulumi config set grafanaPort/],
        ["port zero", { lokiPort: "0" }, /^lokiPort: "0" is not a TCP port/],
        ["port not a number", { prometheusPort: "http" }, /^prometheusPort: "http" is not a TCP port/],
        ["two services on one port", { prometheusPort: "3000" }, /^grafanaPort and prometheusPort: all set to port 3000; give each service its own port/],
        ["negative retention", { metricsRetentionTime: "-5d" }, /^metricsRetentionTime: "-5d" is not a duration; write it like 90d/],
        ["retention too short", { metricsRetentionTime: "10m" }, /^metricsRetentionTime: "10m" is shorter than the minimum of 1h/],
        ["unparsable size", { metricsRetentionSize: "10 gigs" }, /^metricsRetentionSize: "10 gigs" is not a size; write it like 10GB/],
        ["zero size", { metricsRetentionSize: "0GB" }, /^metricsRetentionSize: "0GB" is not a size/],
        ["logs retention not whole days", { logsRetention: "36h" }, /^logsRetention: "36h" is not a whole number of days/],
        ["logs retention under a day", { logsRetention: "12h" }, /^logsRetention: "12h" is shorter than the minimum of 1d/],
        ["malformed webhook URL", { alertWebhookUrl: "hooks.example.com/abc" }, /^alertWebhookUrl: the value is not an http\(s\) URL \(fix: pulumi config set --secret alertWebhookUrl/],
        ["malformed Slack URL", { slackWebhookUrl: "ftp://x" }, /^slackWebhookUrl: the value is not an http\(s\) URL/],
        ["unknown privacy mode", { privacyMode: "anonymise" }, /^privacyMode: unknown value "anonymise"; use one of "hash", "drop", "keep"/],
        ["unknown protocol", { clientProtocol: "http/json" }, /^clientProtocol: unknown value "http\/json"; use one of "grpc", "http\/protobuf"/],
        ["unknown temporality", { clientTemporality: "lowmemory" }, /^clientTemporality: unknown value "lowmemory"/],
        ["unpinned image", { grafanaImage: "grafana/grafana:latest" }, /^grafanaImage: "grafana\/grafana:latest" is not pinned/],
        ["image without tag", { lokiImage: "grafana/loki" }, /^lokiImage: "grafana\/loki" is not pinned/],
        ["bad bind address", { bindAddress: "localhost" }, /^bindAddress: "localhost" is not an IPv4 address/],
        ["memory too small", { grafanaMemoryMb: "64" }, /^grafanaMemoryMb: "64" is not a memory limit in MB/],
        ["not a boolean", { keepDataOnDestroy: "yes" }, /^keepDataOnDestroy: "yes" is not a boolean \(use true or false\)/],
        ["negative spike minimum", { costSpikeMinUsd: "-10" }, /^costSpikeMinUsd: "-10" is not a cost in USD \(a number greater than 0\)/],
        ["negative budget", { budgets: '["daily total -5"]' }, /^budgets: "daily total -5" needs an amount in USD greater than 0/],
        ["unknown budget period", { budgets: '["weekly total 100"]' }, /^budgets: "weekly total 100" has an unknown period "weekly"; use daily or monthly/],
        ["unknown budget scope", { budgets: '["monthly org 100"]' }, /^budgets: "monthly org 100" has an unknown scope "org"; use total, user, team/],
        ["malformed budget", { budgets: '["500 a month"]' }, /^budgets: "500 a month" is not "<period> <scope> <USD>"|has an unknown period/],
        ["duplicate budget", { budgets: '["daily user 5","daily user 7"]' }, /^budgets: "daily user 7" repeats the daily user budget/],
        ["warning above critical", { budgetWarningPercent: "120", budgetCriticalPercent: "100" }, /^budgetWarningPercent and budgetCriticalPercent: the warning level \(120%\) must be below the critical level \(100%\)/],
        ["bad team label", { teamLabel: "team.id" }, /^teamLabel: "team.id" is not a Prometheus label name/],
        ["percentage over 100", { cacheHitRateMinPercent: "150" }, /^cacheHitRateMinPercent: "150" is not a percentage/],
        ["bad email", { alertEmails: '["not-an-email"]', smtpHost: "smtp.example.com:25" }, /^alertEmails: "not-an-email" is not an email address/],
        ["emails without SMTP", { alertEmails: '["me@example.com"]' }, /^smtpHost: is empty but alertEmails is set/],
        ["emails not a list", { alertEmails: "me@example.com" }, /^alertEmails: "me@example.com" is not a list of strings/],
        ["SMTP host without port", { smtpHost: "smtp.example.com" }, /^smtpHost: "smtp.example.com" is not host:port/],
        ["scrape interval too long", { scrapeInterval: "10m" }, /^scrapeInterval: "10m" is longer than 5m/],
        ["series TTL too short", { collectorSeriesTtl: "1m" }, /^collectorSeriesTtl: "1m" is shorter than the minimum of 5m/],
        ["recording delay too short", { teamRecordingDelay: "10s" }, /^teamRecordingDelay: "10s" is shorter than the minimum of 30s/],
        ["recording delay too long", { teamRecordingDelay: "1h" }, /^teamRecordingDelay: "1h" is longer than 30m; every team dashboard and budget alert would lag by as much/],
        ["recording delay not whole seconds", { teamRecordingDelay: "30s500ms" }, /^teamRecordingDelay: "30s500ms" is not a whole number of seconds/],
        ["export interval too short", { clientMetricExportIntervalMs: "100" }, /^clientMetricExportIntervalMs: "100" is not an export interval in milliseconds/],
        ["bad admin user", { grafanaAdminUser: "ad min" }, /^grafanaAdminUser: "ad min" must be 1-64 letters/],
    ];

    it.each(cases)("%s", (_label, config, message) => {
        const found = problems(config);
        expect(found).toHaveLength(1);
        expect(found[0]).toMatch(message);
    });

    it("reports every problem at once, one line each", () => {
        const found = problems({ grafanaPort: "0", privacyMode: "x", metricsRetentionSize: "big", lokiImage: "grafana/loki:latest" });
        expect(found).toHaveLength(4);
        expect(() => loadSettings(lookup({ grafanaPort: "0", privacyMode: "x" }))).toThrow(/^Invalid stack configuration \(2 problems\):\n {2}- grafanaPort: .*\n {2}- privacyMode: /);
    });

    it("names the bad list entry's own index in the fix, so following it replaces that entry only", () => {
        expect(problems({ budgets: '["daily total 25","monthly org 100"]' })[0]).toMatch(/\(fix: pulumi config set --path 'budgets\[1\]' "monthly total 500"\)$/);
        expect(problems({ budgets: '["daily user 5","monthly total 9","daily user 7"]' })[0]).toMatch(/\(fix: pulumi config rm --path 'budgets\[2\]'\)$/);
        expect(problems({ alertEmails: '["a@example.com","b@","c@example.com"]', smtpHost: "smtp.example.com:587" })[0]).toMatch(
            /\(fix: pulumi config set --path 'alertEmails\[1\]' you@example.com\)$/,
        );
    });

    it("stops on keys the program does not know, naming the nearest setting, and only warns when allowed", () => {
        const unknown = (config: Record<string, string>) => {
            const warnings: string[] = [];
            try {
                loadSettings(lookup(config), { configuredKeys: Object.keys(config), warn: (m) => warnings.push(m) });
                return { problems: [], warnings };
            } catch (e) {
                return { problems: (e as SettingsError).problems, warnings };
            }
        };
        expect(unknown({ grafanaPrt: "3001", smtpPasword: "x", grafanaPort: "3002" }).problems).toEqual([
            "grafanaPrt: is not a setting of this project; did you mean grafanaPort? (fix: pulumi config rm grafanaPrt, then pulumi config set grafanaPort <value>; or pulumi config set allowUnknownSettings true to only warn)",
            "smtpPasword: is not a setting of this project; did you mean smtpPassword? (fix: pulumi config rm smtpPasword, then pulumi config set --secret smtpPassword <value>; or pulumi config set allowUnknownSettings true to only warn)",
        ]);
        const allowed = unknown({ grafanaPrt: "3001", allowUnknownSettings: "true" });
        expect(allowed.problems).toEqual([]);
        expect(allowed.warnings).toEqual([expect.stringMatching(/^grafanaPrt: is not a setting of this project; did you mean grafanaPort\?/)]);
        // The value of an unknown key (perhaps a misspelled secret) is never printed.
        expect(unknown({ teamLogsTokn: "glc_secret_value" }).problems.join("\n")).not.toContain("glc_secret_value");
    });

    it("never repeats a secret's value in a message", () => {
        const secret = "not a url but secret-token-123";
        const found = problems({ alertWebhookUrl: secret });
        expect(found.join("\n")).not.toContain("secret-token-123");
    });
});

describe("parsers", () => {
    it("parses Prometheus durations", () => {
        expect(parseDuration("90d")).toBe(90 * 86400e3);
        expect(parseDuration("1h30m")).toBe(5400e3);
        expect(parseDuration("2w")).toBe(14 * 86400e3);
        expect(parseDuration("500ms")).toBe(500);
        expect(parseDuration("")).toBeUndefined();
        expect(parseDuration("30m1h")).toBeUndefined();
        expect(parseDuration("1.5h")).toBeUndefined();
    });

    it("parses sizes in Prometheus units (powers of 1024)", () => {
        expect(parseSize("10GB")).toBe(10 * 1024 ** 3);
        expect(parseSize("512MB")).toBe(512 * 1024 ** 2);
        expect(parseSize("10gb")).toBeUndefined();
        expect(parseSize("1.5GB")).toBeUndefined();
    });

    it("recognises pinned images", () => {
        expect(isPinnedImage("grafana/grafana:13.0.1")).toBe(true);
        expect(isPinnedImage("localhost:5000/grafana/grafana:13.0.1")).toBe(true);
        expect(isPinnedImage(`grafana/grafana@sha256:${"a".repeat(64)}`)).toBe(true);
        expect(isPinnedImage("localhost:5000/grafana/grafana")).toBe(false);
        expect(isPinnedImage("grafana/grafana:main")).toBe(false);
        expect(isPinnedImage("grafana/grafana:latest")).toBe(false);
    });
});
