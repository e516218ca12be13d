/**
 * Where Grafana writes the results of Grafana-managed recording rules (team mode). Its writer
 * derives the push URL from the target data source's URL and `jsonData.prometheusType`
 * (grafana/grafana pkg/services/ngalert/writer/datasourcewriter.go, getRemoteWriteURL; the same
 * in the 12.x and 13.0 sources read): "Prometheus" pushes to `<url>/api/v1/write`; any other type
 * is taken for Mimir or Cortex and keeps only a path ending in /api/prom (→ …/api/prom/push) or
 * /prometheus (→ its parent + /api/v1/push), else pushes to `<host>/api/v1/push`. Ported so that
 * settings validation can say where the records will go before anything is created.
 */
import { posix } from "node:path";
import type { BackendAuth } from "./settings";

/** The kind of Prometheus-compatible store a team's metrics live in. */
export const TEAM_METRICS_BACKENDS = ["mimir", "prometheus"] as const;
export type TeamMetricsBackend = (typeof TEAM_METRICS_BACKENDS)[number];

/** The data source's jsonData.prometheusType for each backend kind. */
export const PROMETHEUS_TYPE: Record<TeamMetricsBackend, "Mimir" | "Prometheus"> = { mimir: "Mimir", prometheus: "Prometheus" };

/** Go's path.Clean: no trailing slash (but the root), no empty or dot elements. */
const goClean = (p: string) => posix.normalize(p === "" ? "." : p).replace(/(.)\/$/, "$1");
/** Go's path.Dir: everything before the last slash, cleaned ("/a/b/" → "/a/b", unlike Node's dirname). */
const goDir = (p: string) => goClean(p.slice(0, p.lastIndexOf("/") + 1));

/** The URL Grafana's recording-rule writer pushes to, for a data source of this kind at `queryUrl`. */
export function recordingWriteUrl(backend: TeamMetricsBackend, queryUrl: string): string {
    const url = new URL(queryUrl);
    const path = url.pathname;
    const clean = goClean(path);
    if (backend === "prometheus") url.pathname = posix.join(path, "/api/v1/write");
    else if (clean.endsWith("/api/prom")) url.pathname = posix.join(path, "/push");
    else if (clean.endsWith("/prometheus")) url.pathname = posix.join(goDir(path), "/api/v1/push");
    else url.pathname = "/api/v1/push";
    return url.toString();
}

/** Query-URL paths that mark a Mimir, Cortex or Grafana Cloud Prometheus API. */
const MIMIR_API_PATH = /\/(api\/prom|prometheus)\/?$/;
/** Query-URL paths the writer maps onto that API's push endpoint ("/prometheus/" would become /prometheus/api/v1/push). */
const MIMIR_MAPPED_PATH = /^\/$|\/api\/prom\/?$|\/prometheus$/;

/**
 * Why Grafana's writer would push the records somewhere the backend does not serve, or
 * undefined: a Mimir query URL whose path the writer drops or mangles, or a Prometheus backend
 * whose query URL is a Mimir/Cortex API.
 */
export function recordingWriteProblem(backend: TeamMetricsBackend, queryUrl: string): string | undefined {
    const { pathname } = new URL(queryUrl);
    const target = recordingWriteUrl(backend, queryUrl);
    if (backend === "mimir" && !MIMIR_MAPPED_PATH.test(pathname)) {
        return (
            `teamMetricsQueryUrl: Grafana would write the recorded series to ${target}, which a Mimir, Cortex or Grafana Cloud backend does not serve: ` +
            `its recording-rule writer maps only a query URL ending in /api/prom (to …/api/prom/push) or in /prometheus without a trailing slash (to /api/v1/push beside it) ` +
            `(fix: pulumi config set teamMetricsQueryUrl <the backend's Prometheus API, ending in /api/prom or /prometheus>, ` +
            `or pulumi config set teamMetricsBackend prometheus for a Prometheus started with --web.enable-remote-write-receiver)`
        );
    }
    if (backend === "prometheus" && MIMIR_API_PATH.test(pathname)) {
        return (
            `teamMetricsBackend: is prometheus, but teamMetricsQueryUrl ends in ${pathname.match(MIMIR_API_PATH)![0]}, a Mimir, Cortex or Grafana Cloud API: ` +
            `Grafana would write the recorded series to ${target}, which those do not serve (fix: pulumi config set teamMetricsBackend mimir)`
        );
    }
    return undefined;
}

/** The oldest Grafana whose recording rules write to a team backend with this auth, and why. */
export interface GrafanaRequirement {
    version: string;
    why: string;
}

export function grafanaRequirement(auth: BackendAuth): GrafanaRequirement {
    if (auth.kind === "bearer") {
        return {
            version: "12.4.0",
            why: "before 12.4 Grafana's recording-rule writer does not send the data source's HTTP headers (grafana/grafana#114528), so the records reach a bearer-token backend unauthenticated",
        };
    }
    return { version: "12.1.0", why: "before 12.1 Grafana-managed recording rules are off unless the grafanaManagedRecordingRules toggle and [recording_rules] enabled are set" };
}
