/**
 * The policy pack in policy/: each rule on passing and failing resources, each policy through its
 * real validateResource/remediateResource with the properties deserialized exactly as
 * @pulumi/policy's server does, the program's own resource graph under mocks (it passes, and
 * fails once a captured input is changed), and the pack started the way the CLI starts it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { PolicyResourceOptions, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import ts from "typescript";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { KEEP_DATA_LABEL, PUBLISHED_ADDRESS_LABEL, STACK_LABEL } from "../components/docker";
import {
    type Props,
    SECRET_URL_FIELDS,
    type StackView,
    containerDataProblems,
    containerImageProblems,
    credentialProblems,
    credentialsAreSecrets,
    dataKeptUnlessChosen,
    dataVolumeProblems,
    grafanaAnonymousProblems,
    grafanaAnonymousViewerOnly,
    isCredentialEnvKey,
    isCredentialKey,
    isLoopback,
    noPortsBeyondLoopback,
    pinnedImages,
    policies,
    publishedPortProblems,
    remoteImageProblems,
    stackViewFromEnv,
} from "../policy/policies";
import { PROJECT, type ProgramRun, type Registration, TYPES, runProgram, stackFileConfig } from "./support/pulumiMocks";
import { TEST_TLS, TLS_SECRETS, TLS_SETTINGS } from "./support/tls";

/* eslint-disable @typescript-eslint/no-require-imports */
const { Struct } = require("google-protobuf/google/protobuf/struct_pb") as { Struct: { fromJavaScript(o: object): unknown } };
const { deserializeProperties } = require("@pulumi/policy/deserialize") as { deserializeProperties(s: unknown, proxySecrets: boolean): Props };
const policySdk = require("@pulumi/policy") as { unknownCheckingProxy(o: Props): Props; UnknownValueError: new (...a: never[]) => Error };
/* eslint-enable @typescript-eslint/no-require-imports */

const ROOT = join(__dirname, "..");
const POLICY_DIR = join(ROOT, "policy");
const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"; // the engine's unknown-string sentinel
const UNKNOWN_ARRAY = "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2";

