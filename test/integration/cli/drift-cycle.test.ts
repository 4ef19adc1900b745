import { ListTargetsByRuleCommand } from "@aws-sdk/client-eventbridge";
import {
  GetFunctionConfigurationCommand,
  GetFunctionEventInvokeConfigCommand,
  ListEventSourceMappingsCommand,
  PutFunctionEventInvokeConfigCommand,
  UpdateEventSourceMappingCommand,
} from "@aws-sdk/client-lambda";
import { DescribePipeCommand } from "@aws-sdk/client-pipes";
import { GetScheduleCommand } from "@aws-sdk/client-scheduler";
import { GetSubscriptionAttributesCommand, SetSubscriptionAttributesCommand } from "@aws-sdk/client-sns";
import { GetQueueAttributesCommand, SetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { beforeEach, describe, expect, it } from "vitest";
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
} from "../../support/aws.js";
import { cli, manifest, manifestDir, type PlanJson } from "../../support/cli.js";

/**
 * The contract's cycle for every kind (issue: "For each kind"): drift made with
 * the SDK → `diff --output json` lists exactly the drifted fields → `apply`
 * exits 0 → AWS read back equals desired → a second `diff` exits 0.
 */
const byField = (a: { field: string }, b: { field: string }) => a.field.localeCompare(b.field);

async function cycle(dir: string, expected: { kind: string; name: string; changes: unknown[] }) {
  const endpoint = motoEndpoint();
  const before = await cli("diff", dir, "--output", "json", "--endpoint-url", endpoint);
  expect(before.stderr).toBe("");
  expect(before.code).toBe(2);
  const plan = before.json<PlanJson>();
  expect(plan.resources).toHaveLength(1);
  const [resource] = plan.resources;
  expect(resource).toMatchObject({ kind: expected.kind, name: expected.name, action: "update" });
  expect([...(resource?.changes ?? [])].sort(byField)).toEqual(expected.changes);

  const applied = await cli("apply", dir, "--endpoint-url", endpoint);
  expect(applied.code, applied.stdout + applied.stderr).toBe(0);

  const after = await cli("diff", dir, "--output", "json", "--endpoint-url", endpoint);
  expect(after.code, after.stdout).toBe(0);
  expect(after.json<PlanJson>().resources[0]?.action).toBe("none");
}

