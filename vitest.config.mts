import { defineConfig } from "vitest/config";

export default defineConfig({
    test: {
        include: ["test/**/*.test.ts"],
        // Generous: a test that waits on an unknown Pulumi output should fail, not hang CI.
        testTimeout: 60000,
        hookTimeout: 60000,
        // The JSON report feeds the `N passed, N failed` line that .ci/run prints.
        // The skip reporter ends a run that skipped tests on a loud summary of what is missing.
        reporters: ["default", ["json", { outputFile: ".cache/vitest-report.json" }], "./test/support/skipReporter.ts"],
    },
});