/** A value as the program serializes a secret (what mocks capture and the engine passes on). */
const secret = (value: unknown) => ({ [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig, value });
const labels = (entries: Record<string, string>) => Object.entries(entries).map(([label, value]) => ({ label, value }));
const DEFAULT_VIEW: StackView = { bindAddress: "127.0.0.1", keepDataOnDestroy: true, grafanaAnonymousViewer: false };

// ---------------------------------------------------------------------------------------------
// A faithful stand-in for the policy server (node_modules/@pulumi/policy/server.js)
// ---------------------------------------------------------------------------------------------

class NotApplicable extends Error {}

/** Properties as the server hands them over: a protobuf Struct, deserialized, behind the unknown-checking proxy. */
function engineProps(inputs: Props, forRemediation: boolean): Props {
    const struct = Struct.fromJavaScript(JSON.parse(JSON.stringify(inputs)));
    return policySdk.unknownCheckingProxy(deserializeProperties(struct, forRemediation));
}

function fakeArgs(type: string, props: Props, urn: string, opts: Partial<PolicyResourceOptions> = {}): ResourceValidationArgs {
    const args = {
        type,
        props,
        urn,
        name: urn.split("::").pop() ?? "r",
        opts: {
            protect: false,
            ignoreChanges: [],
            aliases: [],
            customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
            additionalSecretOutputs: [],
            ...opts,
        },
        stackTags: new Map<string, string>(),
        isType: (cls: { __pulumiType?: string }) => cls.__pulumiType === type,
        asType: (cls: { __pulumiType?: string }) => (cls.__pulumiType === type ? props : undefined),
        getConfig: () => ({}),
        notApplicable: (reason?: string): never => {
            throw new NotApplicable(reason);
        },
    };
    return args as unknown as ResourceValidationArgs;
}

interface Outcome {
    /** Every validation function said "not applicable". */
    notApplicable: boolean;
    violations: string[];
    /** "can't run during preview" (the server reports these as advisory). */
    advisories: string[];
}

let urnCounter = 0;

/**
 * Runs one policy on one resource the way the server does: the remediation first (only at
 * level "remediate"), then every validation function.
 */
async function evaluate(policy: ResourceValidationPolicy, type: string, inputs: Props, opts: Partial<PolicyResourceOptions> = {}, urn?: string): Promise<Outcome> {
    const resourceUrn = urn ?? `urn:pulumi:test::${PROJECT}::${type}::resource-${++urnCounter}`;
    const outcome: Outcome = { notApplicable: false, violations: [], advisories: [] };
    if (policy.enforcementLevel === "remediate" && policy.remediateResource) {
        try {
            await policy.remediateResource(fakeArgs(type, engineProps(inputs, true), resourceUrn, opts));
        } catch (e) {
            if (!(e instanceof NotApplicable)) throw e;
        }
    }
    const validations = Array.isArray(policy.validateResource) ? policy.validateResource : policy.validateResource ? [policy.validateResource] : [];
    let applicable = 0;
    for (const validate of validations) {
        const report: ReportViolation = (message) => outcome.violations.push(message);
        try {
            await validate(fakeArgs(type, engineProps(inputs, false), resourceUrn, opts), report);
            applicable++;
        } catch (e) {
            if (e instanceof NotApplicable) continue;
            if (e instanceof policySdk.UnknownValueError) {
                applicable++;
                outcome.advisories.push(`can't run policy '${policy.name}' during preview: ${e.message}`);
                continue;
            }
            throw e;
        }
    }
    outcome.notApplicable = applicable === 0;
    return outcome;
}

/** Violations of every policy for one resource. */
async function allViolations(type: string, inputs: Props, urn?: string): Promise<string[]> {
    const found: string[] = [];
    for (const policy of policies) {
        const outcome = await evaluate(policy, type, inputs, {}, urn);
        found.push(...outcome.violations.map((v) => `${policy.name}: ${v}`), ...outcome.advisories);
    }
    return found;
}

/** PULUMI_CONFIG as the CLI sets it for the pack, for the duration of a test. */
function withStackConfig(config: Record<string, string | object> | undefined): void {
    if (config === undefined) delete process.env.PULUMI_CONFIG;
    else process.env.PULUMI_CONFIG = JSON.stringify(Object.fromEntries(Object.entries(config).map(([k, v]) => [`${PROJECT}:${k}`, v])));
}
const savedConfig = process.env.PULUMI_CONFIG;
afterEach(() => {
    if (savedConfig === undefined) delete process.env.PULUMI_CONFIG;
    else process.env.PULUMI_CONFIG = savedConfig;
});

// ---------------------------------------------------------------------------------------------
// Resources like the program's
// ---------------------------------------------------------------------------------------------

const grafanaContainer = (over: Props = {}): Props => ({
    name: "claude-code-local-grafana",
    image: "sha256:0123",
    ports: [{ internal: 3000, external: 3000, ip: "127.0.0.1", protocol: "tcp" }],
    labels: labels({ [STACK_LABEL]: "local", [PUBLISHED_ADDRESS_LABEL]: "127.0.0.1", [KEEP_DATA_LABEL]: "true" }),
    volumes: [{ volumeName: "claude-code-local-grafana-data", containerPath: "/var/lib/grafana" }],
    envs: secret(["GF_AUTH_ANONYMOUS_ENABLED=false", "GF_SECURITY_ADMIN_PASSWORD=pw"]),
    ...over,
});
const dataVolume = (over: Props = {}): Props => ({ name: "claude-code-local-grafana-data", labels: labels({ [STACK_LABEL]: "local" }), ...over });

describe("rule: ports beyond loopback", () => {
    it("knows loopback: 127.0.0.0/8 and ::1, in any spelling", () => {
        for (const ip of ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "0:0:0:0:0:0:0:1", "::ffff:127.0.0.1"]) expect(isLoopback(ip), ip).toBe(true);
        for (const ip of ["0.0.0.0", "::", "192.168.1.20", "128.0.0.1", "::2", "localhost", ""]) expect(isLoopback(ip), ip).toBe(false);
    });

    it("passes loopback ports, and ports on the declared address", () => {
        expect(publishedPortProblems(grafanaContainer())).toEqual([]);
        const open = grafanaContainer({
            ports: [{ internal: 3000, external: 3000, ip: "0.0.0.0" }],
            labels: labels({ [PUBLISHED_ADDRESS_LABEL]: "0.0.0.0" }),
        });
        expect(publishedPortProblems(open)).toEqual([]);
        expect(publishedPortProblems(open, { ...DEFAULT_VIEW, bindAddress: "0.0.0.0" })).toEqual([]);
    });

    it("fails an omitted ip (Docker's 0.0.0.0) and a hard-coded address the stack did not choose", () => {
        const omitted = grafanaContainer({ ports: [{ internal: 3000, external: 3000 }] });
        expect(publishedPortProblems(omitted)).toEqual([
            expect.stringMatching(/^port 3000\/tcp \(host port 3000\) is published on 0\.0\.0\.0, beyond loopback, but the stack publishes on 127\.0\.0\.1/),
        ]);
        const hardCoded = grafanaContainer({ ports: [{ internal: 3000, external: 3000, ip: "0.0.0.0" }, { internal: 9090, ip: "::" }] });
        expect(publishedPortProblems(hardCoded)).toHaveLength(2);
        const undeclared = { ports: [{ internal: 80, external: 8080, ip: "192.168.1.20" }] };
        expect(publishedPortProblems(undeclared)).toEqual([expect.stringContaining("declares no published address")]);
    });

    it("with the stack config visible, the declared address must be the bindAddress setting", () => {
        const open = grafanaContainer({ ports: [{ internal: 3000, external: 3000, ip: "0.0.0.0" }], labels: labels({ [PUBLISHED_ADDRESS_LABEL]: "0.0.0.0" }) });
        expect(publishedPortProblems(open, DEFAULT_VIEW)).toEqual([expect.stringContaining("the stack setting bindAddress is 127.0.0.1")]);
    });

    it("fails host networking and publishAllPorts beyond the declared address", () => {
        expect(publishedPortProblems({ networkMode: "host" })).toEqual([expect.stringContaining('networkMode "host"')]);
        expect(publishedPortProblems(grafanaContainer({ publishAllPorts: true }))).toEqual([expect.stringContaining("every exposed port (publishAllPorts) is published on 0.0.0.0")]);
    });
});

describe("rule: pinned images", () => {
    it("passes version tags and digests, fails latest, missing tags and tags without a digit", () => {
        const digest = `grafana/grafana@sha256:${"a".repeat(64)}`;
        for (const name of ["grafana/grafana:13.0.1", "prom/prometheus:v3.15.0", "localhost:5000/otel/col:0.162.0", digest]) {
            expect(remoteImageProblems({ name }), name).toEqual([]);
        }
        for (const name of ["grafana/grafana", "grafana/grafana:latest", "grafana/grafana:main", "localhost:5000/grafana"]) {
            expect(remoteImageProblems({ name }), name).toEqual([expect.stringContaining(`image "${name}" is not pinned`)]);
        }
    });

    it("lets containers run from image ids or computed values, and checks literal references", () => {
        expect(containerImageProblems({ image: "sha256:4f1c" })).toEqual([]);
        expect(containerImageProblems({ image: "grafana/grafana:13.0.1" })).toEqual([]);
        expect(containerImageProblems({ image: "grafana/grafana:latest" })).toEqual([expect.stringContaining("container image")]);
        expect(containerImageProblems({ image: "nginx" })).toEqual([expect.stringContaining("not pinned")]);
    });
});

