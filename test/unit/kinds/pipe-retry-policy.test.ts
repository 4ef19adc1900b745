import type { DescribePipeCommandOutput, PipeSourceKinesisStreamParameters } from "@aws-sdk/client-pipes";
import { describe, expect, it } from "vitest";
import {
  pipeRetryPolicy as kind,
  type PipeRetryPolicyActual,
  sourceParametersFor,
  streamSourceOf,
} from "../../../src/kinds/pipe-retry-policy.js";
import { lintContext } from "./lint-context.js";

const STREAM = "arn:aws:kinesis:us-east-1:123456789012:stream/orders";
const TABLE_STREAM = "arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/2026-01-01T00:00:00.000";
const QUEUE = "arn:aws:sqs:us-east-1:123456789012:orders";
const DLQ = "arn:aws:sqs:us-east-1:123456789012:pipe-dlq";

function issues(spec: Record<string, unknown>): string[] {
  const r = kind.specSchema.safeParse(spec);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}

function actual(parameters: Partial<PipeSourceKinesisStreamParameters>): PipeRetryPolicyActual {
  const pipe: DescribePipeCommandOutput = {
    $metadata: {},
    Name: "p",
    Source: STREAM,
    RoleArn: "arn:aws:iam::123456789012:role/p",
    CurrentState: "RUNNING",
    SourceParameters: { KinesisStreamParameters: { StartingPosition: "LATEST", ...parameters } },
  };
  return { pipe, source: "kinesis", parameters: { StartingPosition: "LATEST", ...parameters } };
}

describe("PipeRetryPolicy schema", () => {
  it("accepts -1, 0 and the bounds; record age -1 or 60-604800", () => {
    expect(issues({ pipeName: "p", maximumRetryAttempts: -1, maximumRecordAgeInSeconds: -1 })).toEqual([]);
    expect(issues({ pipeName: "p", maximumRetryAttempts: 0, maximumRecordAgeInSeconds: 60 })).toEqual([]);
    expect(issues({ pipeName: "p", maximumRetryAttempts: 10000, maximumRecordAgeInSeconds: 604800 })).toEqual(
      [],
    );
    expect(
      issues({ pipeName: "p", onPartialBatchItemFailure: "AUTOMATIC_BISECT", deadLetterQueue: DLQ }),
    ).toEqual([]);
    expect(issues({ pipeName: "p", deadLetterQueue: "arn:aws:sns:us-east-1:123456789012:t" })).toEqual([]);
  });

  it("rejects values outside the ranges", () => {
    expect(issues({ pipeName: "p", maximumRetryAttempts: -2 })[0]).toMatch(/^maximumRetryAttempts:/);
    expect(issues({ pipeName: "p", maximumRetryAttempts: 10001 })[0]).toMatch(/^maximumRetryAttempts:/);
    expect(issues({ pipeName: "p", maximumRecordAgeInSeconds: 0 })).toEqual([
      "maximumRecordAgeInSeconds: must be -1 (infinite) or 60-604800 seconds",
    ]);
    expect(issues({ pipeName: "p", maximumRecordAgeInSeconds: 604801 })[0]).toMatch(
      /^maximumRecordAgeInSeconds:/,
    );
    expect(issues({ pipeName: "p", onPartialBatchItemFailure: "BISECT" })[0]).toMatch(
      /^onPartialBatchItemFailure:/,
    );
    expect(issues({ pipeName: "p", deadLetterQueue: "arn:aws:s3:::bucket" })[0]).toMatch(/^deadLetterQueue:/);
  });

  it("a named SQS source rejects every stream-only field offline, saying where SQS retries live", () => {
    const found = issues({ pipeName: "p", sourceArn: QUEUE, maximumRetryAttempts: 3, deadLetterQueue: DLQ });
    expect(found).toHaveLength(2);
    expect(found[0]).toMatch(
      /^maximumRetryAttempts: applies only to pipes with a Kinesis or DynamoDB stream source/,
    );
    expect(found[0]).toContain("QueueRedrivePolicy");
    expect(issues({ pipeName: "p", sourceArn: TABLE_STREAM, maximumRetryAttempts: 3 })).toEqual([]);
  });

  it("tells stream sources from others", () => {
    expect(streamSourceOf(STREAM)).toBe("kinesis");
    expect(streamSourceOf(TABLE_STREAM)).toBe("dynamodb");
    expect(streamSourceOf(QUEUE)).toBeUndefined();
    expect(streamSourceOf("arn:aws:dynamodb:us-east-1:123456789012:table/orders")).toBeUndefined();
  });
});

describe("PipeRetryPolicy diff, write and lint", () => {
  it("unset compares as -1 (infinite); 0 is a value, not unset", () => {
    const spec = kind.specSchema.parse({
      pipeName: "p",
      maximumRetryAttempts: 0,
      maximumRecordAgeInSeconds: null,
    });
    expect(kind.diff(spec, actual({}))).toEqual([{ field: "maximumRetryAttempts", actual: -1, desired: 0 }]);
    expect(kind.diff(spec, actual({ MaximumRetryAttempts: 0, MaximumRecordAgeInSeconds: -1 }))).toEqual([]);
  });

  it("the update sends every updatable stream parameter back, 0 included, without StartingPosition", () => {
    const current = actual({ BatchSize: 10, ParallelizationFactor: 2, DeadLetterConfig: { Arn: DLQ } });
    expect(
      sourceParametersFor(current, [
        { field: "maximumRetryAttempts", actual: -1, desired: 0 },
        { field: "onPartialBatchItemFailure", actual: null, desired: "AUTOMATIC_BISECT" },
      ]),
    ).toEqual({
      KinesisStreamParameters: {
        BatchSize: 10,
        ParallelizationFactor: 2,
        MaximumRetryAttempts: 0,
        OnPartialBatchItemFailure: "AUTOMATIC_BISECT",
        DeadLetterConfig: { Arn: DLQ },
      },
    });
    expect(sourceParametersFor(current, [{ field: "deadLetterQueue", actual: DLQ, desired: null }])).toEqual({
      KinesisStreamParameters: { BatchSize: 10, ParallelizationFactor: 2 },
    });
  });

  it("lint: no DLQ, and -1/-1 blocking a shard until the records expire", () => {
    const codes = (spec: Record<string, unknown>) =>
      kind.lint(kind.specSchema.parse({ pipeName: "p", ...spec }), lintContext()).map((w) => w.code);
    expect(codes({ maximumRetryAttempts: -1, maximumRecordAgeInSeconds: -1 })).toEqual([
      "PipeNoDlq",
      "PipeUnboundedRetries",
    ]);
    expect(codes({ maximumRetryAttempts: 3, maximumRecordAgeInSeconds: -1, deadLetterQueue: DLQ })).toEqual(
      [],
    );
  });
});