describe("drift → diff → apply → in sync, per kind", () => {
  beforeEach(() => resetMoto());

  it("FunctionEventInvokeConfig: changes only the named fields, keeps onSuccess", async () => {
    const { lambda } = sdk();
    await createFunction("async-fn");
    const failed = await createQueue("async-failed");
    const success = await createQueue("async-success");
    await lambda.send(
      new PutFunctionEventInvokeConfigCommand({
        FunctionName: "async-fn",
        MaximumRetryAttempts: 0,
        MaximumEventAgeInSeconds: 3600,
        DestinationConfig: { OnSuccess: { Destination: success.arn } },
      }),
    );
    const dir = await manifestDir({
      "async.yaml": manifest("FunctionEventInvokeConfig", "async-fn", {
        functionName: "async-fn",
        maximumRetryAttempts: 2,
        maximumEventAgeInSeconds: 3600,
        onFailure: failed.arn,
      }),
    });
    await cycle(dir, {
      kind: "FunctionEventInvokeConfig",
      name: "async-fn",
      changes: [
        { field: "maximumRetryAttempts", actual: 0, desired: 2 },
        { field: "onFailure", actual: null, desired: failed.arn },
      ],
    });
    const config = await lambda.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: "async-fn" }));
    expect(config.MaximumRetryAttempts).toBe(2);
    expect(config.MaximumEventAgeInSeconds).toBe(3600);
    expect(config.DestinationConfig?.OnFailure?.Destination).toBe(failed.arn);
    expect(config.DestinationConfig?.OnSuccess?.Destination).toBe(success.arn);
  });

  it("FunctionDeadLetterConfig: moves the DLQ to the desired queue", async () => {
    const oldDlq = await createQueue("dlq-old");
    const newDlq = await createQueue("dlq-new");
    await createFunction("dlq-fn", { deadLetterArn: oldDlq.arn });
    const dir = await manifestDir({
      "dlq.yaml": manifest("FunctionDeadLetterConfig", "dlq-fn", {
        functionName: "dlq-fn",
        targetArn: newDlq.arn,
      }),
    });
    await cycle(dir, {
      kind: "FunctionDeadLetterConfig",
      name: "dlq-fn",
      changes: [{ field: "targetArn", actual: oldDlq.arn, desired: newDlq.arn }],
    });
    const fn = await sdk().lambda.send(new GetFunctionConfigurationCommand({ FunctionName: "dlq-fn" }));
    expect(fn.DeadLetterConfig?.TargetArn).toBe(newDlq.arn);
  });

  it("EventSourceMapping (Kinesis): retries, bisect and on-failure set; batch size untouched", async () => {
    const stream = await createStream("orders");
    const failed = await createQueue("stream-failed");
    await createFunction("stream-fn");
    const uuid = await createMapping("stream-fn", stream, { BatchSize: 50 });
    const dir = await manifestDir({
      "esm.yaml": manifest("EventSourceMapping", "orders-stream", {
        functionName: "stream-fn",
        eventSourceArn: stream,
        maximumRetryAttempts: 3,
        bisectBatchOnFunctionError: true,
        onFailure: failed.arn,
      }),
    });
    await cycle(dir, {
      kind: "EventSourceMapping",
      name: "orders-stream",
      changes: [
        { field: "bisectBatchOnFunctionError", actual: false, desired: true },
        { field: "maximumRetryAttempts", actual: -1, desired: 3 },
        { field: "onFailure", actual: null, desired: failed.arn },
      ],
    });
    const { EventSourceMappings } = await sdk().lambda.send(
      new ListEventSourceMappingsCommand({ FunctionName: "stream-fn" }),
    );
    const mapping = EventSourceMappings?.find((m) => m.UUID === uuid);
    expect(mapping?.MaximumRetryAttempts).toBe(3);
    expect(mapping?.BisectBatchOnFunctionError).toBe(true);
    expect(mapping?.DestinationConfig?.OnFailure?.Destination).toBe(failed.arn);
    expect(mapping?.BatchSize).toBe(50);
  });

  it("QueueRedrivePolicy: maxReceiveCount and visibility timeout repaired", async () => {
    const { sqs } = sdk();
    const source = await createQueue("work");
    const dlq = await createQueue("work-dlq");
    await sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: source.url,
        Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: "2" }) },
      }),
    );
    const dir = await manifestDir({
      "queue.yaml": manifest("QueueRedrivePolicy", "work", {
        queue: "work",
        deadLetterQueue: "work-dlq",
        maxReceiveCount: 5,
        visibilityTimeoutSeconds: 60,
      }),
    });
    await cycle(dir, {
      kind: "QueueRedrivePolicy",
      name: "work",
      changes: [
        { field: "maxReceiveCount", actual: 2, desired: 5 },
        { field: "visibilityTimeoutSeconds", actual: 30, desired: 60 },
      ],
    });
    const attrs = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: source.url, AttributeNames: ["All"] }),
    );
    expect(JSON.parse(attrs.Attributes?.RedrivePolicy ?? "{}")).toMatchObject({
      deadLetterTargetArn: dlq.arn,
    });
    expect(Number(JSON.parse(attrs.Attributes?.RedrivePolicy ?? "{}").maxReceiveCount)).toBe(5);
    expect(attrs.Attributes?.VisibilityTimeout).toBe("60");
  });

  it("EventTargetRetryPolicy: retry policy and DLQ set, the target keeps its Input and role", async () => {
    const fn = await createFunction("target-fn");
    const dlq = await createQueue("events-dlq");
    await createRule("order-placed");
    const role = "arn:aws:iam::123456789012:role/events-invoke";
    await putTarget("order-placed", { Id: "notify", Arn: fn, Input: '{"from":"rule"}', RoleArn: role });
    const dir = await manifestDir({
      "target.yaml": manifest("EventTargetRetryPolicy", "order-placed-notify", {
        rule: "order-placed",
        targetId: "notify",
        maximumRetryAttempts: 4,
        maximumEventAgeInSeconds: 3600,
        deadLetterQueue: dlq.arn,
      }),
    });
    await cycle(dir, {
      kind: "EventTargetRetryPolicy",
      name: "order-placed-notify",
      changes: [
        { field: "deadLetterQueue", actual: null, desired: dlq.arn },
        { field: "maximumEventAgeInSeconds", actual: 86400, desired: 3600 },
        { field: "maximumRetryAttempts", actual: 185, desired: 4 },
      ],
    });
    const { Targets } = await sdk().events.send(new ListTargetsByRuleCommand({ Rule: "order-placed" }));
    expect(Targets).toHaveLength(1);
    expect(Targets?.[0]).toMatchObject({
      Id: "notify",
      Arn: fn,
      Input: '{"from":"rule"}',
      RoleArn: role,
      RetryPolicy: { MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 3600 },
      DeadLetterConfig: { Arn: dlq.arn },
    });
  });
});

