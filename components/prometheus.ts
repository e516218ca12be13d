import type * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { PROMETHEUS_CONFIG_PATH, PROMETHEUS_DATA_PATH, PROMETHEUS_RULES_DIR, type PrometheusCommandSettings, type PrometheusSettings, type RuleGroup, buildPrometheusConfig, buildRuleFiles, prometheusCommand } from "../configs/prometheus";
import { type DataServiceArgs, dataService } from "./docker";
import { HOSTS, PROMETHEUS_PORT } from "../configs/topology";

/** `image`: Prometheus 3.x. */
export interface PrometheusArgs extends DataServiceArgs {
    /** Scrape interval and retention. */
    settings: PrometheusSettings & PrometheusCommandSettings;
    /** Rule groups delivered as rule files. */
    ruleGroups: RuleGroup[];
}

/** Prometheus: stores Claude Code metrics scraped from the collector and evaluates recording rules. */
export class Prometheus extends pulumi.ComponentResource {
    readonly container: docker.Container;
    readonly volume: docker.Volume;
    /** Generated prometheus.yml. */
    readonly config: string;
    /** Generated rule files by file name. */
    readonly ruleFiles: Record<string, string>;

    constructor(name: string, args: PrometheusArgs, opts?: pulumi.ComponentResourceOptions) {
        super("claude-code-monitoring:index:Prometheus", name, {}, opts);
        this.config = buildPrometheusConfig(args.settings);
        this.ruleFiles = buildRuleFiles(args.ruleGroups);
        // Metrics history on a volume that outlives the container and, unless asked otherwise, the stack.
        ({ volume: this.volume, container: this.container } = dataService(
            name,
            args,
            {
                service: HOSTS.prometheus,
                internalPort: PROMETHEUS_PORT,
                dataPath: PROMETHEUS_DATA_PATH,
                command: prometheusCommand(args.settings),
                uploads: [
                    { file: PROMETHEUS_CONFIG_PATH, content: this.config },
                    ...Object.entries(this.ruleFiles).map(([file, content]) => ({ file: `${PROMETHEUS_RULES_DIR}/${file}`, content })),
                ],
                // promtool ships in the image (busybox and distroless variants alike).
                healthcheck: { tests: ["CMD", "/bin/promtool", "check", "ready"], startPeriod: "20s" },
            },
            this,
        ));
        this.registerOutputs({ containerName: this.container.name, volumeName: this.volume.name, config: this.config, ruleFiles: this.ruleFiles });
    }
}
