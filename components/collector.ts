import type * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { COLLECTOR_CONFIG_PATH, COLLECTOR_ENV, type CollectorDestinations, type CollectorSettings, buildCollectorConfig, collectorMemory } from "../configs/collector";
import { type ServicePlacement, placementOf, serviceContainer } from "./docker";
import { COLLECTOR_PORTS, HOSTS } from "../configs/topology";

/** `image`: OpenTelemetry Collector contrib. */
export interface CollectorArgs extends ServicePlacement {
    /** Host ports for OTLP gRPC, OTLP HTTP and the health endpoint. */
    ports: { otlpGrpc: number; otlpHttp: number; health: number };
    /** Privacy mode, memory limit, series TTL and self-scrape interval. */
    settings: CollectorSettings;
    /** Where metrics and events go, and whether the receiver demands a token. */
    destinations: CollectorDestinations;
    /** The receiver's token when `destinations.receiverAuth` (secret); generated when not given. */
    receiverToken?: pulumi.Output<string>;
    /** Secret backend passwords or tokens (team mode). */
    backendTokens: { metrics?: pulumi.Output<string>; logs?: pulumi.Output<string> };
    /** The receiver's certificate chain and key (PEM, secret) when `destinations.receiverTls`. */
    receiverTls?: { cert: pulumi.Output<string>; key: pulumi.Output<string> };
}

/** The OpenTelemetry Collector that receives Claude Code's OTLP and feeds Prometheus and Loki. */
export class Collector extends pulumi.ComponentResource {
    readonly container: docker.Container;
    /** The generated configuration file (no credentials: they come from the environment). */
    readonly config: string;
    /** The token every client must send (secret), when the receiver requires one. */
    readonly receiverToken?: pulumi.Output<string>;

    constructor(name: string, args: CollectorArgs, opts?: pulumi.ComponentResourceOptions) {
        super("claude-code-monitoring:index:Collector", name, {}, opts);
        if (args.destinations.receiverTls !== (args.receiverTls !== undefined)) {
            throw new Error("Collector: destinations.receiverTls and receiverTls (the certificate and key) go together");
        }
        this.config = buildCollectorConfig(args.settings, args.destinations);
        if (args.destinations.receiverAuth) {
            // Generated once and kept (encrypted) in state, unless the team chose its own with collectorToken.
            this.receiverToken = pulumi.secret(
                args.receiverToken ?? new random.RandomPassword(`${name}-receiver-token`, { length: 40, special: false }, { parent: this }).result,
            );
        }

        const credentials: [string, pulumi.Output<string> | undefined][] = [
            [COLLECTOR_ENV.receiverToken, this.receiverToken],
            [COLLECTOR_ENV.metricsToken, args.backendTokens.metrics],
            [COLLECTOR_ENV.logsToken, args.backendTokens.logs],
            [COLLECTOR_ENV.tlsCert, args.receiverTls?.cert],
            [COLLECTOR_ENV.tlsKey, args.receiverTls?.key],
        ];
        // Credentials (and the TLS certificate and key) reach the process as environment variables: secret in
        // state, absent from the config file. A new certificate replaces the container.
        const envs = [
            `GOMEMLIMIT=${collectorMemory(args.settings.collectorMemoryMb).goMemLimitMib}MiB`,
            ...credentials.flatMap(([name, value]) => (value ? [pulumi.secret(pulumi.interpolate`${name}=${value}`)] : [])),
        ];

        // No healthcheck: the image is FROM scratch (no shell or HTTP client); `up` of its self-metrics is watched instead.
        this.container = serviceContainer(
            `${name}-container`,
            {
                ...placementOf(args),
                service: HOSTS.collector,
                ports: [
                    { internal: COLLECTOR_PORTS.otlpGrpc, external: args.ports.otlpGrpc },
                    { internal: COLLECTOR_PORTS.otlpHttp, external: args.ports.otlpHttp },
                    { internal: COLLECTOR_PORTS.health, external: args.ports.health },
                ],
                memoryMb: args.settings.collectorMemoryMb,
                envs,
                command: ["--config", COLLECTOR_CONFIG_PATH],
                uploads: [{ file: COLLECTOR_CONFIG_PATH, content: this.config }],
            },
            this,
        );
        this.registerOutputs({ containerName: this.container.name, config: this.config, receiverToken: this.receiverToken });
    }
}
