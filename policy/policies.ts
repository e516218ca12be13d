/**
 * Guard-rails for the Claude Code monitoring stack: the policies of this pack, and the pure rule
 * functions (`…Problems(props, …): string[]`) they share with test/policy.policies.test.ts.
 *
 * What a policy really gets (read from @pulumi/policy 1.21.0 `server.js`, `deserialize.js`,
 * `proxy.js`, and the engine's `step_generator.go` / `analyzer_plugin.go`):
 * - `validateResource` receives the resource's inputs after the provider's Check, with secrets
 *   unwrapped to plain values (`deserializeProperties(…, false)`): it cannot tell a secret from a
 *   plain string. Values unknown during preview sit behind a proxy that throws on access; the
 *   framework then reports "can't run policy … during preview" as advisory.
 * - Only `remediateResource` sees secrets as `Secret` instances, and only for a policy at
 *   enforcement level "remediate"; a violation that policy reports is shown as mandatory.
 * - Options: protect, ignoreChanges, deleteBeforeReplace, aliases, customTimeouts,
 *   additionalSecretOutputs, parent. Never `retainOnDelete` (not in the analyzer protocol).
 * - The stack's configuration: the CLI starts the pack with it in `PULUMI_CONFIG` (JSON).
 *
 * Messages never repeat a credential's value.
 */
import { BlockList, isIP } from "node:net";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type * as grafana from "@pulumiverse/grafana";
import {
    type ReportViolation,
    type ResourceValidationArgs,
    type ResourceValidationPolicy,
    Secret,
    validateResourceOfType,
} from "@pulumi/policy";
import * as proxyModule from "@pulumi/policy/proxy";
import { KEEP_DATA_LABEL, PUBLISHED_ADDRESS_LABEL, STACK_LABEL } from "../components/docker";
import { type PlainSettings, isPinnedImage, pickSettings, plainSettingsOrDefaults } from "../configs/settings";

/** Resource properties as a policy (or a mock) sees them. */
export type Props = Record<string, any>;

/** Pulumi project whose stack config the pack reads. */
export const PROJECT = "claude-code-monitoring";

export const TYPES = {
    container: "docker:index/container:Container",
    remoteImage: "docker:index/remoteImage:RemoteImage",
    volume: "docker:index/volume:Volume",
    contactPoint: "grafana:alerting/contactPoint:ContactPoint",
    dataSource: "grafana:oss/dataSource:DataSource",
    grafanaProvider: "pulumi:providers:grafana",
} as const;

// ---------------------------------------------------------------------------------------------
// Values: secrets, unknowns, labels
// ---------------------------------------------------------------------------------------------

/**
 * @pulumi/policy's internal proxy module (its .d.ts is empty): the unknown-value machinery.
 * Private on purpose: the public API exports `UnknownValueError` at runtime only (not in its
 * types) and nothing that recognises an unknown sentinel or unwraps a proxy to its secrets, and
 * the policies need both. @pulumi/policy is pinned exactly, and test/policy.policies.test.ts drives these
 * through the pack's own server, so a change in them fails a test.
 */
const proxy = proxyModule as unknown as {
    UnknownValueError: new (...args: never[]) => Error;
    isSpecialProxy: string;
    getSpecialProxyTarget: string;
    unknownBooleanValue: string;
    unknownNumberValue: string;
    unknownStringValue: string;
    unknownArrayValue: string;
    unknownAssetValue: string;
    unknownArchiveValue: string;
    unknownObjectValue: string;
};

const UNKNOWN_SENTINELS = new Set<unknown>([
    proxy.unknownBooleanValue,
    proxy.unknownNumberValue,
    proxy.unknownStringValue,
    proxy.unknownArrayValue,
    proxy.unknownAssetValue,
    proxy.unknownArchiveValue,
    proxy.unknownObjectValue,
]);

/** A value not known until the update (preview of a resource that depends on one not yet created). */
export const UNKNOWN: unique symbol = Symbol("unknown during preview");

