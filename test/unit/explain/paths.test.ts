import { describe, expect, it } from "vitest";
import { PIPE_DEFAULTS, STREAM_DEFAULTS } from "../../../src/explain/aws-defaults.js";
import { explainDocument, explainExitCode, humanSeconds } from "../../../src/explain/document.js";
import type { FunctionExplanation } from "../../../src/explain/model.js";
import {
  asyncPath,
  awsFact,
  deliveryPath,
  queuePath,
  type StreamSettings,
  setting,
  snsPath,
  streamPath,
} from "../../../src/explain/paths.js";

const FN = "arn:aws:lambda:us-east-1:123456789012:function:f";
const QUEUE = "arn:aws:sqs:us-east-1:123456789012:work";
const DLQ = "arn:aws:sqs:us-east-1:123456789012:dlq";
const STREAM = "arn:aws:kinesis:us-east-1:123456789012:stream/s";

const numbers = ({ attempts, maxAgeSeconds, blockingSeconds, terminal }: ReturnType<typeof asyncPath>) => ({
  attempts,
  maxAgeSeconds,
  blockingSeconds,
  terminal,
});

describe("async path", () => {
  it("without a config is AWS's 2 retries (3 attempts) over 6 h, named as defaults, then dropped", () => {
    const p = asyncPath({ source: `${FN}:$LATEST`, deadLetterOf: FN });
    expect(numbers(p)).toEqual({
      attempts: 3,
      maxAgeSeconds: 21600,
      blockingSeconds: null,
      terminal: { type: "dropped", arn: null },
    });
    expect(p.facts.slice(0, 4).map((f) => [f.field, f.value, f.source])).toEqual([
      ["MaximumRetryAttempts", 2, "aws-default"],
      ["MaximumEventAgeInSeconds", 21600, "aws-default"],
      ["delay before the 2nd attempt (s)", 60, "aws-default"],
      ["delay before the 3rd attempt (s)", 120, "aws-default"],
    ]);
  });

  it("counts the first attempt: 0 retries is 1 attempt; the function DLQ takes what fails", () => {
    const p = asyncPath({ source: FN, maximumRetryAttempts: 0, deadLetterQueue: DLQ, deadLetterOf: FN });
    expect(numbers(p)).toMatchObject({ attempts: 1, terminal: { type: "dlq", arn: DLQ } });
  });

  it("prefers the onFailure destination over the DLQ, and says the DLQ goes unused", () => {
    const p = asyncPath({ source: FN, onFailure: QUEUE, deadLetterQueue: DLQ, deadLetterOf: FN });
    expect(p.terminal).toEqual({ type: "destination", arn: QUEUE });
    expect(p.notes.join()).toContain(`DLQ ${DLQ} is not used`);
  });

  it("says when the event's age ends before the retries' delays do", () => {
    const p = asyncPath({ source: FN, maximumEventAgeInSeconds: 60, deadLetterOf: FN });
    expect(p.notes.join()).toContain("the retries need about 180 s but the event may only be 60 s old");
    expect(
      asyncPath({ source: FN, maximumRetryAttempts: 1, maximumEventAgeInSeconds: 60, deadLetterOf: FN })
        .notes,
    ).toHaveLength(1);
  });
});

describe("delivery paths", () => {
  it("EventBridge without a policy: 185 retries over 24 h from the EventBridge API reference, then dropped", () => {
    const p = deliveryPath({ trigger: "eventbridge", source: "rule" });
    expect(numbers(p)).toEqual({
      attempts: 186,
      maxAgeSeconds: 86400,
      blockingSeconds: null,
      terminal: { type: "dropped", arn: null },
    });
    expect(p.facts[0]).toMatchObject({
      value: 185,
      source: "aws-default",
      reference: "EventBridge API reference, RetryPolicy",
    });
  });

  it("a schedule with its policy and DLQ", () => {
    const p = deliveryPath({
      trigger: "schedule",
      source: "s",
      maximumRetryAttempts: 3,
      maximumEventAgeInSeconds: 600,
      deadLetterQueue: DLQ,
    });
    expect(numbers(p)).toEqual({
      attempts: 4,
      maxAgeSeconds: 600,
      blockingSeconds: null,
      terminal: { type: "dlq", arn: DLQ },
    });
    expect(p.facts.map((f) => f.source)).toEqual(["aws", "aws", "aws"]);
  });
});

