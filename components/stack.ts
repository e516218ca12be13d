import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as grafana from "@pulumiverse/grafana";
import { ALERT_SETTING_KEYS, alertGroups } from "../configs/alerts";
import { type CheckTargets, checkTargets } from "../configs/checkTargets";
import { claudeCodeEnv, claudeCodeSettingsJson, claudeCodeShellExports, otlpEndpoints } from "../configs/client";
import { COLLECTOR_SETTING_KEYS, collectorDestinations } from "../configs/collector";
import { GRAFANA_SETTING_KEYS } from "../configs/grafana";
import { LOKI_SETTING_KEYS } from "../configs/loki";
import { PROMETHEUS_SETTING_KEYS } from "../configs/prometheus";
import { allDashboards } from "../configs/dashboards";
import { dataSources } from "../configs/datasources";
import { grafanaRecordingGroups, incrementRuleGroups } from "../configs/rules";
import { grafanaRequirement } from "../configs/recordingWriter";
import { type StackSettings, collectorHostForClients, hostForClients, pickSettings, receiverUsesTls } from "../configs/settings";
import { normalizedPem } from "../configs/tls";
import { Collector } from "./collector";
import { STACK_LABEL } from "./docker";
import { Grafana } from "./grafana";
import { GrafanaContent } from "./grafanaContent";
import { Loki } from "./loki";
import { Prometheus } from "./prometheus";
import { DATASOURCE_UIDS } from "../configs/topology";

export interface MonitoringStackArgs {
    /** Validated stack settings (see configs/settings.ts). */
    settings: StackSettings;
    /** Pulumi stack name: part of every Docker object name, so stacks on one machine do not collide. */
    stack: string;
}

/** How to reach the stack; in team mode the local-only entries are undefined. */
export interface StackOutputs {
    mode: string;
    grafanaUrl: string;
    grafanaAdminUser?: string;
    grafanaAdminPassword?: pulumi.Output<string>;
    prometheusUrl?: string;
    lokiUrl?: string;
    otlpGrpcEndpoint: string;
    otlpHttpEndpoint: string;
    collectorHealthUrl: string;
    /** Secret when the collector requires a token (it is part of the env). */
    claudeCodeEnv: pulumi.Input<Record<string, string>>;
    claudeCodeShellExports: pulumi.Input<string>;
    claudeCodeSettingsJson: pulumi.Input<string>;
    /** The CA (PEM) clients verify the receiver's TLS certificate with, when collectorTlsCa is set. */
    collectorCaCertificate?: string;
    /** Secret: for `npm run check`. */
    checkTargets: pulumi.Output<CheckTargets>;
}

/** The stack's own Prometheus, Loki and Grafana (local mode). */
interface LocalBackends {
    prometheus: Prometheus;
    loki: Loki;
    grafana: Grafana;
}

/**
 * The whole Claude Code monitoring stack. Local mode: collector, Prometheus, Loki and Grafana on
 * one Docker host. Team mode: only the collector (on a shared host if docker:host says so),
 * writing to the team's backends, and the same Grafana content provisioned into the team's Grafana.
 */
export class MonitoringStack extends pulumi.ComponentResource {
    readonly network: docker.Network;
    readonly collector: Collector;
    readonly local?: LocalBackends;
    readonly content: GrafanaContent;
    readonly outputs: StackOutputs;

