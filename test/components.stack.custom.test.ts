/**
 * A non-default stack: another machine's ports and bind address, shorter retention, drop privacy,
 * data deleted on destroy, viewer mode, cumulative clients over HTTP, and every notification channel.
 */
import { parse } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { type ProgramRun, TYPES, containsSecret, lastRegistrations, runProgram, unwrapSecrets } from "./support/pulumiMocks";

let run: ProgramRun;
const config = {
    bindAddress: "192.168.1.20",
    // A LAN the owner trusts: plain text on purpose (the TLS path is in components.stack.team.test.ts).
    collectorAllowPlaintext: "true",
    grafanaPort: "13000",
    prometheusPort: "19090",
    lokiPort: "13100",
    otlpGrpcPort: "14317",
    otlpHttpPort: "14318",
    collectorHealthPort: "23133",
    grafanaImage: "grafana/grafana:12.4.3",
    metricsRetentionTime: "30d",
    metricsRetentionSize: "2GB",
    logsRetention: "7d",
    scrapeInterval: "15s",
    privacyMode: "drop",
    keepDataOnDestroy: "false",
    collectorMemoryMb: "1024",
    grafanaAnonymousViewer: "true",
    grafanaAdminUser: "ops",
    clientProtocol: "http/protobuf",
    clientTemporality: "cumulative",
    clientMetricExportIntervalMs: "30000",
    budgets: '["monthly user 200","daily team 50"]',
    budgetWarningPercent: "70",
    budgetCriticalPercent: "90",
    teamLabel: "squad",
    alertEmails: '["lead@example.com","finance@example.com"]',
    smtpHost: "smtp.example.com:587",
    smtpUser: "mailer",
    smtpPassword: "smtp-secret-value",
    alertWebhookUrl: "https://hooks.example.com/claude",
    slackWebhookUrl: "https://hooks.slack.com/services/T000/B000/XXXX",
};
const secrets = ["smtpPassword", "alertWebhookUrl", "slackWebhookUrl"];

beforeAll(async () => {
    run = await runProgram(config, secrets, "team-laptop");
});

const container = (service: string) => {
    const found = run.ofType(TYPES.container).filter((c) => c.inputs.name === `claude-code-team-laptop-${service}`);
    expect(found).toHaveLength(1);
    return found[0];
};
const upload = (service: string, file: string) => container(service).inputs.uploads.find((u: any) => u.file === file).content as string;