/** True for a secret as a remediation sees it (`Secret`) or as a program/mock serializes it. */
export function isSecretMarker(value: unknown): boolean {
    if (value instanceof Secret) return true;
    return !!value && typeof value === "object" && (value as Props)[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig;
}

/** The value inside any secret wrapping. */
export function plain(value: any): any {
    while (isSecretMarker(value)) value = value.value;
    return value;
}

/**
 * Reads a value, turning "unknown during preview" (the policy proxy throws) into `UNKNOWN`, and
 * unwrapping secrets.
 */
export function readKnown(read: () => unknown): any {
    try {
        const value = plain(read());
        return UNKNOWN_SENTINELS.has(value) ? UNKNOWN : value;
    } catch (e) {
        if (e instanceof proxy.UnknownValueError) return UNKNOWN;
        throw e;
    }
}

/** The object behind @pulumi/policy's proxies (secrets then stay visible as `Secret`). */
export function unproxied(value: any): any {
    while (value && typeof value === "object" && value[proxy.isSpecialProxy] === true) value = value[proxy.getSpecialProxyTarget];
    return value;
}

/** Elements of a list property; unknown elements come back as `UNKNOWN`. Reading an unknown list throws. */
function elements(list: any): any[] {
    const value = plain(list);
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) return [];
    const out: any[] = [];
    for (let i = 0; i < value.length; i++) out.push(readKnown(() => value[i]));
    return out;
}

/** The value of a Docker label (`labels: [{label, value}]`), last one wins as in Docker. */
export function labelValue(props: Props, label: string): string | undefined {
    let found: string | undefined;
    for (const entry of elements(props.labels)) {
        if (entry === UNKNOWN || !entry) continue;
        if (plain(entry.label) === label) {
            const value = readKnown(() => entry.value);
            found = typeof value === "string" ? value : undefined;
        }
    }
    return found;
}

/** `KEY=VALUE` container environment as a map (last one wins, as in Docker); unknown entries are skipped. */
export function environment(props: Props): Map<string, string> {
    const env = new Map<string, string>();
    for (const entry of elements(props.envs)) {
        if (typeof entry !== "string") continue;
        const eq = entry.indexOf("=");
        if (eq > 0) env.set(entry.slice(0, eq), entry.slice(eq + 1));
    }
    return env;
}

/** Grafana (go-ini) reads these as true. */
function iniTrue(value: string | undefined): boolean {
    return value !== undefined && /^(1|t|true|y|yes|on)$/i.test(value.trim());
}

// ---------------------------------------------------------------------------------------------
// The stack's own settings, as the CLI hands them to the pack
// ---------------------------------------------------------------------------------------------

/** The stack settings the policies compare the program against. */
const STACK_VIEW_KEYS = ["bindAddress", "keepDataOnDestroy", "grafanaAnonymousViewer"] as const;
/** Stack settings a policy compares the program against; absent when the CLI passed no config. */
export type StackView = Pick<PlainSettings, (typeof STACK_VIEW_KEYS)[number]>;

/**
 * The stack settings from `PULUMI_CONFIG`, which the CLI sets for a policy pack (engine
 * `constructEnv`; the nodejs language host's `RunPlugin` since CLI 3.221). Unset keys take the
 * program's defaults. `undefined` when there is no config (e.g. a pack run outside a stack).
 */
export function stackViewFromEnv(env: NodeJS.ProcessEnv = process.env): StackView | undefined {
    const raw = env.PULUMI_CONFIG;
    if (!raw) return undefined;
    const project = env.PULUMI_NODEJS_PROJECT || env.PULUMI_PROJECT || PROJECT;
    const cacheKey = `${project}\n${raw}`;
    if (!stackViewCache.has(cacheKey)) stackViewCache.set(cacheKey, parseStackView(raw, project));
    return stackViewCache.get(cacheKey);
}

const stackViewCache = new Map<string, StackView | undefined>();

function parseStackView(raw: string, project: string): StackView | undefined {
    let config: Props;
    try {
        config = JSON.parse(raw);
    } catch {
        return undefined;
    }
    if (!config || typeof config !== "object") return undefined;
    const get = (key: string): string | undefined => {
        const value = plain(config[`${project}:${key}`]);
        return typeof value === "string" ? value.trim() : undefined;
    };
    return pickSettings(plainSettingsOrDefaults(get), STACK_VIEW_KEYS);
}

