/**
 * Grafana data sources for the stack's Prometheus and Loki, with fixed uids.
 */
import { DATASOURCE_UIDS } from "./dashboards";
import { LOKI_PORT } from "./loki";
import { HOSTS, PROMETHEUS_PORT } from "./prometheus";
import { PlainSettings } from "./settings";

export interface DataSourceSpec {
    name: string;
    uid: string;
    type: "prometheus" | "loki";
    /** As seen from inside the Docker network (Grafana's server-side proxy makes the calls). */
    url: string;
    isDefault: boolean;
    jsonData: Record<string, unknown>;
}

export function dataSources(settings: Pick<PlainSettings, "scrapeInterval">): DataSourceSpec[] {
    return [
        {
            name: "Prometheus",
            uid: DATASOURCE_UIDS.prometheus,
            type: "prometheus",
            url: `http://${HOSTS.prometheus}:${PROMETHEUS_PORT}`,
            isDefault: true,
            // timeInterval = scrape interval: the floor of $__interval and $__rate_interval.
            jsonData: { httpMethod: "POST", timeInterval: settings.scrapeInterval, prometheusType: "Prometheus" },
        },
        {
            name: "Loki",
            uid: DATASOURCE_UIDS.loki,
            type: "loki",
            url: `http://${HOSTS.loki}:${LOKI_PORT}`,
            isDefault: false,
            jsonData: { maxLines: 1000, timeout: 60 },
        },
    ];
}
