import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { COLLECTOR_CONFIG_PATH, COLLECTOR_PORTS, CollectorSettings, buildCollectorConfig, collectorMemory } from "../configs/collector";
import { HOSTS } from "../configs/prometheus";
import { ServicePlacement, placementOf, serviceContainer } from "./docker";

/** `image`: OpenTelemetry Collector contrib. */
export interface CollectorArgs extends ServicePlacement {
    /** Host ports for OTLP gRPC, OTLP HTTP and the health endpoint. */
    ports: { otlpGrpc: number; otlpHttp: number; health: number };
    /** Privacy mode, memory limit and series TTL. */
    settings: CollectorSettings;
}

/** The OpenTelemetry Collector that receives Claude Code's OTLP and feeds Prometheus and Loki. */
export class Collector extends pulumi.ComponentResource {
    readonly container: docker.Container;
    /** The generated configuration file. */
    readonly config: string;

    constructor(name: string, args: CollectorArgs, opts?: pulumi.ComponentResourceOptions) {
        super("claude-code-monitoring:index:Collector", name, {}, opts);
        this.config = buildCollectorConfig(args.settings);
        // No healthcheck: the image is FROM scratch (no shell or HTTP client); Prometheus watches `up` instead.
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
                envs: [`GOMEMLIMIT=${collectorMemory(args.settings.collectorMemoryMb).goMemLimitMib}MiB`],
                command: ["--config", COLLECTOR_CONFIG_PATH],
                uploads: [{ file: COLLECTOR_CONFIG_PATH, content: this.config }],
            },
            this,
        );
        this.registerOutputs({ containerName: this.container.name, config: this.config });
    }
}