// ---------------------------------------------------------------------------------------------
// 1. Published ports
// ---------------------------------------------------------------------------------------------

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet("127.0.0.0", 8, "ipv4");
LOOPBACK.addAddress("::1", "ipv6");

/** 127.0.0.0/8 or ::1 (also written as an IPv4-mapped IPv6 address or in brackets). */
export function isLoopback(address: string): boolean {
    const ip = address.trim().replace(/^\[(.*)\]$/, "$1");
    const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
    if (mapped) return isLoopback(mapped[1]);
    const family = isIP(ip);
    return family === 4 ? LOOPBACK.check(ip, "ipv4") : family === 6 ? LOOPBACK.check(ip, "ipv6") : false;
}

/**
 * A docker.Container's ports published beyond loopback without the stack's say-so. A port may bind
 * to loopback, or to the address the container declares (label PUBLISHED_ADDRESS_LABEL, set from
 * `bindAddress`); with the stack config visible, that address must also be the `bindAddress`
 * setting. An omitted `ip` is 0.0.0.0 in Docker. Host networking publishes everything.
 */
export function publishedPortProblems(container: Props, stack?: StackView): string[] {
    const problems: string[] = [];
    const declared = labelValue(container, PUBLISHED_ADDRESS_LABEL);
    const check = (ip: string, what: string) => {
        if (isLoopback(ip)) return;
        if (declared === undefined) {
            problems.push(`${what} is published on ${ip}, beyond loopback, and the container declares no published address (label ${PUBLISHED_ADDRESS_LABEL}); publish on 127.0.0.1, or set the stack's bindAddress`);
        } else if (ip !== declared) {
            problems.push(`${what} is published on ${ip}, beyond loopback, but the stack publishes on ${declared} (label ${PUBLISHED_ADDRESS_LABEL}); bind it to the bindAddress setting`);
        } else if (stack && stack.bindAddress !== ip) {
            problems.push(`${what} is published on ${ip}, beyond loopback, but the stack setting bindAddress is ${stack.bindAddress}; the address does not come from the setting`);
        }
    };
    // Read directly: a port or address unknown during preview cannot be checked (the framework says so).
    const ports = plain(container.ports);
    for (let i = 0; Array.isArray(ports) && i < ports.length; i++) {
        const port = plain(ports[i]);
        if (!port) continue;
        const ipValue = plain(port.ip);
        const ip = ipValue === undefined || ipValue === null || ipValue === "" ? "0.0.0.0" : String(ipValue);
        const internal = readKnown(() => port.internal);
        const external = readKnown(() => port.external);
        const protocol = readKnown(() => port.protocol) || "tcp";
        const what = `port ${internal === UNKNOWN ? "?" : internal}/${protocol} (host port ${external === UNKNOWN || external === undefined ? "random" : external})`;
        check(ip, what);
    }
    if (plain(container.publishAllPorts) === true) check("0.0.0.0", "every exposed port (publishAllPorts)");
    if (plain(container.networkMode) === "host") {
        problems.push(`networkMode "host" puts every port the service listens on onto the host's interfaces; use the stack network and publish ports on the bindAddress setting`);
    }
    return problems;
}

// ---------------------------------------------------------------------------------------------
// 2. Pinned images
// ---------------------------------------------------------------------------------------------

const PIN_HINT = "name an exact version (e.g. grafana/grafana:13.0.1) or a digest (…@sha256:<64 hex>); not :latest or a missing tag";

/** A docker.RemoteImage whose `name` has no version tag or digest. */
export function remoteImageProblems(image: Props): string[] {
    const name = plain(image.name);
    if (typeof name !== "string" || !isPinnedImage(name)) return [`image "${String(name)}" is not pinned: ${PIN_HINT}`];
    return [];
}

