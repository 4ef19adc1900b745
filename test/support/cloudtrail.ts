import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PutEventsCommand, PutRuleCommand, PutTargetsCommand } from "@aws-sdk/client-eventbridge";
import { GetQueueAttributesCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { createQueue, motoEndpoint, sdk, TEST_ACCOUNT, TEST_REGION } from "./aws.js";
import { REPO_ROOT } from "./moto-server.js";

/** The shipped rule pattern (deploy/drift-events/event-pattern.json). */
export function shippedPattern(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(REPO_ROOT, "deploy/drift-events/event-pattern.json"), "utf8"));
}

/** The identities of the CloudTrail User Guide's "userIdentity element" examples. */
export const IDENTITIES = {
  assumedRole: {
    type: "AssumedRole",
    principalId: "AROAIDPPEZS35WEXAMPLE:alice",
    arn: `arn:aws:sts::${TEST_ACCOUNT}:assumed-role/Operators/alice`,
    accountId: TEST_ACCOUNT,
    accessKeyId: "ASIAEXAMPLEKEY",
    sessionContext: {
      sessionIssuer: {
        type: "Role",
        principalId: "AROAIDPPEZS35WEXAMPLE",
        arn: `arn:aws:iam::${TEST_ACCOUNT}:role/Operators`,
        accountId: TEST_ACCOUNT,
        userName: "Operators",
      },
      attributes: { mfaAuthenticated: "false", creationDate: "2026-12-01T10:00:00Z" },
    },
  },
  iamUser: {
    type: "IAMUser",
    principalId: "AIDAJ45Q7YFFAREXAMPLE",
    arn: `arn:aws:iam::${TEST_ACCOUNT}:user/Alice`,
    accountId: TEST_ACCOUNT,
    accessKeyId: "",
    userName: "Alice",
  },
};

export interface CloudTrailCall {
  eventSource: string;
  eventName: string;
  requestParameters: Record<string, unknown> | null;
  responseElements?: Record<string, unknown> | null;
  userIdentity?: Record<string, unknown>;
  userAgent?: string;
  errorCode?: string;
  readOnly?: boolean;
}

/** A CloudTrail record as EventBridge carries it in `detail` (CloudTrail User Guide, "CloudTrail record contents"). */
export function cloudTrailDetail(call: CloudTrailCall): Record<string, unknown> {
  const detail: Record<string, unknown> = {
    eventVersion: "1.09",
    userIdentity: call.userIdentity ?? IDENTITIES.assumedRole,
    eventTime: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
    eventSource: call.eventSource,
    eventName: call.eventName,
    awsRegion: TEST_REGION,
    sourceIPAddress: "203.0.113.10",
    userAgent:
      call.userAgent ??
      "aws-cli/2.22.0 md/awscrt#0.23.4 ua/2.0 os/linux#6.8 md/arch#x86_64 lang/python#3.12.6",
    requestParameters: call.requestParameters,
    responseElements: call.responseElements ?? null,
    requestID: randomUUID(),
    eventID: randomUUID(),
    readOnly: call.readOnly ?? false,
    eventType: "AwsApiCall",
    managementEvent: true,
    recipientAccountId: TEST_ACCOUNT,
    eventCategory: "Management",
  };
  if (call.errorCode !== undefined) {
    detail.errorCode = call.errorCode;
    detail.errorMessage = "The resource you requested does not exist.";
  }
  return detail;
}

/** `aws.lambda` for `lambda.amazonaws.com`: the EventBridge source of a CloudTrail event. */
function sourceOf(eventSource: string): string {
  return `aws.${eventSource.replace(/\.amazonaws\.com$/, "")}`;
}

/**
 * Publishes the event CloudTrail would send for the call to the default bus.
 * Real EventBridge refuses `aws.*` sources from PutEvents (only AWS services
 * emit them); moto accepts them, which is what lets a test stand in for CloudTrail.
 */
export async function publishCloudTrailEvent(
  call: CloudTrailCall,
  endpoint = motoEndpoint(),
): Promise<string> {
  const detail = cloudTrailDetail(call);
  const out = await sdk(endpoint).events.send(
    new PutEventsCommand({
      Entries: [
        {
          Source: sourceOf(call.eventSource),
          DetailType: "AWS API Call via CloudTrail",
          Detail: JSON.stringify(detail),
        },
      ],
    }),
  );
  if (out.FailedEntryCount) throw new Error(`PutEvents failed: ${JSON.stringify(out.Entries)}`);
  return detail.eventID as string;
}

/** The envelope EventBridge wraps around a CloudTrail record (for messages sent to the queue directly). */
export function envelope(call: CloudTrailCall): Record<string, unknown> {
  return {
    version: "0",
    id: randomUUID(),
    "detail-type": "AWS API Call via CloudTrail",
    source: sourceOf(call.eventSource),
    account: TEST_ACCOUNT,
    time: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
    region: TEST_REGION,
    resources: [],
    detail: cloudTrailDetail(call),
  };
}

/** Sends a raw message body to the queue, as if the rule had delivered it. */
export async function sendRaw(queueUrl: string, body: string, endpoint = motoEndpoint()): Promise<void> {
  await sdk(endpoint).sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
}

/** Messages in the queue, visible or in flight. */
export async function queueDepth(queueUrl: string, endpoint = motoEndpoint()): Promise<number> {
  const out = await sdk(endpoint).sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  const a = out.Attributes ?? {};
  return Number(a.ApproximateNumberOfMessages ?? 0) + Number(a.ApproximateNumberOfMessagesNotVisible ?? 0);
}

/** The feed queue and the shipped rule on the default bus that fills it (deploy/drift-events/template.yaml). */
export async function createFeed(
  name = "retryctl-drift-events",
  endpoint = motoEndpoint(),
): Promise<{ url: string; arn: string }> {
  const queue = await createQueue(name, {}, endpoint);
  await attachRule(queue.arn, name, endpoint);
  return queue;
}

export async function attachRule(queueArn: string, rule: string, endpoint = motoEndpoint()): Promise<void> {
  const { events } = sdk(endpoint);
  await events.send(new PutRuleCommand({ Name: rule, EventPattern: JSON.stringify(shippedPattern()) }));
  await events.send(
    new PutTargetsCommand({ Rule: rule, Targets: [{ Id: "retryctl-drift-events", Arn: queueArn }] }),
  );
}
