import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { freePorts } from "../harness/process";

describe("freePorts", () => {
    it("gives distinct ports, each free to bind once returned", async () => {
        const ports = await freePorts(20);
        expect(new Set(ports).size).toBe(20);
        for (const port of ports) {
            const srv = createServer();
            await new Promise<void>((resolve, reject) => {
                srv.on("error", reject);
                srv.listen(port, "127.0.0.1", () => resolve());
            });
            await new Promise((resolve) => srv.close(resolve));
        }
    });
});