it("SNS to Lambda: 3 + 2 + 10 + 100,000 retries after the first delivery, over 23 days", () => {
  expect(numbers(snsPath({ subscriptionArn: "sub" }))).toEqual({
    attempts: 100_016,
    maxAgeSeconds: 1_987_200,
    blockingSeconds: null,
    terminal: { type: "dropped", arn: null },
  });
  expect(snsPath({ subscriptionArn: "sub", deadLetterQueue: DLQ }).terminal).toEqual({
    type: "dlq",
    arn: DLQ,
  });
});

describe("stream path", () => {
  const of = "mapping";
  const stream = (over: {
    retries?: number;
    age?: number;
    bisect?: boolean;
    batch?: number;
    retention?: number;
    timeout?: number;
    onFailure?: string;
  }): StreamSettings => ({
    trigger: "stream",
    source: STREAM,
    maximumRetryAttempts: setting(
      "MaximumRetryAttempts",
      over.retries,
      STREAM_DEFAULTS.maximumRetryAttempts,
      of,
    ),
    maximumRecordAgeInSeconds: setting(
      "MaximumRecordAgeInSeconds",
      over.age,
      STREAM_DEFAULTS.maximumRecordAgeInSeconds,
      of,
    ),
    bisect: {
      value: over.bisect ?? false,
      fact: awsFact("BisectBatchOnFunctionError", over.bisect ?? false, of),
    },
    batchSize: setting("BatchSize", over.batch, PIPE_DEFAULTS.batchSize, of),
    retentionSeconds: {
      value: over.retention ?? 86400,
      fact: awsFact("retention", over.retention ?? 86400, STREAM),
    },
    functionTimeoutSeconds: { value: over.timeout ?? 60, fact: awsFact("Timeout", over.timeout ?? 60, FN) },
    failure: { arn: over.onFailure, fact: awsFact("OnFailure", over.onFailure ?? null, of) },
    failureType: "destination",
  });

  it("-1/-1 (the defaults): the poison record blocks its shard until it expires from the stream; dropped even with onFailure", () => {
    const p = streamPath(stream({ onFailure: DLQ }));
    expect(numbers(p)).toEqual({
      attempts: null,
      maxAgeSeconds: 86400,
      blockingSeconds: 86400,
      terminal: { type: "dropped", arn: null },
    });
    expect(p.facts.slice(0, 2).map((f) => f.source)).toEqual(["aws-default", "aws-default"]);
    expect(p.notes.join()).toContain(`${DLQ} is never reached`);
  });

  it("follows a longer Kinesis retention: 7 days blocked", () => {
    expect(streamPath(stream({ retention: 604800 })).blockingSeconds).toBe(604800);
  });

  it("an age limit below the retention ends the blocking and reaches onFailure", () => {
    expect(numbers(streamPath(stream({ age: 3600, onFailure: DLQ })))).toEqual({
      attempts: null,
      maxAgeSeconds: 3600,
      blockingSeconds: 3600,
      terminal: { type: "destination", arn: DLQ },
    });
  });

  it("an age limit at or above the retention with unlimited retries still expires: dropped", () => {
    expect(streamPath(stream({ age: 604800, onFailure: DLQ })).terminal.type).toBe("dropped");
  });

  it("bounded retries block at most attempts (+ bisect splits) × the function timeout", () => {
    expect(streamPath(stream({ retries: 3, timeout: 60, onFailure: DLQ }))).toMatchObject({
      attempts: 4,
      blockingSeconds: 240,
      terminal: { type: "destination", arn: DLQ },
      bisect: false,
    });
    // ⌈log2 100⌉ = 7 splits.
    expect(streamPath(stream({ retries: 3, timeout: 60, bisect: true })).blockingSeconds).toBe((4 + 7) * 60);
    expect(streamPath(stream({ retries: 3, timeout: 60, bisect: true, batch: 1 })).blockingSeconds).toBe(240);
    // Whichever ends first: the 120 s record age.
    expect(streamPath(stream({ retries: 10, age: 120, timeout: 60 })).blockingSeconds).toBe(120);
    // No onFailure: the record is discarded when the retries run out.
    expect(streamPath(stream({ retries: 0 })).terminal).toEqual({ type: "dropped", arn: null });
  });
});

