import type * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { LOKI_CONFIG_PATH, LOKI_DATA_PATH, type LokiSettings, buildLokiConfig } from "../configs/loki";
import { type DataServiceArgs, dataService } from "./docker";
import { HOSTS, LOKI_PORT } from "../configs/topology";

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
        // Event history on a volume that outlives the container and, unless asked otherwise, the stack.
        ({ volume: this.volume, container: this.container } = dataService(
            name,
            args,
            {
                service: HOSTS.loki,
                internalPort: LOKI_PORT,
                dataPath: LOKI_DATA_PATH,
                command: [`-config.file=${LOKI_CONFIG_PATH}`],
                uploads: [{ file: LOKI_CONFIG_PATH, content: this.config }],
                // The image is distroless (no shell, no wget); Loki probes its own /ready. Ready 15s after start.
                healthcheck: { tests: ["CMD", "/usr/bin/loki", "-health"], startPeriod: "30s" },
            },
            this,
        ));
        this.registerOutputs({ containerName: this.container.name, volumeName: this.volume.name, config: this.config });
    }
}
