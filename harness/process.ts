/**
 * A Prometheus server process as the tests and the benchmark run it: a free loopback port, the
 * wait until it answers /-/ready, and a clean stop.
 */
import type { ChildProcess } from "node:child_process";
import { createServer } from "node:net";

export async function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const srv = createServer();
        srv.listen(0, "127.0.0.1", () => {
            const port = (srv.address() as { port: number }).port;
            srv.close(() => resolve(port));
        });
        srv.on("error", reject);
    });
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
