import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateScheduleGroupCommand } from "@aws-sdk/client-scheduler";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  createFunction,
  createMapping,
  createPipe,
  createQueue,
  createRule,
  createSchedule,
  createStream,
  createTopic,
  putTarget,
  resetMoto,
  sdk,
  subscribe,
  TEST_ACCOUNT,
} from "../../support/aws.js";
import { createFeed, publishCloudTrailEvent } from "../../support/cloudtrail.js";
import { type FaultProxy, startFaultProxy } from "../../support/fault-proxy.js";
import { doc, resource, startController, status, type TestController } from "./harness.js";

// One test per supported write call: its CloudTrail event re-reads exactly the resource it
// affects, and nothing else (the reconcile log lines name every re-read resource; the fault
// proxy counts the AWS reads per object). The events are published without a real change,
// so every re-read finds the resource in sync.

const ARN = (fn: string) => `arn:aws:lambda:us-east-1:${TEST_ACCOUNT}:function:${fn}`;
// Far beyond the test (and below setTimeout's 24.8-day limit per sweep slot): no sweep read interferes.
const RESYNC_MS = 100 * 24 * 3_600_000;
const RECONCILE_MESSAGES = new Set(["in sync", "drift repaired", "reconcile failed", "change planned"]);

interface World {
  uuidA: string;
  uuidB: string;
  srcA: string;
  queueA: string;
  /** Subscriptions: named by ARN, by topic + endpoint, and one no event here names. */
  subA: string;
  subB: string;
  subC: string;
  feed: string;
}

let dir: string;
let proxy: FaultProxy;
let controller: TestController;
let world: World;

async function seed(): Promise<World> {
  const dlq = await createQueue("em-dlq");
  await createFunction("em-a");
  await createFunction("em-b");
  const srcA = (await createQueue("em-src-a")).arn;
  const srcB = (await createQueue("em-src-b")).arn;
  const uuidA = await createMapping("em-a", srcA, { BatchSize: 10 });
  const uuidB = await createMapping("em-b", srcB, { BatchSize: 10 });
  const queueA = (await createQueue("em-q-a")).url;
  await createQueue("em-q-b");
  await createRule("em-rule");
  await createRule("em-rule2");
  for (const [rule, id] of [
    ["em-rule", "t-a"],
    ["em-rule", "t-b"],
    ["em-rule2", "t-c"],
  ] as const) {
    await putTarget(rule, { Id: id, Arn: dlq.arn });
  }
  const topic = await createTopic("em-topic");
  const subA = await subscribe(topic, ARN("em-a"));
  const subB = await subscribe(topic, ARN("em-b"));
  const subC = await subscribe(topic, dlq.arn);
  // The same schedule name in two groups: only the event's group is re-read.
  await sdk().scheduler.send(new CreateScheduleGroupCommand({ Name: "em-group" }));
  const target = { Arn: ARN("em-a"), RoleArn: `arn:aws:iam::${TEST_ACCOUNT}:role/em-scheduler` };
  await createSchedule("em-sched", { Target: target });
  await createSchedule("em-sched", { GroupName: "em-group", Target: target });
  await createSchedule("em-sched-c", { Target: target });
  const stream = await createStream("em-stream");
  const kinesis = { KinesisStreamParameters: { StartingPosition: "LATEST" as const } };
  await createPipe("em-pipe-a", stream, ARN("em-a"), kinesis);
  await createPipe("em-pipe-b", stream, ARN("em-b"), kinesis);
  const feed = (await createFeed("em-feed")).url;
  const docs = [
    doc("FunctionDeadLetterConfig", "dlq-a", { functionName: "em-a", targetArn: dlq.arn }),
    doc("FunctionDeadLetterConfig", "dlq-b", { functionName: "em-b", targetArn: dlq.arn }),
    doc("FunctionEventInvokeConfig", "eic-a", { functionName: "em-a", maximumRetryAttempts: 1 }),
    doc("FunctionEventInvokeConfig", "eic-b", { functionName: "em-b", maximumRetryAttempts: 1 }),
    doc("EventSourceMapping", "esm-a", { functionName: "em-a", eventSourceArn: srcA, batchSize: 10 }),
    doc("EventSourceMapping", "esm-b", { functionName: "em-b", uuid: uuidB, batchSize: 10 }),
    doc("QueueRedrivePolicy", "qrp-a", { queue: "em-q-a", deadLetterQueue: dlq.arn, maxReceiveCount: 5 }),
    doc("QueueRedrivePolicy", "qrp-b", { queue: "em-q-b", deadLetterQueue: dlq.arn, maxReceiveCount: 5 }),
    doc("EventTargetRetryPolicy", "etrp-a", { rule: "em-rule", targetId: "t-a", maximumRetryAttempts: 3 }),
    doc("EventTargetRetryPolicy", "etrp-b", { rule: "em-rule", targetId: "t-b", maximumRetryAttempts: 3 }),
    doc("EventTargetRetryPolicy", "etrp-c", { rule: "em-rule2", targetId: "t-c", maximumRetryAttempts: 3 }),
    doc("SubscriptionRedrivePolicy", "srp-a", { subscriptionArn: subA, deadLetterQueue: dlq.arn }),
    doc("SubscriptionRedrivePolicy", "srp-b", {
      topicArn: topic,
      endpoint: ARN("em-b"),
      deadLetterQueue: dlq.arn,
    }),
    doc("SubscriptionRedrivePolicy", "srp-c", { subscriptionArn: subC, deadLetterQueue: dlq.arn }),
    doc("ScheduleRetryPolicy", "srt-a", { scheduleName: "em-sched", maximumRetryAttempts: 3 }),
    doc("ScheduleRetryPolicy", "srt-b", {
      groupName: "em-group",
      scheduleName: "em-sched",
      maximumRetryAttempts: 3,
    }),
    doc("ScheduleRetryPolicy", "srt-c", { scheduleName: "em-sched-c", maximumRetryAttempts: 3 }),
    doc("PipeRetryPolicy", "prp-a", { pipeName: "em-pipe-a", maximumRetryAttempts: 3 }),
    doc("PipeRetryPolicy", "prp-b", { pipeName: "em-pipe-b", maximumRetryAttempts: 3 }),
  ];
  await writeFile(join(dir, "all.yaml"), docs.join("---\n"));
  return { uuidA, uuidB, srcA, queueA, subA, subB, subC, feed };
}

