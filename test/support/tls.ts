/**
 * TLS test material (test/fixtures/tls, made by its generate.sh with openssl): a test CA, a
 * receiver certificate it issued for otel.team.example.com, localhost and 127.0.0.1, a
 * self-signed certificate with its key, and a key that belongs to none of them.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

const read = (file: string) => readFileSync(join(__dirname, "..", "fixtures", "tls", file), "utf8");

export const TEST_TLS = {
    ca: read("ca.crt"),
    cert: read("receiver.crt"),
    key: read("receiver.key"),
    selfSignedCert: read("self-signed.crt"),
    selfSignedKey: read("self-signed.key"),
    otherKey: read("other.key"),
};

/** Stack settings that give the receiver TLS with the test CA (as `pulumi config` values). */
export const TLS_SETTINGS = { collectorTlsCert: TEST_TLS.cert, collectorTlsKey: TEST_TLS.key, collectorTlsCa: TEST_TLS.ca };
/** The secret ones among them. */
export const TLS_SECRETS = ["collectorTlsCert", "collectorTlsKey"];
