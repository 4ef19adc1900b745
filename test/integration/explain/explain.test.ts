import { PutFunctionEventInvokeConfigCommand } from "@aws-sdk/client-lambda";
import { beforeEach, describe, expect, it } from "vitest";
import { type ExplainDocument, type ExplainPath, explainDocumentSchema } from "../../../src/explain/model.js";
import {
  createFunction,
  createMapping,
  createPipe,
  createQueue,
  createRule,
  createSchedule,
  createStream,
  createTopic,
  motoEndpoint,
  putTarget,
  resetMoto,
  sdk,
  subscribe,
  TEST_ACCOUNT,
  TEST_REGION,
} from "../../support/aws.js";
import { cli, manifest, manifestDir } from "../../support/cli.js";

const arn = (service: string, resource: string) =>
  `arn:aws:${service}:${TEST_REGION}:${TEST_ACCOUNT}:${resource}`;
const fnArn = (name: string) => arn("lambda", `function:${name}`);

async function explain(dir: string, ...args: string[]) {
  const run = await cli("explain", dir, "--output", "json", "--endpoint-url", motoEndpoint(), ...args);
  let doc: ExplainDocument | undefined;
  try {
    doc = explainDocumentSchema.parse(run.json());
  } catch (err) {
    throw new Error(`explain printed no valid document (${String(err)}):\n${run.stdout}\n${run.stderr}`);
  }
  return { ...run, doc };
}

/** The one path of `trigger` on `functionName`, without its facts and notes. */
function path(doc: ExplainDocument, functionName: string, trigger: string, source?: string) {
  const fn = doc.functions.find((f) => f.functionName === functionName);
  const paths = (fn?.paths ?? []).filter(
    (p) => p.trigger === trigger && (source === undefined || p.source === source),
  );
  expect(paths, `${trigger} paths of ${functionName}`).toHaveLength(1);
  const [p] = paths as [ExplainPath];
  return p;
}

function numbers(p: ExplainPath) {
  const { trigger, source, attempts, maxAgeSeconds, blockingSeconds, terminal } = p;
  return { trigger, source, attempts, maxAgeSeconds, blockingSeconds, terminal };
}

function fact(p: ExplainPath, field: string) {
  return p.facts.find((f) => f.field === field);
}

