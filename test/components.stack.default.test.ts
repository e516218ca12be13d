/**
 * The resource graph of the default local stack (no stack config at all), under Pulumi mocks.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { CheckTargets } from "../configs/checkTargets";
import { DEFAULTS } from "../configs/settings";
import { type ProgramRun, TYPES, containsSecret, runProgram, unwrapSecrets } from "./support/pulumiMocks";

let run: ProgramRun;
beforeAll(async () => {
    run = await runProgram({});
});

/** The container whose Docker name is claude-code-local-<service>. */
const container = (service: string) => {
    const found = run.ofType(TYPES.container).filter((c) => c.inputs.name === `claude-code-local-${service}`);
    expect(found).toHaveLength(1);
    return found[0];
};

describe("default stack: Docker objects", () => {
    it("creates one network, four containers, four images, three data volumes", () => {
        expect(run.ofType(TYPES.network)).toHaveLength(1);
        expect(run.ofType(TYPES.network)[0].inputs.name).toBe("claude-code-local");
        expect(run.ofType(TYPES.container).map((c) => c.inputs.name).sort()).toEqual(
            ["claude-code-local-grafana", "claude-code-local-loki", "claude-code-local-otel-collector", "claude-code-local-prometheus"],
        );
        expect(run.ofType(TYPES.image).map((i) => i.inputs.name).sort()).toEqual(
            [DEFAULTS.collectorImage, DEFAULTS.grafanaImage, DEFAULTS.lokiImage, DEFAULTS.prometheusImage].sort(),
        );
        expect(run.ofType(TYPES.volume).map((v) => v.inputs.name).sort()).toEqual(
            ["claude-code-local-grafana-data", "claude-code-local-loki-data", "claude-code-local-prometheus-data"],
        );
    });

    it("is what the README's removal steps name: the data volumes and the pinned images", () => {
        const readme = readFileSync(join(__dirname, "..", "README.md"), "utf8");
        const removal = readme.slice(readme.indexOf("## Removing everything"), readme.indexOf("## `pulumi destroy`"));
        const volumes = removal.split("\n").find((line) => line.startsWith("docker volume rm "))!;
        expect(volumes.split(" ").slice(3).sort()).toEqual(run.ofType(TYPES.volume).map((v) => v.inputs.name).sort());
        const images = removal.split("\n").find((line) => line.startsWith("docker image rm "))!;
        expect(images.split(" ").slice(3).sort()).toEqual(run.ofType(TYPES.image).map((i) => i.inputs.name).sort());
    });

    it("pins every image to an exact version, keeps it locally, and runs containers from the image id", () => {
        for (const image of run.ofType(TYPES.image)) {
            expect(image.inputs.name).toMatch(/:[^:]*\d[^:]*$/);
            expect(image.inputs.name).not.toMatch(/:latest$/);
            expect(image.inputs.keepLocally).toBe(true);
        }
        for (const c of run.ofType(TYPES.container)) expect(c.inputs.image).toMatch(/^sha256:/);
    });

    it("publishes exactly the documented ports, all on 127.0.0.1", () => {
        const published = run.ofType(TYPES.container).flatMap((c) =>
            (c.inputs.ports ?? []).map((p: any) => `${c.inputs.name.replace("claude-code-local-", "")}:${p.internal}->${p.ip}:${p.external}`),
        );
        expect(published.sort()).toEqual([
            "grafana:3000->127.0.0.1:3000",
            "loki:3100->127.0.0.1:3100",
            "otel-collector:13133->127.0.0.1:13133",
            "otel-collector:4317->127.0.0.1:4317",
            "otel-collector:4318->127.0.0.1:4318",
            "prometheus:9090->127.0.0.1:9090",
        ]);
    });

    it("joins every container to the stack network under its service alias", () => {
        for (const [service, alias] of [["otel-collector", "otel-collector"], ["prometheus", "prometheus"], ["loki", "loki"], ["grafana", "grafana"]]) {
            expect(container(service).inputs.networksAdvanced).toEqual([{ name: "claude-code-local", aliases: [alias] }]);
        }
    });

    it("mounts the data volumes where each service keeps its data", () => {
        expect(container("prometheus").inputs.volumes).toEqual([{ volumeName: "claude-code-local-prometheus-data", containerPath: "/prometheus" }]);
        expect(container("loki").inputs.volumes).toEqual([{ volumeName: "claude-code-local-loki-data", containerPath: "/loki" }]);
        expect(container("grafana").inputs.volumes).toEqual([{ volumeName: "claude-code-local-grafana-data", containerPath: "/var/lib/grafana" }]);
        expect(container("otel-collector").inputs.volumes).toBeUndefined();
    });

    it("uses healthchecks that exist inside each image, and none for the shell-less collector", () => {
        expect(container("prometheus").inputs.healthcheck.tests).toEqual(["CMD", "/bin/promtool", "check", "ready"]);
        expect(container("loki").inputs.healthcheck.tests).toEqual(["CMD", "/usr/bin/loki", "-health"]);
        expect(container("grafana").inputs.healthcheck.tests).toEqual(["CMD", "wget", "-q", "--spider", "http://localhost:3000/api/health"]);
        expect(container("otel-collector").inputs.healthcheck).toBeUndefined();
        expect(container("otel-collector").inputs.wait).toBeUndefined();
        // Only Grafana is waited for: its provider calls the API right after.
        expect(container("grafana").inputs.wait).toBe(true);
        expect(container("grafana").inputs.waitTimeout).toBeGreaterThanOrEqual(120);
        // Docker's default interval is 30 s; the checks run often enough for a quick start.
        for (const s of ["prometheus", "loki", "grafana"]) expect(container(s).inputs.healthcheck.interval).toMatch(/^[1-5]s$/);
    });

    it("delivers each generated config file into its container", () => {
        const files = (service: string) => container(service).inputs.uploads.map((u: any) => u.file).sort();
        expect(files("otel-collector")).toEqual(["/etc/otelcol-contrib/config.yaml"]);
        expect(files("prometheus")).toEqual(["/etc/prometheus/prometheus.yml", "/etc/prometheus/rules/claude-code.yml"]);
        expect(files("loki")).toEqual(["/etc/loki/loki.yaml"]);
        expect(container("otel-collector").inputs.command).toEqual(["--config", "/etc/otelcol-contrib/config.yaml"]);
        expect(container("loki").inputs.command).toEqual(["-config.file=/etc/loki/loki.yaml"]);
        expect(container("prometheus").inputs.command).toEqual([
            "--config.file=/etc/prometheus/prometheus.yml",
            "--storage.tsdb.path=/prometheus",
            "--storage.tsdb.retention.time=90d",
            "--storage.tsdb.retention.size=10GB",
        ]);
    });

    it("limits memory per container, and the collector's Go runtime below its limit", () => {
        expect(container("otel-collector").inputs.memory).toBe(512);
        expect(container("prometheus").inputs.memory).toBe(2048);
        expect(container("loki").inputs.memory).toBe(1024);
        expect(container("grafana").inputs.memory).toBe(512);
        expect(container("otel-collector").inputs.envs).toEqual(["GOMEMLIMIT=327MiB"]);
        for (const c of run.ofType(TYPES.container)) expect(c.inputs.restart).toBe("unless-stopped");
    });
});

