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

export interface CheckTargets {
    /** OTLP/gRPC endpoint of the collector as Claude Code reaches it, e.g. http://127.0.0.1:4317. */
    otlpGrpcEndpoint: string;
    /** CA (PEM) the receiver's TLS certificate is verified with, when it is not publicly trusted. */
    otlpCaCertificate?: string;
    /** gRPC metadata every client sends (the receiver's bearer token when it requires one); lower-case keys. */
    otlpHeaders: Record<string, string>;
    /** The collector's health endpoint, when published on this machine. */
    collectorHealthUrl?: string;
    /** Prometheus HTTP API base, when the stack runs its own Prometheus; otherwise queries go through Grafana's data source proxy. */
    prometheusUrl?: string;
    /** Loki HTTP API base, when the stack runs its own Loki; otherwise queries go through Grafana's data source proxy. */
    lokiUrl?: string;
    /** Grafana base URL. */
    grafanaUrl: string;
    /** Value of the Authorization header for Grafana's HTTP API ("Basic …" or "Bearer …"). */
    grafanaAuthorization: string;
    /** uids of the provisioned Prometheus and Loki data sources. */
    dataSourceUids: { prometheus: string; loki: string };
    /** uid of the provisioned folder. */
    folderUid: string;
    /** uids of the provisioned dashboards. */
    dashboardUids: string[];
    /** Grafana-managed rule groups (alerts and, in team mode, recording rules) with their rule counts. */
    ruleGroups: { name: string; rules: number }[];
    /** Team mode: the oldest Grafana under which the recording rules reach the backend. */
    grafanaMinimumVersion?: GrafanaRequirement;
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