describe("retryctl explain against moto", () => {
  beforeEach(async () => {
    await resetMoto();
  });

  it("finds the dropped paths of async + DLQ, a Kinesis mapping retrying forever, an SQS queue without redrive and a rule target without DLQ (exit 2), and none after apply (exit 0)", async () => {
    const asyncDlq = await createQueue("async-dlq");
    const streamFailed = await createQueue("stream-failed");
    const work = await createQueue("work", { VisibilityTimeout: "60", MessageRetentionPeriod: "86400" });
    const workDlq = await createQueue("work-dlq");
    const eventsDlq = await createQueue("events-dlq");
    const stream = await createStream("orders");
    await createFunction("notifier", { deadLetterArn: asyncDlq.arn });
    await createFunction("streamer", { timeout: 30 });
    await createFunction("worker", { timeout: 30 });
    await sdk().lambda.send(
      new PutFunctionEventInvokeConfigCommand({
        FunctionName: "notifier",
        MaximumRetryAttempts: 1,
        MaximumEventAgeInSeconds: 3600,
      }),
    );
    // Unlimited retries and record age (AWS's defaults) with an onFailure the record never reaches.
    await createMapping("streamer", stream, {
      BatchSize: 100,
      DestinationConfig: { OnFailure: { Destination: streamFailed.arn } },
    });
    await createMapping("worker", work.arn, { BatchSize: 10 });
    await createRule("placed");
    await putTarget("placed", { Id: "notify", Arn: fnArn("notifier") });

    const dir = await manifestDir({
      "notifier.yaml": [
        manifest("FunctionEventInvokeConfig", "notifier", {
          functionName: "notifier",
          maximumRetryAttempts: 1,
        }),
        manifest("EventTargetRetryPolicy", "placed-notify", {
          rule: "placed",
          targetId: "notify",
          maximumRetryAttempts: 4,
          maximumEventAgeInSeconds: 3600,
          deadLetterQueue: eventsDlq.arn,
        }),
      ].join("---\n"),
      "streamer.yaml": manifest("EventSourceMapping", "orders", {
        functionName: "streamer",
        eventSourceArn: stream,
        maximumRetryAttempts: 3,
        maximumRecordAgeInSeconds: 3600,
        bisectBatchOnFunctionError: true,
      }),
      "worker.yaml": [
        manifest("EventSourceMapping", "work", {
          functionName: "worker",
          eventSourceArn: work.arn,
          batchSize: 10,
        }),
        manifest("QueueRedrivePolicy", "work", {
          queue: "work",
          deadLetterQueue: "work-dlq",
          maxReceiveCount: 5,
        }),
      ].join("---\n"),
    });

    const before = await explain(dir);
    expect(before.code, before.stderr).toBe(2);
    expect(before.doc.functions.map((f) => [f.functionName, f.account, f.region])).toEqual([
      ["notifier", TEST_ACCOUNT, TEST_REGION],
      ["streamer", TEST_ACCOUNT, TEST_REGION],
      ["worker", TEST_ACCOUNT, TEST_REGION],
    ]);
    // The async config's retries (1 → 2 attempts) and age, then the function's DLQ.
    const asyncPath = path(before.doc, "notifier", "async");
    expect(numbers(asyncPath)).toEqual({
      trigger: "async",
      source: `${fnArn("notifier")}:$LATEST`,
      attempts: 2,
      maxAgeSeconds: 3600,
      blockingSeconds: null,
      terminal: { type: "dlq", arn: asyncDlq.arn },
    });
    expect(fact(asyncPath, "MaximumRetryAttempts")).toMatchObject({ value: 1, source: "aws" });
    expect(fact(asyncPath, "delay before the 2nd attempt (s)")).toMatchObject({
      value: 60,
      source: "aws-default",
    });
    // EventBridge's defaults: 185 retries over 24 h, then dropped.
    const rule = path(before.doc, "notifier", "eventbridge");
    expect(numbers(rule)).toEqual({
      trigger: "eventbridge",
      source: arn("events", "rule/placed"),
      attempts: 186,
      maxAgeSeconds: 86400,
      blockingSeconds: null,
      terminal: { type: "dropped", arn: null },
    });
    expect(fact(rule, "RetryPolicy.MaximumRetryAttempts")).toMatchObject({
      value: 185,
      source: "aws-default",
      reference: "EventBridge API reference, RetryPolicy",
    });
    // -1/-1: the poison record blocks its shard for the stream's 24 h retention and expires: dropped.
    const shard = path(before.doc, "streamer", "stream");
    expect(numbers(shard)).toEqual({
      trigger: "stream",
      source: stream,
      attempts: null,
      maxAgeSeconds: 86400,
      blockingSeconds: 86400,
      terminal: { type: "dropped", arn: null },
    });
    expect(shard.bisect).toBe(false);
    expect(fact(shard, "RetentionPeriodHours × 3600 (s)")).toMatchObject({
      value: 86400,
      source: "aws",
      of: stream,
    });
    expect(shard.notes.join("\n")).toContain(`${streamFailed.arn} is never reached`);
    // No redrive policy: received again until the queue's retention (1 day here) deletes the message.
    const queue = path(before.doc, "worker", "sqs");
    expect(numbers(queue)).toEqual({
      trigger: "sqs",
      source: work.arn,
      attempts: null,
      maxAgeSeconds: 86400,
      blockingSeconds: null,
      terminal: { type: "dropped", arn: null },
    });
    // Functions fed only by mappings invoke synchronously: no async path of AWS defaults is invented for them.
    expect(
      before.doc.functions.find((f) => f.functionName === "streamer")?.paths.map((p) => p.trigger),
    ).toEqual(["stream"]);
    expect(before.doc.summary).toEqual({
      functions: 3,
      paths: 4,
      dropped: 3,
      blocking: 1,
      uninspected: 0,
      errors: 0,
    });

    const applied = await cli("apply", dir, "--endpoint-url", motoEndpoint());
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);

    const after = await explain(dir);
    expect(after.code, after.stdout).toBe(0);
    expect(numbers(path(after.doc, "notifier", "eventbridge"))).toMatchObject({
      attempts: 5,
      maxAgeSeconds: 3600,
      terminal: { type: "dlq", arn: eventsDlq.arn },
    });
    // 4 attempts (+ ⌈log2 100⌉ = 7 splits) × 30 s function timeout = 330 s, below the 1 h record age.
    const fixed = path(after.doc, "streamer", "stream");
    expect(numbers(fixed)).toMatchObject({
      attempts: 4,
      maxAgeSeconds: 3600,
      blockingSeconds: 330,
      terminal: { type: "destination", arn: streamFailed.arn },
    });
    expect(fixed.bisect).toBe(true);
    // 5 receives × 60 s visibility.
    expect(numbers(path(after.doc, "worker", "sqs"))).toMatchObject({
      attempts: 5,
      maxAgeSeconds: 300,
      blockingSeconds: null,
      terminal: { type: "redrive", arn: workDlq.arn },
    });
    expect(after.doc.summary.dropped).toBe(0);
  });

  it("explains SNS subscriptions, schedules and pipes targeting a function, and their fixes", async () => {
    const snsDlq = await createQueue("sns-dlq");
    const scheduleDlq = await createQueue("schedule-dlq");
    const pipeDlq = await createQueue("pipe-dlq");
    const failures = await createQueue("failures");
    const stream = await createStream("audit");
    const fn = await createFunction("audit", { timeout: 10 });
    const topic = await createTopic("orders");
    const subscription = await subscribe(topic, fn);
    await createSchedule("nightly", {
      Target: { Arn: fn, RoleArn: `arn:aws:iam::${TEST_ACCOUNT}:role/scheduler` },
    });
    const pipe = await createPipe("audit-pipe", stream, fn, {
      KinesisStreamParameters: { StartingPosition: "LATEST", BatchSize: 16 },
    });
    const dir = await manifestDir({
      "audit.yaml": [
        manifest("FunctionEventInvokeConfig", "audit", { functionName: "audit", onFailure: failures.arn }),
        manifest("SubscriptionRedrivePolicy", "orders-audit", {
          topicArn: topic,
          endpoint: fn,
          deadLetterQueue: snsDlq.arn,
        }),
        manifest("ScheduleRetryPolicy", "nightly", {
          scheduleName: "nightly",
          maximumRetryAttempts: 3,
          maximumEventAgeInSeconds: 600,
          deadLetterQueue: scheduleDlq.arn,
        }),
        manifest("PipeRetryPolicy", "audit-pipe", {
          pipeName: "audit-pipe",
          maximumRetryAttempts: 2,
          onPartialBatchItemFailure: "AUTOMATIC_BISECT",
          deadLetterQueue: pipeDlq.arn,
        }),
      ].join("---\n"),
    });

    const before = await explain(dir);
    expect(before.code, before.stderr).toBe(2);
    // No invoke config yet: AWS's 2 retries / 6 h, then dropped (no destination, no DLQ).
    expect(numbers(path(before.doc, "audit", "async"))).toMatchObject({
      attempts: 3,
      maxAgeSeconds: 21600,
      terminal: { type: "dropped", arn: null },
    });
    const sns = path(before.doc, "audit", "sns");
    expect(numbers(sns)).toEqual({
      trigger: "sns",
      source: subscription,
      attempts: 100_016,
      maxAgeSeconds: 23 * 86400,
      blockingSeconds: null,
      terminal: { type: "dropped", arn: null },
    });
    expect(sns.facts.filter((f) => f.source === "aws-default").map((f) => f.value)).toEqual([
      3,
      2,
      10,
      100_000,
      23 * 86400,
    ]);
    expect(numbers(path(before.doc, "audit", "schedule"))).toEqual({
      trigger: "schedule",
      source: arn("scheduler", "schedule/default/nightly"),
      attempts: 186,
      maxAgeSeconds: 86400,
      blockingSeconds: null,
      terminal: { type: "dropped", arn: null },
    });
    const stuck = path(before.doc, "audit", "pipe");
    expect(numbers(stuck)).toEqual({
      trigger: "pipe",
      source: pipe,
      attempts: null,
      maxAgeSeconds: 86400,
      blockingSeconds: 86400,
      terminal: { type: "dropped", arn: null },
    });
    expect(fact(stuck, "Source")).toMatchObject({ value: stream, source: "aws" });

    const applied = await cli("apply", dir, "--endpoint-url", motoEndpoint());
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);

    const after = await explain(dir);
    expect(after.code, after.stdout).toBe(0);
    expect(path(after.doc, "audit", "async").terminal).toEqual({ type: "destination", arn: failures.arn });
    expect(path(after.doc, "audit", "sns").terminal).toEqual({ type: "dlq", arn: snsDlq.arn });
    expect(numbers(path(after.doc, "audit", "schedule"))).toMatchObject({
      attempts: 4,
      maxAgeSeconds: 600,
      terminal: { type: "dlq", arn: scheduleDlq.arn },
    });
    // 3 attempts + ⌈log2 16⌉ = 4 splits, × the 10 s timeout; the record age stays unlimited (24 h retention).
    const pipePath = path(after.doc, "audit", "pipe");
    expect(numbers(pipePath)).toMatchObject({
      attempts: 3,
      maxAgeSeconds: 86400,
      blockingSeconds: 70,
      terminal: { type: "dlq", arn: pipeDlq.arn },
    });
    expect(pipePath.bisect).toBe(true);
  });

  it("explains a function named by name in one manifest and by its ARN in another once", async () => {
    const fn = await createFunction("notifier");
    const topic = await createTopic("orders");
    await subscribe(topic, fn);
    const dir = await manifestDir({
      "m.yaml": [
        manifest("FunctionDeadLetterConfig", "notifier", { functionName: "notifier", targetArn: null }),
        manifest("SubscriptionRedrivePolicy", "orders", {
          topicArn: topic,
          endpoint: fn,
          deadLetterQueue: null,
        }),
      ].join("---\n"),
    });
    const run = await explain(dir);
    expect(run.doc.functions.map((f) => f.functionArn)).toEqual([fn]);
    expect(run.doc.functions[0]?.paths.map((p) => p.trigger)).toEqual(["async", "sns"]);
  });
});
