/**
 * `npm run status` on the program's own outputs (under mocks): what a user sees after a deploy,
 * with the Grafana password only on request.
 */
import { describe, expect, it } from "vitest";
import { describeStack, main } from "../scripts/status";
import { runProgram, stackFileConfig } from "./support/pulumiMocks";
import { TEST_TLS } from "./support/tls";

describe("npm run status", () => {
    it("a local stack: Grafana with its user, the password only with --show-password, every endpoint, the next steps", async () => {
        const { exports } = await runProgram({});
        const lines = describeStack(exports, "local", false);
        expect(lines).toEqual([
            'Stack "local" (local mode)',
            "  Grafana      http://127.0.0.1:3000  (user admin)",
            "  password     npm run status -- --show-password",
            "  Prometheus   http://127.0.0.1:9090",
            "  Loki         http://127.0.0.1:3100",
            "  OTLP gRPC    http://127.0.0.1:4317",
            "  OTLP HTTP    http://127.0.0.1:4318",
            "  health       http://127.0.0.1:13133/",
            "Next:",
            "  1. npm run client-setup   (points Claude Code's telemetry at this stack)",
            "  2. restart Claude Code (a running session keeps its old settings)",
            "  3. npm run check   (sends a test metric and event through every hop)",
        ]);
        expect(lines.join("\n")).not.toContain("mock-admin-password");
        expect(describeStack(exports, "local", true)).toContain("  password     mock-admin-password");
    });

    it("a team stack: the team's Grafana, no password, https endpoints, the stack named in the next steps", async () => {
        const secrets = { teamGrafanaAuth: "glsa_x", teamMetricsToken: "glc_m", teamLogsToken: "glc_l", collectorTlsCert: TEST_TLS.cert, collectorTlsKey: TEST_TLS.key };
        const { exports } = await runProgram({ ...stackFileConfig("Pulumi.team.example.yaml"), ...secrets }, Object.keys(secrets), "team");
        const lines = describeStack(exports, "team", true);
        expect(lines[0]).toBe('Stack "team" (team mode: the collector here, the dashboards in the team\'s Grafana)');
        expect(lines).toContain("  Grafana      https://example.grafana.net");
        expect(lines).toContain("  OTLP gRPC    https://otel.team.example.com:4317");
        expect(lines.some((l) => l.includes("password"))).toBe(false);
        expect(lines).toContain("  1. npm run client-setup -- --stack team   (points Claude Code's telemetry at this stack)");
    });

    it("a stack that cannot be read exits 1 with the reason; a bad option exits 2", () => {
        const out: string[] = [];
        const err: string[] = [];
        const deps = { env: {}, out: (l: string) => out.push(l), err: (l: string) => err.push(l) };
        const gone = () => {
            throw new Error('could not read the outputs of stack "local" (deploy it first with npm run deploy)');
        };
        expect(main([], { ...deps, readStackOutputs: gone })).toBe(1);
        expect(err.join("\n")).toContain("deploy it first with npm run deploy");
        expect(main(["--nope"], { ...deps, readStackOutputs: gone })).toBe(2);
        expect(main(["--stack", "team"], { ...deps, readStackOutputs: (stack) => ({ mode: "local", grafanaUrl: `http://${stack}` }) })).toBe(0);
        expect(out).toContain("  Grafana      http://team  (user admin)");
    });
});
