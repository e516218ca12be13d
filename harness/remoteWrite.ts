/**
 * Prometheus remote-write client (protobuf + snappy), just enough to load test series into a real
 * Prometheus with `--web.enable-remote-write-receiver`, including staleness markers, which a
 * text backfill cannot express.
 */
import protobuf from "protobufjs";
import { compress } from "snappyjs";

/**
 * prometheus/prometheus prompb/remote.proto (WriteRequest) and prompb/types.proto (TimeSeries,
 * Label, Sample), remote-write 1.0, only the fields written here. Read at v3.14.0 and on main after
 * it (the mirror had no v3.15.0 tag); these messages have not changed there.
 */
const WriteRequest = protobuf
    .parse(`
syntax = "proto3";
message WriteRequest { repeated TimeSeries timeseries = 1; }
message TimeSeries { repeated Label labels = 1; repeated Sample samples = 2; }
message Label { string name = 1; string value = 2; }
message Sample { double value = 1; int64 timestamp = 2; }
`)
    .root.lookupType("WriteRequest");

/** Prometheus' staleness marker, a NaN with a specific bit pattern (value.StaleNaN, 0x7ff0000000000002): protobufjs writes doubles through a Float64Array, which keeps it. */
const STALE_NAN = new Float64Array(new BigUint64Array([0x7ff0000000000002n]).buffer)[0];

export interface Series {
    labels: Record<string, string>;
    samples: { value: number; timestampMs: number; stale?: boolean }[];
}

function encodeWriteRequest(series: Series[]): Uint8Array {
    return WriteRequest.encode({
        timeseries: series.map((s) => ({
            // Labels sorted by name, as Prometheus requires.
            labels: Object.entries(s.labels)
                .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
                .map(([name, value]) => ({ name, value })),
            samples: s.samples.map((x) => ({ value: x.stale ? STALE_NAN : x.value, timestamp: Math.round(x.timestampMs) })),
        })),
    }).finish();
}

/** Remote write to a Prometheus at `baseUrl` (its /api/v1/write). */
export async function remoteWrite(baseUrl: string, series: Series[]): Promise<void> {
    await remoteWriteTo(`${baseUrl}/api/v1/write`, series);
}

/** Remote write to exactly this URL; throws with the status unless 2xx. */
export async function remoteWriteTo(writeUrl: string, series: Series[]): Promise<void> {
    const res = await fetch(writeUrl, {
        method: "POST",
        headers: {
            "Content-Type": "application/x-protobuf",
            "Content-Encoding": "snappy",
            "X-Prometheus-Remote-Write-Version": "0.1.0",
        },
        body: compress(encodeWriteRequest(series)),
    });
    if (!res.ok) throw new Error(`remote write: HTTP ${res.status} ${await res.text()}`);
}
