/**
 * Reads a deployed stack's outputs (secrets included) through the Pulumi CLI, with the same
 * passphrase handling as scripts/deploy.sh, for the commands that act on a running stack.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/** The passphrase file scripts/deploy.sh generates on first deploy. */
export const PASSPHRASE_FILE = join(homedir(), ".pulumi", "claude-code-monitoring.passphrase");

/** Environment for the Pulumi CLI: the generated passphrase file unless the caller set one. */
export function pulumiEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
    if (env.PULUMI_CONFIG_PASSPHRASE !== undefined || env.PULUMI_CONFIG_PASSPHRASE_FILE !== undefined) return env;
    return existsSync(PASSPHRASE_FILE) ? { ...env, PULUMI_CONFIG_PASSPHRASE_FILE: PASSPHRASE_FILE } : env;
}

/** `pulumi stack output --json --show-secrets` for the stack (default: $PULUMI_STACK or "local"). */
export function readStackOutputs(stack = process.env.PULUMI_STACK ?? "local"): Record<string, unknown> {
    let text: string;
    try {
        text = execFileSync("pulumi", ["stack", "output", "--json", "--show-secrets", "--stack", stack], {
            cwd: join(__dirname, ".."),
            env: pulumiEnv(),
            encoding: "utf8",
            stdio: ["ignore", "pipe", "pipe"],
        });
    } catch (e) {
        const err = e as { code?: string; stderr?: string };
        if (err.code === "ENOENT") throw new Error("the Pulumi CLI is not installed (https://www.pulumi.com/docs/install/)");
        throw new Error(`could not read the outputs of stack "${stack}" (deploy it first with npm run deploy): ${(err.stderr ?? String(e)).trim()}`);
    }
    return JSON.parse(text) as Record<string, unknown>;
}