describe("null removes, omitted is untouched", () => {
  beforeEach(() => resetMoto());

  it("removes onFailure, the function DLQ, a redrive policy, a target DLQ and a mapping's onFailure", async () => {
    const { lambda, sqs, events } = sdk();
    const q = await createQueue("failures");
    const dlq = await createQueue("src-dlq");
    const source = await createQueue("src");
    const stream = await createStream("s1");
    const fn = await createFunction("fn-null", { deadLetterArn: q.arn });
    await lambda.send(
      new PutFunctionEventInvokeConfigCommand({
        FunctionName: "fn-null",
        MaximumRetryAttempts: 1,
        DestinationConfig: { OnFailure: { Destination: q.arn } },
      }),
    );
    const uuid = await createMapping("fn-null", stream, {
      DestinationConfig: { OnFailure: { Destination: q.arn } },
    });
    await lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, MaximumRetryAttempts: 7 }));
    await sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: source.url,
        Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 5 }) },
      }),
    );
    await createRule("r-null");
    await putTarget("r-null", {
      Id: "t",
      Arn: fn,
      DeadLetterConfig: { Arn: q.arn },
      RetryPolicy: { MaximumRetryAttempts: 3 },
    });

    const dir = await manifestDir({
      "all.yaml": [
        manifest("FunctionEventInvokeConfig", "fn-null", { functionName: "fn-null", onFailure: null }),
        manifest("FunctionDeadLetterConfig", "fn-null", { functionName: "fn-null", targetArn: null }),
        manifest("EventSourceMapping", "m-null", {
          functionName: "fn-null",
          eventSourceArn: stream,
          onFailure: null,
        }),
        manifest("QueueRedrivePolicy", "src", { queue: "src", deadLetterQueue: null }),
        manifest("EventTargetRetryPolicy", "t-null", {
          rule: "r-null",
          targetId: "t",
          deadLetterQueue: null,
        }),
      ].join("---\n"),
    });
    const applied = await cli("apply", dir, "--endpoint-url", motoEndpoint(), "--output", "json");
    expect(applied.code, applied.stdout).toBe(0);
    expect(applied.json<PlanJson>().summary).toMatchObject({ update: 5, error: 0 });

    const config = await lambda.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: "fn-null" }));
    expect(config.DestinationConfig?.OnFailure?.Destination ?? null).toBeNull();
    expect(config.MaximumRetryAttempts).toBe(1);
    const fnConfig = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: "fn-null" }));
    expect(fnConfig.DeadLetterConfig?.TargetArn || null).toBeNull();
    const { EventSourceMappings } = await lambda.send(
      new ListEventSourceMappingsCommand({ FunctionName: "fn-null" }),
    );
    expect(EventSourceMappings?.[0]?.DestinationConfig?.OnFailure?.Destination || null).toBeNull();
    expect(EventSourceMappings?.[0]?.MaximumRetryAttempts).toBe(7);
    const attrs = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: source.url, AttributeNames: ["All"] }),
    );
    expect(attrs.Attributes?.RedrivePolicy).toBeUndefined();
    const { Targets } = await events.send(new ListTargetsByRuleCommand({ Rule: "r-null" }));
    expect(Targets?.[0]?.DeadLetterConfig).toBeUndefined();
    expect(Targets?.[0]?.RetryPolicy?.MaximumRetryAttempts).toBe(3);

    const again = await cli("diff", dir, "--endpoint-url", motoEndpoint());
    expect(again.code, again.stdout).toBe(0);
  });
});