beforeAll(async () => {
  await resetMoto();
  proxy = await startFaultProxy();
  dir = await mkdtemp(join(tmpdir(), "retryctl-drift-map-"));
  world = await seed();
  controller = await startController({
    dir,
    endpoint: proxy.endpoint,
    resyncIntervalMs: RESYNC_MS,
    driftEventsQueue: world.feed,
    driftSettleMs: 100,
    driftWaitSeconds: 1,
  });
  // expect.poll works only inside a test.
  await vi.waitFor(
    async () => {
      const s = await status(controller.url);
      expect(s.resources.map((r) => `${r.name} ${r.status} ${r.message}`)).toEqual(
        s.resources.map((r) => `${r.name} Synced ${r.message}`),
      );
      expect(s.resources).toHaveLength(19);
      expect(s.driftEvents?.state).toBe("ok");
    },
    { timeout: 30_000, interval: 200 },
  );
}, 60_000);

afterAll(async () => {
  await controller?.stop();
  await proxy?.close();
  await rm(dir, { recursive: true, force: true });
});

/** Names of the resources reconciled from log line `from` on. */
function reconciledSince(from: number): string[] {
  return controller.logs
    .slice(from)
    .filter((l) => RECONCILE_MESSAGES.has(l.msg) && typeof l.name === "string")
    .map((l) => l.name as string)
    .sort();
}

/** Objects the AWS calls from request `from` on addressed, the feed queue's own calls left out. */
function objectsReadSince(from: number): string[] {
  return [
    ...new Set(
      proxy
        .requests()
        .slice(from)
        .map((r) => r.resource)
        .filter((r): r is string => r !== undefined && r !== "queue:em-feed"),
    ),
  ].sort();
}

interface Case {
  eventSource: string;
  eventName: string;
  request: (w: World) => Record<string, unknown>;
  response?: (w: World) => Record<string, unknown>;
  reread: string[];
  /** Objects whose reads are allowed (the affected one); any other object read fails the test. */
  objects: (w: World) => string[];
}

