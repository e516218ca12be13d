/**
 * Claude Code monitoring stack: read and validate the stack config, build the stack, export how to
 * reach it. All logic lives in components/ and configs/.
 */
import * as pulumi from "@pulumi/pulumi";
import { MonitoringStack } from "./components/stack";
import { SettingsError, loadSettings } from "./configs/settings";

const project = pulumi.getProject();

function readSettings() {
    const prefix = `${project}:`;
    const configuredKeys = Object.keys(pulumi.runtime.allConfig())
        .filter((key) => key.startsWith(prefix))
        .map((key) => key.slice(prefix.length));
    try {
        // Raw values (secrets included) are read without printing them, because validation must
        // see them before any resource exists; components wrap every secret with pulumi.secret.
        return loadSettings((key) => pulumi.runtime.getConfig(`${prefix}${key}`), {
            configuredKeys,
            warn: (message) => pulumi.log.warn(message),
        });
    } catch (e) {
        // A RunError prints just the message: one line per problem, naming the setting and the fix.
        if (e instanceof SettingsError) throw new pulumi.RunError(e.message);
        throw e;
    }
}

// Validation runs before any resource is registered.
const settings = readSettings();
const stack = new MonitoringStack("claude-code", { settings, stack: pulumi.getStack() });

export const mode = stack.outputs.mode;
export const grafanaUrl = stack.outputs.grafanaUrl;
export const grafanaAdminUser = stack.outputs.grafanaAdminUser;
export const grafanaAdminPassword = stack.outputs.grafanaAdminPassword;
export const prometheusUrl = stack.outputs.prometheusUrl;
export const lokiUrl = stack.outputs.lokiUrl;
export const otlpGrpcEndpoint = stack.outputs.otlpGrpcEndpoint;
export const otlpHttpEndpoint = stack.outputs.otlpHttpEndpoint;
export const collectorHealthUrl = stack.outputs.collectorHealthUrl;
export const claudeCodeEnv = stack.outputs.claudeCodeEnv;
export const claudeCodeShellExports = stack.outputs.claudeCodeShellExports;
export const claudeCodeSettingsJson = stack.outputs.claudeCodeSettingsJson;
export const collectorCaCertificate = stack.outputs.collectorCaCertificate;
export const checkTargets = stack.outputs.checkTargets;