/**
 * A docker.Container started from a literal, unpinned image reference. An image id (`sha256:…`,
 * from `RemoteImage.imageId`) or a value computed at deployment is fine: the RemoteImage is checked.
 */
export function containerImageProblems(container: Props): string[] {
    const image = readKnown(() => container.image);
    if (image === UNKNOWN || (typeof image === "string" && image.startsWith("sha256:"))) return [];
    if (typeof image !== "string" || !isPinnedImage(image)) return [`container image "${String(image)}" is not pinned: ${PIN_HINT}; or run the container from a pinned RemoteImage's imageId`];
    return [];
}

// ---------------------------------------------------------------------------------------------
// 3. Data volumes
// ---------------------------------------------------------------------------------------------

/**
 * A docker.Volume that `pulumi destroy` would delete without the stack having chosen it. Policies
 * cannot see `retainOnDelete`; a volume made by `dataVolume` (components/docker.ts) carries
 * STACK_LABEL and gets `retainOnDelete` from `keepDataOnDestroy` (unit-tested). A volume also
 * needs a fixed name, or a kept volume is never found again. `protect` keeps it too.
 */
export function dataVolumeProblems(volume: Props, opts: { protect?: boolean } = {}): string[] {
    if (opts.protect) return [];
    const problems: string[] = [];
    const name = plain(volume.name);
    if (typeof name !== "string" || name === "") {
        problems.push(`volume has no fixed name: a volume kept on destroy would never be found again by the next up; give it a name`);
    }
    if (labelValue(volume, STACK_LABEL) === undefined) {
        problems.push(`volume was not made by dataVolume() (no label ${STACK_LABEL}), so nothing applies keepDataOnDestroy and pulumi destroy deletes it; create data volumes with dataVolume() in components/docker.ts`);
    }
    return problems;
}

/**
 * A docker.Container whose data would go on destroy without the stack saying so: a named volume
 * mount needs the keep-data declaration (label KEEP_DATA_LABEL, from `keepDataOnDestroy`), and with
 * the stack config visible, "false" needs `keepDataOnDestroy` false. An anonymous volume is deleted
 * with the container.
 */
export function containerDataProblems(container: Props, stack?: StackView): string[] {
    const problems: string[] = [];
    let named = 0;
    for (const v of elements(container.volumes)) {
        if (v === UNKNOWN || !v) continue;
        const hostPath = readKnown(() => v.hostPath);
        const fromContainer = readKnown(() => v.fromContainer);
        const volumeName = readKnown(() => v.volumeName);
        if (hostPath || fromContainer) continue;
        if (volumeName) named++;
        else problems.push(`anonymous volume at ${String(readKnown(() => v.containerPath))} is deleted with the container; mount a named data volume (dataVolume())`);
    }
    for (const m of elements(container.mounts)) {
        if (m === UNKNOWN || !m || readKnown(() => m.type) !== "volume") continue;
        if (readKnown(() => m.source)) named++;
        else problems.push(`anonymous volume mount at ${String(readKnown(() => m.target))} is deleted with the container; mount a named data volume (dataVolume())`);
    }
    if (named === 0) return problems;
    const keep = labelValue(container, KEEP_DATA_LABEL);
    if (keep !== "true" && keep !== "false") {
        problems.push(`container mounts data volumes but does not declare whether they are kept on destroy (label ${KEEP_DATA_LABEL}: true|false, from keepDataOnDestroy); build it with serviceContainer() and the component's keepData`);
    } else if (keep === "false" && stack && stack.keepDataOnDestroy) {
        problems.push(`container's data volumes would be deleted on destroy (label ${KEEP_DATA_LABEL}=false), but the stack setting keepDataOnDestroy is true`);
    }
    return problems;
}

// ---------------------------------------------------------------------------------------------
// 4. Grafana anonymous access
// ---------------------------------------------------------------------------------------------

/**
 * A container whose Grafana environment gives anonymous visitors more than Viewer rights: an
 * anonymous org role other than Viewer (Grafana's default for anonymous users), Editor or Admin
 * even while anonymous access is off, or anonymous access with `viewers_can_edit` (Viewers then
 * edit dashboards and run any query in Explore). With the stack config visible, anonymous access
 * also needs `grafanaAnonymousViewer`. Reading an environment unknown during preview throws (the
 * framework reports that the policy could not run).
 */
