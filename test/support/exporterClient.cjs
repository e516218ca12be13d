/**
 * A stand-in for Claude Code's telemetry export: the OpenTelemetry JS metrics SDK with the OTLP
 * exporter OTEL_EXPORTER_OTLP_PROTOCOL names, configured only by the environment it runs in
 * (endpoint, headers, CA file), as Claude Code's exporters are. Adds 1 to a counter labelled with
 * argv[2], exports once, and exits 0 when the export succeeded, 1 (with the error) when not.
 */
const { MeterProvider, PeriodicExportingMetricReader } = require("@opentelemetry/sdk-metrics");

const exporters = { grpc: "@opentelemetry/exporter-metrics-otlp-grpc", "http/protobuf": "@opentelemetry/exporter-metrics-otlp-proto" };
const protocol = process.env.OTEL_EXPORTER_OTLP_PROTOCOL;
if (!(protocol in exporters)) {
    console.error(`unsupported OTEL_EXPORTER_OTLP_PROTOCOL ${protocol}`);
    process.exit(2);
}
const { OTLPMetricExporter } = require(exporters[protocol]);
const exporter = new OTLPMetricExporter();
// The reader swallows a failed export (PeriodicExportingMetricReader._runOnce); the result is kept here instead.
let result;
const recording = {
    export: (metrics, done) =>
        exporter.export(metrics, (r) => {
            result = r;
            done(r);
        }),
    forceFlush: () => exporter.forceFlush(),
    shutdown: () => exporter.shutdown(),
    selectAggregationTemporality: (kind) => exporter.selectAggregationTemporality(kind),
    selectAggregation: (kind) => exporter.selectAggregation(kind),
};
const reader = new PeriodicExportingMetricReader({ exporter: recording, exportIntervalMillis: 3600000 });
const provider = new MeterProvider({ readers: [reader] });
provider.getMeter("tls-probe").createCounter("tls_probe").add(1, { probe: process.argv[2] });
reader.forceFlush().then(() => {
    if (result && result.code === 0) process.exit(0);
    console.error(result ? String(result.error?.message ?? result.error) : "no export happened");
    process.exit(1);
});