describe("queue path", () => {
  it("redrive after maxReceiveCount receives, each a visibility timeout apart", () => {
    const p = queuePath({
      trigger: "sqs",
      source: QUEUE,
      queueArn: QUEUE,
      visibilityTimeoutSeconds: 30,
      messageRetentionPeriodSeconds: 345600,
      redrive: { deadLetterQueue: DLQ, maxReceiveCount: 5 },
    });
    expect(numbers(p)).toEqual({
      attempts: 5,
      maxAgeSeconds: 150,
      blockingSeconds: null,
      terminal: { type: "redrive", arn: DLQ },
    });
  });

  it("no redrive policy: received until the retention deletes it (the SQS defaults named as such)", () => {
    const p = queuePath({ trigger: "sqs", source: QUEUE, queueArn: QUEUE });
    expect(numbers(p)).toEqual({
      attempts: null,
      maxAgeSeconds: 345600,
      blockingSeconds: null,
      terminal: { type: "dropped", arn: null },
    });
    expect(p.facts.slice(0, 2).map((f) => [f.field, f.value, f.source])).toEqual([
      ["VisibilityTimeout", 30, "aws-default"],
      ["MessageRetentionPeriod", 345600, "aws-default"],
    ]);
  });

  it("receives that outlast the retention never reach the DLQ", () => {
    const p = queuePath({
      trigger: "sqs",
      source: QUEUE,
      queueArn: QUEUE,
      visibilityTimeoutSeconds: 43200,
      messageRetentionPeriodSeconds: 86400,
      redrive: { deadLetterQueue: DLQ, maxReceiveCount: 5 },
    });
    expect(numbers(p)).toMatchObject({
      attempts: 5,
      maxAgeSeconds: 86400,
      terminal: { type: "dropped", arn: null },
    });
  });

  it("a FIFO queue's failing message holds its group until it leaves", () => {
    const fifo = `${QUEUE}.fifo`;
    const p = queuePath({
      trigger: "sqs",
      source: fifo,
      queueArn: fifo,
      visibilityTimeoutSeconds: 60,
      redrive: { deadLetterQueue: `${DLQ}.fifo`, maxReceiveCount: 3 },
    });
    expect(p.blockingSeconds).toBe(180);
  });

  it("notes a mapping without ReportBatchItemFailures", () => {
    const p = queuePath({
      trigger: "sqs",
      source: QUEUE,
      queueArn: QUEUE,
      reportBatchItemFailures: { value: false, of: "mapping" },
    });
    expect(p.facts.at(-1)).toEqual({
      field: "FunctionResponseTypes includes ReportBatchItemFailures",
      value: false,
      source: "aws",
      of: "mapping",
    });
    expect(p.notes.join()).toContain("whole batch");
  });
});

describe("exit code and durations", () => {
  const fn = (over: Partial<FunctionExplanation>): FunctionExplanation => ({
    account: "123456789012",
    region: "us-east-1",
    functionName: "f",
    functionArn: FN,
    paths: [],
    uninspected: [],
    ...over,
  });
  const ok = deliveryPath({ trigger: "eventbridge", source: "r", deadLetterQueue: DLQ });
  const dropped = deliveryPath({ trigger: "eventbridge", source: "r" });

  it("0 when nothing drops, 2 when a path drops, 1 on any error (a function, a trigger read, a manifest)", () => {
    expect(explainExitCode(explainDocument([fn({ paths: [ok] })], []))).toBe(0);
    expect(explainExitCode(explainDocument([fn({ paths: [ok, dropped] })], []))).toBe(2);
    expect(
      explainExitCode(explainDocument([fn({ paths: [dropped], error: { code: "X", message: "m" } })], [])),
    ).toBe(1);
    const unread = {
      trigger: "sns",
      source: "s",
      reason: "r",
      error: { code: "AccessDenied", message: "m" },
    };
    expect(explainExitCode(explainDocument([fn({ paths: [ok], uninspected: [unread] })], []))).toBe(1);
    // A trigger of a kind explain does not model is listed, not an error.
    expect(
      explainExitCode(
        explainDocument(
          [fn({ paths: [ok], uninspected: [{ trigger: "stream", source: "kafka", reason: "r" }] })],
          [],
        ),
      ),
    ).toBe(0);
    expect(
      explainExitCode(
        explainDocument([fn({ paths: [ok] })], [{ file: "a.yaml", line: 1, path: "spec", message: "bad" }]),
      ),
    ).toBe(1);
  });

  it("writes durations as d h m s", () => {
    expect([0, 45, 150, 3600, 86400, 90061, 1_987_200].map(humanSeconds)).toEqual([
      "0s",
      "45s",
      "2m 30s",
      "1h",
      "1d",
      "1d 1h 1m 1s",
      "23d",
    ]);
  });
});