describe("rule: data kept unless the stack chose deletion", () => {
    it("passes a dataVolume() volume; fails one without a fixed name or without the stack label, unless protected", () => {
        expect(dataVolumeProblems(dataVolume())).toEqual([]);
        expect(dataVolumeProblems({ name: "x" })).toEqual([expect.stringContaining("not made by dataVolume()")]);
        expect(dataVolumeProblems({ labels: labels({ [STACK_LABEL]: "local" }) })).toEqual([expect.stringContaining("no fixed name")]);
        expect(dataVolumeProblems({}, { protect: true })).toEqual([]);
    });

    it("needs the keep-data declaration on a container mounting named volumes", () => {
        expect(containerDataProblems(grafanaContainer())).toEqual([]);
        expect(containerDataProblems(grafanaContainer({ labels: labels({ [STACK_LABEL]: "local" }) }))).toEqual([expect.stringContaining("does not declare whether they are kept")]);
        expect(containerDataProblems({ mounts: [{ type: "volume", source: "data", target: "/data" }] })).toEqual([expect.stringContaining(KEEP_DATA_LABEL)]);
        // Bind mounts and containers without volumes need nothing.
        expect(containerDataProblems({ volumes: [{ hostPath: "/srv", containerPath: "/srv" }] })).toEqual([]);
        expect(containerDataProblems({ name: "collector" })).toEqual([]);
    });

    it("accepts deletion the program declares, and rejects it when the stack setting says keep", () => {
        const deleting = grafanaContainer({ labels: labels({ [KEEP_DATA_LABEL]: "false" }) });
        expect(containerDataProblems(deleting)).toEqual([]);
        expect(containerDataProblems(deleting, { ...DEFAULT_VIEW, keepDataOnDestroy: false })).toEqual([]);
        expect(containerDataProblems(deleting, DEFAULT_VIEW)).toEqual([expect.stringContaining("keepDataOnDestroy is true")]);
    });

    it("fails anonymous volumes, which go with the container", () => {
        expect(containerDataProblems({ volumes: [{ containerPath: "/prometheus" }] })).toEqual([expect.stringContaining("anonymous volume at /prometheus")]);
        expect(containerDataProblems({ mounts: [{ type: "volume", target: "/loki" }] })).toEqual([expect.stringContaining("anonymous volume mount at /loki")]);
    });
});

describe("rule: Grafana anonymous access", () => {
    const env = (...entries: string[]) => ({ envs: entries });

    it("passes no anonymous access, and anonymous Viewer (set or Grafana's default)", () => {
        expect(grafanaAnonymousProblems(env("GF_AUTH_ANONYMOUS_ENABLED=false"))).toEqual([]);
        expect(grafanaAnonymousProblems(env("GF_AUTH_ANONYMOUS_ENABLED=true", "GF_AUTH_ANONYMOUS_ORG_ROLE=Viewer"))).toEqual([]);
        expect(grafanaAnonymousProblems(env("GF_AUTH_ANONYMOUS_ENABLED=true"))).toEqual([]);
        expect(grafanaAnonymousProblems({ envs: secret(["GF_AUTH_ANONYMOUS_ENABLED=true", "GF_AUTH_ANONYMOUS_ORG_ROLE=Viewer"]) })).toEqual([]);
    });

    it("fails an anonymous role above Viewer, Editor or Admin even while anonymous access is off", () => {
        expect(grafanaAnonymousProblems(env("GF_AUTH_ANONYMOUS_ENABLED=true", "GF_AUTH_ANONYMOUS_ORG_ROLE=Editor"))).toEqual([expect.stringContaining("GF_AUTH_ANONYMOUS_ORG_ROLE=Editor")]);
        expect(grafanaAnonymousProblems(env("GF_AUTH_ANONYMOUS_ENABLED=1", "GF_AUTH_ANONYMOUS_ORG_ROLE=Admin"))).toHaveLength(1);
        expect(grafanaAnonymousProblems(env("GF_AUTH_ANONYMOUS_ORG_ROLE=Admin"))).toHaveLength(1);
        // The last definition wins, as in Docker.
        expect(grafanaAnonymousProblems(env("GF_AUTH_ANONYMOUS_ENABLED=true", "GF_AUTH_ANONYMOUS_ORG_ROLE=Viewer", "GF_AUTH_ANONYMOUS_ORG_ROLE=Admin"))).toHaveLength(1);
    });

    it("fails anonymous access with viewers_can_edit, and anonymous access the stack did not enable", () => {
        expect(grafanaAnonymousProblems(env("GF_AUTH_ANONYMOUS_ENABLED=true", "GF_USERS_VIEWERS_CAN_EDIT=true"))).toEqual([expect.stringContaining("GF_USERS_VIEWERS_CAN_EDIT")]);
        expect(grafanaAnonymousProblems(env("GF_AUTH_ANONYMOUS_ENABLED=true"), DEFAULT_VIEW)).toEqual([expect.stringContaining("grafanaAnonymousViewer is false")]);
        expect(grafanaAnonymousProblems(env("GF_AUTH_ANONYMOUS_ENABLED=true"), { ...DEFAULT_VIEW, grafanaAnonymousViewer: true })).toEqual([]);
    });
});