const LAMBDA = "lambda.amazonaws.com";
const SNS = "sns.amazonaws.com";
const SCHEDULER = "scheduler.amazonaws.com";
const CASES: Record<string, Case> = {
  "UpdateFunctionConfiguration20150331v2 (function name) → the function's DLQ": {
    eventSource: LAMBDA,
    eventName: "UpdateFunctionConfiguration20150331v2",
    request: () => ({ functionName: "em-a", deadLetterConfig: { targetArn: "" } }),
    reread: ["dlq-a"],
    objects: () => ["function:em-a"],
  },
  "UpdateFunctionConfiguration20150331v2 (function ARN) → the function's DLQ": {
    eventSource: LAMBDA,
    eventName: "UpdateFunctionConfiguration20150331v2",
    request: () => ({ functionName: ARN("em-b"), timeout: 10 }),
    reread: ["dlq-b"],
    objects: () => ["function:em-b"],
  },
  "PutFunctionEventInvokeConfig20190925 → the async config of that qualifier": {
    eventSource: LAMBDA,
    eventName: "PutFunctionEventInvokeConfig20190925",
    request: () => ({ functionName: "em-a", qualifier: "$LATEST", maximumRetryAttempts: 0 }),
    reread: ["eic-a"],
    objects: () => ["function:em-a"],
  },
  "UpdateFunctionEventInvokeConfig20190925 (qualified ARN) → the async config": {
    eventSource: LAMBDA,
    eventName: "UpdateFunctionEventInvokeConfig20190925",
    request: () => ({ functionName: `${ARN("em-b")}:$LATEST`, maximumEventAgeInSeconds: 60 }),
    reread: ["eic-b"],
    objects: () => ["function:em-b"],
  },
  "DeleteFunctionEventInvokeConfig20190925 → the async config": {
    eventSource: LAMBDA,
    eventName: "DeleteFunctionEventInvokeConfig20190925",
    request: () => ({ functionName: "em-a" }),
    reread: ["eic-a"],
    objects: () => ["function:em-a"],
  },
  "UpdateEventSourceMapping20150331 (uUID of a mapping named by source) → that mapping": {
    eventSource: LAMBDA,
    eventName: "UpdateEventSourceMapping20150331",
    request: (w) => ({ uUID: w.uuidA, batchSize: 5 }),
    reread: ["esm-a"],
    objects: () => [],
  },
  "UpdateEventSourceMapping20150331 (uUID of a mapping named by uuid) → that mapping": {
    eventSource: LAMBDA,
    eventName: "UpdateEventSourceMapping20150331",
    request: (w) => ({ uUID: w.uuidB, enabled: false }),
    reread: ["esm-b"],
    objects: (w) => [`esm:${w.uuidB}`],
  },
  "DeleteEventSourceMapping20150331 → that mapping": {
    eventSource: LAMBDA,
    eventName: "DeleteEventSourceMapping20150331",
    request: (w) => ({ uUID: w.uuidA }),
    reread: ["esm-a"],
    objects: () => [],
  },
  "CreateEventSourceMapping20150331 (function and source) → the mapping of that pair": {
    eventSource: LAMBDA,
    eventName: "CreateEventSourceMapping20150331",
    request: (w) => ({ functionName: "em-a", eventSourceArn: w.srcA, batchSize: 10 }),
    response: () => ({ uUID: "b2a7c6e1-0000-4000-8000-000000000000", state: "Creating" }),
    reread: ["esm-a"],
    objects: () => [],
  },
  "SetQueueAttributes (queueUrl) → that queue's redrive policy": {
    eventSource: "sqs.amazonaws.com",
    eventName: "SetQueueAttributes",
    request: (w) => ({ queueUrl: w.queueA, attributes: { VisibilityTimeout: "45" } }),
    reread: ["qrp-a"],
    objects: () => ["queue:em-q-a"],
  },
  "PutTargets (rule, default bus) → the targets it names": {
    eventSource: "events.amazonaws.com",
    eventName: "PutTargets",
    request: () => ({
      rule: "em-rule",
      targets: [{ id: "t-a", arn: "arn:aws:sqs:us-east-1:123456789012:em-dlq" }],
    }),
    reread: ["etrp-a"],
    objects: () => ["rule:default/em-rule"],
  },
  "RemoveTargets (rule, ids) → the targets it names": {
    eventSource: "events.amazonaws.com",
    eventName: "RemoveTargets",
    request: () => ({ rule: "em-rule", ids: ["t-b"], force: false }),
    reread: ["etrp-b"],
    objects: () => ["rule:default/em-rule"],
  },
  "PutTargets (rule and eventBusName) → the targets it names": {
    eventSource: "events.amazonaws.com",
    eventName: "PutTargets",
    request: () => ({
      rule: "em-rule2",
      eventBusName: "default",
      targets: [{ id: "t-c", arn: "arn:aws:sqs:us-east-1:123456789012:em-dlq" }],
    }),
    reread: ["etrp-c"],
    objects: () => ["rule:default/em-rule2"],
  },
  "SetSubscriptionAttributes (subscriptionArn of a subscription named by ARN) → that subscription": {
    eventSource: SNS,
    eventName: "SetSubscriptionAttributes",
    request: (w) => ({ subscriptionArn: w.subA, attributeName: "RedrivePolicy", attributeValue: "" }),
    reread: ["srp-a"],
    objects: (w) => [`subscription:${w.subA}`],
  },
  "SetSubscriptionAttributes (subscriptionArn of a subscription named by topic + endpoint) → that subscription":
    {
      eventSource: SNS,
      eventName: "SetSubscriptionAttributes",
      request: (w) => ({ subscriptionArn: w.subB, attributeName: "FilterPolicy", attributeValue: "{}" }),
      reread: ["srp-b"],
      // Its ListSubscriptionsByTopic names no subscription, so only the GetSubscriptionAttributes is counted.
      objects: (w) => [`subscription:${w.subB}`],
    },
  "UpdateSchedule (name, groupName default) → that schedule, not its namesake in another group": {
    eventSource: SCHEDULER,
    eventName: "UpdateSchedule",
    request: () => ({ name: "em-sched", groupName: "default", scheduleExpression: "rate(5 minutes)" }),
    reread: ["srt-a"],
    objects: () => ["scheduler:em-sched"],
  },
  "UpdateSchedule (name, another groupName) → the schedule of that group": {
    eventSource: SCHEDULER,
    eventName: "UpdateSchedule",
    request: () => ({ name: "em-sched", groupName: "em-group", scheduleExpression: "rate(5 minutes)" }),
    reread: ["srt-b"],
    objects: () => ["scheduler:em-sched"],
  },
  "CreateSchedule (name, no groupName) → that schedule of the default group": {
    eventSource: SCHEDULER,
    eventName: "CreateSchedule",
    request: () => ({ name: "em-sched-c", scheduleExpression: "rate(5 minutes)" }),
    reread: ["srt-c"],
    objects: () => ["scheduler:em-sched-c"],
  },
  "DeleteSchedule (name, groupName) → that schedule": {
    eventSource: SCHEDULER,
    eventName: "DeleteSchedule",
    request: () => ({ name: "em-sched", groupName: "em-group" }),
    reread: ["srt-b"],
    objects: () => ["scheduler:em-sched"],
  },
  "UpdatePipe (name) → that pipe": {
    eventSource: "pipes.amazonaws.com",
    eventName: "UpdatePipe",
    request: () => ({ name: "em-pipe-a", roleArn: `arn:aws:iam::${TEST_ACCOUNT}:role/pipes-em-pipe-a` }),
    reread: ["prp-a"],
    objects: () => ["pipes:em-pipe-a"],
  },
};

