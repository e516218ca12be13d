/**
 * The generated prometheus.yml and rule files, checked by Prometheus' own promtool 3.x.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { COLLECTOR_SELF_JOB } from "../configs/collector";
import { CLAUDE_CODE_SCRAPE_JOB, buildPrometheusConfig, buildRuleFiles, prometheusCommand } from "../configs/prometheus";
import { incrementRuleGroups } from "../configs/rules";
import { DEFAULTS, loadSettings } from "../configs/settings";
import { requireTool } from "../harness/tools";
import { COLLECTOR_PORTS } from "../configs/topology";

/** Writes prometheus.yml and rules/ as the container sees them (rule paths are relative). */
function writeConfigDir(scrapeInterval: string): string {
    const dir = mkdtempSync(join(tmpdir(), "prom-config-"));
    writeFileSync(join(dir, "prometheus.yml"), buildPrometheusConfig({ scrapeInterval }));
    mkdirSync(join(dir, "rules"));
    for (const [file, content] of Object.entries(buildRuleFiles(incrementRuleGroups()))) writeFileSync(join(dir, "rules", file), content);
    return dir;
}

describe("prometheus.yml", () => {
    it.for(["10s", "15s", "1m"])("passes promtool check config with lint (scrape interval %s)", (interval, ctx) => {
        const promtool = requireTool("promtool", ctx.skip);
        const dir = writeConfigDir(interval);
        const out = execFileSync(promtool, ["check", "config", "--lint=all", "--lint-fatal", join(dir, "prometheus.yml")], { encoding: "utf8" });
        expect(out).toContain("is valid prometheus config file syntax");
        expect(out).toMatch(/SUCCESS: 1 rule files found/);
    });

    it("scrapes Claude Code metrics from the collector's exporter, keeping the exporter's job label", () => {
        const config = parse(buildPrometheusConfig({ scrapeInterval: DEFAULTS.scrapeInterval }));
        const job = config.scrape_configs.find((j: any) => j.job_name === CLAUDE_CODE_SCRAPE_JOB);
        expect(job.honor_labels).toBe(true);
        expect(job.static_configs).toEqual([{ targets: [`otel-collector:${COLLECTOR_PORTS.exporter}`] }]);
        const targets = config.scrape_configs.map((j: any) => `${j.job_name}=${j.static_configs[0].targets[0]}`);
        expect(targets).toEqual([
            "claude-code-otel=otel-collector:8889",
            `${COLLECTOR_SELF_JOB}=otel-collector:8888`,
            "prometheus=localhost:9090",
            "loki=loki:3100",
            "grafana=grafana:3000",
        ]);
        expect(config.global).toEqual({ scrape_interval: "10s", evaluation_interval: "10s" });
    });

    it("sets retention from the stack settings on the command line", () => {
        const s = loadSettings((k) => ({ metricsRetentionTime: "26w", metricsRetentionSize: "512MB" })[k]);
        expect(prometheusCommand(s)).toContain("--storage.tsdb.retention.time=26w");
        expect(prometheusCommand(s)).toContain("--storage.tsdb.retention.size=512MB");
    });

    it("accepts the command-line flags the program passes (prometheus --help lists them)", (ctx) => {
        const prometheus = requireTool("prometheus", ctx.skip);
        const help = execFileSync(prometheus, ["--help"], { encoding: "utf8" });
        for (const flag of prometheusCommand(DEFAULTS)) expect(help).toContain(flag.split("=")[0]);
    });
});

describe("rule files", () => {
    it("pass promtool check rules", (ctx) => {
        const promtool = requireTool("promtool", ctx.skip);
        const dir = writeConfigDir("10s");
        for (const file of Object.keys(buildRuleFiles(incrementRuleGroups()))) {
            const out = execFileSync(promtool, ["check", "rules", "--lint=all", "--lint-fatal", join(dir, "rules", file)], { encoding: "utf8" });
            expect(out).toContain("SUCCESS");
        }
    });
});