describe("rule: credentials are secrets", () => {
    it("passes secret webhook and Slack URLs; fails plain ones and every credential field, naming the path but never the value", () => {
        const ok = { name: "Alerts", webhooks: [{ url: secret("https://h/x"), title: "t" }], slacks: secret([{ url: "https://hooks.slack.com/s", token: "xoxb" }]) };
        expect(credentialProblems(TYPES.contactPoint, ok)).toEqual([]);
        const plain = {
            name: "Alerts",
            emails: [{ addresses: ["a@example.com"], subject: "s" }],
            webhooks: [{ url: "https://h/x", basicAuthUser: "u", basicAuthPassword: "pw", authorizationScheme: "Bearer", authorizationCredentials: secret("c"), hmacConfig: { secret: "hmac-value-7" } }],
            slacks: [{ url: "https://hooks.slack.com/s", token: "xoxb-1", endpointUrl: "https://slack.com/api" }],
            telegrams: [{ chatId: "1", token: "t" }],
            pagerduties: [{ integrationKey: "k" }],
        };
        const problems = credentialProblems(TYPES.contactPoint, plain);
        expect(problems.map((p) => p.split(" ")[0])).toEqual([
            "webhooks[0].url",
            "webhooks[0].basicAuthPassword",
            "webhooks[0].hmacConfig.secret",
            "slacks[0].url",
            "slacks[0].token",
            "telegrams[0].token",
            "pagerduties[0].integrationKey",
        ]);
        expect(problems.join("\n")).not.toMatch(/https:\/\/h|xoxb|hmac-value|\bpw\b|\bk\b/);
    });

    it("covers exactly the credential fields of the provider's contact-point integrations (types/input.d.ts)", () => {
        const source = ts.createSourceFile("input.d.ts", readFileSync(join(ROOT, "node_modules/@pulumiverse/grafana/types/input.d.ts"), "utf8"), ts.ScriptTarget.Latest);
        const fields = new Set<string>();
        const visit = (node: ts.Node, inAlerting: boolean): void => {
            if (ts.isModuleDeclaration(node)) inAlerting = node.name.text === "alerting" || inAlerting;
            if (inAlerting && ts.isInterfaceDeclaration(node) && node.name.text.startsWith("ContactPoint")) {
                for (const member of node.members) if (member.name && ts.isIdentifier(member.name)) fields.add(member.name.text);
            }
            ts.forEachChild(node, (child) => visit(child, inAlerting));
        };
        visit(source, false);
        expect(fields.size).toBeGreaterThan(100);
        expect([...fields].filter(isCredentialKey).sort()).toEqual([
            "accessKey",
            "apiKey",
            "apiSecret",
            "apiToken",
            "authorizationCredentials",
            "basicAuthPassword",
            "clientKey",
            "clientSecret",
            "integrationKey",
            "password",
            "secret",
            "secretKey",
            "token",
            "userKey",
        ]);
        for (const field of ["basicAuthUser", "authorizationScheme", "tokenUrl", "clientId", "chatId", "url", "endpointUrl"]) expect(fields.has(field), field).toBe(true);
        // Incoming-webhook URLs are credentials (SECRET_URL_FIELDS, type-checked against ContactPointArgs); other URLs are not.
        for (const integration of Object.keys(SECRET_URL_FIELDS)) {
            expect(credentialProblems(TYPES.contactPoint, { [integration]: [{ url: "https://x" }] }), integration).toEqual([expect.stringMatching(new RegExp(`^${integration}\\[0\\]\\.url `))]);
        }
        expect(Object.keys(SECRET_URL_FIELDS).sort()).toEqual(["dingdings", "discords", "googlechats", "oncalls", "slacks", "teams", "victorops", "webhooks", "wecoms"]);
        expect(credentialProblems(TYPES.contactPoint, { sensugos: [{ url: "https://sensu", apiKey: secret("k") }], slacks: [{ endpointUrl: "https://slack.com/api" }] })).toEqual([]);
    });

    it("checks the Grafana provider, data sources and container credential variables", () => {
        expect(credentialProblems(TYPES.grafanaProvider, { url: "http://127.0.0.1:3000", auth: secret("admin:pw") })).toEqual([]);
        expect(credentialProblems(TYPES.grafanaProvider, { url: "http://127.0.0.1:3000", auth: "admin:pw" })).toEqual([expect.stringMatching(/^auth /)]);
        expect(credentialProblems(TYPES.dataSource, { name: "Prometheus", secureJsonDataEncoded: '{"basicAuthPassword":"x"}' })).toEqual([expect.stringMatching(/^secureJsonDataEncoded /)]);
        expect(credentialProblems(TYPES.container, { envs: ["GOMEMLIMIT=1GiB", "GF_SECURITY_ADMIN_PASSWORD=pw", "GF_SMTP_PASSWORD__FILE=/run/secrets/smtp"] })).toEqual([
            expect.stringMatching(/^envs\[1\] \(GF_SECURITY_ADMIN_PASSWORD\) /),
        ]);
        expect(credentialProblems(TYPES.container, { envs: ["GOMEMLIMIT=1GiB", secret("GF_SECURITY_ADMIN_PASSWORD=pw")] })).toEqual([]);
        expect(credentialProblems(TYPES.container, { envs: secret(["GF_SECURITY_ADMIN_PASSWORD=pw"]) })).toEqual([]);
        for (const key of ["GF_SECURITY_ADMIN_PASSWORD", "GF_SECURITY_SECRET_KEY", "OTEL_RECEIVER_TOKEN", "X_API_KEY"]) expect(isCredentialEnvKey(key), key).toBe(true);
        for (const key of ["GOMEMLIMIT", "GF_AUTH_ANONYMOUS_ENABLED", "GF_SECURITY_ADMIN_USER", "GF_SMTP_PASSWORD__FILE"]) expect(isCredentialEnvKey(key), key).toBe(false);
    });
});

describe("stack settings the CLI hands to the pack (PULUMI_CONFIG)", () => {
    it("reads the settings, with the program's defaults for unset keys, and unwraps secret envelopes", () => {
        expect(stackViewFromEnv({})).toBeUndefined();
        expect(stackViewFromEnv({ PULUMI_CONFIG: "{}" })).toEqual(DEFAULT_VIEW);
        const config = JSON.stringify({ [`${PROJECT}:bindAddress`]: "0.0.0.0", [`${PROJECT}:keepDataOnDestroy`]: "false", [`${PROJECT}:grafanaAnonymousViewer`]: secret("true") });
        expect(stackViewFromEnv({ PULUMI_CONFIG: config })).toEqual({ bindAddress: "0.0.0.0", keepDataOnDestroy: false, grafanaAnonymousViewer: true });
        // Another project's keys are not this stack's settings.
        expect(stackViewFromEnv({ PULUMI_CONFIG: config, PULUMI_NODEJS_PROJECT: "other" })).toEqual(DEFAULT_VIEW);
    });
});

// ---------------------------------------------------------------------------------------------
// The policies, as the server runs them
// ---------------------------------------------------------------------------------------------