describe("drift → diff → apply → in sync: SNS, Scheduler and Pipes (issue 14)", () => {
  beforeEach(() => resetMoto());

  it("SubscriptionRedrivePolicy: the DLQ moved by hand is put back; null removes the RedrivePolicy", async () => {
    const { sns } = sdk();
    const topic = await createTopic("orders");
    const fn = await createFunction("sns-fn");
    const dlq = await createQueue("sns-dlq");
    const other = await createQueue("sns-other");
    const sub = await subscribe(topic, fn);
    await sns.send(
      new SetSubscriptionAttributesCommand({
        SubscriptionArn: sub,
        AttributeName: "RedrivePolicy",
        AttributeValue: JSON.stringify({ deadLetterTargetArn: other.arn }),
      }),
    );
    const spec = { topicArn: topic, endpoint: fn, deadLetterQueue: dlq.arn };
    const dir = await manifestDir({ "sub.yaml": manifest("SubscriptionRedrivePolicy", "orders-fn", spec) });
    await cycle(dir, {
      kind: "SubscriptionRedrivePolicy",
      name: "orders-fn",
      changes: [{ field: "deadLetterQueue", actual: other.arn, desired: dlq.arn }],
    });
    const read = await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: sub }));
    expect(JSON.parse(read.Attributes?.RedrivePolicy ?? "{}")).toEqual({ deadLetterTargetArn: dlq.arn });

    const removal = await manifestDir({
      "sub.yaml": manifest("SubscriptionRedrivePolicy", "orders-fn", { ...spec, deadLetterQueue: null }),
    });
    await cycle(removal, {
      kind: "SubscriptionRedrivePolicy",
      name: "orders-fn",
      changes: [{ field: "deadLetterQueue", actual: dlq.arn, desired: null }],
    });
    const after = await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: sub }));
    expect(after.Attributes).not.toHaveProperty("RedrivePolicy");
  });

  it("ScheduleRetryPolicy: retry policy and DLQ repaired; null goes back to 185 / 86400 and no DLQ", async () => {
    const { scheduler } = sdk();
    const fn = await createFunction("schedule-fn");
    const dlq = await createQueue("schedule-dlq");
    const role = "arn:aws:iam::123456789012:role/scheduler";
    await createSchedule("nightly", {
      Target: {
        Arn: fn,
        RoleArn: role,
        RetryPolicy: { MaximumRetryAttempts: 50, MaximumEventAgeInSeconds: 600 },
      },
    });
    const spec = {
      scheduleName: "nightly",
      maximumRetryAttempts: 3,
      maximumEventAgeInSeconds: 3600,
      deadLetterQueue: dlq.arn,
    };
    const dir = await manifestDir({ "s.yaml": manifest("ScheduleRetryPolicy", "nightly", spec) });
    await cycle(dir, {
      kind: "ScheduleRetryPolicy",
      name: "nightly",
      changes: [
        { field: "deadLetterQueue", actual: null, desired: dlq.arn },
        { field: "maximumEventAgeInSeconds", actual: 600, desired: 3600 },
        { field: "maximumRetryAttempts", actual: 50, desired: 3 },
      ],
    });
    const read = await scheduler.send(new GetScheduleCommand({ Name: "nightly" }));
    expect(read.Target).toEqual({
      Arn: fn,
      RoleArn: role,
      RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
      DeadLetterConfig: { Arn: dlq.arn },
    });

    const reset = await manifestDir({
      "s.yaml": manifest("ScheduleRetryPolicy", "nightly", {
        scheduleName: "nightly",
        maximumRetryAttempts: null,
        maximumEventAgeInSeconds: null,
        deadLetterQueue: null,
      }),
    });
    await cycle(reset, {
      kind: "ScheduleRetryPolicy",
      name: "nightly",
      changes: [
        { field: "deadLetterQueue", actual: dlq.arn, desired: null },
        { field: "maximumEventAgeInSeconds", actual: 3600, desired: 86400 },
        { field: "maximumRetryAttempts", actual: 3, desired: 185 },
      ],
    });
    const after = await scheduler.send(new GetScheduleCommand({ Name: "nightly" }));
    expect(after.Target?.DeadLetterConfig).toBeUndefined();
    expect(after.Target?.RetryPolicy).toEqual({ MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 });
  });

  it("PipeRetryPolicy: retries, age, bisect and DLQ repaired on a Kinesis pipe; null removes bisect and DLQ", async () => {
    const { pipes } = sdk();
    const stream = await createStream("pipe-src");
    const fn = await createFunction("pipe-fn");
    const dlq = await createQueue("pipe-dlq");
    await createPipe("orders-pipe", stream, fn, {
      KinesisStreamParameters: { StartingPosition: "LATEST", BatchSize: 25, MaximumRetryAttempts: 7 },
    });
    const spec = {
      pipeName: "orders-pipe",
      maximumRetryAttempts: 3,
      maximumRecordAgeInSeconds: 3600,
      onPartialBatchItemFailure: "AUTOMATIC_BISECT",
      deadLetterQueue: dlq.arn,
    };
    const dir = await manifestDir({ "p.yaml": manifest("PipeRetryPolicy", "orders-pipe", spec) });
    await cycle(dir, {
      kind: "PipeRetryPolicy",
      name: "orders-pipe",
      changes: [
        { field: "deadLetterQueue", actual: null, desired: dlq.arn },
        { field: "maximumRecordAgeInSeconds", actual: -1, desired: 3600 },
        { field: "maximumRetryAttempts", actual: 7, desired: 3 },
        { field: "onPartialBatchItemFailure", actual: null, desired: "AUTOMATIC_BISECT" },
      ],
    });
    const read = await pipes.send(new DescribePipeCommand({ Name: "orders-pipe" }));
    expect(read.SourceParameters?.KinesisStreamParameters).toEqual({
      StartingPosition: "LATEST",
      BatchSize: 25,
      MaximumRetryAttempts: 3,
      MaximumRecordAgeInSeconds: 3600,
      OnPartialBatchItemFailure: "AUTOMATIC_BISECT",
      DeadLetterConfig: { Arn: dlq.arn },
    });

    const removal = await manifestDir({
      "p.yaml": manifest("PipeRetryPolicy", "orders-pipe", {
        pipeName: "orders-pipe",
        onPartialBatchItemFailure: null,
        deadLetterQueue: null,
      }),
    });
    await cycle(removal, {
      kind: "PipeRetryPolicy",
      name: "orders-pipe",
      changes: [
        { field: "deadLetterQueue", actual: dlq.arn, desired: null },
        { field: "onPartialBatchItemFailure", actual: "AUTOMATIC_BISECT", desired: null },
      ],
    });
    const after = await pipes.send(new DescribePipeCommand({ Name: "orders-pipe" }));
    expect(after.SourceParameters?.KinesisStreamParameters).toEqual({
      StartingPosition: "LATEST",
      BatchSize: 25,
      MaximumRetryAttempts: 3,
      MaximumRecordAgeInSeconds: 3600,
    });
  });
});
