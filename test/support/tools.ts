/**
 * Real tools the tests run (Debian's prometheus and promtool 3.x, installed by
 * scripts/install-prometheus.sh into .cache/prometheus).
 *
 * A missing tool fails the test in CI. Locally the test is skipped, loudly.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";

const CACHE_BIN = join(__dirname, "..", "..", ".cache", "prometheus", "usr", "bin");

export function findTool(name: "promtool" | "prometheus"): string | undefined {
    const cached = join(CACHE_BIN, name);
    if (existsSync(cached)) return cached;
    try {
        return execFileSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).trim() || undefined;
    } catch {
        return undefined;
    }
}

/** The tool's path; otherwise fails (CI) or skips the test with a loud warning (local). */
export function requireTool(name: "promtool" | "prometheus", skip: (note?: string) => void): string {
    const path = findTool(name);
    if (path) return path;
    const message = `${name} not found: run \`bash scripts/install-prometheus.sh\` (Debian's ${name} 3.x into .cache/prometheus)`;
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
        return execFileSync(promtool, ["test", "rules", "test.yml"], { cwd: dir, encoding: "utf8" });
    } catch (e: any) {
        throw new Error(`promtool test rules failed:\n${e.stdout ?? ""}${e.stderr ?? ""}`);
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}
