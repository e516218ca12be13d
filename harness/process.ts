/**
 * A Prometheus server process as the tests and the benchmark run it: a free loopback port, the
 * wait until it answers /-/ready, and a clean stop.
 */
import type { ChildProcess } from "node:child_process";
import { createServer } from "node:net";

/** A free loopback port. */
export async function freePort(): Promise<number> {
    return (await freePorts(1))[0];
}

/**
 * `count` distinct free loopback ports: all are held open until every one is chosen, since a port
 * just closed may be handed out again at once (two collector endpoints on one port failed CI).
 */
export async function freePorts(count: number): Promise<number[]> {
    const servers = Array.from({ length: count }, () => createServer());
    try {
        return await Promise.all(
            servers.map(
                (srv) =>
                    new Promise<number>((resolve, reject) => {
                        srv.on("error", reject);
                        srv.listen(0, "127.0.0.1", () => resolve((srv.address() as { port: number }).port));
                    }),
            ),
        );
    } finally {
        await Promise.all(servers.map((srv) => new Promise((resolve) => (srv.listening ? srv.close(resolve) : resolve(undefined)))));
    }
}

/** Polls `url`/-/ready until it answers; fails with the server's log if it exits or times out. */
export async function waitUntilReady(proc: ChildProcess, url: string, log: () => string, timeoutMs: number, pollMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
        if (proc.exitCode !== null) throw new Error(`prometheus exited:\n${log()}`);
        try {
            const res = await fetch(`${url}/-/ready`);
            if (res.ok) return;
        } catch {
            // not listening yet
        }
        await new Promise((r) => setTimeout(r, pollMs));
    }
    throw new Error(`prometheus not ready after ${timeoutMs / 1000}s:\n${log()}`);
}

/** SIGTERM, resolved once the process has exited (at once if it already has). */
export async function stopProcess(proc: ChildProcess | undefined): Promise<void> {
    // A process killed by a signal has signalCode set and exitCode null.
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    await new Promise<void>((resolve) => {
        proc.on("exit", () => resolve());
        proc.kill("SIGTERM");
    });
}
