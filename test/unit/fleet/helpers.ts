import type { DiscoveredFunction, DiscoveredMapping } from "../../../src/fleet/inventory.js";
import type { RetryPolicy } from "../../../src/fleet/schema.js";
import { validatePolicyDocument } from "../../../src/fleet/validate-policy.js";
import { KINDS } from "../../../src/kinds/registry.js";
import type { Manifest } from "../../../src/manifests/manifest.js";
import { parseManifestYaml } from "../../../src/manifests/parse.js";
import { validateDocument } from "../../../src/manifests/validate.js";

export const HUB = "111111111111";
export const MEMBER = "222222222222";
export const CTX = { hubAccount: HUB, defaultRegion: "us-east-1" };

/** A RetryPolicy from its spec as YAML (indented under `spec:`), validated as the loader does. */
export function policy(name: string, spec: string, file = `${name}.yaml`): RetryPolicy {
  const text = `apiVersion: retryctl.dev/v1alpha1\nkind: RetryPolicy\nmetadata:\n  name: ${name}\nspec:\n${spec}`;
  const [document] = parseManifestYaml(text).documents;
  if (!document) throw new Error("no document");
  const outcome = validatePolicyDocument(document, file);
  if (!outcome.policy) throw new Error(JSON.stringify(outcome.errors));
  return outcome.policy;
}

/** An explicit manifest of a per-resource kind, validated as the loader does. */
export function manifest(kind: string, name: string, spec: string, file = `${name}.yaml`): Manifest {
  const text = `apiVersion: retryctl.dev/v1alpha1\nkind: ${kind}\nmetadata:\n  name: ${name}\nspec:\n${spec}`;
  const [document] = parseManifestYaml(text).documents;
  if (!document) throw new Error("no document");
  const outcome = validateDocument(document, { file, defaultRegion: "us-east-1", kinds: KINDS });
  if (!outcome.candidate) throw new Error(JSON.stringify(outcome.errors));
  return outcome.candidate.manifest;
}

export function fn(
  functionName: string,
  tags: Record<string, string> = {},
  account = HUB,
  region = "us-east-1",
): DiscoveredFunction {
  return {
    account,
    region,
    functionName,
    functionArn: `arn:aws:lambda:${region}:${account}:function:${functionName}`,
    tags,
  };
}

export function mapping(
  functionName: string,
  uuid: string,
  eventSourceArn: string,
  account = HUB,
  region = "us-east-1",
): DiscoveredMapping {
  const service = eventSourceArn.split(":")[2];
  const source =
    service === "kinesis"
      ? "kinesis"
      : service === "dynamodb"
        ? "dynamodb"
        : service === "sqs"
          ? "sqs"
          : "other";
  return { account, region, uuid, functionName, eventSourceArn, source };
}