    constructor(name: string, args: MonitoringStackArgs, opts?: pulumi.ComponentResourceOptions) {
        super("claude-code-monitoring:index:MonitoringStack", name, {}, opts);
        const s = args.settings;
        const namePrefix = `claude-code-${args.stack}`;
        const host = hostForClients(s);
        const secret = <T>(value: pulumi.Input<T>) => pulumi.secret(value);
        const tls = receiverUsesTls(s);

        // One private network: services find each other by alias; only chosen ports reach the host.
        this.network = new docker.Network(
            `${name}-network`,
            { name: namePrefix, labels: [{ label: STACK_LABEL, value: args.stack }] },
            { parent: this, deleteBeforeReplace: true },
        );
        const common = { namePrefix, stack: args.stack, bindAddress: s.bindAddress, networkName: this.network.name };

        this.local = s.mode === "local" ? this.localBackends(name, s, common) : undefined;

        this.collector = new Collector(
            `${name}-collector`,
            {
                ...common,
                image: s.collectorImage,
                ports: { otlpGrpc: s.otlpGrpcPort, otlpHttp: s.otlpHttpPort, health: s.collectorHealthPort },
                settings: pickSettings(s, COLLECTOR_SETTING_KEYS),
                destinations: collectorDestinations(s),
                ...(s.secrets.collectorToken ? { receiverToken: secret(s.secrets.collectorToken) } : {}),
                backendTokens: {
                    ...(s.secrets.teamMetricsToken ? { metrics: secret(s.secrets.teamMetricsToken) } : {}),
                    ...(s.secrets.teamLogsToken ? { logs: secret(s.secrets.teamLogsToken) } : {}),
                },
                ...(tls ? { receiverTls: { cert: secret(normalizedPem(s.secrets.collectorTlsCert)), key: secret(normalizedPem(s.secrets.collectorTlsKey)) } } : {}),
            },
            // Locally, Loki must be up before the collector exports events to it.
            { parent: this, dependsOn: this.local ? [this.local.loki.container] : [] },
        );

        const grafanaUrl = this.local ? this.local.grafana.url : s.teamGrafanaUrl.replace(/\/+$/, "");
        const grafanaAuth = this.local
            ? pulumi.interpolate`${this.local.grafana.adminUser}:${this.local.grafana.adminPassword}`
            : secret(s.secrets.teamGrafanaAuth);
        // The team's Grafana: an existing server, reached with a service-account token from config.
        const provider = this.local
            ? this.local.grafana.provider
            : new grafana.Provider(`${name}-team-grafana`, { url: grafanaUrl, auth: grafanaAuth, retries: 6 }, { parent: this });

        const dashboards = allDashboards(s.teamLabel, s.mode);
        const alerts = alertGroups({ ...pickSettings(s, ALERT_SETTING_KEYS), grafanaUrl });
        const recordingGroups = this.local ? [] : grafanaRecordingGroups(s);
        const sources = dataSources(s);
        // The recorded series are written back with the metrics data source's auth.
        const recordingAuth = sources.find((d) => d.uid === DATASOURCE_UIDS.prometheus)!.auth;
        this.content = new GrafanaContent(
            `${name}-content`,
            {
                provider,
                // Only when the volume itself is deleted on destroy; a kept database must not keep the objects,
                // or the next `up` finds them there and Grafana answers 409.
                ...(this.local && !s.keepDataOnDestroy ? { storedIn: this.local.grafana.volume } : {}),
                dataSources: sources,
                dataSourceTokens: { teamMetricsToken: secret(s.secrets.teamMetricsToken), teamLogsToken: secret(s.secrets.teamLogsToken) },
                dashboards,
                alertGroups: alerts,
                recordingGroups,
                notifications: {
                    emails: s.alertEmails,
                    webhookUrl: secret(s.secrets.alertWebhookUrl),
                    hasWebhook: s.secrets.alertWebhookUrl !== "",
                    slackUrl: secret(s.secrets.slackWebhookUrl),
                    hasSlack: s.secrets.slackWebhookUrl !== "",
                },
            },
            { parent: this },
        );

        const endpoints = otlpEndpoints(s, tls);
        const token = this.collector.receiverToken;
        // With a receiver token the client settings include it, so they become secrets. The CA file's path
        // is the client's own: npm run client-setup writes the file and adds it.
        const fromClientEnv = <T>(render: (env: Record<string, string>) => T): pulumi.Input<T> =>
            token ? (pulumi.secret(token.apply((t) => render(claudeCodeEnv(s, { token: t, tls })))) as pulumi.Output<T>) : render(claudeCodeEnv(s, { tls }));
        const collectorCa = s.collectorTlsCa !== "" ? normalizedPem(s.collectorTlsCa) : undefined;
        const collectorHealthUrl = `http://${collectorHostForClients(s)}:${s.collectorHealthPort}/`;
        const localUrls = this.local ? { prometheusUrl: `http://${host}:${s.prometheusPort}`, lokiUrl: `http://${host}:${s.lokiPort}` } : {};
        this.outputs = {
            mode: s.mode,
            grafanaUrl,
            ...(this.local ? { grafanaAdminUser: this.local.grafana.adminUser, grafanaAdminPassword: this.local.grafana.adminPassword } : {}),
            ...localUrls,
            otlpGrpcEndpoint: endpoints.grpc,
            otlpHttpEndpoint: endpoints.http,
            collectorHealthUrl,
            claudeCodeEnv: fromClientEnv((env) => env),
            claudeCodeShellExports: fromClientEnv(claudeCodeShellExports),
            claudeCodeSettingsJson: fromClientEnv(claudeCodeSettingsJson),
            ...(collectorCa ? { collectorCaCertificate: collectorCa } : {}),
            checkTargets: pulumi.secret(
                pulumi.all([grafanaAuth, token ?? ""]).apply(([auth, receiverToken]) =>
                    checkTargets({
                        otlpGrpcEndpoint: endpoints.grpc,
                        ...(receiverToken ? { receiverToken } : {}),
                        ...(collectorCa ? { otlpCaCertificate: collectorCa } : {}),
                        collectorHealthUrl,
                        ...localUrls,
                        grafanaUrl,
                        grafanaAuth: auth,
                        dashboards,
                        ruleGroups: [...recordingGroups, ...alerts],
                        ...(this.local ? {} : { grafanaMinimumVersion: grafanaRequirement(recordingAuth) }),
                    }),
                ),
            ),
        };
        this.registerOutputs(this.outputs);
    }

    private localBackends(name: string, s: StackSettings, common: { namePrefix: string; stack: string; bindAddress: string; networkName: pulumi.Output<string> }): LocalBackends {
        const loki = new Loki(
            `${name}-loki`,
            { ...common, image: s.lokiImage, port: s.lokiPort, memoryMb: s.lokiMemoryMb, keepData: s.keepDataOnDestroy, settings: pickSettings(s, LOKI_SETTING_KEYS) },
            { parent: this },
        );
        const prometheus = new Prometheus(
            `${name}-prometheus`,
            {
                ...common,
                image: s.prometheusImage,
                port: s.prometheusPort,
                memoryMb: s.prometheusMemoryMb,
                keepData: s.keepDataOnDestroy,
                settings: pickSettings(s, PROMETHEUS_SETTING_KEYS),
                ruleGroups: incrementRuleGroups(),
            },
            { parent: this },
        );
        const grafanaServer = new Grafana(
            `${name}-grafana`,
            {
                ...common,
                image: s.grafanaImage,
                port: s.grafanaPort,
                url: `http://${hostForClients(s)}:${s.grafanaPort}`,
                memoryMb: s.grafanaMemoryMb,
                keepData: s.keepDataOnDestroy,
                settings: pickSettings(s, GRAFANA_SETTING_KEYS),
                smtpPassword: pulumi.secret(s.secrets.smtpPassword),
                dependsOn: [prometheus.container, loki.container],
            },
            { parent: this },
        );
        return { prometheus, loki, grafana: grafanaServer };
    }
}
