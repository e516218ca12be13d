/**
 * The Loki configuration: documented keys only, TSDB v13, retention that actually runs.
 */
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { LOKI_INDEX_LABELS, buildLokiConfig } from "../configs/loki";
import { LOKI_KEYS, leafPaths, undocumented } from "./support/documentedKeys";

const config = (logsRetention = "30d") => parse(buildLokiConfig({ logsRetention }));

describe("loki config", () => {
    it("uses only documented keys", () => {
        expect(undocumented(leafPaths(config()), LOKI_KEYS)).toEqual([]);
    });

    it("stores TSDB schema v13 on the filesystem with the 24h index period retention needs", () => {
        expect(config().schema_config.configs).toEqual([
            { from: "2024-04-01", store: "tsdb", object_store: "filesystem", schema: "v13", index: { prefix: "index_", period: "24h" } },
        ]);
    });

    it("enables retention in the compactor, with the delete-request store it requires", () => {
        const c = config("14d");
        expect(c.limits_config.retention_period).toBe("14d");
        expect(c.compactor).toMatchObject({ retention_enabled: true, delete_request_store: "filesystem" });
        expect(c.compactor.working_directory.startsWith(c.common.path_prefix)).toBe(true);
    });

    it("indexes only low-cardinality resource attributes; everything else stays structured metadata", () => {
        const c = config();
        expect(c.limits_config.allow_structured_metadata).toBe(true);
        expect(c.limits_config.otlp_config.resource_attributes).toEqual({
            ignore_defaults: true,
            attributes_config: [{ action: "index_label", attributes: [...LOKI_INDEX_LABELS] }],
        });
        expect(LOKI_INDEX_LABELS).toContain("service.name");
        expect(LOKI_INDEX_LABELS).not.toContain("session.id");
    });

    it("keeps all data under the volume mount and does not report usage", () => {
        const c = config();
        expect(c.common.path_prefix).toBe("/loki");
        expect(c.common.storage.filesystem.chunks_directory.startsWith("/loki/")).toBe(true);
        expect(c.analytics.reporting_enabled).toBe(false);
    });
});
