/**
 * What the end-to-end check (scripts/check.ts) needs to know about a deployed stack: where each hop
 * answers and what the stack provisioned. Exported as the secret stack output `checkTargets`.
 */
import type { AlertGroup } from "./alerts";
import type { Dashboard } from "./dashboards";
import { FOLDER } from "./dashboards";
import type { GrafanaRequirement } from "./recordingWriter";
import type { RecordingGroup } from "./rules";
import { DATASOURCE_UIDS } from "./topology";
import { z } from "zod";

/** Every failure inside a field reads as the shape the field must have. */
const must = (shape: string) => ({ error: `must be ${shape}` });
const text = z.string(must("a non-empty string")).min(1, must("a non-empty string"));

/** The `checkTargets` value's shape; `npm run check` validates what it reads against it. */
export const CHECK_TARGETS = z.object({
    /** OTLP/gRPC endpoint of the collector as Claude Code reaches it, e.g. http://127.0.0.1:4317. */
    otlpGrpcEndpoint: text,
    /** CA (PEM) the receiver's TLS certificate is verified with, when it is not publicly trusted. */
    otlpCaCertificate: text.optional(),
    /** gRPC metadata every client sends (the receiver's bearer token when it requires one); lower-case keys. */
    otlpHeaders: z.record(z.string(), z.string(must("an object of strings")), must("an object of strings")),
    /** The collector's health endpoint, when published on this machine. */
    collectorHealthUrl: text.optional(),
    /** Prometheus HTTP API base, when the stack runs its own Prometheus; otherwise queries go through Grafana's data source proxy. */
    prometheusUrl: text.optional(),
    /** Loki HTTP API base, when the stack runs its own Loki; otherwise queries go through Grafana's data source proxy. */
    lokiUrl: text.optional(),
    /** Grafana base URL. */
    grafanaUrl: text,
    /** Value of the Authorization header for Grafana's HTTP API ("Basic …" or "Bearer …"). */
    grafanaAuthorization: text,
    /** uids of the provisioned Prometheus and Loki data sources. */
    dataSourceUids: z.object({ prometheus: z.string(must("{ prometheus, loki }")), loki: z.string(must("{ prometheus, loki }")) }, must("{ prometheus, loki }")),
    /** uid of the provisioned folder. */
    folderUid: text,
    /** uids of the provisioned dashboards. */
    dashboardUids: z.array(z.string(must("an array of strings")), must("an array of strings")),
    /** Grafana-managed rule groups (alerts and, in team mode, recording rules) with their rule counts. */
    ruleGroups: z.array(z.object({ name: z.string(must("an array of { name, rules }")), rules: z.int(must("an array of { name, rules }")) }, must("an array of { name, rules }")), must("an array of { name, rules }")),
    /** Team mode: the oldest Grafana under which the recording rules reach the backend. */
    grafanaMinimumVersion: z.object({ version: z.string(must("{ version, why }")), why: z.string(must("{ version, why }")) }, must("{ version, why }")).optional(),
});
export type CheckTargets = z.infer<typeof CHECK_TARGETS>;

/** Validates a `checkTargets` value (stack output or file); throws with everything that is wrong. */
export function parseTargets(value: unknown, source: string): CheckTargets {
    if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error(`${source} is not a JSON object`);
    const parsed = CHECK_TARGETS.safeParse(value);
    if (parsed.success) return parsed.data;
    // One line per field, however many of its entries are wrong.
    const problems = [...new Set(parsed.error.issues.map((issue) => `${String(issue.path[0])} ${issue.message}`))];
    throw new Error(`${source} is not a valid checkTargets value: ${problems.join("; ")}`);
}

/** Grafana API credentials as an Authorization header: `user:password` is basic auth, anything else a token. */
export function grafanaAuthorization(auth: string): string {
    return auth.includes(":") ? `Basic ${Buffer.from(auth).toString("base64")}` : `Bearer ${auth}`;
}

export function checkTargets(args: {
    otlpGrpcEndpoint: string;
    otlpCaCertificate?: string;
    receiverToken?: string;
    collectorHealthUrl: string;
    prometheusUrl?: string;
    lokiUrl?: string;
    grafanaUrl: string;
    grafanaAuth: string;
    dashboards: Dashboard[];
    ruleGroups: (AlertGroup | RecordingGroup)[];
    grafanaMinimumVersion?: GrafanaRequirement;
}): CheckTargets {
    return {
        otlpGrpcEndpoint: args.otlpGrpcEndpoint,
        ...(args.otlpCaCertificate ? { otlpCaCertificate: args.otlpCaCertificate } : {}),
        otlpHeaders: args.receiverToken ? { authorization: `Bearer ${args.receiverToken}` } : {},
        collectorHealthUrl: args.collectorHealthUrl,
        ...(args.prometheusUrl ? { prometheusUrl: args.prometheusUrl } : {}),
        ...(args.lokiUrl ? { lokiUrl: args.lokiUrl } : {}),
        grafanaUrl: args.grafanaUrl,
        grafanaAuthorization: grafanaAuthorization(args.grafanaAuth),
        dataSourceUids: { ...DATASOURCE_UIDS },
        folderUid: FOLDER.uid,
        dashboardUids: args.dashboards.map((d) => d.uid),
        ruleGroups: args.ruleGroups.map((g) => ({ name: g.name, rules: g.rules.length })),
        ...(args.grafanaMinimumVersion ? { grafanaMinimumVersion: args.grafanaMinimumVersion } : {}),
    };
}