describe("policies, run as @pulumi/policy's server runs them", () => {
    it("are all mandatory (credentials-are-secrets at 'remediate', which reports as mandatory) and have unique names", () => {
        expect(policies.map((p) => [p.name, p.enforcementLevel])).toEqual([
            ["no-ports-beyond-loopback", "mandatory"],
            ["pinned-images", "mandatory"],
            ["data-kept-unless-chosen", "mandatory"],
            ["grafana-anonymous-viewer-only", "mandatory"],
            ["credentials-are-secrets", "remediate"],
        ]);
    });

    it("no-ports-beyond-loopback: reports a rebound port, ignores other types", async () => {
        expect((await evaluate(noPortsBeyondLoopback, TYPES.container, grafanaContainer())).violations).toEqual([]);
        const rebound = await evaluate(noPortsBeyondLoopback, TYPES.container, grafanaContainer({ ports: [{ internal: 3000, external: 3000, ip: "0.0.0.0" }] }));
        expect(rebound.violations).toEqual([expect.stringContaining("published on 0.0.0.0, beyond loopback")]);
        expect((await evaluate(noPortsBeyondLoopback, TYPES.volume, dataVolume())).notApplicable).toBe(true);
    });

    it("no-ports-beyond-loopback: compares with the stack's bindAddress when the CLI passes the config", async () => {
        const open = grafanaContainer({ ports: [{ internal: 3000, external: 3000, ip: "0.0.0.0" }], labels: labels({ [PUBLISHED_ADDRESS_LABEL]: "0.0.0.0" }) });
        withStackConfig(undefined);
        expect((await evaluate(noPortsBeyondLoopback, TYPES.container, open)).violations).toEqual([]);
        withStackConfig({ bindAddress: "127.0.0.1" });
        expect((await evaluate(noPortsBeyondLoopback, TYPES.container, open)).violations).toEqual([expect.stringContaining("bindAddress is 127.0.0.1")]);
        withStackConfig({ bindAddress: "0.0.0.0" });
        expect((await evaluate(noPortsBeyondLoopback, TYPES.container, open)).violations).toEqual([]);
    });

    it("pinned-images: checks RemoteImage names and literal container images; an image id unknown in preview passes", async () => {
        expect((await evaluate(pinnedImages, TYPES.image, { name: "grafana/grafana:latest", keepLocally: true })).violations).toEqual([expect.stringContaining("not pinned")]);
        expect((await evaluate(pinnedImages, TYPES.image, { name: "grafana/grafana:13.0.1" })).violations).toEqual([]);
        expect((await evaluate(pinnedImages, TYPES.container, grafanaContainer({ image: "grafana/grafana" }))).violations).toEqual([expect.stringContaining("not pinned")]);
        const preview = await evaluate(pinnedImages, TYPES.container, grafanaContainer({ image: UNKNOWN_STRING }));
        expect(preview).toEqual({ notApplicable: false, violations: [], advisories: [] });
    });

    it("data-kept-unless-chosen: checks volumes (protect counts) and the containers that mount them", async () => {
        expect((await evaluate(dataKeptUnlessChosen, TYPES.volume, dataVolume())).violations).toEqual([]);
        expect((await evaluate(dataKeptUnlessChosen, TYPES.volume, { name: "stray" })).violations).toEqual([expect.stringContaining("not made by dataVolume()")]);
        expect((await evaluate(dataKeptUnlessChosen, TYPES.volume, { name: "stray" }, { protect: true })).violations).toEqual([]);
        const deleting = grafanaContainer({ labels: labels({ [STACK_LABEL]: "local", [KEEP_DATA_LABEL]: "false" }) });
        withStackConfig({ keepDataOnDestroy: "false" });
        expect((await evaluate(dataKeptUnlessChosen, TYPES.container, deleting)).violations).toEqual([]);
        withStackConfig({});
        expect((await evaluate(dataKeptUnlessChosen, TYPES.container, deleting)).violations).toEqual([expect.stringContaining("keepDataOnDestroy is true")]);
    });

    it("grafana-anonymous-viewer-only: reports an Admin anonymous role; an environment unknown in preview is left to the framework", async () => {
        const admin = grafanaContainer({ envs: secret(["GF_AUTH_ANONYMOUS_ENABLED=true", "GF_AUTH_ANONYMOUS_ORG_ROLE=Admin", "GF_SECURITY_ADMIN_PASSWORD=pw"]) });
        expect((await evaluate(grafanaAnonymousViewerOnly, TYPES.container, admin)).violations).toEqual([expect.stringContaining("GF_AUTH_ANONYMOUS_ORG_ROLE=Admin")]);
        const preview = await evaluate(grafanaAnonymousViewerOnly, TYPES.container, grafanaContainer({ envs: secret(UNKNOWN_ARRAY) }));
        expect(preview.violations).toEqual([]);
        expect(preview.advisories).toEqual([expect.stringContaining("Array value at .envs can't be known during preview")]);
        // Unknown entries (e.g. a password not generated yet) are skipped; the known ones are checked.
        const partly = grafanaContainer({ envs: ["GF_AUTH_ANONYMOUS_ENABLED=true", "GF_AUTH_ANONYMOUS_ORG_ROLE=Editor", secret(UNKNOWN_STRING)] });
        expect((await evaluate(grafanaAnonymousViewerOnly, TYPES.container, partly)).violations).toEqual([expect.stringContaining("Editor")]);
    });

    it("credentials-are-secrets: the validation sees no secrets, so it reports what the remediation pass saw", async () => {
        // What the server's validation really gets: secrets unwrapped, indistinguishable from plain values.
        expect(engineProps({ webhooks: [{ url: secret("https://h/x") }] }, false).webhooks[0].url).toBe("https://h/x");
        const secretHook = { name: "Alerts", webhooks: [{ url: secret("https://h/x") }] };
        const plainHook = { name: "Alerts", webhooks: [{ url: "https://h/x" }] };
        expect((await evaluate(credentialsAreSecrets, TYPES.contactPoint, secretHook)).violations).toEqual([]);
        expect((await evaluate(credentialsAreSecrets, TYPES.contactPoint, plainHook)).violations).toEqual([expect.stringMatching(/^webhooks\[0\]\.url \(a credential\) is not a secret/)]);
        expect((await evaluate(credentialsAreSecrets, TYPES.grafanaProvider, { auth: "admin:pw" })).violations).toEqual([expect.stringMatching(/^auth /)]);
        expect((await evaluate(credentialsAreSecrets, TYPES.image, { name: "grafana/grafana:13.0.1" })).notApplicable).toBe(true);
        // A provider secret unknown during preview is still marked secret.
        expect((await evaluate(credentialsAreSecrets, TYPES.grafanaProvider, { auth: secret(UNKNOWN_STRING) })).violations).toEqual([]);
    });

    it("credentials-are-secrets: without its remediation pass (another enforcement level) it says it cannot tell, where credentials are set", async () => {
        const validate = credentialsAreSecrets.validateResource as (a: ResourceValidationArgs, r: ReportViolation) => void;
        const validateOnly = (inputs: Props) => {
            const found: string[] = [];
            const urn = `urn:pulumi:test::${PROJECT}::${TYPES.contactPoint}::never-remediated-${++urnCounter}`;
            validate(fakeArgs(TYPES.contactPoint, engineProps(inputs, false), urn), (m) => found.push(m));
            return found;
        };
        expect(validateOnly({ name: "Alerts", webhooks: [{ url: secret("https://h/x"), title: "t" }] })).toEqual([
            'cannot tell whether webhooks[0].url are secrets: the policy\'s remediation pass did not run; keep credentials-are-secrets at enforcement level "remediate"',
        ]);
        expect(validateOnly({ name: "Alerts", emails: [{ addresses: ["a@example.com"] }] })).toEqual([]);
    });
});

