import { defineConfig } from "vitest/config";

/** The benchmark harness' own tests: `npx vitest run --config bench/vitest.config.mts` (not part of `npm test`). */
export default defineConfig({
    test: {
        include: ["bench/**/*.test.ts"],
        testTimeout: 300000,
    },
});
