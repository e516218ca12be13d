import * as pulumi from "@pulumi/pulumi";
import * as grafana from "@pulumiverse/grafana";
import { type AlertGroup, MESSAGE_TEMPLATE, MESSAGE_TEMPLATE_NAME } from "../configs/alerts";
import { type Dashboard, FOLDER } from "../configs/dashboards";
import type { DataSourceSpec } from "../configs/datasources";
import type { RecordingGroup } from "../configs/rules";
import type { SecretKey } from "../configs/settings";

export interface NotificationTargets {
    /** Email addresses (Grafana needs SMTP settings to send). */
    emails: string[];
    /** Generic webhook URL (secret), or empty. */
    webhookUrl: pulumi.Output<string>;
    hasWebhook: boolean;
    /** Slack incoming-webhook URL (secret), or empty. */
    slackUrl: pulumi.Output<string>;
    hasSlack: boolean;
}

export interface GrafanaContentArgs {
    /** Provider for the Grafana that receives the content. */
    provider: grafana.Provider;
    /** A volume that holds these objects and is deleted on destroy: then no API calls are needed. Unset when the database outlives the stack (kept volume, shared Grafana). */
    storedIn?: pulumi.Resource;
    /** Data sources to create. */
    dataSources: DataSourceSpec[];
    /** Secret passwords or tokens the data sources name in `tokenKey`. */
    dataSourceTokens: Partial<Record<SecretKey, pulumi.Output<string>>>;
    /** Dashboard models. */
    dashboards: Dashboard[];
    /** Grafana-managed alert rule groups. */
    alertGroups: AlertGroup[];
    /** Grafana-managed recording rule groups (team mode: no Prometheus of the stack's own runs rules). */
    recordingGroups: RecordingGroup[];
    /** Where notifications go; with none, alerts show in Grafana's alert list only. */
    notifications: NotificationTargets;
}

/** Everything the stack provisions inside Grafana through its API. */
export class GrafanaContent extends pulumi.ComponentResource {
    readonly folder: grafana.oss.Folder;
    readonly dataSources: grafana.oss.DataSource[];
    readonly dashboards: grafana.oss.Dashboard[];
    readonly ruleGroups: grafana.alerting.RuleGroup[];
    readonly recordingGroups: grafana.alerting.RuleGroup[];
    readonly messageTemplate: grafana.alerting.MessageTemplate;
    readonly contactPoint?: grafana.alerting.ContactPoint;

    constructor(name: string, args: GrafanaContentArgs, opts?: pulumi.ComponentResourceOptions) {
        super("claude-code-monitoring:index:GrafanaContent", name, {}, { ...opts, providers: [args.provider] });
        // With a deleted volume, `pulumi destroy` needs no API calls: the objects go with the database that holds them.
        const child = { parent: this, ...(args.storedIn ? { deletedWith: args.storedIn } : {}) };

        this.folder = new grafana.oss.Folder(`${name}-folder`, { uid: FOLDER.uid, title: FOLDER.title }, child);

        // Fixed uids, so dashboard and alert JSON can name them as plain strings.
        this.dataSources = args.dataSources.map(
            (ds) =>
                new grafana.oss.DataSource(
                    `${name}-datasource-${ds.uid}`,
                    {
                        name: ds.name,
                        uid: ds.uid,
                        type: ds.type,
                        url: ds.url,
                        accessMode: "proxy",
                        isDefault: ds.isDefault,
                        jsonDataEncoded: JSON.stringify(ds.jsonData),
                        ...dataSourceCredentials(ds, args.dataSourceTokens),
                    },
                    child,
                ),
        );

        this.dashboards = args.dashboards.map(
            (model) =>
                new grafana.oss.Dashboard(
                    `${name}-dashboard-${model.uid}`,
                    { folder: this.folder.uid, configJson: JSON.stringify(model), overwrite: true },
                    { ...child, dependsOn: this.dataSources },
                ),
        );

        // Notifications state the numbers: spend, budget, forecast, user and model.
        this.messageTemplate = new grafana.alerting.MessageTemplate(`${name}-message-template`, { name: MESSAGE_TEMPLATE_NAME, template: MESSAGE_TEMPLATE }, child);
        const title = `{{ template "${MESSAGE_TEMPLATE_NAME}.title" . }}`;
        const message = `{{ template "${MESSAGE_TEMPLATE_NAME}.message" . }}`;

        const targets = args.notifications;
        if (targets.emails.length > 0 || targets.hasWebhook || targets.hasSlack) {
            // One contact point with every configured integration.
            this.contactPoint = new grafana.alerting.ContactPoint(
                `${name}-contact-point`,
                {
                    name: "Claude Code alerts",
                    ...(targets.emails.length > 0 ? { emails: [{ addresses: targets.emails, singleEmail: true, subject: title, message }] } : {}),
                    ...(targets.hasWebhook ? { webhooks: [{ url: targets.webhookUrl, title, message }] } : {}),
                    ...(targets.hasSlack ? { slacks: [{ url: targets.slackUrl, title, text: message }] } : {}),
                },
                { ...child, dependsOn: [this.messageTemplate] },
            );
        }
        // Each rule routes to the contact point itself, so an organisation's notification policy tree
        // (shared with other teams in a team Grafana) is left alone; without one, Grafana's default policy applies.
        const notificationSettings = this.contactPoint
            ? { contactPoint: this.contactPoint.name, groupBies: ["grafana_folder", "alertname"], groupWait: "30s", groupInterval: "5m", repeatInterval: "4h" }
            : undefined;

        const ruleGroup = (group: { name: string; intervalSeconds: number }, rules: pulumi.Input<grafana.types.input.alerting.RuleGroupRule>[]) =>
            new grafana.alerting.RuleGroup(
                `${name}-rules-${group.name.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`,
                { name: group.name, folderUid: this.folder.uid, intervalSeconds: group.intervalSeconds, rules },
                { ...child, dependsOn: this.dataSources },
            );
        this.recordingGroups = args.recordingGroups.map((group) => ruleGroup(group, group.rules));
        this.ruleGroups = args.alertGroups.map((group) =>
            ruleGroup(group, notificationSettings ? group.rules.map((rule) => ({ ...rule, notificationSettings })) : group.rules),
        );

        this.registerOutputs({
            folderUid: this.folder.uid,
            dataSourceUids: this.dataSources.map((ds) => ds.uid),
            dashboardUrls: this.dashboards.map((d) => d.url),
            ruleGroupNames: [...this.recordingGroups, ...this.ruleGroups].map((g) => g.name),
            contactPointName: this.contactPoint?.name,
        });
    }
}

/** Data source auth: basic auth with the user and the secret token, or a secret bearer header. */
function dataSourceCredentials(ds: DataSourceSpec, tokens: Partial<Record<SecretKey, pulumi.Output<string>>>): Partial<grafana.oss.DataSourceArgs> {
    if (ds.auth.kind === "none") return {};
    const token = ds.tokenKey ? tokens[ds.tokenKey] : undefined;
    if (!token) throw new Error(`data source ${ds.uid}: ${ds.auth.kind} auth needs a token, but none was passed`);
    if (ds.auth.kind === "basic") {
        return {
            basicAuthEnabled: true,
            basicAuthUsername: ds.auth.user,
            secureJsonDataEncoded: pulumi.secret(token.apply((password) => JSON.stringify({ basicAuthPassword: password }))),
        };
    }
    return { httpHeaders: pulumi.secret(token.apply((t) => ({ Authorization: `Bearer ${t}` }))) };
}
