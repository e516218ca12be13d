/**
 * The end-of-run summary of skipped tests (test/support/skipReporter.ts), on a machine with and
 * without the built tools.
 */
import { describe, expect, it } from "vitest";
import { TEST_TOOLS, skipSummary } from "./support/skipReporter";

describe("the skipped-tests summary", () => {
    it("says nothing when nothing was skipped", () => {
        expect(skipSummary(0, () => false)).toEqual([]);
    });

    it("on a machine without the tools (macOS with no Go, say): the count, that a skip is not a pass, and how to build each missing tool", () => {
        const lines = skipSummary(129, (tool) => tool === TEST_TOOLS[2]);
        expect(lines[1]).toBe("*** 129 tests were SKIPPED: they did not run, so they did not pass.");
        expect(lines).toContain("*** or newer: macOS `brew install go`, Debian/Ubuntu `apt install golang` or https://go.dev/dl):");
        expect(lines.filter((l) => l.startsWith("***   "))).toEqual([
            `***   ${TEST_TOOLS[0].name}: bash scripts/build-prometheus.sh`,
            `***   ${TEST_TOOLS[1].name}: bash scripts/build-otelcol.sh`,
            "***   a Docker engine (the container test): start Docker Desktop, Colima or OrbStack, or dockerd on Linux",
        ]);
        expect(lines).toContain("*** or every build at once: bash scripts/build-tools.sh (about 15-35 minutes the first time), then npm test again.");
    });

    it("with every tool present, a skip is called what it is", () => {
        expect(skipSummary(1, () => true).slice(1, 3)).toEqual([
            "*** 1 test was SKIPPED: it did not run, so it did not pass.",
            "*** Every tool the tests run is here, so a skip is a defect in the tests: see the SKIPPED lines above.",
        ]);
    });
});