describe("custom stack", () => {
    it("names Docker objects after the stack, so two stacks can share a machine", () => {
        expect(run.ofType(TYPES.network)[0].inputs.name).toBe("claude-code-team-laptop");
        expect(run.ofType(TYPES.volume).map((v) => v.inputs.name).sort()).toEqual([
            "claude-code-team-laptop-grafana-data",
            "claude-code-team-laptop-loki-data",
            "claude-code-team-laptop-prometheus-data",
        ]);
    });

    it("publishes the configured ports on the configured address", () => {
        const published = run.ofType(TYPES.container).flatMap((c) => (c.inputs.ports ?? []).map((p: any) => `${p.ip}:${p.external}->${p.internal}`));
        expect(published.sort()).toEqual([
            "192.168.1.20:13000->3000",
            "192.168.1.20:13100->3100",
            "192.168.1.20:14317->4317",
            "192.168.1.20:14318->4318",
            "192.168.1.20:19090->9090",
            "192.168.1.20:23133->13133",
        ]);
    });

    it("uses the configured image, retention, scrape interval and memory", () => {
        expect(run.ofType(TYPES.image).map((i) => i.inputs.name)).toContain("grafana/grafana:12.4.3");
        expect(container("prometheus").inputs.command).toContain("--storage.tsdb.retention.time=30d");
        expect(container("prometheus").inputs.command).toContain("--storage.tsdb.retention.size=2GB");
        expect(parse(upload("prometheus", "/etc/prometheus/prometheus.yml")).global.scrape_interval).toBe("15s");
        expect(parse(upload("loki", "/etc/loki/loki.yaml")).limits_config.retention_period).toBe("7d");
        expect(container("otel-collector").inputs.memory).toBe(1024);
        expect(unwrapSecrets(container("otel-collector").inputs.envs)[0]).toBe("GOMEMLIMIT=655MiB");
        const prom = run.one(TYPES.dataSource, "-datasource-claude-code-prometheus").inputs;
        expect(JSON.parse(prom.jsonDataEncoded).timeInterval).toBe("15s");
    });

    it("drops identity attributes in the collector", () => {
        const collector = parse(upload("otel-collector", "/etc/otelcol-contrib/config.yaml"));
        expect(collector.processors["transform/privacy"].log_statements[1].statements).toContain('delete_key(log.attributes, "user.email")');
    });

    it("configures Grafana for anonymous read-only viewers, the admin user and SMTP, with secrets kept secret", () => {
        const envs: string[] = unwrapSecrets(container("grafana").inputs.envs);
        expect(envs).toContain("GF_AUTH_ANONYMOUS_ENABLED=true");
        expect(envs).toContain("GF_AUTH_ANONYMOUS_ORG_ROLE=Viewer");
        expect(envs).toContain("GF_SECURITY_ADMIN_USER=ops");
        expect(envs).toContain("GF_SMTP_ENABLED=true");
        expect(envs).toContain("GF_SMTP_HOST=smtp.example.com:587");
        expect(envs).toContain("GF_SMTP_PASSWORD=smtp-secret-value");
        expect(envs).toContain("GF_SERVER_ROOT_URL=http://192.168.1.20:13000");
        expect(containsSecret(container("grafana").inputs.envs)).toBe(true);
        expect(unwrapSecrets(run.one(TYPES.grafanaProvider, "-grafana-provider").inputs.auth)).toBe("ops:mock-admin-password");
    });

    it("creates one contact point with email, webhook and Slack, credentials as secrets, and routes all alerts to it", () => {
        const cp = run.one(TYPES.contactPoint, "-contact-point");
        expect(cp.inputs.name).toBe("Claude Code alerts");
        const title = '{{ template "claude-code.title" . }}';
        const message = '{{ template "claude-code.message" . }}';
        expect(cp.inputs.emails).toEqual([{ addresses: ["lead@example.com", "finance@example.com"], singleEmail: true, subject: title, message }]);
        expect(containsSecret(cp.inputs.webhooks)).toBe(true);
        expect(containsSecret(cp.inputs.slacks)).toBe(true);
        expect(unwrapSecrets(cp.inputs.webhooks)).toEqual([{ url: "https://hooks.example.com/claude", title, message }]);
        expect(unwrapSecrets(cp.inputs.slacks)).toEqual([{ url: "https://hooks.slack.com/services/T000/B000/XXXX", title, text: message }]);
        // Routed per rule, so no organisation-wide notification policy tree is overwritten.
        expect(run.ofType(TYPES.notificationPolicy)).toEqual([]);
        const rules = run.ofType(TYPES.ruleGroup).flatMap((g) => g.inputs.rules);
        expect(rules.length).toBeGreaterThan(10);
        for (const rule of rules) {
            expect(rule.notificationSettings, rule.name).toEqual({
                contactPoint: "Claude Code alerts",
                groupBies: ["grafana_folder", "alertname"],
                groupWait: "30s",
                groupInterval: "5m",
                repeatInterval: "4h",
            });
        }
    });

    it("requires a generated token on the collector's receiver, because it listens beyond loopback", () => {
        const collector = parse(upload("otel-collector", "/etc/otelcol-contrib/config.yaml"));
        expect(collector.receivers.otlp.protocols.grpc.auth).toEqual({ authenticator: "bearertokenauth/clients" });
        expect(collector.extensions["bearertokenauth/clients"].token).toBe("${env:CLAUDE_CODE_COLLECTOR_TOKEN}");
        const envs = container("otel-collector").inputs.envs;
        expect(containsSecret(envs)).toBe(true);
        expect(unwrapSecrets(envs)).toContain("CLAUDE_CODE_COLLECTOR_TOKEN=mock-receiver-token");
        expect(run.one(TYPES.password, "-receiver-token").inputs).toMatchObject({ length: 40, special: false });
        // Clients get the token, so the client settings are secret outputs.
        expect((run.exports.claudeCodeEnv as Record<string, string>).OTEL_EXPORTER_OTLP_HEADERS).toBe("Authorization=Bearer mock-receiver-token");
        for (const key of ["claudeCodeEnv", "claudeCodeShellExports", "claudeCodeSettingsJson", "checkTargets"]) expect(run.secretExports, key).toContain(key);
        expect(run.exports.claudeCodeShellExports).toContain("export OTEL_EXPORTER_OTLP_HEADERS='Authorization=Bearer mock-receiver-token'");
        expect((run.exports.checkTargets as { otlpHeaders: Record<string, string> }).otlpHeaders).toEqual({ authorization: "Bearer mock-receiver-token" });
    });

    it("turns the configured budgets and levels into per-scope rules", () => {
        const group = run.ofType(TYPES.ruleGroup).find((g) => g.inputs.name === "Claude Code budgets")!.inputs;
        const conditions = Object.fromEntries(
            group.rules.map((r: any) => [r.name, JSON.parse(r.datas.find((d: any) => d.refId === "condition").model).expression]),
        );
        expect(Object.keys(conditions)).toEqual([
            "Claude Code monthly user budget 70%",
            "Claude Code monthly user budget 90%",
            "Claude Code daily team budget 70%",
            "Claude Code daily team budget 90%",
        ]);
        expect(conditions["Claude Code monthly user budget 70%"]).toBe("$spend_value > 140");
        expect(conditions["Claude Code monthly user budget 90%"]).toBe("$spend_value > 180");
        expect(conditions["Claude Code daily team budget 70%"]).toBe("$spend_value > 35");
        const userRule = group.rules.find((r: any) => r.name === "Claude Code monthly user budget 90%");
        expect(JSON.parse(userRule.datas[0].model).expr).toMatch(/^\(sum by \(user_id\) /);
        const teamRule = group.rules.find((r: any) => r.name === "Claude Code daily team budget 70%");
        expect(JSON.parse(teamRule.datas[0].model).expr).toMatch(/^sum by \(squad\) /);
        expect(userRule.annotations.runbook_url).toBe(`http://192.168.1.20:13000/d/claude-code-overview?viewPanel=${userRule.annotations.__panelId__}`);
        const overview = JSON.parse(run.ofType(TYPES.dashboard).find((d) => JSON.parse(d.inputs.configJson).uid === "claude-code-overview")!.inputs.configJson);
        expect(overview.panels.find((p: any) => String(p.id) === userRule.annotations.__panelId__).title).toBe("Total cost");
    });

    it("exports client settings for HTTP, cumulative and the configured interval", () => {
        const env = run.exports.claudeCodeEnv as Record<string, string>;
        expect(env.OTEL_EXPORTER_OTLP_PROTOCOL).toBe("http/protobuf");
        expect(env.OTEL_EXPORTER_OTLP_ENDPOINT).toBe("http://192.168.1.20:14318");
        expect(env.OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE).toBe("cumulative");
        expect(env.OTEL_METRIC_EXPORT_INTERVAL).toBe("30000");
        expect(run.exports.grafanaUrl).toBe("http://192.168.1.20:13000");
    });

    it("never puts a secret into a plain output", () => {
        const plain = JSON.stringify(Object.fromEntries(Object.entries(run.exports).filter(([k]) => !run.secretExports.has(k))));
        for (const key of secrets) expect(plain).not.toContain(config[key as keyof typeof config]);
        expect(plain).not.toContain("mock-admin-password");
    });
});

describe("validation before any resource", () => {
    it("stops with every problem and registers nothing", async () => {
        const attempt = runProgram({ grafanaPort: "99999", privacyMode: "maybe", prometheusPort: "3100" });
        await expect(attempt).rejects.toThrow(/grafanaPort: "99999" is not a TCP port[\s\S]*prometheusPort and lokiPort: all set to port 3100[\s\S]*privacyMode: unknown value "maybe"/);
        expect(lastRegistrations).toEqual([]);
    });
});
