/**
 * Team mode, configured exactly as Pulumi.team.example.yaml says: no local Prometheus, Loki or
 * Grafana; a collector that writes to the team's backends with credentials from secrets, and the
 * same Grafana content, with recording rules as Grafana-managed rules, in the team's Grafana.
 */
import { parse } from "yaml";
import { DEFAULTS } from "../configs/settings";
import { beforeAll, describe, expect, it } from "vitest";
import type { CheckTargets } from "../configs/checkTargets";
import { teamIncrementRecords } from "../configs/rules";
import { COLLECTOR_ENV } from "../configs/collector";
import { type ProgramRun, TYPES, containsSecret, lastRegistrations, plainParts, runProgram, stackFileConfig, unwrapSecrets } from "./support/pulumiMocks";
import { TEST_TLS } from "./support/tls";

/** The three tokens and the receiver's TLS certificate and key, as the example's comments say to set them. */
const SECRETS = { teamGrafanaAuth: "glsa_team_token", teamMetricsToken: "glc_metrics_token", teamLogsToken: "glc_logs_token", collectorTlsCert: TEST_TLS.cert, collectorTlsKey: TEST_TLS.key };
/** The example with a private CA, as its comments describe for a certificate no system trusts. */
const example: Record<string, string> = { ...stackFileConfig("Pulumi.team.example.yaml"), collectorTlsCa: TEST_TLS.ca };
let run: ProgramRun;

beforeAll(async () => {
    run = await runProgram({ ...example, ...SECRETS }, Object.keys(SECRETS), "team");
});

const collectorConfig = (r: ProgramRun) => parse(r.one(TYPES.container, "-collector-container").inputs.uploads[0].content);

