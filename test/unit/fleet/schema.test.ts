// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${…} here are retryctl policy variables, not JavaScript placeholders.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadManifests } from "../../../src/manifests/load.js";
import type { LoadResult } from "../../../src/manifests/manifest.js";

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "retryctl-fleet-schema-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function load(text: string): Promise<LoadResult> {
  await writeFile(join(dir, "policy.yaml"), text);
  return loadManifests([dir], { defaultRegion: "us-east-1", cwd: dir });
}

const ORG = `apiVersion: retryctl.dev/v1alpha1
kind: RetryPolicy
metadata:
  name: payments-defaults
spec:
  priority: 10
  maxMatches: 200
  selector:
    accounts: ["111111111111"]
    regions: [us-east-1, eu-west-1]
    functionNames: ["orders-*"]
    excludeFunctionNames: ["orders-legacy-*"]
    tags: { team: payments }
  asyncInvoke:
    maximumRetryAttempts: 1
    maximumEventAgeInSeconds: 3600
    onFailure: arn:aws:sqs:\${region}:\${account}:async-failures
  deadLetterConfig:
    targetArn: null
  streamMappings:
    maximumRetryAttempts: 3
    maximumRecordAgeInSeconds: 3600
    bisectBatchOnFunctionError: true
    onFailure: arn:aws:sqs:\${region}:\${account}:stream-failures
  queueMappings:
    functionResponseTypes: [ReportBatchItemFailures]
  sourceQueues:
    deadLetterQueue: \${queueName}-dlq
    maxReceiveCount: 5
`;

describe("RetryPolicy documents", () => {
  it("load the example of design §7 as a policy beside the manifests, with its source", async () => {
    const result = await load(ORG);
    expect(result.errors).toEqual([]);
    expect(result.manifests).toEqual([]);
    expect(result.policies?.map((p) => [p.name, p.spec.priority, p.source])).toEqual([
      ["payments-defaults", 10, { file: "policy.yaml", line: 1 }],
    ]);
  });

  it("default priority to 0", async () => {
    const result = await load(ORG.replace("  priority: 10\n", ""));
    expect(result.policies?.[0]?.spec.priority).toBe(0);
  });

  it("reject an unknown variable with file, line and field", async () => {
    const result = await load(ORG.replace("async-failures", "${team}-failures"));
    expect(result.policies).toEqual([]);
    expect(result.errors.map((e) => [e.file, e.line, e.path])).toEqual([
      ["policy.yaml", 17, "spec.asyncInvoke.onFailure"],
    ]);
    expect(result.errors[0]?.message).toContain("unknown variable ${team}");
  });

  it("allow ${queueName} only in sourceQueues", async () => {
    const result = await load(ORG.replace("async-failures", "${queueName}"));
    expect(result.errors.map((e) => [e.line, e.path])).toEqual([[17, "spec.asyncInvoke.onFailure"]]);
    expect(result.errors[0]?.message).toContain("${queueName} exists only in sourceQueues");
  });

  it("check the kind's ranges and ARN rules in the sections (one source of truth)", async () => {
    const result = await load(
      ORG.replace("maximumRetryAttempts: 1", "maximumRetryAttempts: 5").replace(
        "targetArn: null",
        "targetArn: arn:aws:iam::111111111111:role/x",
      ),
    );
    expect(result.errors.map((e) => [e.line, e.path, e.message])).toEqual([
      [15, "spec.asyncInvoke.maximumRetryAttempts", "must be between 0 and 2, got 5"],
      [
        19,
        "spec.deadLetterConfig.targetArn",
        'must be the ARN of an SQS queue or SNS topic: the service part "iam" must be sqs or sns',
      ],
    ]);
  });

  it("reject stream-only fields under queueMappings, saying where SQS retries are set", async () => {
    const result = await load(
      ORG.replace("functionResponseTypes: [ReportBatchItemFailures]", "maximumRetryAttempts: 2"),
    );
    expect(result.errors.map((e) => [e.line, e.path])).toEqual([
      [26, "spec.queueMappings.maximumRetryAttempts"],
    ]);
    expect(result.errors[0]?.message).toContain("use sourceQueues (maxReceiveCount, deadLetterQueue)");
  });

  it("reject identity fields and typos in a section, suggesting the close field", async () => {
    const result = await load(
      ORG.replace("maximumEventAgeInSeconds: 3600", "functionName: x\n    maxEventAgeInSeconds: 60"),
    );
    expect(result.errors.map((e) => [e.path, e.message])).toEqual([
      ["spec.asyncInvoke.functionName", expect.stringContaining('unknown field "functionName"')],
      [
        "spec.asyncInvoke.maxEventAgeInSeconds",
        expect.stringContaining('did you mean "maximumEventAgeInSeconds"?'),
      ],
    ]);
  });

  it("reject a policy that sets nothing, and two policies with one name", async () => {
    const empty = await load(
      "apiVersion: retryctl.dev/v1alpha1\nkind: RetryPolicy\nmetadata: { name: x }\nspec: { selector: {} }\n",
    );
    expect(empty.errors.map((e) => [e.line, e.path])).toEqual([[4, "spec"]]);
    const twice = await load(`${ORG}---\n${ORG}`);
    expect(twice.policies).toEqual([]);
    expect(twice.errors.map((e) => [e.line, e.path])).toEqual([
      [4, "metadata.name"],
      [34, "metadata.name"],
    ]);
  });

  it("lint a section as the kind lints a manifest", async () => {
    const result = await load(
      ORG.replace("    onFailure: arn:aws:sqs:${region}:${account}:stream-failures\n", "").replace(
        "    onFailure: arn:aws:sqs:${region}:${account}:async-failures\n",
        "",
      ),
    );
    expect(result.errors).toEqual([]);
    expect(result.warnings.map((w) => [w.line, w.code, w.path])).toEqual([
      [14, "AsyncNoFailureDestination", "spec.asyncInvoke.onFailure"],
      [18, "FunctionDlqRemoved", "spec.deadLetterConfig.targetArn"],
      [19, "StreamNoFailureDestination", "spec.streamMappings"],
    ]);
  });
});
