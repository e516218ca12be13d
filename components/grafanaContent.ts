import * as pulumi from "@pulumi/pulumi";
import * as grafana from "@pulumiverse/grafana";
import { AlertGroup, MESSAGE_TEMPLATE, MESSAGE_TEMPLATE_NAME } from "../configs/alerts";
import { Dashboard, FOLDER } from "../configs/dashboards";
import { DataSourceSpec } from "../configs/datasources";

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
    /** The Grafana objects live in this resource's data; when it goes, so do they (no API calls needed). */
    storedIn: pulumi.Resource;
    /** Data sources to create. */
    dataSources: DataSourceSpec[];
    /** Dashboard models. */
    dashboards: Dashboard[];
    /** Grafana-managed alert rule groups. */
    alertGroups: AlertGroup[];
    /** Where notifications go; with none, alerts show in Grafana's alert list only. */
    notifications: NotificationTargets;
}

/** Everything the stack provisions inside Grafana through its API. */
export class GrafanaContent extends pulumi.ComponentResource {
    readonly folder: grafana.oss.Folder;
    readonly dataSources: grafana.oss.DataSource[];
    readonly dashboards: grafana.oss.Dashboard[];
    readonly ruleGroups: grafana.alerting.RuleGroup[];
    readonly messageTemplate: grafana.alerting.MessageTemplate;
    readonly contactPoint?: grafana.alerting.ContactPoint;
    readonly notificationPolicy?: grafana.alerting.NotificationPolicy;

    constructor(name: string, args: GrafanaContentArgs, opts?: pulumi.ComponentResourceOptions) {
        super("claude-code-monitoring:index:GrafanaContent", name, {}, { ...opts, providers: [args.provider] });
        // `pulumi destroy` then needs no running Grafana: the objects go with the database that holds them.
        const child = { parent: this, deletedWith: args.storedIn };

        this.folder = new grafana.oss.Folder(`${name}-folder`, { uid: FOLDER.uid, title: FOLDER.title }, child);

        // Fixed uids, so dashboard and alert JSON can name them as plain strings.
        this.dataSources = args.dataSources.map(
            (ds) =>
                new grafana.oss.DataSource(
                    `${name}-datasource-${ds.uid}`,
                    { name: ds.name, uid: ds.uid, type: ds.type, url: ds.url, accessMode: "proxy", isDefault: ds.isDefault, jsonDataEncoded: JSON.stringify(ds.jsonData) },
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
            // Manages Grafana's whole policy tree (one per organisation): every alert goes to the contact point.
            this.notificationPolicy = new grafana.alerting.NotificationPolicy(
                `${name}-notification-policy`,
                { contactPoint: this.contactPoint.name, groupBies: ["grafana_folder", "alertname"], groupWait: "30s", groupInterval: "5m", repeatInterval: "4h" },
                child,
            );
        }

        this.ruleGroups = args.alertGroups.map(
            (group) =>
                new grafana.alerting.RuleGroup(
                    `${name}-rules-${group.name.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`,
                    { name: group.name, folderUid: this.folder.uid, intervalSeconds: group.intervalSeconds, rules: group.rules },
                    { ...child, dependsOn: [...this.dataSources, ...(this.notificationPolicy ? [this.notificationPolicy] : [])] },
                ),
        );

        this.registerOutputs({
            folderUid: this.folder.uid,
            dataSourceUids: this.dataSources.map((ds) => ds.uid),
            dashboardUrls: this.dashboards.map((d) => d.url),
            ruleGroupNames: this.ruleGroups.map((g) => g.name),
            contactPointName: this.contactPoint?.name,
        });
    }
}
