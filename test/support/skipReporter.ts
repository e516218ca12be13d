/**
 * A vitest reporter that ends a run with skipped tests on a loud summary: how many did not run,
 * which of the real tools they need are missing on this machine, and how to get them. The
 * default reporter's one "skipped" count at the top of a long log reads like a pass; this says
 * otherwise, last. (CI fails on any skip: .ci/run.)
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Reporter, TestModule } from "vitest/node";
import { OTELCOL_BIN, OTELCOL_VERSION } from "./collector";
import { PROMETHEUS_BIN_DIR, PROMETHEUS_VERSION, PULUMI_BIN, PULUMI_VERSION } from "../../harness/tools";


/** The real tools the tests run, how to tell each is here, and how to get it. */
export const TEST_TOOLS = [
    { name: `prometheus and promtool ${PROMETHEUS_VERSION}`, present: () => existsSync(join(PROMETHEUS_BIN_DIR, "promtool")), build: "bash scripts/build-prometheus.sh" },
    { name: `the OpenTelemetry Collector ${OTELCOL_VERSION}`, present: () => existsSync(OTELCOL_BIN), build: "bash scripts/build-otelcol.sh" },
    { name: `the Pulumi CLI ${PULUMI_VERSION}`, present: () => existsSync(PULUMI_BIN), build: "bash scripts/build-pulumi.sh" },
    { name: "a Docker engine (the container test)", present: () => spawnSync("docker", ["version"], { stdio: "ignore" }).status === 0, build: "start Docker Desktop, Colima or OrbStack, or dockerd on Linux" },
];
type TestTool = (typeof TEST_TOOLS)[number];

/** The summary for `skipped` skipped tests, given which tools are here; empty when nothing was skipped. */
export function skipSummary(skipped: number, present: (tool: TestTool) => boolean = (tool) => tool.present()): string[] {
    if (skipped === 0) return [];
    const missing = TEST_TOOLS.filter((tool) => !present(tool));
    return [
        "",
        `*** ${skipped === 1 ? "1 test was SKIPPED: it" : `${skipped} tests were SKIPPED: they`} did not run, so ${skipped === 1 ? "it" : "they"} did not pass.`,
        ...(missing.length > 0
            ? [
                  "*** Missing on this machine (the builds are from Go modules at the versions the stack pins, and need Go 1.26",
                  "*** or newer: macOS `brew install go`, Debian/Ubuntu `apt install golang` or https://go.dev/dl):",
                  ...missing.map((tool) => `***   ${tool.name}: ${tool.build}`),
                  "*** or every build at once: bash scripts/build-tools.sh (about 15-35 minutes the first time), then npm test again.",
              ]
            : ["*** Every tool the tests run is here, so a skip is a defect in the tests: see the SKIPPED lines above."]),
        "",
    ];
}

export default class SkipReporter implements Reporter {
    onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
        const skipped = testModules.reduce((n, m) => n + [...m.children.allTests("skipped")].length, 0);
        for (const line of skipSummary(skipped)) process.stderr.write(`${line}\n`);
    }
}
