/**
 * Real tools the tests run: prometheus and promtool at exactly the version the stack pins
 * (DEFAULTS.prometheusImage, e.g. prom/prometheus:v3.15.0), built from the Go module
 * github.com/prometheus/prometheus by scripts/build-prometheus.sh into .cache/prometheus-<version>/.
 * No fallback to a prometheus or promtool on PATH: another version would test something else.
 *
 * A missing tool fails the test in CI. Locally the test is skipped, loudly.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { DEFAULTS } from "../configs/settings";

/** The pinned Prometheus version, `3.15.0` from `prom/prometheus:v3.15.0` (the one source; the build script reads the same line). */
export const PROMETHEUS_VERSION = (() => {
    const version = /^prom\/prometheus:v(\d+\.\d+\.\d+)$/.exec(DEFAULTS.prometheusImage)?.[1];
    if (!version) throw new Error(`DEFAULTS.prometheusImage is not prom/prometheus:vX.Y.Z: ${DEFAULTS.prometheusImage}`);
    return version;
})();

/** Where scripts/build-prometheus.sh puts the binaries. */
export const PROMETHEUS_BIN_DIR = join(__dirname, "..", ".cache", `prometheus-${PROMETHEUS_VERSION}`);

/** How to get the tools, for error messages. */
/** The Pulumi CLI the tests run: the version in .pulumi-version, built by scripts/build-pulumi.sh. */
export const PULUMI_VERSION = readFileSync(join(__dirname, "..", ".pulumi-version"), "utf8").trim();
export const PULUMI_BIN = join(__dirname, "..", ".cache", `pulumi-v${PULUMI_VERSION}`, "pulumi");

export const BUILD_HINT = `run \`bash scripts/build-prometheus.sh\` (builds prometheus and promtool ${PROMETHEUS_VERSION} into .cache/prometheus-${PROMETHEUS_VERSION}; needs Go, on macOS \`brew install go\`)`;

export function findTool(name: "promtool" | "prometheus"): string | undefined {
    const path = join(PROMETHEUS_BIN_DIR, name);
    return existsSync(path) ? path : undefined;
}

/** The tool's path; otherwise fails (CI) or skips the test with a loud warning (local). */
export function requireTool(name: "promtool" | "prometheus", skip: (note?: string) => void): string {
    const path = findTool(name);
    if (path) return path;
    const message = `${name} ${PROMETHEUS_VERSION} not found: ${BUILD_HINT}`;
    if (process.env.CI) throw new Error(message);
    console.warn(`\n*** SKIPPED: ${message}\n`);
    skip(message);
    throw new Error("unreachable");
}

/**
 * Runs `promtool test rules` on the given rule files (name → content) and unit tests (the
 * `tests:` list of a promtool test file, evaluation every minute). Returns promtool's output;
 * throws with it when a test fails.
 */
export function promtoolTestRules(ruleFiles: Record<string, string>, tests: unknown[], skip: (note?: string) => void): string {
    const promtool = requireTool("promtool", skip);
    const dir = mkdtempSync(join(tmpdir(), "promtool-test-"));
    for (const [file, content] of Object.entries(ruleFiles)) writeFileSync(join(dir, file), content);
    writeFileSync(join(dir, "test.yml"), stringify({ rule_files: Object.keys(ruleFiles), evaluation_interval: "1m", tests }));
    try {
        // stderr captured too: a test that expects a failure must not print promtool's FAILED report.
        return execFileSync(promtool, ["test", "rules", "test.yml"], { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    } catch (e: any) {
        throw new Error(`promtool test rules failed:\n${e.stdout ?? ""}${e.stderr ?? ""}`);
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}
