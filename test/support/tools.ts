/**
 * Real tools the tests run (Debian's prometheus and promtool 3.x, installed by
 * scripts/install-prometheus.sh into .cache/prometheus).
 *
 * A missing tool fails the test in CI. Locally the test is skipped, loudly.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";

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
