/**
 * Runs the Pulumi program under `pulumi.runtime.setMocks` and captures every resource registration
 * by type token, as pulumi/examples `testing-unit-ts` does.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { vi } from "vitest";
import { parse } from "yaml";

export const PROJECT = "claude-code-monitoring";

export interface Registration {
    type: string;
    name: string;
    inputs: Record<string, any>;
    provider?: string;
}

/** The project settings of a stack file (e.g. Pulumi.team.example.yaml) as the CLI hands them to the program: lists as JSON. */
export function stackFileConfig(file: string): Record<string, string> {
    const parsed = parse(readFileSync(join(__dirname, "..", "..", file), "utf8")) as { config: Record<string, unknown> };
    return Object.fromEntries(
        Object.entries(parsed.config)
            .filter(([key]) => key.startsWith(`${PROJECT}:`))
            .map(([key, value]) => [key.slice(PROJECT.length + 1), typeof value === "string" ? value : JSON.stringify(value)]),
    );
}

/** Registrations of the latest run, also when the program threw. */
export let lastRegistrations: Registration[] = [];

export interface ProgramRun {
    resources: Registration[];
    exports: Record<string, unknown>;
    /** Which exports are Pulumi secrets. */
    secretExports: Set<string>;
    ofType(type: string): Registration[];
    one(type: string, nameSuffix: string): Registration;
}

/** Unwraps Pulumi's secret envelope from a mock input value (recursively). */
export function unwrapSecrets(value: any): any {
    if (Array.isArray(value)) return value.map(unwrapSecrets);
    if (value && typeof value === "object") {
        if (value[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig) return unwrapSecrets(value.value);
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
    }
    return value;
}

/** The value with every secret part replaced by "[secret]": what a plain-text reader of state or outputs sees. */
export function plainParts(value: any): any {
    if (Array.isArray(value)) return value.map(plainParts);
    if (value && typeof value === "object") {
        if (value[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig) return "[secret]";
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plainParts(v)]));
    }
    return value;
}

/** True when the value (or a part of it) arrived wrapped as a secret. */
export function containsSecret(value: any): boolean {
    if (Array.isArray(value)) return value.some(containsSecret);
    if (value && typeof value === "object") {
        if (value[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig) return true;
        return Object.values(value).some(containsSecret);
    }
    return false;
}

function outputValue<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply((v) => resolve(v)));
}

/** Waits until no new registration arrives for a few event-loop turns. */
async function settle(resources: unknown[]): Promise<void> {
    let quiet = 0;
    let seen = -1;
    while (quiet < 10) {
        await new Promise((r) => setTimeout(r, 5));
        if (resources.length === seen) quiet++;
        else {
            quiet = 0;
            seen = resources.length;
        }
    }
}

/**
 * Runs index.ts with the given stack config (keys without the project prefix).
 * Each call loads the program afresh.
 */
export async function runProgram(config: Record<string, string>, secretKeys: string[] = [], stack = "local"): Promise<ProgramRun> {
    const resources: Registration[] = [];
    lastRegistrations = resources;
    await pulumi.runtime.setMocks(
        {
            newResource(args) {
                resources.push({ type: args.type, name: args.name, inputs: args.inputs, provider: args.provider });
                const state: Record<string, unknown> = { ...args.inputs };
                if (args.type === "docker:index/remoteImage:RemoteImage") state.imageId = `sha256:${args.inputs.name}`;
                if (args.type === "random:index/randomPassword:RandomPassword") state.result = args.name.endsWith("-receiver-token") ? "mock-receiver-token" : "mock-admin-password";
                if (args.type === "grafana:oss/dashboard:Dashboard") state.url = `http://grafana/d/${args.name}`;
                return { id: `${args.name}-id`, state };
            },
            call: (args) => args.inputs,
        },
        PROJECT,
        stack,
        false,
    );
    const prefixed = Object.fromEntries(Object.entries(config).map(([k, v]) => [`${PROJECT}:${k}`, v]));
    pulumi.runtime.setAllConfig(prefixed, secretKeys.map((k) => `${PROJECT}:${k}`));
    vi.resetModules();
    const program: Record<string, unknown> = await import("../../index");
    const exports: Record<string, unknown> = {};
    const secretExports = new Set<string>();
    for (const [key, value] of Object.entries(program)) {
        if (pulumi.Output.isInstance(value)) {
            exports[key] = await outputValue(value);
            if (await pulumi.isSecret(value)) secretExports.add(key);
        } else {
            exports[key] = value;
        }
    }
    await settle(resources);
    const ofType = (type: string) => resources.filter((r) => r.type === type);
    return {
        resources,
        exports,
        secretExports,
        ofType,
        one(type, nameSuffix) {
            const found = ofType(type).filter((r) => r.name.endsWith(nameSuffix));
            if (found.length !== 1) throw new Error(`expected one ${type} named *${nameSuffix}, found ${found.map((r) => r.name).join(", ") || "none"}`);
            return found[0];
        },
    };
}

export const TYPES = {
    container: "docker:index/container:Container",
    network: "docker:index/network:Network",
    image: "docker:index/remoteImage:RemoteImage",
    volume: "docker:index/volume:Volume",
    password: "random:index/randomPassword:RandomPassword",
    grafanaProvider: "pulumi:providers:grafana",
    folder: "grafana:oss/folder:Folder",
    dataSource: "grafana:oss/dataSource:DataSource",
    dashboard: "grafana:oss/dashboard:Dashboard",
    ruleGroup: "grafana:alerting/ruleGroup:RuleGroup",
    contactPoint: "grafana:alerting/contactPoint:ContactPoint",
    notificationPolicy: "grafana:alerting/notificationPolicy:NotificationPolicy",
    messageTemplate: "grafana:alerting/messageTemplate:MessageTemplate",
} as const;
