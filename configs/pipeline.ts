/**
 * Health of the telemetry pipeline itself: collector, Prometheus, Loki. Shared by the pipeline
 * dashboard and the pipeline alerts.
 *
 * The collector's own metric names are those the pinned collector release exposes with the
 * generated telemetry settings (counters with `_total`, as remote write names them too):
 * test/e2e.truth.live.test.ts reads every one of them from the real collector locally, and
 * test/e2e.team.pushed.test.ts from a backend the real collector pushes to. Each is scoped to the
 * stack's collector job, so another collector on a shared backend is not counted.
 */
import { COLLECTOR_SELF_JOB } from "./collector";
import { CLAUDE_CODE_SCRAPE_JOB } from "./prometheus";

/** A collector self-metric by its exact name, from this stack's collector. */
export const otelcol = (name: string) => `otelcol_${name}{job="${COLLECTOR_SELF_JOB}"}`;

export const pipelineSignals = {
    collectorUp: `up{job="${COLLECTOR_SELF_JOB}"}`,
    exporterUp: `up{job="${CLAUDE_CODE_SCRAPE_JOB}"}`,
    acceptedMetricPoints: (range: string) => `sum(rate(${otelcol("receiver_accepted_metric_points_total")}[${range}]))`,
    refusedMetricPoints: (range: string) => `sum(rate(${otelcol("receiver_refused_metric_points_total")}[${range}]))`,
    acceptedLogRecords: (range: string) => `sum(rate(${otelcol("receiver_accepted_log_records_total")}[${range}]))`,
    refusedLogRecords: (range: string) => `sum(rate(${otelcol("receiver_refused_log_records_total")}[${range}]))`,
    failedLogExports: (range: string) => `sum(rate(${otelcol("exporter_send_failed_log_records_total")}[${range}]))`,
    sentLogRecords: (range: string) => `sum(rate(${otelcol("exporter_sent_log_records_total")}[${range}]))`,
    exportQueueSize: `sum(${otelcol("exporter_queue_size")})`,
    /** Team mode: metric points pushed to the team's metrics store, and those that failed (created at the first failure). */
    sentMetricPoints: (range: string) => `sum(rate(${otelcol("exporter_sent_metric_points_total")}[${range}]))`,
    failedMetricExports: (range: string) => `sum(rate(${otelcol("exporter_send_failed_metric_points_total")}[${range}]))`,
    prometheusSamplesAppended: (range: string) => `sum(rate(prometheus_tsdb_head_samples_appended_total[${range}]))`,
    prometheusHeadSeries: `sum(prometheus_tsdb_head_series)`,
    ruleEvaluationFailures: (range: string) => `sum(increase(prometheus_rule_evaluation_failures_total[${range}]))`,
    lokiLinesReceived: (range: string) => `sum(rate(loki_distributor_lines_received_total[${range}]))`,
    lokiDiscarded: (range: string) => `sum by (reason) (rate(loki_discarded_samples_total[${range}]))`,
};