// ---------------------------------------------------------------------------------------------
// The program's own resource graph
// ---------------------------------------------------------------------------------------------

/** retainOnDelete as each resource's registration sends it to the engine (mocks do not show options). */
const retainOnDelete = new Map<string, boolean>();
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { MockMonitor } = require("@pulumi/pulumi/runtime/mocks") as { MockMonitor: { prototype: { registerResource(req: any, cb: any): unknown } } };
const originalRegister = MockMonitor.prototype.registerResource;
MockMonitor.prototype.registerResource = function (this: unknown, req: any, callback: any) {
    retainOnDelete.set(`${req.getType()}::${req.getName()}`, req.getRetainondelete());
    return originalRegister.call(this, req, callback);
};
afterAll(() => {
    MockMonitor.prototype.registerResource = originalRegister;
});

const customConfig = {
    bindAddress: "0.0.0.0",
    ...TLS_SETTINGS,
    keepDataOnDestroy: "false",
    grafanaAnonymousViewer: "true",
    alertEmails: '["lead@example.com"]',
    smtpHost: "smtp.example.com:587",
    smtpUser: "mailer",
    smtpPassword: "smtp-secret-value",
    alertWebhookUrl: "https://hooks.example.com/claude",
    slackWebhookUrl: "https://hooks.slack.com/services/T000/B000/XXXX",
};
const customSecrets = ["smtpPassword", "alertWebhookUrl", "slackWebhookUrl", ...TLS_SECRETS];

interface Graph {
    run: ProgramRun;
    /** The stack config as the CLI would pass it to the pack. */
    cliConfig: Record<string, string>;
    keep: boolean;
    retain: Map<string, boolean>;
}
const graphs: Record<"default" | "custom", Graph> = {} as Record<"default" | "custom", Graph>;

beforeAll(async () => {
    retainOnDelete.clear();
    graphs.default = { run: await runProgram({}), cliConfig: {}, keep: true, retain: new Map(retainOnDelete) };
    retainOnDelete.clear();
    graphs.custom = { run: await runProgram(customConfig, customSecrets, "team-laptop"), cliConfig: customConfig, keep: false, retain: new Map(retainOnDelete) };
});

const urnOf = (r: Registration) => `urn:pulumi:stack::${PROJECT}::${r.type}::${r.name}`;
const copy = (r: Registration): Registration => ({ ...r, inputs: structuredClone(r.inputs) });
const containerOf = (run: ProgramRun, service: string) => {
    const found = run.ofType(TYPES.container).filter((c) => String(c.inputs.name).endsWith(`-${service}`));
    expect(found).toHaveLength(1);
    return found[0];
};

describe("the program's team-mode graph (Pulumi.team.example.yaml) under mocks", () => {
    const teamSecrets = { teamGrafanaAuth: "glsa_team_token", teamMetricsToken: "glc_metrics", teamLogsToken: "glc_logs", collectorTlsCert: TEST_TLS.cert, collectorTlsKey: TEST_TLS.key };

    it("passes every policy: the shared collector on 0.0.0.0 as declared, team credentials as secrets", async () => {
        const config = { ...stackFileConfig("Pulumi.team.example.yaml"), ...teamSecrets };
        const run = await runProgram(config, Object.keys(teamSecrets), "team");
        expect(run.ofType(TYPES.container)).toHaveLength(1);
        expect(run.ofType(TYPES.dataSource).length).toBe(2);
        withStackConfig(config);
        for (const r of run.resources) expect(await allViolations(r.type, r.inputs, urnOf(r)), `${r.type} ${r.name}`).toEqual([]);
        // The Grafana provider's token is what the credentials policy guards here.
        const provider = run.ofType(TYPES.grafanaProvider)[0];
        const plain = copy(provider);
        plain.inputs.auth = "glsa_team_token";
        expect((await allViolations(plain.type, plain.inputs, urnOf(plain))).join("\n")).toMatch(/auth/);
    });
});

