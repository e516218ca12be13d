/**
 * Pipeline health: is telemetry flowing from Claude Code through the collector into Prometheus and Loki?
 */
import { pipelineSignals as p } from "../pipeline";
import type { StackMode } from "../settings";
import { type Dashboard, type Item, dashboard, row, stat, thresholds, timeseries } from "./model";

export const PIPELINE_UID = "claude-code-pipeline";

/**
 * Panel ids: fixed, because alerts and users' links name panels by id. A slot that shows one
 * panel locally and another in team mode keeps one id (3, 5), as the dashboards always had.
 */
export const PIPELINE_PANELS = {
    upRow: 1,
    collector: 2,
    exporter: 3,
    metricPointsPushed: 3,
    exportQueue: 4,
    ruleEvaluationFailures: 5,
    metricPushFailures: 5,
    collectorRow: 6,
    metricPoints: 7,
    logRecords: 8,
    storageRow: 9,
    prometheusIngestion: 10,
    prometheusSeries: 11,
    lokiIngestion: 12,
} as const;

const RATE = "$__rate_interval";
const UP_THRESHOLDS = () => thresholds([{ color: "red", value: null }, { color: "green", value: 1 }]);

/**
 * Local mode shows the whole path (collector, its exporter as Prometheus scrapes it, Prometheus'
 * rules, Prometheus and Loki storage). Team mode shows only what is the stack's: the collector and
 * its pushes; the team's engines and Grafana's rule evaluation are monitored by whoever runs them,
 * and their metrics are not in the team's store under these names.
 */
export function pipelineDashboard(mode: StackMode = "local"): Dashboard {
    const local = mode === "local";
    const P = PIPELINE_PANELS;
    const panels: Item[] = [
        row(P.upRow, "Up"),
        stat(
            P.collector,
            "Collector",
            local ? "Prometheus can scrape the collector's own metrics (1 = up)." : "The collector's own metrics arrive in the metrics store (1 = up; absent when it is down).",
            p.collectorUp,
            "none",
        )
            .span(6)
            .thresholds(UP_THRESHOLDS()),
        local
            ? stat(P.exporter, "Collector exporter", "Prometheus can scrape the Claude Code metrics the collector exports (1 = up).", p.exporterUp, "none").span(6).thresholds(UP_THRESHOLDS())
            : stat(P.metricPointsPushed, "Metric points pushed", "Metric points per second the collector pushed to the metrics store, averaged over the range.", p.sentMetricPoints("$__range"), "cps").span(6),
        stat(P.exportQueue, "Export queue", local ? "Log records waiting to be sent to Loki." : "Points and log records waiting to be pushed.", p.exportQueueSize, "short").span(6),
        local
            ? stat(P.ruleEvaluationFailures, "Rule evaluation failures", "Failed recording-rule evaluations in the range (should be 0).", p.ruleEvaluationFailures("$__range"), "short").span(6)
            : stat(
                  P.metricPushFailures,
                  "Metric push failures",
                  "Metric points per second the store refused or did not take, averaged over the range (should be 0).",
                  `${p.failedMetricExports("$__range")} or vector(0)`,
                  "cps",
              ).span(6),
        row(P.collectorRow, "Collector"),
        timeseries(
            P.metricPoints,
            "Metric points",
            local ? "Accepted and refused by the OTLP receiver (refused: memory limiter or bad data)." : "Accepted and refused by the OTLP receiver; pushed to and failed towards the metrics store.",
            [
                { refId: "A", expr: p.acceptedMetricPoints(RATE), legendFormat: "accepted" },
                { refId: "B", expr: p.refusedMetricPoints(RATE), legendFormat: "refused" },
                ...(local
                    ? []
                    : [
                          { refId: "C", expr: p.sentMetricPoints(RATE), legendFormat: "pushed" },
                          { refId: "D", expr: p.failedMetricExports(RATE), legendFormat: "failed to push" },
                      ]),
            ],
            "cps",
        ),
        timeseries(
            P.logRecords,
            "Log records (events)",
            "Accepted and refused by the receiver; sent to and failed towards Loki.",
            [
                { refId: "A", expr: p.acceptedLogRecords(RATE), legendFormat: "accepted" },
                { refId: "B", expr: p.refusedLogRecords(RATE), legendFormat: "refused" },
                { refId: "C", expr: p.sentLogRecords(RATE), legendFormat: "sent to Loki" },
                { refId: "D", expr: p.failedLogExports(RATE), legendFormat: "failed to Loki" },
            ],
            "cps",
        ),
        ...(local
            ? [
                  row(P.storageRow, "Storage"),
                  timeseries(P.prometheusIngestion, "Prometheus ingestion", "Samples appended per second.", [{ refId: "A", expr: p.prometheusSamplesAppended(RATE), legendFormat: "samples/s" }], "cps").span(8),
                  timeseries(P.prometheusSeries, "Prometheus series", "Series in the head block (grows with sessions on raw series).", [{ refId: "A", expr: p.prometheusHeadSeries, legendFormat: "series" }], "short").span(8),
                  timeseries(
                      P.lokiIngestion,
                      "Loki ingestion",
                      "Lines received, and lines discarded by reason.",
                      [
                          { refId: "A", expr: p.lokiLinesReceived(RATE), legendFormat: "received" },
                          { refId: "B", expr: p.lokiDiscarded(RATE), legendFormat: "discarded {{reason}}" },
                      ],
                      "cps",
                  ).span(8),
              ]
            : []),
    ];
    return dashboard({
        uid: PIPELINE_UID,
        title: "Claude Code: telemetry pipeline",
        description: "Collector, Prometheus and Loki health: is Claude Code telemetry arriving and being stored?",
        panels,
        variables: [],
        from: "now-6h",
    });
}
