import { ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { beforeEach, describe, expect, it } from "vitest";
import { resetMoto, sdk, TEST_ACCOUNT } from "../../support/aws.js";
import { type CloudTrailCall, createFeed, publishCloudTrailEvent } from "../../support/cloudtrail.js";

// The shipped rule pattern (deploy/drift-events/event-pattern.json), evaluated by the emulator's
// EventBridge: a rule on the default bus with exactly that pattern targets a queue, and what
// arrives there is what the pattern matched. (moto has no TestEventPattern: it is not implemented.)

const FN = `arn:aws:lambda:us-east-1:${TEST_ACCOUNT}:function:orders`;
const UUID = "a1b2c3d4-5678-90ab-cdef-11111EXAMPLE";
const QUEUE_URL = `https://sqs.us-east-1.amazonaws.com/${TEST_ACCOUNT}/orders`;
const SUBSCRIPTION_ARN = `arn:aws:sns:us-east-1:${TEST_ACCOUNT}:orders:6a5f9d1e-2b3c-4d5e-8f90-0123456789ab`;
const ROLE = `arn:aws:iam::${TEST_ACCOUNT}:role/orders-scheduler`;

/** Write calls of the managed kinds, with the event names CloudTrail records for them. */
const WRITES: CloudTrailCall[] = [
  {
    eventSource: "lambda.amazonaws.com",
    eventName: "UpdateFunctionConfiguration20150331v2",
    requestParameters: { functionName: "orders", deadLetterConfig: { targetArn: "" } },
  },
  {
    eventSource: "lambda.amazonaws.com",
    eventName: "PutFunctionEventInvokeConfig20190925",
    requestParameters: { functionName: FN, maximumRetryAttempts: 0 },
  },
  {
    eventSource: "lambda.amazonaws.com",
    eventName: "UpdateFunctionEventInvokeConfig20190925",
    requestParameters: { functionName: "orders", qualifier: "live" },
  },
  {
    eventSource: "lambda.amazonaws.com",
    eventName: "DeleteFunctionEventInvokeConfig20190925",
    requestParameters: { functionName: "orders" },
  },
  {
    eventSource: "lambda.amazonaws.com",
    eventName: "CreateEventSourceMapping20150331",
    requestParameters: {
      functionName: "orders",
      eventSourceArn: `arn:aws:sqs:us-east-1:${TEST_ACCOUNT}:jobs`,
    },
  },
  {
    eventSource: "lambda.amazonaws.com",
    eventName: "UpdateEventSourceMapping20150331",
    requestParameters: { uUID: UUID, batchSize: 5 },
  },
  {
    eventSource: "lambda.amazonaws.com",
    eventName: "DeleteEventSourceMapping20150331",
    requestParameters: { uUID: UUID },
  },
  {
    eventSource: "sqs.amazonaws.com",
    eventName: "SetQueueAttributes",
    requestParameters: { queueUrl: QUEUE_URL, attributes: { RedrivePolicy: "" } },
  },
  {
    eventSource: "events.amazonaws.com",
    eventName: "PutTargets",
    requestParameters: { rule: "nightly", targets: [{ id: "1", arn: FN }] },
  },
  {
    eventSource: "events.amazonaws.com",
    eventName: "RemoveTargets",
    requestParameters: { rule: "nightly", ids: ["1"] },
  },
  {
    eventSource: "sns.amazonaws.com",
    eventName: "SetSubscriptionAttributes",
    requestParameters: {
      subscriptionArn: SUBSCRIPTION_ARN,
      attributeName: "RedrivePolicy",
      attributeValue: `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:${TEST_ACCOUNT}:orders-dlq"}`,
    },
  },
  {
    eventSource: "scheduler.amazonaws.com",
    eventName: "UpdateSchedule",
    requestParameters: {
      name: "nightly",
      groupName: "default",
      scheduleExpression: "rate(5 minutes)",
      flexibleTimeWindow: { mode: "OFF" },
      target: { arn: FN, roleArn: ROLE, retryPolicy: { maximumRetryAttempts: 0 } },
    },
    responseElements: { scheduleArn: `arn:aws:scheduler:us-east-1:${TEST_ACCOUNT}:schedule/default/nightly` },
  },
  {
    eventSource: "scheduler.amazonaws.com",
    eventName: "CreateSchedule",
    requestParameters: {
      name: "nightly",
      scheduleExpression: "rate(5 minutes)",
      flexibleTimeWindow: { mode: "OFF" },
      target: { arn: FN, roleArn: ROLE },
    },
  },
  {
    eventSource: "scheduler.amazonaws.com",
    eventName: "DeleteSchedule",
    requestParameters: { name: "nightly", groupName: "default" },
  },
  {
    eventSource: "pipes.amazonaws.com",
    eventName: "UpdatePipe",
    requestParameters: {
      name: "orders-pipe",
      roleArn: ROLE,
      sourceParameters: { kinesisStreamParameters: { maximumRetryAttempts: -1 } },
    },
  },
];

/** Calls that change nothing retryctl manages: reads, failures, other APIs and services. */
const IGNORED: CloudTrailCall[] = [
  {
    eventSource: "lambda.amazonaws.com",
    eventName: "GetFunction20150331v2",
    requestParameters: { functionName: "orders" },
    readOnly: true,
  },
  {
    eventSource: "lambda.amazonaws.com",
    eventName: "ListEventSourceMappings20150331",
    requestParameters: null,
    readOnly: true,
  },
  {
    eventSource: "lambda.amazonaws.com",
    eventName: "GetFunctionEventInvokeConfig20190925",
    requestParameters: { functionName: "orders" },
    readOnly: true,
  },
  {
    eventSource: "sqs.amazonaws.com",
    eventName: "GetQueueAttributes",
    requestParameters: { queueUrl: QUEUE_URL },
    readOnly: true,
  },
  {
    eventSource: "events.amazonaws.com",
    eventName: "ListTargetsByRule",
    requestParameters: { rule: "nightly" },
    readOnly: true,
  },
  {
    eventSource: "sns.amazonaws.com",
    eventName: "GetSubscriptionAttributes",
    requestParameters: { subscriptionArn: SUBSCRIPTION_ARN },
    readOnly: true,
  },
  {
    eventSource: "scheduler.amazonaws.com",
    eventName: "GetSchedule",
    requestParameters: { name: "nightly", groupName: "default" },
    readOnly: true,
  },
  {
    eventSource: "pipes.amazonaws.com",
    eventName: "DescribePipe",
    requestParameters: { name: "orders-pipe" },
    readOnly: true,
  },
  {
    eventSource: "lambda.amazonaws.com",
    eventName: "UpdateFunctionConfiguration20150331v2",
    requestParameters: { functionName: "orders" },
    errorCode: "ResourceConflictException",
  },
  {
    eventSource: "sqs.amazonaws.com",
    eventName: "SetQueueAttributes",
    requestParameters: { queueUrl: QUEUE_URL },
    errorCode: "AccessDenied",
  },
  {
    eventSource: "lambda.amazonaws.com",
    eventName: "UpdateFunctionCode20150331v2",
    requestParameters: { functionName: "orders" },
  },
  { eventSource: "sqs.amazonaws.com", eventName: "SendMessage", requestParameters: { queueUrl: QUEUE_URL } },
  {
    eventSource: "ec2.amazonaws.com",
    eventName: "RunInstances",
    requestParameters: { instanceType: "t3.micro" },
  },
];

async function delivered(queueUrl: string): Promise<string[]> {
  const names: string[] = [];
  for (;;) {
    const out = await sdk().sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    const messages = out.Messages ?? [];
    if (messages.length === 0) return names.sort();
    for (const m of messages)
      names.push((JSON.parse(m.Body ?? "{}") as { detail: { eventName: string } }).detail.eventName);
  }
}

describe("the shipped drift events rule pattern", () => {
  beforeEach(async () => {
    await resetMoto();
  });

  it("matches every write call of the managed kinds, whatever the Lambda API-version suffix", async () => {
    const feed = await createFeed();
    for (const call of WRITES) await publishCloudTrailEvent(call);
    expect(await delivered(feed.url)).toEqual(WRITES.map((c) => c.eventName).sort());
  });

  it("matches no read-only call, no failed call, and no other API or service", async () => {
    const feed = await createFeed();
    for (const call of IGNORED) await publishCloudTrailEvent(call);
    expect(await delivered(feed.url)).toEqual([]);
  });
});
