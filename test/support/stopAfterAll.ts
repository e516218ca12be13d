import { afterAll } from "vitest";

/** What a test file starts and must stop: a process or a server; `cleanup` removes its scratch directory. */
export interface Started {
    stop(): Promise<void> | void;
    cleanup?(): void;
}

/**
 * Registers one afterAll for the calling file that stops everything handed to the returned
 * function, the last started first, even when a test or beforeAll failed half-way.
 */
export function stopAfterAll(): <T extends Started>(started: T) => T {
    const all: Started[] = [];
    afterAll(async () => {
        for (const started of all.reverse()) {
            await started.stop();
            started.cleanup?.();
        }
    });
    return (started) => {
        all.push(started);
        return started;
    };
}