export function grafanaAnonymousProblems(container: Props, stack?: StackView): string[] {
    const env = environment(container);
    const problems: string[] = [];
    const anonymous = iniTrue(env.get("GF_AUTH_ANONYMOUS_ENABLED"));
    const role = env.get("GF_AUTH_ANONYMOUS_ORG_ROLE");
    if (role !== undefined && role.trim() !== "Viewer" && (anonymous || /^\s*(editor|admin)\s*$/i.test(role))) {
        problems.push(`GF_AUTH_ANONYMOUS_ORG_ROLE=${role} gives anonymous visitors more than Viewer rights; set it to Viewer or leave it unset`);
    }
    if (anonymous && iniTrue(env.get("GF_USERS_VIEWERS_CAN_EDIT"))) {
        problems.push(`GF_USERS_VIEWERS_CAN_EDIT is on while anonymous access is enabled: anonymous visitors could edit dashboards and query Prometheus and Loki in Explore; turn it off`);
    }
    if (anonymous && stack && !stack.grafanaAnonymousViewer) {
        problems.push(`anonymous access is enabled (GF_AUTH_ANONYMOUS_ENABLED) but the stack setting grafanaAnonymousViewer is false`);
    }
    return problems;
}

// ---------------------------------------------------------------------------------------------
// 5. Credentials are secrets
// ---------------------------------------------------------------------------------------------

type ElementOf<T> = T extends readonly (infer E)[] ? E : never;
type ContactPointIntegrations = {
    [K in keyof grafana.alerting.ContactPointArgs]-?: ElementOf<NonNullable<pulumi.Unwrap<grafana.alerting.ContactPointArgs[K]>>>;
};

/** Contact-point URLs that are credentials themselves (incoming-webhook URLs carry the token). */
export const SECRET_URL_FIELDS: { [K in keyof ContactPointIntegrations]?: readonly (keyof ContactPointIntegrations[K] & string)[] } = {
    webhooks: ["url"],
    slacks: ["url"],
    discords: ["url"],
    googlechats: ["url"],
    teams: ["url"],
    dingdings: ["url"],
    victorops: ["url"],
    wecoms: ["url"],
    oncalls: ["url"],
};

/** Integration fields (any depth, also map keys such as webhook headers) that hold credentials. */
export function isCredentialKey(key: string): boolean {
    const k = key.replace(/[-_\s]/g, "").toLowerCase();
    return /(password|passwd|secret|token|credentials|apikey|apisecret|integrationkey|userkey|accesskey|secretkey|clientkey|privatekey|authorization|cookie)$/.test(k);
}

/** Grafana provider arguments that hold credentials (the SDK wraps them unless they come from environment variables). */
export const PROVIDER_CREDENTIAL_FIELDS: readonly (keyof grafana.ProviderArgs)[] = [
    "auth",
    "cloudAccessPolicyToken",
    "cloudProviderAccessToken",
    "connectionsApiAccessToken",
    "fleetManagementAuth",
    "frontendO11yApiAccessToken",
    "httpHeaders",
    "k6AccessToken",
    "oncallAccessToken",
    "smAccessToken",
    "tlsKey",
];

/** Grafana data source arguments that hold credentials (the SDK wraps them). */
export const DATA_SOURCE_CREDENTIAL_FIELDS: readonly (keyof grafana.oss.DataSourceArgs)[] = ["secureJsonDataEncoded", "httpHeaders"];

/** Environment variables that hold credentials (`…__FILE` variants name a file and are fine). */
export function isCredentialEnvKey(key: string): boolean {
    return !/__FILE$/i.test(key) && /(PASSWORD|PASSWD|SECRET|SECRET_KEY|TOKEN|API_KEY|APIKEY|ACCESS_KEY|PRIVATE_KEY|CREDENTIALS?)$/i.test(key);
}

