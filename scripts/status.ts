/**
 * `npm run status`: how to reach the deployed stack, without the Pulumi passphrase prompt (the
 * outputs are read with the passphrase file npm run deploy generated, scripts/stackOutputs.ts).
 * Prints the Grafana address and user, the other endpoints, and the next steps; the Grafana admin
 * password only with --show-password.
 */
import { parseArgs } from "node:util";
import { readStackOutputs } from "./stackOutputs";

export const USAGE = `Usage: npm run status -- [--stack <name>] [--show-password]

Shows how to reach the deployed stack (default: $PULUMI_STACK or "local"): Grafana's address and
user, Prometheus, Loki and the collector, and what to do next. --show-password also prints the
Grafana admin password.`;

const text = (value: unknown): string | undefined => (typeof value === "string" && value !== "" ? value : undefined);

/** The lines `npm run status` prints for a stack's outputs. */
export function describeStack(outputs: Record<string, unknown>, stack: string, showPassword: boolean): string[] {
    const team = outputs.mode === "team";
    const lines = [`Stack "${stack}" (${team ? "team mode: the collector here, the dashboards in the team's Grafana" : "local mode"})`];
    const grafana = text(outputs.grafanaUrl);
    if (grafana) lines.push(`  Grafana      ${grafana}${team ? "" : `  (user ${text(outputs.grafanaAdminUser) ?? "admin"})`}`);
    if (!team && text(outputs.grafanaAdminPassword)) {
        lines.push(showPassword ? `  password     ${outputs.grafanaAdminPassword}` : "  password     npm run status -- --show-password");
    }
    for (const [label, key] of [["Prometheus", "prometheusUrl"], ["Loki", "lokiUrl"], ["OTLP gRPC", "otlpGrpcEndpoint"], ["OTLP HTTP", "otlpHttpEndpoint"], ["health", "collectorHealthUrl"]] as const) {
        const value = text(outputs[key]);
        if (value) lines.push(`  ${label.padEnd(12)} ${value}`);
    }
    lines.push(
        "Next:",
        `  1. npm run client-setup${stack === "local" ? "" : ` -- --stack ${stack}`}   (points Claude Code's telemetry at this stack)`,
        "  2. restart Claude Code (a running session keeps its old settings)",
        `  3. npm run check${stack === "local" ? "" : ` -- --stack ${stack}`}   (sends a test metric and event through every hop)`,
    );
    return lines;
}

export function main(argv: string[], deps: { env: NodeJS.ProcessEnv; readStackOutputs: (stack: string) => Record<string, unknown>; out: (line: string) => void; err: (line: string) => void }): number {
    let values: { stack?: string; "show-password"?: boolean; help?: boolean };
    try {
        ({ values } = parseArgs({ args: argv, strict: true, allowPositionals: false, options: { stack: { type: "string" }, "show-password": { type: "boolean", default: false }, help: { type: "boolean", short: "h", default: false } } }));
    } catch (e) {
        deps.err(`status: ${(e as Error).message}\n${USAGE}`);
        return 2;
    }
    if (values.help) {
        deps.out(USAGE);
        return 0;
    }
    const stack = values.stack ?? deps.env.PULUMI_STACK ?? "local";
    try {
        for (const line of describeStack(deps.readStackOutputs(stack), stack, values["show-password"] ?? false)) deps.out(line);
        return 0;
    } catch (e) {
        deps.err(`status: ${(e as Error).message}`);
        return 1;
    }
}

if (typeof require !== "undefined" && require.main === module) {
    process.exitCode = main(process.argv.slice(2), { env: process.env, readStackOutputs, out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) });
}
