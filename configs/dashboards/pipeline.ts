/**
 * Pipeline health: is telemetry flowing from Claude Code through the collector into Prometheus and Loki?
 */
import { pipelineSignals as p } from "../pipeline";
import type { StackMode } from "../settings";
import { type Dashboard, type PanelSpec, dashboard, row, stat, timeseries } from "./model";

export const PIPELINE_UID = "claude-code-pipeline";

const RATE = "$__rate_interval";
const UP_THRESHOLDS = [{ color: "red", value: null }, { color: "green", value: 1 }];

/**
 * Local mode shows the whole path (collector, its exporter as Prometheus scrapes it, Prometheus'
 * rules, Prometheus and Loki storage). Team mode shows only what is the stack's: the collector and
 * its pushes; the team's engines and Grafana's rule evaluation are monitored by whoever runs them,
 * and their metrics are not in the team's store under these names.
 */
export function pipelineDashboard(mode: StackMode = "local"): Dashboard {
    const local = mode === "local";
    const panels: PanelSpec[] = [
        row("Up"),
        stat(
            "Collector",
            local ? "Prometheus can scrape the collector's own metrics (1 = up)." : "The collector's own metrics arrive in the metrics store (1 = up; absent when it is down).",
            p.collectorUp,
            "none",
            { w: 6, thresholds: UP_THRESHOLDS },
        ),
        local
            ? stat("Collector exporter", "Prometheus can scrape the Claude Code metrics the collector exports (1 = up).", p.exporterUp, "none", { w: 6, thresholds: UP_THRESHOLDS })
            : stat("Metric points pushed", "Metric points per second the collector pushed to the metrics store, averaged over the range.", p.sentMetricPoints("$__range"), "cps", { w: 6 }),
        stat("Export queue", local ? "Log records waiting to be sent to Loki." : "Points and log records waiting to be pushed.", p.exportQueueSize, "short", { w: 6 }),
        local
            ? stat("Rule evaluation failures", "Failed recording-rule evaluations in the range (should be 0).", p.ruleEvaluationFailures("$__range"), "short", { w: 6 })
            : stat("Metric push failures", "Metric points per second the store refused or did not take, averaged over the range (should be 0).", `${p.failedMetricExports("$__range")} or vector(0)`, "cps", { w: 6 }),
        row("Collector"),
        timeseries(
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
                  row("Storage"),
                  timeseries("Prometheus ingestion", "Samples appended per second.", [{ refId: "A", expr: p.prometheusSamplesAppended(RATE), legendFormat: "samples/s" }], "cps", { w: 8 }),
                  timeseries("Prometheus series", "Series in the head block (grows with sessions on raw series).", [{ refId: "A", expr: p.prometheusHeadSeries, legendFormat: "series" }], "short", { w: 8 }),
                  timeseries(
                      "Loki ingestion",
                      "Lines received, and lines discarded by reason.",
                      [
                          { refId: "A", expr: p.lokiLinesReceived(RATE), legendFormat: "received" },
                          { refId: "B", expr: p.lokiDiscarded(RATE), legendFormat: "discarded {{reason}}" },
                      ],
                      "cps",
                      { w: 8 },
                  ),
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
