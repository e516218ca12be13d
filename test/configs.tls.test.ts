/**
 * The receiver's TLS settings, judged before anything is deployed: each mistake a user can make
 * with a certificate, its key and the clients' CA gets a message naming the setting and the fix,
 * and never the key. The material is test/fixtures/tls (openssl-made, see its generate.sh).
 */
import { describe, expect, it } from "vitest";
import { type SettingsError, loadSettings } from "../configs/settings";
import { receiverTlsProblems } from "../configs/tls";
import { TEST_TLS } from "./support/tls";

// After the fixtures were made (2026-12-02) and long before they expire (2126).
const NOW = new Date("2027-06-01T12:00:00Z");
const GOOD = { cert: TEST_TLS.cert, key: TEST_TLS.key, ca: TEST_TLS.ca };
const problems = (tls: Partial<typeof GOOD>, host = "otel.team.example.com", now = NOW) => receiverTlsProblems({ ...GOOD, ...tls }, host, now);
const keyBody = TEST_TLS.key.split("\n")[1];

describe("the receiver's certificate, key and CA", () => {
    it("accepts a CA-issued certificate for the host clients use, by name or by IP, with its key, with or without the CA", () => {
        expect(problems({})).toEqual([]);
        expect(problems({}, "127.0.0.1")).toEqual([]);
        expect(problems({ ca: "" })).toEqual([]);
        expect(problems({ cert: "", key: "", ca: "" })).toEqual([]);
    });

    it("accepts a self-signed certificate when clients get it as their CA, and refuses it without", () => {
        const selfSigned = { cert: TEST_TLS.selfSignedCert, key: TEST_TLS.selfSignedKey };
        expect(problems({ ...selfSigned, ca: TEST_TLS.selfSignedCert }, "localhost")).toEqual([]);
        expect(problems({ ...selfSigned, ca: "" }, "localhost")).toEqual([
            "collectorTlsCa: is empty but collectorTlsCert is self-signed, so no client would trust it; give clients the CA that signed it, or the certificate itself (fix: pulumi config set collectorTlsCa < ca.pem)",
        ]);
    });

    it("needs the certificate and the key together", () => {
        expect(problems({ key: "" })).toEqual(["collectorTlsKey: is empty but collectorTlsCert is set; TLS needs both (fix: pulumi config set --secret collectorTlsKey < privkey.pem)"]);
        expect(problems({ cert: "" })).toEqual(["collectorTlsCert: is empty but collectorTlsKey is set; TLS needs both (fix: pulumi config set --secret collectorTlsCert < fullchain.pem)"]);
        expect(problems({ cert: "", key: "" })).toEqual([
            "collectorTlsCa: is set but the receiver has no certificate; set collectorTlsCert and collectorTlsKey too (fix: pulumi config set --secret collectorTlsCert < fullchain.pem), or pulumi config rm collectorTlsCa",
        ]);
    });

    it("refuses what is not PEM, or not readable, without echoing the key", () => {
        expect(problems({ cert: "hello" })).toEqual([
            "collectorTlsCert: holds no PEM certificate (-----BEGIN CERTIFICATE-----) (fix: pulumi config set --secret collectorTlsCert < fullchain.pem, the certificate chain with the server certificate first)",
        ]);
        const damaged = TEST_TLS.cert.replace(/\n[A-Za-z0-9+/]{20}/, "\n!!!!!!!!!!!!!!!!!!!!");
        expect(problems({ cert: damaged })).toEqual([expect.stringContaining("collectorTlsCert: has certificate block 1 that is not a readable X.509 certificate")]);
        const garbledKey = TEST_TLS.key.replace(keyBody, keyBody.split("").reverse().join(""));
        const keyProblems = problems({ key: garbledKey });
        expect(keyProblems).toEqual([
            "collectorTlsKey: is not a readable, unencrypted PEM private key (fix: pulumi config set --secret collectorTlsKey < privkey.pem; decrypt it first with openssl pkey -in key.pem -out privkey.pem)",
        ]);
    });

    it("refuses a key that belongs to another certificate", () => {
        expect(problems({ key: TEST_TLS.otherKey })).toEqual([
            "collectorTlsKey: does not belong to the first certificate in collectorTlsCert (CN=otel.team.example.com); set the key that certificate was issued for, or put the server certificate first in the chain (fix: pulumi config set --secret collectorTlsKey < privkey.pem)",
        ]);
    });

    it("refuses a certificate that does not name the host clients connect to, listing the names it has", () => {
        expect(problems({}, "otel.other.example.com")).toEqual([
            "collectorTlsCert: does not name otel.other.example.com, the address Claude Code connects to (it names DNS:otel.team.example.com, DNS:localhost, IP Address:127.0.0.1); issue it for otel.other.example.com, or set collectorHost to a name it carries (fix: pulumi config set collectorHost <name>)",
        ]);
        expect(problems({}, "10.0.0.5")).toEqual([expect.stringContaining("collectorTlsCert: does not name 10.0.0.5")]);
    });

    it("refuses an expired certificate, and one not valid yet, with the dates", () => {
        expect(problems({}, undefined, new Date("2200-01-01T00:00:00Z"))).toEqual([expect.stringMatching(/^collectorTlsCert: expired on 2126-\d\d-\d\dT[\d:.]+Z; every client would refuse it \(fix: renew it, then pulumi config set --secret collectorTlsCert < fullchain\.pem\)$/)]);
        expect(problems({}, undefined, new Date("2000-01-01T00:00:00Z"))).toEqual([expect.stringMatching(/^collectorTlsCert: is not valid before 2026-.*; check this machine's clock, or issue it again/)]);
    });

    it("refuses a chain out of order, and a CA that did not issue it", () => {
        expect(problems({ cert: `${TEST_TLS.cert}${TEST_TLS.selfSignedCert}` })).toEqual([
            "collectorTlsCert: certificate 2 of the chain did not issue certificate 1; list the chain in order, server certificate first (fix: pulumi config set --secret collectorTlsCert < fullchain.pem)",
            "collectorTlsCa: did not issue the certificate chain in collectorTlsCert, so clients trusting it would refuse the receiver; set the CA that signed it (fix: pulumi config set collectorTlsCa < ca.pem)",
        ]);
        expect(problems({ cert: `${TEST_TLS.cert}${TEST_TLS.ca}` })).toEqual([]);
        expect(problems({ ca: TEST_TLS.selfSignedCert })).toEqual([
            "collectorTlsCa: did not issue the certificate chain in collectorTlsCert, so clients trusting it would refuse the receiver; set the CA that signed it (fix: pulumi config set collectorTlsCa < ca.pem)",
        ]);
        expect(problems({ ca: "not pem" })).toEqual([expect.stringContaining("collectorTlsCa: is not a PEM certificate")]);
    });

    it("never repeats the key in a message", () => {
        const all = [problems({ key: TEST_TLS.otherKey }), problems({}, "x.example"), problems({ cert: "" }), problems({ ca: TEST_TLS.selfSignedCert })].flat();
        for (const message of all) expect(message).not.toContain(keyBody);
    });
});

describe("a receiver beyond loopback", () => {
    const lookup = (values: Record<string, string>) => (key: string) => values[key];
    const error = (values: Record<string, string>) => {
        try {
            loadSettings(lookup(values), { now: NOW });
        } catch (e) {
            return (e as SettingsError).problems;
        }
        return [];
    };

    it("needs TLS, or the explicit collectorAllowPlaintext; loopback needs neither", () => {
        expect(error({ bindAddress: "0.0.0.0" })).toEqual([
            "collectorTlsCert: is required when bindAddress is 0.0.0.0 (beyond this machine): without TLS the receiver's token and every event cross the network in clear " +
                "(fix: pulumi config set --secret collectorTlsCert < fullchain.pem and pulumi config set --secret collectorTlsKey < privkey.pem; " +
                "or, on a network you trust, pulumi config set collectorAllowPlaintext true)",
        ]);
        expect(error({ bindAddress: "0.0.0.0", collectorAllowPlaintext: "true" })).toEqual([]);
        expect(error({ bindAddress: "0.0.0.0", collectorTlsCert: TEST_TLS.cert, collectorTlsKey: TEST_TLS.key })).toEqual([]);
        expect(error({ bindAddress: "127.0.0.1" })).toEqual([]);
        expect(error({ collectorTlsCert: TEST_TLS.cert, collectorTlsKey: TEST_TLS.key })).toEqual([]);
    });

    it("judges the certificate against the host clients use: collectorHost, else this machine's address", () => {
        expect(error({ bindAddress: "0.0.0.0", collectorHost: "otel.other.example.com", collectorTlsCert: TEST_TLS.cert, collectorTlsKey: TEST_TLS.key })).toEqual([
            expect.stringContaining("collectorTlsCert: does not name otel.other.example.com"),
        ]);
        expect(error({ bindAddress: "192.168.1.20", collectorTlsCert: TEST_TLS.cert, collectorTlsKey: TEST_TLS.key })).toEqual([expect.stringContaining("collectorTlsCert: does not name 192.168.1.20")]);
    });
});
