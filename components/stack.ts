import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { alertGroups } from "../configs/alerts";
import { claudeCodeEnv, claudeCodeSettingsJson, claudeCodeShellExports, otlpEndpoints } from "../configs/client";
import { allDashboards } from "../configs/dashboards";
import { dataSources } from "../configs/datasources";
import { incrementRuleGroups } from "../configs/rules";
import { StackSettings, hostForClients } from "../configs/settings";
import { Collector } from "./collector";
import { STACK_LABEL } from "./docker";
import { Grafana } from "./grafana";
import { GrafanaContent } from "./grafanaContent";
import { Loki } from "./loki";
import { Prometheus } from "./prometheus";

export interface MonitoringStackArgs {
    /** Validated stack settings (see configs/settings.ts). */
    settings: StackSettings;
    /** Pulumi stack name: part of every Docker object name, so stacks on one machine do not collide. */
    stack: string;
}

/** The whole Claude Code monitoring stack on one Docker host. */
export class MonitoringStack extends pulumi.ComponentResource {
    readonly network: docker.Network;
    readonly collector: Collector;
    readonly prometheus: Prometheus;
    readonly loki: Loki;
    readonly grafana: Grafana;
    readonly content: GrafanaContent;
    readonly outputs: {
        grafanaUrl: string;
        grafanaAdminUser: string;
        grafanaAdminPassword: pulumi.Output<string>;
        prometheusUrl: string;
        lokiUrl: string;
        otlpGrpcEndpoint: string;
        otlpHttpEndpoint: string;
        collectorHealthUrl: string;
        claudeCodeEnv: Record<string, string>;
        claudeCodeShellExports: string;
        claudeCodeSettingsJson: string;
    };

    constructor(name: string, args: MonitoringStackArgs, opts?: pulumi.ComponentResourceOptions) {
        super("claude-code-monitoring:index:MonitoringStack", name, {}, opts);
        const s = args.settings;
        const namePrefix = `claude-code-${args.stack}`;
        const host = hostForClients(s);

        // One private network: services find each other by alias; only chosen ports reach the host.
        this.network = new docker.Network(
            `${name}-network`,
            { name: namePrefix, labels: [{ label: STACK_LABEL, value: args.stack }] },
            { parent: this, deleteBeforeReplace: true },
        );
        const common = { namePrefix, stack: args.stack, bindAddress: s.bindAddress, networkName: this.network.name };

        this.loki = new Loki(
            `${name}-loki`,
            { ...common, image: s.lokiImage, port: s.lokiPort, memoryMb: s.lokiMemoryMb, keepData: s.keepDataOnDestroy, settings: s },
            { parent: this },
        );
        this.collector = new Collector(
            `${name}-collector`,
            {
                ...common,
                image: s.collectorImage,
                ports: { otlpGrpc: s.otlpGrpcPort, otlpHttp: s.otlpHttpPort, health: s.collectorHealthPort },
                settings: s,
            },
            { parent: this },
        );
        this.prometheus = new Prometheus(
            `${name}-prometheus`,
            {
                ...common,
                image: s.prometheusImage,
                port: s.prometheusPort,
                memoryMb: s.prometheusMemoryMb,
                keepData: s.keepDataOnDestroy,
                settings: s,
                ruleGroups: incrementRuleGroups(),
            },
            { parent: this },
        );

        const grafanaUrl = `http://${host}:${s.grafanaPort}`;
        this.grafana = new Grafana(
            `${name}-grafana`,
            {
                ...common,
                image: s.grafanaImage,
                port: s.grafanaPort,
                url: grafanaUrl,
                memoryMb: s.grafanaMemoryMb,
                keepData: s.keepDataOnDestroy,
                settings: s,
                smtpPassword: pulumi.secret(s.secrets.smtpPassword),
                dependsOn: [this.prometheus.container, this.loki.container],
            },
            { parent: this },
        );

        this.content = new GrafanaContent(
            `${name}-content`,
            {
                provider: this.grafana.provider,
                storedIn: this.grafana.volume,
                dataSources: dataSources(s),
                dashboards: allDashboards(s.teamLabel),
                alertGroups: alertGroups({ ...s, grafanaUrl }),
                notifications: {
                    emails: s.alertEmails,
                    webhookUrl: pulumi.secret(s.secrets.alertWebhookUrl),
                    hasWebhook: s.secrets.alertWebhookUrl !== "",
                    slackUrl: pulumi.secret(s.secrets.slackWebhookUrl),
                    hasSlack: s.secrets.slackWebhookUrl !== "",
                },
            },
            { parent: this },
        );

        const endpoints = otlpEndpoints(s);
        const env = claudeCodeEnv(s);
        this.outputs = {
            grafanaUrl,
            grafanaAdminUser: this.grafana.adminUser,
            grafanaAdminPassword: this.grafana.adminPassword,
            prometheusUrl: `http://${host}:${s.prometheusPort}`,
            lokiUrl: `http://${host}:${s.lokiPort}`,
            otlpGrpcEndpoint: endpoints.grpc,
            otlpHttpEndpoint: endpoints.http,
            collectorHealthUrl: `http://${host}:${s.collectorHealthPort}/`,
            claudeCodeEnv: env,
            claudeCodeShellExports: claudeCodeShellExports(env),
            claudeCodeSettingsJson: claudeCodeSettingsJson(env),
        };
        this.registerOutputs(this.outputs);
    }
}