/** A credential value that is set (unknown counts: a computed credential is stored too). */
function isSet(value: unknown): boolean {
    return value !== undefined && value !== null && value !== "";
}

/**
 * Credentials that are not secrets, as paths (never values). `props` must keep the secret markers:
 * a remediation's unproxied props (`Secret`) or the program's serialized inputs (mocks).
 * Covers contact-point integrations, the Grafana provider and data sources, and container
 * environment variables.
 */
export function credentialProblems(type: string, props: Props): string[] {
    const problems: string[] = [];
    const report = (path: string, what: string) =>
        problems.push(`${path} ${what} is not a secret, so it is stored in plain text in the state and shown in diffs; wrap it with pulumi.secret() or read it with config.requireSecret()`);

    if (type === TYPES.contactPoint) {
        // `byField`: the field itself is a credential (an incoming-webhook URL), whatever its name.
        const walk = (value: any, path: string, key: string, secret: boolean, byField: boolean): void => {
            if (isSecretMarker(value)) {
                walk(value.value, path, key, true, byField);
                return;
            }
            if (Array.isArray(value)) {
                value.forEach((v, i) => {
                    walk(v, `${path}[${i}]`, key, secret, byField);
                });
                return;
            }
            if (value && typeof value === "object") {
                for (const [k, v] of Object.entries(value)) if (!k.startsWith("__")) walk(v, `${path}.${k}`, k, secret, false);
                return;
            }
            if (!secret && isSet(value) && (byField || isCredentialKey(key))) report(path, "(a credential)");
        };
        for (const [integration, list] of Object.entries(props)) {
            if (integration.startsWith("__") || !Array.isArray(list)) continue; // a secret list, or not an integration
            const urlFields: readonly string[] = (SECRET_URL_FIELDS as Record<string, readonly string[]>)[integration] ?? [];
            list.forEach((entry, i) => {
                if (isSecretMarker(entry) || !entry || typeof entry !== "object") return;
                for (const [k, v] of Object.entries(entry)) {
                    if (!k.startsWith("__")) walk(v, `${integration}[${i}].${k}`, k, false, urlFields.includes(k));
                }
            });
        }
    } else if (type === TYPES.grafanaProvider || type === TYPES.dataSource) {
        for (const field of type === TYPES.grafanaProvider ? PROVIDER_CREDENTIAL_FIELDS : DATA_SOURCE_CREDENTIAL_FIELDS) {
            const value = props[field];
            if (!isSecretMarker(value) && isSet(value) && value !== "{}") report(field, "(a Grafana credential)");
        }
    } else if (type === TYPES.container) {
        const envs = props.envs;
        if (!isSecretMarker(envs) && Array.isArray(envs)) {
            envs.forEach((entry, i) => {
                if (typeof entry !== "string" || UNKNOWN_SENTINELS.has(entry)) return; // secret, or unknown: name not visible
                const eq = entry.indexOf("=");
                if (eq > 0 && isCredentialEnvKey(entry.slice(0, eq)) && entry.slice(eq + 1) !== "") report(`envs[${i}] (${entry.slice(0, eq)})`, "(a credential)");
            });
        }
    }
    return problems;
}

// ---------------------------------------------------------------------------------------------
// The policies
// ---------------------------------------------------------------------------------------------

const report = (problems: string[], reportViolation: ReportViolation) => {
    for (const p of problems) reportViolation(p);
};

export const noPortsBeyondLoopback: ResourceValidationPolicy = {
    name: "no-ports-beyond-loopback",
    description: "Containers publish ports on loopback only, unless the stack's bindAddress setting chose another address.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: "Publish on the bindAddress setting (components/docker.ts serviceContainer does); to open the stack to the network: pulumi config set bindAddress 0.0.0.0",
    validateResource: validateResourceOfType(docker.Container, (props, _args, reportViolation) =>
        report(publishedPortProblems(props, stackViewFromEnv()), reportViolation),
    ),
};

