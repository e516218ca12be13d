/**
 * TLS on the collector's OTLP receiver: checks on the certificate, key and client CA a user
 * configures, before anything is deployed. Node's own X.509 and key parsers (node:crypto) judge
 * them, so a certificate Node accepts here is one the clients' TLS stack (Node's, in Claude Code)
 * can verify; the collector reads the same PEM with Go's crypto/tls.
 */
import { type KeyObject, X509Certificate, createPrivateKey } from "node:crypto";

/** The receiver's TLS material, as the user configured it (PEM text). */
export interface ReceiverTlsInput {
    /** Certificate chain, leaf first (collectorTlsCert). */
    cert: string;
    /** Private key of the leaf (collectorTlsKey). */
    key: string;
    /** CA the clients trust the chain with ("" = their system's trusted roots) (collectorTlsCa). */
    ca: string;
}

/** Every certificate in a PEM text, in order; a block Node cannot parse is reported by its position. */
export function parseCertificates(pem: string): { certificates: X509Certificate[]; unreadable: number[] } {
    const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
    const certificates: X509Certificate[] = [];
    const unreadable: number[] = [];
    blocks.forEach((block, index) => {
        try {
            certificates.push(new X509Certificate(block));
        } catch {
            unreadable.push(index + 1);
        }
    });
    return { certificates, unreadable };
}

/** True when `issuer` signed `subject` (names match and the signature verifies with its key). */
function issued(issuer: X509Certificate, subject: X509Certificate): boolean {
    return subject.checkIssued(issuer) && subject.verify(issuer.publicKey);
}

/** The names a certificate answers to, as its subjectAltName lists them (for messages). */
function namesOf(cert: X509Certificate): string {
    return cert.subjectAltName ?? `no subjectAltName (subject ${cert.subject.replace(/\n/g, ", ")})`;
}

const STDIN_FIX = {
    cert: "pulumi config set --secret collectorTlsCert < fullchain.pem",
    key: "pulumi config set --secret collectorTlsKey < privkey.pem",
    ca: "pulumi config set collectorTlsCa < ca.pem",
};

/**
 * Problems with the receiver's TLS settings, each naming the setting and the fix. `clientHost` is
 * the address Claude Code connects to (collectorHost, or this machine's): the certificate must name
 * it, or every client's handshake fails. Messages never repeat the key.
 */
export function receiverTlsProblems(tls: ReceiverTlsInput, clientHost: string, now: Date): string[] {
    const problems: string[] = [];
    if (tls.cert === "" && tls.key === "") {
        if (tls.ca !== "") problems.push(`collectorTlsCa: is set but the receiver has no certificate; set collectorTlsCert and collectorTlsKey too (fix: ${STDIN_FIX.cert}), or pulumi config rm collectorTlsCa`);
        return problems;
    }
    if (tls.cert === "") return [`collectorTlsCert: is empty but collectorTlsKey is set; TLS needs both (fix: ${STDIN_FIX.cert})`];
    if (tls.key === "") return [`collectorTlsKey: is empty but collectorTlsCert is set; TLS needs both (fix: ${STDIN_FIX.key})`];

    const { certificates: chain, unreadable } = parseCertificates(tls.cert);
    if (chain.length === 0 || unreadable.length > 0) {
        const what = chain.length === 0 && unreadable.length === 0 ? "holds no PEM certificate (-----BEGIN CERTIFICATE-----)" : `has certificate block ${unreadable.join(", ")} that is not a readable X.509 certificate`;
        return [`collectorTlsCert: ${what} (fix: ${STDIN_FIX.cert}, the certificate chain with the server certificate first)`];
    }
    let key: KeyObject;
    try {
        key = createPrivateKey(tls.key);
    } catch {
        return [`collectorTlsKey: is not a readable, unencrypted PEM private key (fix: ${STDIN_FIX.key}; decrypt it first with openssl pkey -in key.pem -out privkey.pem)`];
    }
    const [leaf] = chain;
    if (!leaf.checkPrivateKey(key)) {
        problems.push(`collectorTlsKey: does not belong to the first certificate in collectorTlsCert (${leaf.subject.replace(/\n/g, ", ")}); set the key that certificate was issued for, or put the server certificate first in the chain (fix: ${STDIN_FIX.key})`);
    }
    if (new Date(leaf.validTo) <= now) problems.push(`collectorTlsCert: expired on ${new Date(leaf.validTo).toISOString()}; every client would refuse it (fix: renew it, then ${STDIN_FIX.cert})`);
    if (new Date(leaf.validFrom) > now) problems.push(`collectorTlsCert: is not valid before ${new Date(leaf.validFrom).toISOString()}; check this machine's clock, or issue it again (fix: ${STDIN_FIX.cert})`);
    const named = /^\d+\.\d+\.\d+\.\d+$/.test(clientHost) ? leaf.checkIP(clientHost) : leaf.checkHost(clientHost);
    if (named === undefined) {
        problems.push(`collectorTlsCert: does not name ${clientHost}, the address Claude Code connects to (it names ${namesOf(leaf)}); issue it for ${clientHost}, or set collectorHost to a name it carries (fix: pulumi config set collectorHost <name>)`);
    }
    chain.slice(1).forEach((cert, index) => {
        if (!issued(cert, chain[index])) problems.push(`collectorTlsCert: certificate ${index + 2} of the chain did not issue certificate ${index + 1}; list the chain in order, server certificate first (fix: ${STDIN_FIX.cert})`);
    });

    if (tls.ca !== "") {
        const { certificates: cas, unreadable: badCa } = parseCertificates(tls.ca);
        if (cas.length === 0 || badCa.length > 0) {
            problems.push(`collectorTlsCa: is not a PEM certificate (fix: ${STDIN_FIX.ca}, or pulumi config rm collectorTlsCa for a publicly trusted certificate)`);
        } else {
            const last = chain[chain.length - 1];
            const anchored = cas.some((ca) => ca.fingerprint256 === last.fingerprint256 || issued(ca, last));
            if (!anchored) problems.push(`collectorTlsCa: did not issue the certificate chain in collectorTlsCert, so clients trusting it would refuse the receiver; set the CA that signed it (fix: ${STDIN_FIX.ca})`);
        }
    } else if (chain.length === 1 && issued(leaf, leaf)) {
        problems.push(`collectorTlsCa: is empty but collectorTlsCert is self-signed, so no client would trust it; give clients the CA that signed it, or the certificate itself (fix: ${STDIN_FIX.ca})`);
    }
    return problems;
}

/** PEM text as the container and clients get it: one trailing newline (`pulumi config set` from stdin strips it). */
export function normalizedPem(pem: string): string {
    return `${pem.trim()}\n`;
}
