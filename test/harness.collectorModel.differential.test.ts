/**
 * The collector model (harness/collectorModel.ts), which the generated-world truth tests and
 * bench/ use for speed, against the real collector (the pinned release, with the program's own
 * config): the same OTLP requests go to both, and after every request the real exporter's
 * /metrics must hold exactly the series, labels and values the model says. The inputs cover what
 * the model claims to know: every real capture (delta and cumulative), a collector restart (SIGKILL)
 * inside a delta and a cumulative session, two processes on one session id, and series expiry
 * after the TTL with a session that comes back.
 *
 * The TTL is shortened to 30 s (withSeriesTtl) so expiry can be waited for; delta_to_cumulative
 * sweeps stale streams once a minute (processor.go, v0.158.0), so the test waits TTL + 65 s.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { CollectorProcess, collectorConfigOf, forTestHost, withSeriesTtl } from "./support/collector";
import { parseExposition } from "./support/exposition";
import { stopAfterAll } from "./support/stopAfterAll";
import { LogsSink, asProcess, captures, liveTools, splitAtFirstCost, twoProcesses } from "./support/liveStack";
import { sendGrpc, sendHttp } from "./support/otlpSend";
import { runProgram } from "./support/pulumiMocks";
import { CollectorModel, type Sample } from "../harness/collectorModel";
import { parseMetricsRequest, scenarioNames } from "../harness/otlp";

const TTL_MS = 30000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const { collectorBin, missing } = liveTools("collector model vs the real collector", { prometheus: false });

type Phase = "captures" | "restart" | "two processes" | "expiry";

interface Step {
    phase: Phase;
    what: string;
    real: Sample[];
    modelled: Sample[];
}

/** Order-independent form of a scrape. */
const canonical = (samples: Sample[]) =>
    samples
        .map((s) => JSON.stringify([Object.entries(s.labels).sort(), s.value]))
        .sort()
        .map((s) => JSON.parse(s));

const split = (scenario: string) => splitAtFirstCost(captures(scenario).filter((c) => c.signal === "metrics"));

describe.skipIf(missing)("the collector model equals the real collector on the same requests", () => {
    const steps: Step[] = [];
    const started = stopAfterAll();
    const collectors: CollectorProcess[] = [];
    let sink: LogsSink;
    // instance "": compare what the exporter serves, before Prometheus adds its target's instance.
    const model = new CollectorModel({ maxStaleMs: TTL_MS, metricExpirationMs: TTL_MS, instance: "" });

    beforeAll(async () => {
        sink = started(new LogsSink());
        await sink.start();
        const { yaml, ports } = await forTestHost(withSeriesTtl(collectorConfigOf(await runProgram({})), `${TTL_MS / 1000}s`), { logsUrl: sink.url });
        const start = async () => {
            const c = started(new CollectorProcess(collectorBin, yaml, ports));
            collectors.push(c);
            await c.start();
        };
        const exposed = async (): Promise<Sample[]> => {
            const text = await (await fetch(`http://127.0.0.1:${ports.exporter}/metrics`)).text();
            return parseExposition(text)
                .filter((s) => s.labels.__name__.startsWith("claude_code_"))
                .map((s) => ({ value: s.value, labels: Object.fromEntries(Object.entries(s.labels).filter(([, v]) => v !== "")) }));
        };
        const compare = async (phase: Phase, what: string) => steps.push({ phase, what, real: await exposed(), modelled: model.scrape(Date.now()) });
        let n = 0;
        const send = async (phase: Phase, what: string, body: unknown) => {
            // Alternately over gRPC and HTTP: both receivers feed the same pipeline.
            if (n++ % 2 === 0) await sendGrpc(`127.0.0.1:${ports.otlpGrpc}`, "metrics", body);
            else await sendHttp(`http://127.0.0.1:${ports.otlpHttp}`, "metrics", body);
            model.receive(parseMetricsRequest(body), Date.now());
            await compare(phase, what);
        };

        await start();
        const restartedSessions = ["s03-long-session-delta", "s04-long-session-cumulative"];
        for (const scenario of scenarioNames().filter((s) => !restartedSessions.includes(s))) {
            for (const [i, c] of captures(scenario).filter((c) => c.signal === "metrics").entries()) await send("captures", `${scenario} #${i}`, c.body);
        }
        for (const scenario of restartedSessions) for (const [i, c] of split(scenario).before.entries()) await send("restart", `${scenario} before #${i}`, c.body);
        await collectors[0].kill();
        model.restart();
        await start();
        await compare("restart", "just after the restart");
        for (const scenario of restartedSessions) for (const [i, c] of split(scenario).after.entries()) await send("restart", `${scenario} after #${i}`, c.body);

        for (const [kind, scenario] of [["delta", "s03-long-session-delta"], ["cumulative", "s04-long-session-cumulative"]]) {
            const both = twoProcesses(captures(scenario).filter((c) => c.signal === "metrics"), `two-${kind}`);
            for (const [i, c] of both.entries()) await send("two processes", `${kind} #${i}`, c.body);
        }

        const idle = split("s03-long-session-delta");
        for (const [i, c] of asProcess(idle.before, "idle-past-ttl", 0).entries()) await send("expiry", `idle session before #${i}`, c.body);
        await sleep(TTL_MS + 65000);
        await compare("expiry", `${(TTL_MS + 65000) / 1000} s without a request`);
        for (const [i, c] of asProcess(idle.after, "idle-past-ttl", 0).entries()) await send("expiry", `idle session back #${i}`, c.body);
    }, 240000);

    const stepsOf = (phase: Phase) => steps.filter((s) => s.phase === phase);

    it.each(["captures", "restart", "two processes", "expiry"] as Phase[])("%s: after every request the exporter serves exactly the modelled series and values", (phase) => {
        expect(stepsOf(phase).length).toBeGreaterThan(1);
        for (const step of stepsOf(phase)) expect(canonical(step.real), `${phase}: ${step.what}`).toEqual(canonical(step.modelled));
    });

    it("the inputs reach the cases the model claims to handle", () => {
        const last = (phase: Phase) => stepsOf(phase).at(-1)!.real;
        const cost = (samples: Sample[], session: string) => samples.filter((s) => s.labels.__name__ === "claude_code_cost_usage_USD_total" && s.labels.session_id === session);
        // Every capture's series, with the stream start label on each.
        expect(last("captures").length).toBeGreaterThan(50);
        expect(last("captures").every((s) => /^\d{19}$/.test(s.labels.stream_start))).toBe(true);
        // The restart emptied the exporter; the delta session then came back as a new stream.
        expect(stepsOf("restart").find((s) => s.what === "just after the restart")!.real).toEqual([]);
        // Two processes: the cumulative ones are two series (two starts), the delta ones one merged stream.
        expect(cost(last("two processes"), "two-cumulative")).toHaveLength(2);
        expect(cost(last("two processes"), "two-delta")).toHaveLength(1);
        // Expiry: nothing served after the TTL, then the returning session is a new stream.
        expect(stepsOf("expiry").find((s) => s.what.includes("without a request"))!.real).toEqual([]);
        expect(cost(last("expiry"), "idle-past-ttl")).toHaveLength(1);
    });
});
