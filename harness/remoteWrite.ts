/**
 * Prometheus remote-write client (protobuf + snappy), just enough to load test series into a real
 * Prometheus with `--web.enable-remote-write-receiver`, including staleness markers, which a
 * text backfill cannot express.
 *
 * Wire format: prometheus/prompb WriteRequest{ repeated TimeSeries timeseries = 1 };
 * TimeSeries{ repeated Label labels = 1; repeated Sample samples = 2 }; Label{ string name = 1;
 * string value = 2 }; Sample{ double value = 1; int64 timestamp = 2 }. Body: snappy block format
 * (github.com/google/snappy format_description.txt), here as literals only.
 */

/** Prometheus' staleness marker: a NaN with a specific bit pattern (value.StaleNaN, 0x7ff0000000000002). */
export const STALE_NAN = (() => {
    const view = new DataView(new ArrayBuffer(8));
    view.setUint32(0, 0x7ff00000);
    view.setUint32(4, 0x00000002);
    return view.getFloat64(0);
})();

export interface Series {
    labels: Record<string, string>;
    samples: { value: number; timestampMs: number; stale?: boolean }[];
}

class Writer {
    private chunks: Buffer[] = [];
    varint(n: number | bigint): void {
        let v = BigInt(n);
        const bytes: number[] = [];
        do {
            let b = Number(v & 0x7fn);
            v >>= 7n;
            if (v > 0n) b |= 0x80;
            bytes.push(b);
        } while (v > 0n);
        this.chunks.push(Buffer.from(bytes));
    }
    tag(field: number, wire: number): void {
        this.varint((field << 3) | wire);
    }
    bytes(field: number, data: Buffer): void {
        this.tag(field, 2);
        this.varint(data.length);
        this.chunks.push(data);
    }
    double(field: number, value: number, stale = false): void {
        this.tag(field, 1);
        const b = Buffer.alloc(8);
        if (stale) {
            // Exact bit pattern: JS engines may canonicalise NaN payloads when passing doubles around.
            b.writeUInt32LE(0x00000002, 0);
            b.writeUInt32LE(0x7ff00000, 4);
        } else b.writeDoubleLE(value, 0);
        this.chunks.push(b);
    }
    int64(field: number, value: number): void {
        this.tag(field, 0);
        this.varint(BigInt(Math.round(value)));
    }
    done(): Buffer {
        return Buffer.concat(this.chunks);
    }
}

export function encodeWriteRequest(series: Series[]): Buffer {
    const request = new Writer();
    for (const s of series) {
        const ts = new Writer();
        // Labels sorted by name, as Prometheus requires.
        for (const [name, value] of Object.entries(s.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
            const label = new Writer();
            label.bytes(1, Buffer.from(name));
            label.bytes(2, Buffer.from(value));
            ts.bytes(1, label.done());
        }
        for (const sample of s.samples) {
            const w = new Writer();
            w.double(1, sample.value, sample.stale);
            w.int64(2, sample.timestampMs);
            ts.bytes(2, w.done());
        }
        request.bytes(1, ts.done());
    }
    return request.done();
}

/** Snappy block with literal chunks only: valid input for any snappy decoder. */
export function snappyLiteral(data: Buffer): Buffer {
    const out: Buffer[] = [];
    const header: number[] = [];
    let n = data.length;
    do {
        let b = n & 0x7f;
        n = Math.floor(n / 128);
        if (n > 0) b |= 0x80;
        header.push(b);
    } while (n > 0);
    out.push(Buffer.from(header));
    const MAX = 65536;
    for (let i = 0; i < data.length; i += MAX) {
        const chunk = data.subarray(i, Math.min(i + MAX, data.length));
        const len = chunk.length - 1;
        // Literal tag: 60 = one length byte follows, 61 = two (little endian).
        if (len < 60) out.push(Buffer.from([len << 2]));
        else if (len < 256) out.push(Buffer.from([60 << 2, len]));
        else out.push(Buffer.from([61 << 2, len & 0xff, len >> 8]));
        out.push(chunk);
    }
    return Buffer.concat(out);
}

/** Remote write to a Prometheus at `baseUrl` (its /api/v1/write). */
export async function remoteWrite(baseUrl: string, series: Series[]): Promise<void> {
    await remoteWriteTo(`${baseUrl}/api/v1/write`, series);
}

/** Remote write to exactly this URL; throws with the status unless 2xx. */
export async function remoteWriteTo(writeUrl: string, series: Series[]): Promise<void> {
    const body = snappyLiteral(encodeWriteRequest(series));
    const res = await fetch(writeUrl, {
        method: "POST",
        headers: {
            "Content-Type": "application/x-protobuf",
            "Content-Encoding": "snappy",
            "X-Prometheus-Remote-Write-Version": "0.1.0",
        },
        body,
    });
    if (!res.ok) throw new Error(`remote write: HTTP ${res.status} ${await res.text()}`);
}