describe("each supported CloudTrail event re-reads exactly the resource it affects", () => {
  for (const [name, c] of Object.entries(CASES)) {
    it(name, async () => {
      const logsFrom = controller.logs.length;
      const requestsFrom = proxy.requests().length;
      const eventId = await publishCloudTrailEvent({
        eventSource: c.eventSource,
        eventName: c.eventName,
        requestParameters: c.request(world),
        responseElements: c.response?.(world) ?? null,
      });
      await expect.poll(() => reconciledSince(logsFrom), { timeout: 10_000, interval: 50 }).toEqual(c.reread);
      const matched = controller.logs.slice(logsFrom).find((l) => l.msg.startsWith("drift event:"));
      expect(matched).toMatchObject({ eventId, eventName: c.eventName });
      // Anything else the event had queued would be re-read within the settle delay and one batch.
      await new Promise((r) => setTimeout(r, 1_000));
      expect(reconciledSince(logsFrom)).toEqual(c.reread);
      const allowed = new Set(c.objects(world));
      for (const object of objectsReadSince(requestsFrom)) expect(allowed, object).toContain(object);
      for (const object of allowed) expect(objectsReadSince(requestsFrom)).toContain(object);
      for (const r of c.reread) expect((await resource(controller.url, r))?.status).toBe("Synced");
    });
  }
});