describe.each(["default", "custom"] as const)("the program's %s graph under mocks", (which) => {
    const graph = () => graphs[which];

    it("passes every policy, resource by resource, with the stack config the CLI passes", async () => {
        withStackConfig(graph().cliConfig);
        const { run } = graph();
        expect(run.ofType(TYPES.container).length).toBeGreaterThanOrEqual(4);
        for (const r of run.resources) expect(await allViolations(r.type, r.inputs, urnOf(r)), `${r.type} ${r.name}`).toEqual([]);
    });

    it("passes without the stack config too (labels only)", async () => {
        withStackConfig(undefined);
        for (const r of graph().run.resources) expect(await allViolations(r.type, r.inputs, urnOf(r)), `${r.type} ${r.name}`).toEqual([]);
    });

    it("declares on each container what the stack chose: published address, data kept", () => {
        const { run, keep } = graph();
        const bind = which === "custom" ? "0.0.0.0" : "127.0.0.1";
        for (const c of run.ofType(TYPES.container)) {
            const label = (key: string) => c.inputs.labels.find((l: Props) => l.label === key)?.value;
            expect(label(PUBLISHED_ADDRESS_LABEL), c.name).toBe(bind);
            const mountsData = (c.inputs.volumes ?? []).some((v: Props) => v.volumeName);
            expect(label(KEEP_DATA_LABEL), c.name).toBe(mountsData ? String(keep) : undefined);
        }
    });

    it("sends retainOnDelete = keepDataOnDestroy for every data volume (what the keep-data label stands for)", () => {
        const { run, keep, retain } = graph();
        const volumes = run.ofType(TYPES.volume);
        expect(volumes).toHaveLength(3);
        for (const v of volumes) expect(retain.get(`${v.type}::${v.name}`), v.name).toBe(keep);
        // Nothing else is retained: the label is the only place the choice shows.
        for (const c of run.ofType(TYPES.container)) expect(retain.get(`${c.type}::${c.name}`), c.name).toBe(false);
    });

    it("fails once a port is rebound beyond loopback, or to an address other than bindAddress", async () => {
        withStackConfig(graph().cliConfig);
        const grafana = copy(containerOf(graph().run, "grafana"));
        grafana.inputs.ports[0].ip = which === "custom" ? "192.168.1.20" : "0.0.0.0";
        expect(await allViolations(grafana.type, grafana.inputs, urnOf(grafana))).toEqual([expect.stringMatching(/^no-ports-beyond-loopback: port 3000\/tcp/)]);
    });

    it("fails once an image is unpinned", async () => {
        const image = copy(graph().run.ofType(TYPES.image)[0]);
        image.inputs.name = String(image.inputs.name).replace(/:[^:/]+$/, ":latest");
        expect(await allViolations(image.type, image.inputs, urnOf(image))).toEqual([expect.stringMatching(/^pinned-images: image ".*:latest" is not pinned/)]);
    });

    it("fails once a data container loses its keep-data declaration, or a volume bypasses dataVolume()", async () => {
        withStackConfig(graph().cliConfig);
        const prometheus = copy(containerOf(graph().run, "prometheus"));
        prometheus.inputs.labels = prometheus.inputs.labels.filter((l: Props) => l.label !== KEEP_DATA_LABEL);
        expect(await allViolations(prometheus.type, prometheus.inputs, urnOf(prometheus))).toEqual([expect.stringMatching(/^data-kept-unless-chosen: container mounts data volumes/)]);
        const volume = copy(graph().run.ofType(TYPES.volume)[0]);
        volume.inputs.labels = [];
        expect(await allViolations(volume.type, volume.inputs, urnOf(volume))).toEqual([expect.stringMatching(/^data-kept-unless-chosen: volume was not made by dataVolume/)]);
    });

    it("fails once Grafana's anonymous role is raised, or its credentials stop being secrets", async () => {
        withStackConfig(graph().cliConfig);
        const grafana = copy(containerOf(graph().run, "grafana"));
        const envs: string[] = grafana.inputs.envs.value;
        expect(grafana.inputs.envs[pulumi.runtime.specialSigKey]).toBe(pulumi.runtime.specialSecretSig);
        const raised = copy(grafana);
        raised.inputs.envs.value = [...envs, "GF_AUTH_ANONYMOUS_ORG_ROLE=Admin"];
        expect(await allViolations(raised.type, raised.inputs, urnOf(raised))).toEqual([expect.stringMatching(/^grafana-anonymous-viewer-only: GF_AUTH_ANONYMOUS_ORG_ROLE=Admin/)]);
        const exposed = copy(grafana);
        exposed.inputs.envs = envs;
        const found = await allViolations(exposed.type, exposed.inputs, urnOf(exposed));
        expect(found.length).toBeGreaterThanOrEqual(1);
        for (const v of found) expect(v).toMatch(/^credentials-are-secrets: envs\[\d+\] \((GF_SECURITY_ADMIN_PASSWORD|GF_SMTP_PASSWORD)\) /);
        expect(found.join("\n")).not.toContain("mock-admin-password");
    });
});

