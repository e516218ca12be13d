import type * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as grafana from "@pulumiverse/grafana";
import { GRAFANA_DATA_PATH, GRAFANA_ENTRYPOINT, type GrafanaSettings, grafanaEnvironment } from "../configs/grafana";
import { type DataServiceArgs, dataService } from "./docker";
import { GRAFANA_PORT, HOSTS } from "../configs/topology";

/** `image`: a Grafana version the Grafana provider is tested against. */
export interface GrafanaArgs extends DataServiceArgs {
    /** Grafana's URL as seen from the machine running Pulumi and the browser. */
    url: string;
    /** Admin user, anonymous viewer mode and SMTP. */
    settings: GrafanaSettings;
    /** SMTP password, if email notifications are configured. */
    smtpPassword: pulumi.Output<string>;
    /** Containers Grafana queries; it starts after them. */
    dependsOn: pulumi.Resource[];
}

/** Grafana, and a provider that talks to it only once it is healthy. */
export class Grafana extends pulumi.ComponentResource {
    readonly container: docker.Container;
    readonly volume: docker.Volume;
    readonly provider: grafana.Provider;
    readonly adminUser: string;
    /** Secret. */
    readonly adminPassword: pulumi.Output<string>;
    readonly url: string;

    constructor(name: string, args: GrafanaArgs, opts?: pulumi.ComponentResourceOptions) {
        super("claude-code-monitoring:index:Grafana", name, {}, opts);
        // Generated once per stack and kept in state (encrypted); special characters would need quoting in URLs and shells.
        const password = new random.RandomPassword(`${name}-admin-password`, { length: 32, special: false }, { parent: this });
        this.adminUser = args.settings.grafanaAdminUser;
        this.adminPassword = pulumi.secret(password.result);
        this.url = args.url;

        // Only the password entries are secrets: the rest stays readable in previews and to the policy pack.
        const envs = [
            ...grafanaEnvironment(args.settings, args.url),
            pulumi.secret(pulumi.interpolate`GF_SECURITY_ADMIN_PASSWORD=${this.adminPassword}`),
            ...(args.settings.smtpHost ? [pulumi.secret(pulumi.interpolate`GF_SMTP_PASSWORD=${args.smtpPassword}`)] : []),
        ];
        // Grafana's database on a kept volume: users' own dashboards, preferences and alert state live there.
        ({ volume: this.volume, container: this.container } = dataService(
            name,
            args,
            {
                service: HOSTS.grafana,
                internalPort: GRAFANA_PORT,
                dataPath: GRAFANA_DATA_PATH,
                envs,
                entrypoints: GRAFANA_ENTRYPOINT,
                // busybox wget is part of the Alpine-based image.
                healthcheck: { tests: ["CMD", "wget", "-q", "--spider", `http://localhost:${GRAFANA_PORT}/api/health`], startPeriod: "10s", interval: "2s", retries: 90 },
                // The provider below must not call Grafana before it answers.
                wait: true,
            },
            this,
            args.dependsOn,
        ));

        // Explicit provider: its URL comes from config, so the dependency on the container is stated.
        this.provider = new grafana.Provider(
            `${name}-provider`,
            {
                url: args.url,
                auth: pulumi.secret(pulumi.interpolate`${this.adminUser}:${this.adminPassword}`),
                retries: 6,
            },
            { parent: this, dependsOn: [this.container] },
        );

        this.registerOutputs({
            containerName: this.container.name,
            volumeName: this.volume.name,
            url: this.url,
            adminUser: this.adminUser,
            adminPassword: this.adminPassword,
        });
    }
}
