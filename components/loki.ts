import type * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { LOKI_CONFIG_PATH, LOKI_DATA_PATH, LOKI_PORT, type LokiSettings, buildLokiConfig } from "../configs/loki";
import { HOSTS } from "../configs/prometheus";
import { type DataServiceArgs, dataVolume, placementOf, serviceContainer } from "./docker";

/** `image`: Loki 3.6.5 or later, for the built-in health probe. */
export interface LokiArgs extends DataServiceArgs {
    /** Retention. */
    settings: LokiSettings;
}

/** Loki: stores Claude Code's events (OTLP log records) with their attributes as structured metadata. */
export class Loki extends pulumi.ComponentResource {
    readonly container: docker.Container;
    readonly volume: docker.Volume;
    /** Generated loki.yaml. */
    readonly config: string;

    constructor(name: string, args: LokiArgs, opts?: pulumi.ComponentResourceOptions) {
        super("claude-code-monitoring:index:Loki", name, {}, opts);
        this.config = buildLokiConfig(args.settings);
        // Event history: outlives the container and, unless asked otherwise, the stack.
        this.volume = dataVolume(`${name}-data`, `${args.namePrefix}-loki-data`, args.stack, args.keepData, this);
        this.container = serviceContainer(
            `${name}-container`,
            {
                ...placementOf(args),
                service: HOSTS.loki,
                ports: [{ internal: LOKI_PORT, external: args.port }],
                memoryMb: args.memoryMb,
                command: [`-config.file=${LOKI_CONFIG_PATH}`],
                uploads: [{ file: LOKI_CONFIG_PATH, content: this.config }],
                volumes: [{ volumeName: this.volume.name, containerPath: LOKI_DATA_PATH }],
                // The image is distroless (no shell, no wget); Loki probes its own /ready. Ready 15s after start.
                healthcheck: { tests: ["CMD", "/usr/bin/loki", "-health"], startPeriod: "30s" },
            },
            this,
        );
        this.registerOutputs({ containerName: this.container.name, volumeName: this.volume.name, config: this.config });
    }
}