describe("team mode (Pulumi.team.example.yaml)", () => {
    it("deploys only the collector: no Prometheus, Loki or Grafana container, no data volume", () => {
        expect(run.ofType(TYPES.container).map((c) => c.inputs.name)).toEqual(["claude-code-team-otel-collector"]);
        expect(run.ofType(TYPES.volume)).toEqual([]);
        expect(run.ofType(TYPES.image).map((i) => i.inputs.name)).toEqual([DEFAULTS.collectorImage]);
    });

    it("publishes the collector on the shared host's interfaces and requires a generated token there", () => {
        const collector = run.one(TYPES.container, "-collector-container").inputs;
        expect(collector.ports.map((p: { ip: string }) => p.ip)).toEqual(["0.0.0.0", "0.0.0.0", "0.0.0.0"]);
        const c = collectorConfig(run);
        expect(c.receivers.otlp.protocols.grpc.auth).toEqual({ authenticator: "bearertokenauth/clients" });
        expect(c.receivers.otlp.protocols.http.auth).toEqual({ authenticator: "bearertokenauth/clients" });
        expect(unwrapSecrets(collector.envs)).toContain("CLAUDE_CODE_COLLECTOR_TOKEN=mock-receiver-token");
    });

    it("writes metrics by remote write and events to Loki's OTLP endpoint, with basic auth from secrets", () => {
        const c = collectorConfig(run);
        expect(c.exporters).not.toHaveProperty("prometheus");
        expect(c.exporters.prometheus_remote_write.endpoint).toBe(example.teamMetricsWriteUrl);
        expect(c.exporters.prometheus_remote_write.auth).toEqual({ authenticator: "basicauth/metrics" });
        expect(c.extensions["basicauth/metrics"].client_auth).toEqual({ username: example.teamMetricsUser, password: "${env:METRICS_BACKEND_TOKEN}" });
        expect(c.exporters["otlp_http/loki"].endpoint).toBe(example.teamLogsWriteUrl);
        expect(c.extensions["basicauth/logs"].client_auth).toEqual({ username: example.teamLogsUser, password: "${env:LOGS_BACKEND_TOKEN}" });
        const envs = run.one(TYPES.container, "-collector-container").inputs.envs;
        expect(containsSecret(envs)).toBe(true);
        expect(unwrapSecrets(envs)).toEqual(
            expect.arrayContaining(["METRICS_BACKEND_TOKEN=glc_metrics_token", "LOGS_BACKEND_TOKEN=glc_logs_token"]),
        );
        // No credential is written into the uploaded file (it is stored in state in plain text).
        const text = run.one(TYPES.container, "-collector-container").inputs.uploads[0].content as string;
        for (const value of Object.values(SECRETS)) expect(text).not.toContain(value);
    });

    it("provisions the team's Grafana with its token, through one provider", () => {
        const provider = run.one(TYPES.grafanaProvider, "-team-grafana").inputs;
        expect(provider.url).toBe(example.teamGrafanaUrl);
        expect(containsSecret(provider.auth)).toBe(true);
        expect(unwrapSecrets(provider.auth)).toBe("glsa_team_token");
        const grafanaObjects = [TYPES.folder, TYPES.dataSource, TYPES.dashboard, TYPES.ruleGroup, TYPES.messageTemplate].flatMap((t) => run.ofType(t));
        expect(grafanaObjects.length).toBeGreaterThan(8);
        for (const r of grafanaObjects) expect(r.provider).toMatch(/::claude-code-team-grafana::/);
    });

    it("points the data sources at the team's query endpoints with secret basic auth, leaving the team's default alone", () => {
        const prom = run.one(TYPES.dataSource, "-datasource-claude-code-prometheus").inputs;
        expect(prom).toMatchObject({ url: example.teamMetricsQueryUrl, isDefault: false, basicAuthEnabled: true, basicAuthUsername: example.teamMetricsUser });
        expect(containsSecret(prom.secureJsonDataEncoded)).toBe(true);
        expect(JSON.parse(unwrapSecrets(prom.secureJsonDataEncoded))).toEqual({ basicAuthPassword: "glc_metrics_token" });
        // Grafana Cloud is Mimir: the type makes Grafana's recording-rule writer push to …/api/prom/push, not …/api/v1/write.
        expect(JSON.parse(prom.jsonDataEncoded).prometheusType).toBe("Mimir");
        const loki = run.one(TYPES.dataSource, "-datasource-claude-code-loki").inputs;
        expect(loki).toMatchObject({ url: example.teamLogsQueryUrl, isDefault: false, basicAuthUsername: example.teamLogsUser });
        expect(JSON.parse(unwrapSecrets(loki.secureJsonDataEncoded))).toEqual({ basicAuthPassword: "glc_logs_token" });
    });

    it("delivers the recording rules as Grafana-managed recording rules that write back to the team's Prometheus", () => {
        const group = run.ofType(TYPES.ruleGroup).find((g) => g.inputs.name === "Claude Code increments")!.inputs;
        const expected = teamIncrementRecords(DEFAULTS);
        expect(group.intervalSeconds).toBe(60);
        expect(group.rules.map((r: any) => r.record.metric)).toEqual(expected.map((r) => r.record));
        for (const [i, rule] of group.rules.entries()) {
            expect(rule.record).toEqual({ metric: expected[i].record, from: "A", targetDatasourceUid: "claude-code-prometheus" });
            const model = JSON.parse(rule.datas[0].model);
            expect(model.expr).toBe(expected[i].expr);
            expect(model.expr).toContain(`offset ${DEFAULTS.teamRecordingDelay}`);
            expect(rule.uid.length).toBeLessThanOrEqual(40);
        }
        // The same alert groups as a local stack, routed without touching the org's policy tree.
        expect(run.ofType(TYPES.ruleGroup).map((g) => g.inputs.name)).toEqual(
            expect.arrayContaining(["Claude Code budgets", "Claude Code usage", "Claude Code telemetry pipeline"]),
        );
        expect(run.ofType(TYPES.notificationPolicy)).toEqual([]);
    });

    it("gives clients the shared host and the token, and the check the team endpoints through Grafana", () => {
        const env = run.exports.claudeCodeEnv as Record<string, string>;
        expect(env.OTEL_EXPORTER_OTLP_ENDPOINT).toBe("https://otel.team.example.com:4317");
        expect(env.OTEL_EXPORTER_OTLP_HEADERS).toBe("Authorization=Bearer mock-receiver-token");
        expect(run.secretExports).toContain("claudeCodeEnv");
        const targets = run.exports.checkTargets as CheckTargets;
        expect(targets).not.toHaveProperty("prometheusUrl");
        expect(targets).not.toHaveProperty("lokiUrl");
        expect(targets.grafanaUrl).toBe(example.teamGrafanaUrl);
        expect(targets.grafanaAuthorization).toBe("Bearer glsa_team_token");
        expect(targets.collectorHealthUrl).toBe("http://otel.team.example.com:13133/");
        expect(targets.ruleGroups.map((g) => g.name)).toContain("Claude Code increments");
        // Basic auth to the metrics backend: recording rules need only Grafana 12.1 (on by default there).
        expect(targets.grafanaMinimumVersion?.version).toBe("12.1.0");
        expect(run.exports).toMatchObject({ mode: "team", grafanaUrl: example.teamGrafanaUrl });
        for (const local of ["grafanaAdminPassword", "prometheusUrl", "lokiUrl"]) expect(run.exports[local], local).toBeUndefined();
    });

    it("serves TLS on both receivers with the certificate and key as secret environment, and tells clients and the check the CA", () => {
        const c = collectorConfig(run);
        for (const protocol of ["grpc", "http"]) {
            expect(c.receivers.otlp.protocols[protocol].tls, protocol).toEqual({ cert_pem: `\${env:${COLLECTOR_ENV.tlsCert}}`, key_pem: `\${env:${COLLECTOR_ENV.tlsKey}}` });
        }
        const collector = run.one(TYPES.container, "-collector-container").inputs;
        expect(unwrapSecrets(collector.envs)).toEqual(expect.arrayContaining([`${COLLECTOR_ENV.tlsCert}=${TEST_TLS.cert}`, `${COLLECTOR_ENV.tlsKey}=${TEST_TLS.key}`]));
        expect(containsSecret(collector.envs)).toBe(true);
        // The key is in no plain value the program registers or exports.
        const keyBody = TEST_TLS.key.split("\n")[1];
        for (const r of run.resources) expect(JSON.stringify(plainParts(r.inputs)), r.name).not.toContain(keyBody);
        const plainExports = Object.entries(run.exports).filter(([k]) => !run.secretExports.has(k));
        expect(JSON.stringify(plainExports)).not.toContain(keyBody);

        expect(run.exports.otlpGrpcEndpoint).toBe("https://otel.team.example.com:4317");
        expect(run.exports.otlpHttpEndpoint).toBe("https://otel.team.example.com:4318");
        expect(run.exports.collectorCaCertificate).toBe(TEST_TLS.ca);
        const targets = run.exports.checkTargets as CheckTargets;
        expect(targets.otlpGrpcEndpoint).toBe("https://otel.team.example.com:4317");
        expect(targets.otlpCaCertificate).toBe(TEST_TLS.ca);
        // The health endpoint carries no secret and stays plain HTTP.
        expect(targets.collectorHealthUrl).toBe("http://otel.team.example.com:13133/");
    });
});