describe("default stack: Grafana", () => {
    it("passes the generated admin password to Grafana only as a secret", () => {
        const grafana = container("grafana");
        expect(containsSecret(grafana.inputs.envs)).toBe(true);
        const envs: string[] = unwrapSecrets(grafana.inputs.envs);
        expect(envs).toContain("GF_SECURITY_ADMIN_PASSWORD=mock-admin-password");
        expect(envs).toContain("GF_SECURITY_ADMIN_USER=admin");
        expect(envs).toContain("GF_AUTH_ANONYMOUS_ENABLED=false");
        expect(envs).toContain("GF_ANALYTICS_REPORTING_ENABLED=false");
        expect(envs).toContain("GF_ANALYTICS_CHECK_FOR_UPDATES=false");
        expect(envs).toContain("GF_PLUGINS_PREINSTALL_DISABLED=true");
        expect(envs.some((e) => e.startsWith("GF_PLUGINS_PREINSTALL_AUTO_UPDATE="))).toBe(false);
        expect(envs.some((e) => e.startsWith("GF_SMTP_"))).toBe(false);
        const password = run.one(TYPES.password, "-admin-password");
        expect(password.inputs).toMatchObject({ length: 32, special: false });
    });

    it("resets the admin password from the environment before Grafana starts (kept volumes)", () => {
        const [shell, flag, script] = container("grafana").inputs.entrypoints;
        expect([shell, flag]).toEqual(["/bin/sh", "-c"]);
        expect(script).toContain("reset-admin-password --password-from-stdin");
        expect(script).not.toContain("mock-admin-password");
        expect(script).toMatch(/exec \/run\.sh$/);
    });

    it("wires the Grafana provider to the published port with the admin credentials as a secret", () => {
        const provider = run.one(TYPES.grafanaProvider, "-grafana-provider");
        expect(provider.inputs.url).toBe("http://127.0.0.1:3000");
        expect(unwrapSecrets(provider.inputs.auth)).toBe("admin:mock-admin-password");
        const grafanaObjects = [TYPES.folder, TYPES.dataSource, TYPES.dashboard, TYPES.ruleGroup].flatMap((t) => run.ofType(t));
        expect(grafanaObjects.length).toBeGreaterThanOrEqual(5);
        for (const r of grafanaObjects) expect(r.provider).toMatch(/::claude-code-grafana-provider::/);
    });

    it("creates the folder and both data sources with fixed uids, Prometheus as default", () => {
        expect(run.one(TYPES.folder, "-folder").inputs).toMatchObject({ uid: "claude-code", title: "Claude Code" });
        const prom = run.one(TYPES.dataSource, "-datasource-claude-code-prometheus").inputs;
        expect(prom).toMatchObject({ name: "Claude Code Prometheus", uid: "claude-code-prometheus", type: "prometheus", url: "http://prometheus:9090", isDefault: true, accessMode: "proxy" });
        expect(JSON.parse(prom.jsonDataEncoded)).toEqual({ httpMethod: "POST", timeInterval: "10s", prometheusType: "Prometheus" });
        const loki = run.one(TYPES.dataSource, "-datasource-claude-code-loki").inputs;
        expect(loki).toMatchObject({ name: "Claude Code Loki", uid: "claude-code-loki", type: "loki", url: "http://loki:3100", isDefault: false });
        // The stack's own backends need no credentials.
        for (const ds of [prom, loki]) for (const key of ["basicAuthEnabled", "secureJsonDataEncoded", "httpHeaders"]) expect(ds).not.toHaveProperty(key);
    });

    it("puts the overview dashboard in the folder, with fixed uid and no id/version", () => {
        const dashboard = run.one(TYPES.dashboard, "-dashboard-claude-code-overview").inputs;
        expect(dashboard.folder).toBe("claude-code");
        expect(dashboard.overwrite).toBe(true);
        const model = JSON.parse(dashboard.configJson);
        expect(model.uid).toBe("claude-code-overview");
        expect(model).not.toHaveProperty("id");
        expect(model).not.toHaveProperty("version");
    });

    it("creates the alert rule groups in the folder, and no contact point when none is configured", () => {
        const groups = run.ofType(TYPES.ruleGroup).map((g) => g.inputs);
        expect(groups.map((g) => g.name).sort()).toEqual(["Claude Code budgets", "Claude Code telemetry pipeline", "Claude Code usage"]);
        for (const g of groups) expect(g.folderUid).toBe("claude-code");
        const budgets = groups.find((g) => g.name === "Claude Code budgets")!;
        const budgetRules = budgets.rules.map((r: any) => r.name);
        expect(budgetRules).toEqual([
            "Claude Code daily total budget 80%",
            "Claude Code daily total budget 100%",
            "Claude Code monthly total budget 80%",
            "Claude Code monthly total budget 100%",
            "Claude Code month projected over budget",
        ]);
        // The daily critical rule compares today's spend with 100% of the 25 USD default budget.
        const daily = budgets.rules[1];
        expect(JSON.parse(daily.datas.find((d: any) => d.refId === "condition").model).expression).toBe("$spend_value > 25");
        expect(daily.labels).toMatchObject({ severity: "critical", budget_period: "daily", budget_scope: "total" });
        expect(run.ofType(TYPES.contactPoint)).toHaveLength(0);
        expect(run.ofType(TYPES.notificationPolicy)).toHaveLength(0);
        expect(run.one(TYPES.messageTemplate, "-message-template").inputs.name).toBe("claude-code");
    });

    it("provisions every dashboard in the folder", () => {
        const uids = run.ofType(TYPES.dashboard).map((d) => JSON.parse(d.inputs.configJson).uid);
        expect(uids.sort()).toEqual(["claude-code-events", "claude-code-overview", "claude-code-pipeline", "claude-code-productivity", "claude-code-sessions"]);
    });
});

