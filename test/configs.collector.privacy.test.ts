/**
 * Privacy on the real collector's output: a real capture, with the identity attributes an OAuth
 * login adds (user.email, user.account_uuid, user.account_id) on the resource, every data point
 * and every event, goes through the real collector started with the config each privacyMode
 * generates. What the exporter exposes and what reaches the logs endpoint has them hashed
 * (SHA-256, hex), dropped or kept, and every other label and series is the same in all modes.
 */
import { createHash } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { IDENTITY_ATTRIBUTES } from "../configs/collector";
import { PRIVACY_MODES, type PrivacyMode } from "../configs/settings";
import { CollectorProcess, collectorConfigOf, forTestHost } from "./support/collector";
import { parseExposition } from "./support/exposition";
import { LogsSink, liveTools } from "./support/liveStack";
import { sendHttp, type Signal } from "./support/otlpSend";
import { runProgram } from "./support/pulumiMocks";
import { FIXTURES_DIR } from "../harness/otlp";

const IDENTITY: Record<(typeof IDENTITY_ATTRIBUTES)[number], string> = {
    "user.email": "dev.person@example.com",
    "user.account_uuid": "2f7c8f0e-5b0a-4c1e-9d57-3f2b1a6c9e11",
    "user.account_id": "user_01HZX8Q2K3M4N5P6R7S8T9V0W1",
};
const sha256 = (v: string) => createHash("sha256").update(v).digest("hex");
const asLabel = (key: string) => key.replace(/\./g, "_");

/** s05 (resource attributes) with the identity attributes added wherever Claude Code puts user.id. */
function captureWithIdentity(): { signal: Signal; body: any }[] {
    const dir = join(FIXTURES_DIR, "s05-resource-attrs");
    const add = (attrs: any[]) => attrs.push(...Object.entries(IDENTITY).map(([key, value]) => ({ key, value: { stringValue: value } })));
    return readdirSync(dir)
        .filter((f) => /^\d+-(metrics|logs)\.json$/.test(f))
        .sort()
        .map((f) => {
            const body = JSON.parse(readFileSync(join(dir, f), "utf8"));
            const signal: Signal = f.includes("metrics") ? "metrics" : "logs";
            for (const r of body.resourceMetrics ?? body.resourceLogs) {
                add(r.resource.attributes);
                for (const s of r.scopeMetrics ?? r.scopeLogs) {
                    for (const m of s.metrics ?? []) for (const p of (m.sum ?? m.gauge).dataPoints) add(p.attributes);
                    for (const l of s.logRecords ?? []) add(l.attributes);
                }
            }
            return { signal, body };
        });
}

interface Output {
    /** Exposed series (name and labels), without the scrape's own. */
    series: Record<string, string>[];
    /** Everything the logs endpoint received, decompressed. */
    logs: string;
}

async function throughCollector(bin: string, privacyMode: PrivacyMode): Promise<Output> {
    const sink = new LogsSink();
    await sink.start();
    const run = await runProgram({ privacyMode });
    const generated = collectorConfigOf(run);
    const { yaml, ports } = await forTestHost(generated, { logsUrl: sink.url });
    const collector = new CollectorProcess(bin, yaml, ports);
    await collector.start();
    try {
        for (const { signal, body } of captureWithIdentity()) await sendHttp(`http://127.0.0.1:${ports.otlpHttp}`, signal, body);
        const deadline = Date.now() + 20000;
        while (sink.bodies.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
        const text = await (await fetch(`http://127.0.0.1:${ports.exporter}/metrics`)).text();
        return { series: parseExposition(text).map((s) => s.labels), logs: Buffer.concat(sink.bodies).toString("latin1") };
    } finally {
        await collector.stop();
        collector.cleanup();
        await sink.stop();
    }
}

const { collectorBin: bin, missing } = liveTools("privacy on the real collector", { prometheus: false });

describe.skipIf(missing)("privacyMode on the real collector's output", () => {
    const out = {} as Record<PrivacyMode, Output>;
    beforeAll(async () => {
        for (const mode of PRIVACY_MODES) out[mode] = await throughCollector(bin!, mode);
    }, 120000);

    const claudeSeries = (o: Output) => o.series.filter((s) => s.__name__.startsWith("claude_code_") || s.__name__ === "target_info");

    it("keep: the exporter and the events carry the identity attributes as sent", () => {
        const series = claudeSeries(out.keep);
        expect(series.length).toBeGreaterThan(5);
        for (const s of series.filter((s) => s.__name__ !== "target_info")) for (const [key, value] of Object.entries(IDENTITY)) expect(s[asLabel(key)], `${s.__name__} ${key}`).toBe(value);
        for (const value of Object.values(IDENTITY)) expect(out.keep.logs).toContain(value);
    });

    it("hash: every identity value is replaced by its SHA-256 (hex) everywhere, the raw value appears nowhere", () => {
        const series = claudeSeries(out.hash);
        for (const s of series.filter((s) => s.__name__ !== "target_info")) for (const [key, value] of Object.entries(IDENTITY)) expect(s[asLabel(key)], `${s.__name__} ${key}`).toBe(sha256(value));
        const exposed = JSON.stringify(out.hash.series);
        for (const value of Object.values(IDENTITY)) {
            expect(exposed).not.toContain(value);
            expect(out.hash.logs).not.toContain(value);
            expect(out.hash.logs).toContain(sha256(value));
        }
    });

    it("drop: no identity attribute is exposed or forwarded", () => {
        const exposed = JSON.stringify(out.drop.series);
        for (const [key, value] of Object.entries(IDENTITY)) {
            expect(exposed).not.toContain(asLabel(key));
            expect(exposed).not.toContain(value);
            expect(out.drop.logs).not.toContain(value);
            expect(out.drop.logs).not.toContain(sha256(value));
        }
    });

    it("nothing else changes: the same series with the same other labels in every mode", () => {
        const rest = (o: Output) =>
            claudeSeries(o)
                .map((s) => JSON.stringify(Object.entries(s).filter(([k]) => !IDENTITY_ATTRIBUTES.map(asLabel).includes(k)).sort()))
                .sort();
        expect(rest(out.hash)).toEqual(rest(out.keep));
        expect(rest(out.drop)).toEqual(rest(out.keep));
        const withoutIdentity = (logs: string) => logs.replace(/user\.(email|account_uuid|account_id)/g, "");
        expect(withoutIdentity(out.drop.logs).includes("claude_code.api_request")).toBe(true);
    });
});
