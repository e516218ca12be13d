/**
 * One unary OTLP/gRPC call for the end-to-end check (scripts/check.ts), over @grpc/grpc-js: h2c for
 * http:// (and a bare host:port), TLS for https://. The request arrives already serialized by
 * @opentelemetry/otlp-transformer, so the call passes bytes through in both directions.
 */
import { Client, Metadata, type ServiceError, credentials, status } from "@grpc/grpc-js";
import { isIP } from "node:net";
import { type PeerCertificate, checkServerIdentity, connect as tlsConnect } from "node:tls";

export const METRICS_EXPORT_PATH = "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";
export const LOGS_EXPORT_PATH = "/opentelemetry.proto.collector.logs.v1.LogsService/Export";

export interface GrpcResult {
    /** gRPC status code (grpc-js `status`; 0 = OK). */
    status: status;
    /** grpc-message, percent-decoded. */
    message: string;
    /** The response message (empty when none). */
    response: Buffer;
    /** Over TLS: until when the server's certificate is valid (as it presented it). */
    certificateValidTo?: Date;
}

/** A transport failure (no gRPC status): connection refused, timeout, not HTTP/2… `code` is Node's (ECONNREFUSED, …). */
export class GrpcTransportError extends Error {
    constructor(
        message: string,
        readonly code: string,
    ) {
        super(message);
        this.name = "GrpcTransportError";
    }
}

/** `http://host:port` (also a bare `host:port`) as a URL. */
const grpcUrl = (endpoint: string) => new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(endpoint) ? endpoint : `http://${endpoint}`);

/**
 * One unary gRPC call: sends `message` to `path` with `metadata` (lower-case keys) and returns the
 * status and response. Rejects with GrpcTransportError when no gRPC answer arrives. An https
 * endpoint is reached over TLS, verified with `ca` (PEM) when given, else Node's trusted roots.
 */
export async function grpcUnary(endpoint: string, path: string, message: Uint8Array, metadata: Record<string, string> = {}, timeoutMs = 10000, ca?: string): Promise<GrpcResult> {
    const url = grpcUrl(endpoint);
    let certificateValidTo: Date | undefined;
    const hostname = url.hostname.replace(/^\[|\]$/g, "");
    // Node calls checkServerIdentity with the peer's certificate once the chain verified: where its expiry is read.
    // It verifies the endpoint's own host, whatever server name the handshake carried.
    const identity = (_serverName: string, cert: PeerCertificate) => {
        certificateValidTo = new Date(cert.valid_to);
        return checkServerIdentity(hostname, cert);
    };
    const creds = url.protocol === "https:" ? credentials.createSsl(ca ? Buffer.from(ca) : null, null, null, { checkServerIdentity: identity }) : credentials.createInsecure();
    // grpc-js puts an IP literal into the TLS server name, which RFC 6066 forbids and Node warns about (DEP0123); a name goes there instead.
    const serverName = isIP(hostname) ? { "grpc.ssl_target_name_override": "localhost" } : {};
    // The check tests the direct path to the collector, so an http(s)_proxy in the environment is ignored.
    const client = new Client(url.host, creds, { "grpc.enable_http_proxy": 0, ...serverName });
    const md = new Metadata();
    for (const [k, v] of Object.entries(metadata)) md.set(k, v);
    const pass = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
    try {
        const response = await new Promise<Buffer>((resolve, reject) =>
            client.makeUnaryRequest(path, pass, pass, message, md, { deadline: Date.now() + timeoutMs }, (e, r) => (e ? reject(e) : resolve(r ?? Buffer.alloc(0)))),
        );
        return { status: status.OK, message: "", response, ...(certificateValidTo ? { certificateValidTo } : {}) };
    } catch (e) {
        const err = e as ServiceError;
        // grpc-js 1.14 fails a compressed message without grpc-encoding with an error that has no status code.
        if (err.code === undefined) throw new GrpcTransportError(`${url.host} sent a message grpc-js could not read`, "EPROTO");
        if (err.code === status.DEADLINE_EXCEEDED) throw new GrpcTransportError(`no answer from ${url.host} within ${timeoutMs / 1000}s`, "ETIMEDOUT");
        // grpc-js reports a failed connection as UNAVAILABLE with this text and no structured cause.
        if (err.code === status.UNAVAILABLE && err.details.startsWith("No connection established")) throw await transportError(url, err.details, ca, timeoutMs);
        return { status: err.code, message: err.details, response: Buffer.alloc(0), ...(certificateValidTo ? { certificateValidTo } : {}) };
    } finally {
        client.close();
    }
}

/** The GrpcTransportError behind grpc-js's text: the Node error code it quotes, else the TLS handshake's, else EPROTO (not HTTP/2). */
async function transportError(url: URL, details: string, ca: string | undefined, timeoutMs: number): Promise<GrpcTransportError> {
    const cause = details.replace(/^No connection established\. Last error: (Error: )?/, "").replace(/\. Resolution note: .*$/s, "");
    const quoted = /\b(E[A-Z0-9_]{3,})\b/.exec(cause)?.[1];
    if (quoted) return new GrpcTransportError(cause, quoted);
    const handshake = url.protocol === "https:" ? await tlsHandshakeError(url, ca, timeoutMs) : undefined;
    if (handshake) return new GrpcTransportError(handshake.message, handshake.code ?? "EPROTO");
    return new GrpcTransportError(cause, "EPROTO");
}

/** grpc-js keeps only the message of a failed TLS handshake, so it is redone with node:tls for Node's code (UNABLE_TO_VERIFY_LEAF_SIGNATURE, …). */
function tlsHandshakeError(url: URL, ca: string | undefined, timeoutMs: number): Promise<NodeJS.ErrnoException | undefined> {
    return new Promise((resolve) => {
        const host = url.hostname.replace(/^\[|\]$/g, "");
        const socket = tlsConnect({ host, port: Number(url.port || 443), ...(isIP(host) ? {} : { servername: host }), ...(ca ? { ca } : {}), ALPNProtocols: ["h2"] }, () => {
            socket.destroy();
            resolve(undefined);
        });
        socket.on("error", (e) => resolve(e));
        socket.setTimeout(timeoutMs, () => {
            socket.destroy();
            resolve(undefined);
        });
    });
}
