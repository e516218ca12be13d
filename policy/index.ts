/**
 * The stack's policy pack. Run it with `pulumi preview --policy-pack ./policy` (see README,
 * "Guard-rails (policy pack)"). The policies and their rules live in ./policies.ts, where the
 * tests can load them: constructing a PolicyPack starts its gRPC server.
 */
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("claude-code-monitoring-guardrails", { policies });