describe("the custom graph's notifications", () => {
    it("has its webhook and Slack URLs as secrets, and fails once they are plain", async () => {
        const cp = graphs.custom.run.one(TYPES.contactPoint, "-contact-point");
        expect(await allViolations(cp.type, cp.inputs, urnOf(cp))).toEqual([]);
        const plain = copy(cp);
        const unwrap = (v: Props) => (v && v[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig ? v.value : v);
        plain.inputs.webhooks = unwrap(plain.inputs.webhooks).map((w: Props) => ({ ...w, url: unwrap(w.url) }));
        plain.inputs.slacks = unwrap(plain.inputs.slacks).map((s: Props) => ({ ...s, url: unwrap(s.url) }));
        const found = await allViolations(plain.type, plain.inputs, urnOf(plain));
        expect(found.map((v) => v.split(" ")[1]).sort()).toEqual(["slacks[0].url", "webhooks[0].url"]);
        expect(found.join("\n")).not.toMatch(/hooks\.(example|slack)\.com/);
    });

    it("passes a Grafana provider whose auth is the SDK-wrapped secret, and fails a plain one", async () => {
        const provider = graphs.custom.run.ofType(TYPES.grafanaProvider)[0];
        expect(await allViolations(provider.type, provider.inputs, urnOf(provider))).toEqual([]);
        const plain = copy(provider);
        plain.inputs.auth = plain.inputs.auth.value;
        expect(await allViolations(plain.type, plain.inputs, urnOf(plain))).toEqual([expect.stringMatching(/^credentials-are-secrets: auth /)]);
    });
});

// ---------------------------------------------------------------------------------------------
// The pack itself, started the way the CLI starts a local nodejs policy pack
// ---------------------------------------------------------------------------------------------

describe("the pack, started like `pulumi preview --policy-pack ./policy` starts it", () => {
    /* eslint-disable @typescript-eslint/no-require-imports */
    const grpc = require("@grpc/grpc-js");
    const analyzerRpc = require("@pulumi/pulumi/proto/analyzer_grpc_pb");
    const analyzerPb = require("@pulumi/pulumi/proto/analyzer_pb");
    const emptyPb = require("google-protobuf/google/protobuf/empty_pb");
    /* eslint-enable @typescript-eslint/no-require-imports */
    let pack: ChildProcess;
    let client: any;
    let stderr = "";

    beforeAll(async () => {
        // The CLI (language host RunPlugin, or the legacy pulumi-analyzer-policy script) resolves
        // this module with `node -e require.resolve(...)` in the pack folder, then runs
        // `node <it> <engine address> <pack folder>` there, with the stack config in the environment.
        const runPolicyPack = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [POLICY_DIR] });
        pack = spawn(process.execPath, [runPolicyPack, "127.0.0.1:1", POLICY_DIR], {
            cwd: POLICY_DIR,
            env: { ...process.env, PULUMI_CONFIG: JSON.stringify({ [`${PROJECT}:bindAddress`]: "127.0.0.1" }), PULUMI_NODEJS_PROJECT: PROJECT },
            stdio: ["ignore", "pipe", "pipe"],
        });
        pack.stderr!.on("data", (d) => (stderr += String(d)));
        const port = await new Promise<string>((resolve, reject) => {
            pack.stdout!.on("data", (d) => resolve(String(d).trim()));
            pack.on("exit", (code) => reject(new Error(`policy pack exited with ${code}: ${stderr}`)));
        });
        expect(port).toMatch(/^\d+$/);
        client = new analyzerRpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    }, 120000);

    afterAll(() => {
        client?.close();
        if (pack && pack.exitCode === null) pack.kill();
    });

    const call = <T>(method: string, request: unknown): Promise<T> =>
        new Promise((resolve, reject) => client[method](request, (err: Error | null, res: T) => (err ? reject(err) : resolve(res))));

    const request = (type: string, inputs: Props) => {
        const req = new analyzerPb.AnalyzeRequest();
        req.setUrn(`urn:pulumi:ci::${PROJECT}::${type}::grpc-${++urnCounter}`);
        req.setType(type);
        req.setName("r");
        req.setProperties(Struct.fromJavaScript(inputs));
        req.setOptions(new analyzerPb.AnalyzerResourceOptions());
        return req;
    };

    /** The engine's order for one resource: remediations, then analysis. */
    const analyze = async (type: string, inputs: Props) => {
        const req = request(type, inputs);
        await call("remediate", req);
        const res: any = await call("analyze", req);
        return res.getDiagnosticsList().map((d: any) => ({ policy: d.getPolicyname(), level: d.getEnforcementlevel(), message: d.getMessage() }));
    };

    it("loads from the project's node_modules without an install of its own, and registers exactly the exported policies", async () => {
        const pkg = JSON.parse(readFileSync(join(POLICY_DIR, "package.json"), "utf8"));
        expect(pkg.version).toMatch(/^\d+\.\d+\.\d+$/);
        expect(pkg.dependencies ?? {}).toEqual({});
        expect(pkg.devDependencies ?? {}).toEqual({});
        const info: any = await call("getAnalyzerInfo", new emptyPb.Empty());
        expect(info.getName()).toBe("claude-code-monitoring-guardrails");
        expect(info.getVersion()).toBe(pkg.version);
        expect(info.getPoliciesList().map((p: any) => p.getName())).toEqual(policies.map((p) => p.name));
        expect(readFileSync(join(POLICY_DIR, "index.ts"), "utf8")).toMatch(/import \{ policies \} from "\.\/policies";\s+new PolicyPack\("claude-code-monitoring-guardrails", \{ policies \}\);/);
    });

    it("reports a port beyond loopback as mandatory, and nothing for a loopback one", async () => {
        const open = await analyze(TYPES.container, grafanaContainer({ ports: [{ internal: 3000, external: 3000, ip: "0.0.0.0" }] }));
        expect(open).toEqual([{ policy: "no-ports-beyond-loopback", level: analyzerPb.EnforcementLevel.MANDATORY, message: expect.stringContaining("0.0.0.0, beyond loopback") }]);
        expect(await analyze(TYPES.container, grafanaContainer())).toEqual([]);
    });

    it("sees which contact-point values are secrets, and reports a plain webhook URL as mandatory", async () => {
        expect(await analyze(TYPES.contactPoint, { name: "Alerts", webhooks: [{ url: secret("https://h/x") }] })).toEqual([]);
        expect(await analyze(TYPES.contactPoint, { name: "Alerts", webhooks: [{ url: "https://h/x" }] })).toEqual([
            { policy: "credentials-are-secrets", level: analyzerPb.EnforcementLevel.MANDATORY, message: expect.stringContaining("webhooks[0].url") },
        ]);
    });

    it("reads the stack config the CLI passes: an address the stack did not choose fails even when declared", async () => {
        const declaredOpen = grafanaContainer({
            ports: [{ internal: 3000, external: 3000, ip: "0.0.0.0" }],
            labels: labels({ [STACK_LABEL]: "ci", [PUBLISHED_ADDRESS_LABEL]: "0.0.0.0", [KEEP_DATA_LABEL]: "true" }),
        });
        expect(await analyze(TYPES.container, declaredOpen)).toEqual([
            { policy: "no-ports-beyond-loopback", level: analyzerPb.EnforcementLevel.MANDATORY, message: expect.stringContaining("bindAddress is 127.0.0.1") },
        ]);
    });
});
