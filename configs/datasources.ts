/**
 * Grafana data sources for Prometheus and Loki, with fixed uids: the stack's own containers in
 * local mode, the team's backends in team mode.
 */
import { PROMETHEUS_TYPE } from "./recordingWriter";
import { type BackendAuth, type PlainSettings, type SecretKey, backendAuth } from "./settings";
import { DATASOURCE_UIDS, HOSTS, LOKI_PORT, PROMETHEUS_PORT } from "./topology";

export interface DataSourceSpec {
    name: string;
    uid: string;
    type: "prometheus" | "loki";
    /** As Grafana's server reaches it (its server-side proxy makes the calls). */
    url: string;
    isDefault: boolean;
    jsonData: Record<string, unknown>;
    /** How Grafana authenticates; the token itself is bound by the component (a secret). */
    auth: BackendAuth;
    /** The secret setting holding the password or token, when `auth` needs one. */
    tokenKey?: SecretKey;
}

export type DataSourceSettings = Pick<PlainSettings, "mode" | "scrapeInterval" | "teamMetricsQueryUrl" | "teamMetricsBackend" | "teamMetricsUser" | "teamLogsQueryUrl" | "teamLogsUser"> & {
    secrets: Pick<Record<SecretKey, string>, "teamMetricsToken" | "teamLogsToken">;
};

export function dataSources(settings: DataSourceSettings): DataSourceSpec[] {
    const team = settings.mode === "team";
    return [
        {
            name: "Claude Code Prometheus",
            uid: DATASOURCE_UIDS.prometheus,
            type: "prometheus",
            url: team ? settings.teamMetricsQueryUrl : `http://${HOSTS.prometheus}:${PROMETHEUS_PORT}`,
            // The default only on the stack's own Grafana; a team's Grafana keeps its own default.
            isDefault: !team,
            // timeInterval = scrape interval: the floor of $__interval and $__rate_interval.
            // prometheusType also decides where Grafana's recording-rule writer pushes (configs/recordingWriter.ts).
            jsonData: { httpMethod: "POST", timeInterval: settings.scrapeInterval, prometheusType: team ? PROMETHEUS_TYPE[settings.teamMetricsBackend] : "Prometheus" },
            auth: team ? backendAuth(settings.teamMetricsUser, settings.secrets.teamMetricsToken) : { kind: "none" },
            ...(team ? { tokenKey: "teamMetricsToken" as const } : {}),
        },
        {
            name: "Claude Code Loki",
            uid: DATASOURCE_UIDS.loki,
            type: "loki",
            url: team ? settings.teamLogsQueryUrl : `http://${HOSTS.loki}:${LOKI_PORT}`,
            isDefault: false,
            jsonData: { maxLines: 1000, timeout: 60 },
            auth: team ? backendAuth(settings.teamLogsUser, settings.secrets.teamLogsToken) : { kind: "none" },
            ...(team ? { tokenKey: "teamLogsToken" as const } : {}),
        },
    ];
}