export const pinnedImages: ResourceValidationPolicy = {
    name: "pinned-images",
    description: "Images are pinned to an explicit version tag (not latest) or a sha256 digest.",
    enforcementLevel: "mandatory",
    severity: "medium",
    remediationSteps: "Set the image setting to an exact version, e.g. pulumi config set grafanaImage grafana/grafana:13.0.1",
    validateResource: [
        validateResourceOfType(docker.RemoteImage, (props, _args, reportViolation) => report(remoteImageProblems(props), reportViolation)),
        validateResourceOfType(docker.Container, (props, _args, reportViolation) => report(containerImageProblems(props), reportViolation)),
    ],
};

export const dataKeptUnlessChosen: ResourceValidationPolicy = {
    name: "data-kept-unless-chosen",
    description: "Data volumes survive pulumi destroy unless the stack's keepDataOnDestroy setting chose deletion.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: "Create data volumes with dataVolume() and their containers with serviceContainer() (components/docker.ts); to delete data on destroy: pulumi config set keepDataOnDestroy false",
    validateResource: [
        validateResourceOfType(docker.Volume, (props, args, reportViolation) => report(dataVolumeProblems(props, args.opts), reportViolation)),
        validateResourceOfType(docker.Container, (props, _args, reportViolation) =>
            report(containerDataProblems(props, stackViewFromEnv()), reportViolation),
        ),
    ],
};

export const grafanaAnonymousViewerOnly: ResourceValidationPolicy = {
    name: "grafana-anonymous-viewer-only",
    description: "Anonymous Grafana visitors get Viewer rights at most.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: "Leave GF_AUTH_ANONYMOUS_ORG_ROLE unset or Viewer (configs/grafana.ts); anonymous access is the grafanaAnonymousViewer setting",
    validateResource: validateResourceOfType(docker.Container, (props, _args, reportViolation) =>
        report(grafanaAnonymousProblems(props, stackViewFromEnv()), reportViolation),
    ),
};

const CREDENTIAL_TYPES = new Set<string>([TYPES.contactPoint, TYPES.dataSource, TYPES.grafanaProvider, TYPES.container]);

/**
 * What each remediation pass saw, by URN: the engine runs a resource's remediations and then its
 * validations, in this same process.
 */
const credentialFindings = new Map<string, string[]>();

export const credentialsAreSecrets: ResourceValidationPolicy = {
    name: "credentials-are-secrets",
    description: "Contact-point, Grafana provider and data source credentials, and credential environment variables, are Pulumi secrets.",
    // Only a remediation sees which values are secrets, and remediations run only at this level;
    // a violation reported at this level is shown as mandatory. Nothing is changed.
    enforcementLevel: "remediate",
    severity: "high",
    remediationSteps: "Set credentials with pulumi config set --secret and read them with config.requireSecret(), or wrap the value with pulumi.secret()",
    remediateResource: (args: ResourceValidationArgs) => {
        if (!CREDENTIAL_TYPES.has(args.type)) args.notApplicable(`Policy applies to ${[...CREDENTIAL_TYPES].join(", ")}`);
        credentialFindings.set(args.urn, credentialProblems(args.type, unproxied(args.props)));
        return undefined;
    },
    validateResource: (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
        if (!CREDENTIAL_TYPES.has(args.type)) args.notApplicable(`Policy applies to ${[...CREDENTIAL_TYPES].join(", ")}`);
        const found = credentialFindings.get(args.urn);
        if (found === undefined) {
            // No remediation pass (another enforcement level): here every value looks plain, so this
            // lists the credentials that are set, whose secrecy this pass cannot see.
            const credentials = credentialProblems(args.type, unproxied(args.props)).map((p) => p.slice(0, p.indexOf(" (")));
            if (credentials.length > 0) {
                reportViolation(`cannot tell whether ${credentials.join(", ")} are secrets: the policy's remediation pass did not run; keep credentials-are-secrets at enforcement level "remediate"`);
            }
            return;
        }
        report(found, reportViolation);
    },
};

/** Every policy of the pack, in the order they are reported. */
export const policies: ResourceValidationPolicy[] = [noPortsBeyondLoopback, pinnedImages, dataKeptUnlessChosen, grafanaAnonymousViewerOnly, credentialsAreSecrets];
