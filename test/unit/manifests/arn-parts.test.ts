import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { arnPartProblem } from "../../../src/manifests/arn-parts.js";
import { loadManifests } from "../../../src/manifests/load.js";

describe("arnPartProblem", () => {
  it("names the malformed part: partition, service, region, account, resource", () => {
    expect(arnPartProblem("arn:aws:sqs:us-east-1:12345:q")).toBe(
      'the account part "12345" must be 12 digits',
    );
    expect(arnPartProblem("arn:aws:sqs:us-east-1::q")).toBe(
      "the account part is empty; it must be 12 digits",
    );
    expect(arnPartProblem("arn:amazon:sqs:us-east-1:123456789012:q")).toBe(
      'the partition part "amazon" must be aws (or aws-cn, aws-us-gov, another AWS partition)',
    );
    expect(arnPartProblem("arn:aws:SQS:us-east-1:123456789012:q")).toBe(
      'the service part "SQS" must be an AWS service name in lower case, such as sqs',
    );
    expect(arnPartProblem("arn:aws:sqs:us-east:123456789012:q")).toBe(
      'the region part "us-east" must be an AWS region such as us-east-1',
    );
    expect(arnPartProblem("arn:aws:sqs::123456789012:q")).toBe(
      "the region part is empty; it must be an AWS region such as us-east-1",
    );
    expect(arnPartProblem("arn:aws:sqs:us-east-1:123456789012:")).toBe(
      "the resource part (after the account) is empty",
    );
    expect(arnPartProblem("arn:aws:sqs:us-east-1:q")).toBe(
      'an ARN has six parts separated by ":" (arn:partition:service:region:account:resource), this one has 5',
    );
  });

  it("accepts well-formed ARNs, an S3 bucket's empty region and account, and leaves non-ARNs alone", () => {
    for (const arn of [
      "arn:aws:sqs:us-east-1:123456789012:q",
      "arn:aws-us-gov:sns:us-gov-west-1:123456789012:t",
      "arn:aws:lambda:eu-west-1:123456789012:function:f:live",
      "arn:aws:s3:::bucket",
    ]) {
      expect(arnPartProblem(arn), arn).toBeUndefined();
    }
    expect(arnPartProblem("orders-dlq")).toBeUndefined();
  });
});

const manifest = (kind: string, name: string, spec: Record<string, string>) =>
  [
    "apiVersion: retryctl.dev/v1alpha1",
    `kind: ${kind}`,
    "metadata:",
    `  name: ${name}`,
    "spec:",
    ...Object.entries(spec).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`),
  ].join("\n");

describe("every kind's ARN fields name the malformed part", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "retryctl-arn-parts-"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("in the validation errors, on the field", async () => {
    const docs = [
      manifest("FunctionDeadLetterConfig", "dlq", {
        functionName: "dlq",
        targetArn: "arn:aws:sqs:us-east-1:12345:dlq",
      }),
      manifest("FunctionEventInvokeConfig", "async", {
        functionName: "arn:aws:lambda:us-east-1:12345:function:async",
        onFailure: "arn:aws:sqs:us-east:123456789012:failed",
      }),
      manifest("EventSourceMapping", "esm", {
        functionName: "esm",
        eventSourceArn: "arn:aws-xx:kinesis:us-east-1:123456789012:stream/s",
      }),
      manifest("QueueRedrivePolicy", "q", {
        queue: "work",
        deadLetterQueue: "arn:aws:sqs:us-east-1:123456789012:",
      }),
      manifest("EventTargetRetryPolicy", "t", {
        rule: "r",
        targetId: "t",
        deadLetterQueue: "arn:aws:sqs:us-east-1:1234567890123:dlq",
      }),
    ];
    await writeFile(join(dir, "arns.yaml"), docs.join("\n---\n"));
    const result = await loadManifests([dir], { defaultRegion: "us-east-1", cwd: dir });
    expect(result.errors.map((e) => [e.line, e.path, e.message])).toEqual([
      [
        7,
        "spec.targetArn",
        'must be the ARN of an SQS queue or SNS topic: the account part "12345" must be 12 digits',
      ],
      [
        14,
        "spec.functionName",
        'must be a function name, partial ARN (123456789012:function:name) or function ARN: the account part "12345" must be 12 digits',
      ],
      [
        15,
        "spec.onFailure",
        'is not a valid ARN: the region part "us-east" must be an AWS region such as us-east-1',
      ],
      [
        23,
        "spec.eventSourceArn",
        'is not a valid ARN: the partition part "aws-xx" must be aws (or aws-cn, aws-us-gov, another AWS partition)',
      ],
      [
        31,
        "spec.deadLetterQueue",
        "must be an SQS queue name or queue ARN: the resource part (after the account) is empty",
      ],
      [
        40,
        "spec.deadLetterQueue",
        'must be the ARN of an SQS queue: the account part "1234567890123" must be 12 digits',
      ],
    ]);
  });
});