describe("team mode variants", () => {
    it("Grafana Cloud over OTLP: the collector writes as teamMetricsWriteUser (the stack id), Grafana still reads as teamMetricsUser", async () => {
        const r = await runProgram(
            { ...example, teamMetricsProtocol: "otlp", teamMetricsWriteUrl: "https://otlp-gateway-prod-eu-west-2.grafana.net/otlp", teamMetricsWriteUser: "998877", ...SECRETS },
            Object.keys(SECRETS),
            "team",
        );
        const c = collectorConfig(r);
        expect(c.extensions["basicauth/metrics"].client_auth.username).toBe("998877");
        expect(r.one(TYPES.dataSource, "-datasource-claude-code-prometheus").inputs.basicAuthUsername).toBe(example.teamMetricsUser);
        // Without it, both use teamMetricsUser.
        expect(collectorConfig(run).extensions["basicauth/metrics"].client_auth.username).toBe(example.teamMetricsUser);
    });

    it("a longer teamRecordingDelay reads every selector that much further back, and Grafana queries far enough", async () => {
        const r = await runProgram({ ...example, teamRecordingDelay: "5m", ...SECRETS }, Object.keys(SECRETS), "team");
        const rules = r.ofType(TYPES.ruleGroup).find((g) => g.inputs.name === "Claude Code increments")!.inputs.rules;
        for (const rule of rules) {
            const expr: string = JSON.parse(rule.datas[0].model).expr;
            expect(expr).toContain("offset 5m");
            expect(expr).not.toContain(`offset ${DEFAULTS.teamRecordingDelay})`);
            // The look-back window (TTL + 2 minutes) ends one interval plus the delay back: 6h2m + 1m + 5m.
            expect(rule.datas[0].relativeTimeRange).toEqual({ from: (6 * 3600 + 120 + 60 + 300), to: 0 });
        }
    });

    it("refuses a write user without the token basic auth needs", async () => {
        const { teamMetricsToken: _, ...secrets } = SECRETS;
        await expect(runProgram({ ...example, teamMetricsUser: "", teamMetricsWriteUser: "998877", ...secrets }, Object.keys(secrets), "team")).rejects.toThrow(
            /teamMetricsToken: is empty but teamMetricsWriteUser is set; basic auth needs both \(fix: pulumi config set --secret teamMetricsToken/,
        );
    });

    it("sends OTLP with bearer tokens when no users are set, and a configured collector token is used as is", async () => {
        const { teamMetricsUser, teamLogsUser, ...rest } = example;
        expect([teamMetricsUser, teamLogsUser]).not.toContain("");
        const r = await runProgram(
            { ...rest, teamMetricsProtocol: "otlp", teamMetricsWriteUrl: "https://otlp.example.net/otlp", ...SECRETS, collectorToken: "team-chosen-token-0123456789" },
            [...Object.keys(SECRETS), "collectorToken"],
            "team",
        );
        const c = collectorConfig(r);
        expect(c.exporters["otlp_http/metrics"]).toMatchObject({ endpoint: "https://otlp.example.net/otlp", auth: { authenticator: "bearertokenauth/metrics" } });
        expect(c.exporters["otlp_http/loki"].auth).toEqual({ authenticator: "bearertokenauth/logs" });
        expect(r.ofType(TYPES.password)).toEqual([]);
        expect((r.exports.claudeCodeEnv as Record<string, string>).OTEL_EXPORTER_OTLP_HEADERS).toBe("Authorization=Bearer team-chosen-token-0123456789");
        const prom = r.one(TYPES.dataSource, "-datasource-claude-code-prometheus").inputs;
        expect(prom).not.toHaveProperty("basicAuthEnabled");
        expect(unwrapSecrets(prom.httpHeaders)).toEqual({ Authorization: "Bearer glc_metrics_token" });
        expect(containsSecret(prom.httpHeaders)).toBe(true);
        // The bearer header reaches the recording writes only from Grafana 12.4; npm run check says so on an older one.
        expect((r.exports.checkTargets as CheckTargets).grafanaMinimumVersion?.version).toBe("12.4.0");
    });

    it("refuses the shared host's receiver without TLS, naming both ways out, before any resource; collectorAllowPlaintext is the explicit one", async () => {
        const { collectorTlsCert: _c, collectorTlsKey: _k, ...tokens } = SECRETS;
        const { collectorTlsCa: _ca, ...plainExample } = example;
        const message = await runProgram({ ...plainExample, ...tokens }, Object.keys(tokens), "team").catch((e: Error) => e.message);
        expect(message).toContain(
            "collectorTlsCert: is required when bindAddress is 0.0.0.0 (beyond this machine): without TLS the receiver's token and every event cross the network in clear " +
                "(fix: pulumi config set --secret collectorTlsCert < fullchain.pem and pulumi config set --secret collectorTlsKey < privkey.pem; " +
                "or, on a network you trust, pulumi config set collectorAllowPlaintext true)",
        );
        expect(lastRegistrations).toEqual([]);
        const plain = await runProgram({ ...plainExample, ...tokens, collectorAllowPlaintext: "true" }, Object.keys(tokens), "team");
        expect(collectorConfig(plain).receivers.otlp.protocols.grpc).not.toHaveProperty("tls");
        expect(plain.exports.otlpGrpcEndpoint).toBe("http://otel.team.example.com:4317");
        expect(plain.exports.collectorCaCertificate).toBeUndefined();
    });

    it("refuses team mode without its endpoints and Grafana token, naming each setting, before any resource", async () => {
        await expect(runProgram({ mode: "team" })).rejects.toThrow(/teamGrafanaUrl: is required when mode is team/);
        const message = await runProgram({ mode: "team" }).catch((e: Error) => e.message);
        for (const key of ["teamGrafanaUrl", "teamMetricsWriteUrl", "teamMetricsQueryUrl", "teamLogsWriteUrl", "teamLogsQueryUrl", "teamGrafanaAuth"]) {
            expect(message).toContain(`${key}:`);
        }
        expect(lastRegistrations).toEqual([]);
    });

    it("refuses team settings on a local stack instead of ignoring them", async () => {
        await expect(runProgram({ teamMetricsWriteUrl: "http://mimir:9009/api/v1/push" })).rejects.toThrow(
            /teamMetricsWriteUrl: is only used when mode is team, but mode is local/,
        );
    });
});