describe("default stack: outputs", () => {
    it("exports where everything is; only the admin password and the check's credentials are secret", () => {
        expect(run.exports).toMatchObject({
            mode: "local",
            grafanaUrl: "http://127.0.0.1:3000",
            grafanaAdminUser: "admin",
            grafanaAdminPassword: "mock-admin-password",
            prometheusUrl: "http://127.0.0.1:9090",
            lokiUrl: "http://127.0.0.1:3100",
            otlpGrpcEndpoint: "http://127.0.0.1:4317",
            otlpHttpEndpoint: "http://127.0.0.1:4318",
            collectorHealthUrl: "http://127.0.0.1:13133/",
        });
        expect([...run.secretExports].sort()).toEqual(["checkTargets", "grafanaAdminPassword"]);
    });

    it("tells the end-to-end check every hop: direct Prometheus and Loki, admin basic auth, everything provisioned", () => {
        const targets = run.exports.checkTargets as CheckTargets;
        expect(targets).toMatchObject({
            otlpGrpcEndpoint: "http://127.0.0.1:4317",
            otlpHeaders: {},
            collectorHealthUrl: "http://127.0.0.1:13133/",
            prometheusUrl: "http://127.0.0.1:9090",
            lokiUrl: "http://127.0.0.1:3100",
            grafanaUrl: "http://127.0.0.1:3000",
            grafanaAuthorization: `Basic ${Buffer.from("admin:mock-admin-password").toString("base64")}`,
            dataSourceUids: { prometheus: "claude-code-prometheus", loki: "claude-code-loki" },
            folderUid: "claude-code",
        });
        const dashboards = run.ofType(TYPES.dashboard).map((d) => JSON.parse(d.inputs.configJson).uid);
        expect(targets.dashboardUids.sort()).toEqual(dashboards.sort());
        const groups = run.ofType(TYPES.ruleGroup).map((g) => ({ name: g.inputs.name, rules: g.inputs.rules.length }));
        expect(targets.ruleGroups).toEqual(expect.arrayContaining(groups));
        expect(targets.ruleGroups).toHaveLength(groups.length);
    });

    it("exports Claude Code settings: gRPC to the collector, delta, content logging off", () => {
        const env = run.exports.claudeCodeEnv as Record<string, string>;
        expect(env).toEqual({
            CLAUDE_CODE_ENABLE_TELEMETRY: "1",
            OTEL_METRICS_EXPORTER: "otlp",
            OTEL_LOGS_EXPORTER: "otlp",
            OTEL_EXPORTER_OTLP_PROTOCOL: "grpc",
            OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4317",
            OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: "delta",
            OTEL_METRIC_EXPORT_INTERVAL: "10000",
            OTEL_LOGS_EXPORT_INTERVAL: "5000",
            OTEL_LOG_USER_PROMPTS: "0",
            OTEL_LOG_ASSISTANT_RESPONSES: "0",
            OTEL_LOG_TOOL_DETAILS: "0",
        });
        expect(JSON.parse(run.exports.claudeCodeSettingsJson as string)).toEqual({ env });
        const exportLines = (run.exports.claudeCodeShellExports as string).split("\n");
        expect(exportLines).toHaveLength(Object.keys(env).length);
        expect(exportLines).toContain("export OTEL_EXPORTER_OTLP_ENDPOINT='http://127.0.0.1:4317'");
    });
});

describe("default stack: determinism", () => {
    it("registers identical inputs on a second run (no time or randomness in any input)", async () => {
        const again = await runProgram({});
        const view = (r: ProgramRun) => r.resources.map((x) => ({ type: x.type, name: x.name, inputs: unwrapSecrets(x.inputs) }));
        expect(view(again)).toEqual(view(run));
    });
});
