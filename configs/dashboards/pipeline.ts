/**
 * Pipeline health: is telemetry flowing from Claude Code through the collector into Prometheus and Loki?
 */
import { pipelineSignals as p } from "../pipeline";
import { Dashboard, PanelSpec, dashboard, row, stat, timeseries } from "./model";

export const PIPELINE_UID = "claude-code-pipeline";

const RATE = "$__rate_interval";
const UP_THRESHOLDS = [{ color: "red", value: null }, { color: "green", value: 1 }];

export function pipelineDashboard(): Dashboard {
    const panels: PanelSpec[] = [
        row("Up"),
        stat("Collector", "Prometheus can scrape the collector's own metrics (1 = up).", p.collectorUp, "none", { w: 6, thresholds: UP_THRESHOLDS }),
        stat("Collector exporter", "Prometheus can scrape the Claude Code metrics the collector exports (1 = up).", p.exporterUp, "none", { w: 6, thresholds: UP_THRESHOLDS }),
        stat("Export queue", "Log records waiting to be sent to Loki.", p.exportQueueSize, "short", { w: 6 }),
        stat("Rule evaluation failures", "Failed recording-rule evaluations in the range (should be 0).", p.ruleEvaluationFailures("$__range"), "short", { w: 6 }),
        row("Collector"),
        timeseries(
            "Metric points",
            "Accepted and refused by the OTLP receiver (refused: memory limiter or bad data).",
            [
                { refId: "A", expr: p.acceptedMetricPoints(RATE), legendFormat: "accepted" },
                { refId: "B", expr: p.refusedMetricPoints(RATE), legendFormat: "refused" },
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
