import { describe, expect, it } from "vitest";
import { failureQueues, type Sender } from "../../../src/controller/failure-queues.js";
import type { AnyKind } from "../../../src/kinds/kind.js";
import { findKind, KINDS } from "../../../src/kinds/registry.js";

const HUB = "123456789012";
const OTHER = "111111111111";
const sqs = (name: string, account = HUB, region = "us-east-1") => `arn:aws:sqs:${region}:${account}:${name}`;
const topic = `arn:aws:sns:us-east-1:${HUB}:alerts`;

function sender(kind: string, name: string, spec: Record<string, unknown>, region = "us-east-1"): Sender {
  return { kind: findKind(kind) as AnyKind, name, region, spec };
}

describe("failureQueues (design §11)", () => {
  it("lists one queue however many resources of however many kinds name it, with every sender", () => {
    const shared = sqs("shared-dlq");
    const queues = failureQueues(
      [
        sender("FunctionEventInvokeConfig", "a", { functionName: "a", onFailure: shared }),
        sender("FunctionDeadLetterConfig", "a", { functionName: "a", targetArn: shared }),
        sender("EventSourceMapping", "s", {
          functionName: "s",
          eventSourceArn: "arn:aws:kinesis:us-east-1:123456789012:stream/s",
          onFailure: shared,
        }),
        sender("EventTargetRetryPolicy", "t", { rule: "r", targetId: "t", deadLetterQueue: shared }),
        sender("SubscriptionRedrivePolicy", "n", {
          topicArn: topic,
          endpoint: "arn:aws:lambda:us-east-1:123456789012:function:a",
          deadLetterQueue: sqs("sns-dlq"),
        }),
        sender("ScheduleRetryPolicy", "sch", { scheduleName: "nightly", deadLetterQueue: shared }),
        sender("PipeRetryPolicy", "p", { pipeName: "p", deadLetterQueue: sqs("pipe-dlq") }),
      ],
      HUB,
    );
    expect(queues).toEqual([
      {
        arn: sqs("pipe-dlq"),
        account: HUB,
        region: "us-east-1",
        name: "pipe-dlq",
        senders: ["PipeRetryPolicy/p"],
      },
      {
        arn: shared,
        account: HUB,
        region: "us-east-1",
        name: "shared-dlq",
        senders: [
          "EventSourceMapping/s",
          "EventTargetRetryPolicy/t",
          "FunctionDeadLetterConfig/a",
          "FunctionEventInvokeConfig/a",
          "ScheduleRetryPolicy/sch",
        ],
      },
      {
        arn: sqs("sns-dlq"),
        account: HUB,
        region: "us-east-1",
        name: "sns-dlq",
        senders: ["SubscriptionRedrivePolicy/n"],
      },
    ]);
  });

  it("leaves out what is not an SQS queue: topics, functions, buses, buckets", () => {
    const queues = failureQueues(
      [
        sender("FunctionEventInvokeConfig", "to-topic", { functionName: "a", onFailure: topic }),
        sender("FunctionEventInvokeConfig", "to-fn", {
          functionName: "b",
          onFailure: "arn:aws:lambda:us-east-1:123456789012:function:handler",
        }),
        sender("FunctionEventInvokeConfig", "to-bus", {
          functionName: "c",
          onFailure: "arn:aws:events:us-east-1:123456789012:event-bus/default",
        }),
        sender("FunctionEventInvokeConfig", "to-s3", {
          functionName: "d",
          onFailure: "arn:aws:s3:::failures",
        }),
        sender("FunctionDeadLetterConfig", "dlq-topic", { functionName: "e", targetArn: topic }),
        sender("PipeRetryPolicy", "pipe-topic", { pipeName: "p", deadLetterQueue: topic }),
      ],
      HUB,
    );
    expect(queues).toEqual([]);
  });

  it("names nothing for an omitted or null field, and nothing for a kind without failure destinations", () => {
    const queues = failureQueues(
      [
        sender("FunctionEventInvokeConfig", "omitted", { functionName: "a", maximumRetryAttempts: 1 }),
        sender("FunctionEventInvokeConfig", "removed", { functionName: "b", onFailure: null }),
        sender("QueueRedrivePolicy", "no-dlq", { queue: "work", deadLetterQueue: null }),
        { kind: { kind: "Widget" } as unknown as AnyKind, name: "w", region: "us-east-1", spec: {} },
      ],
      HUB,
    );
    expect(queues).toEqual([]);
  });

  it("resolves a bare DLQ name in the source queue's account and region, else the hub's account", () => {
    const queues = failureQueues(
      [
        sender("QueueRedrivePolicy", "work", { queue: "work", deadLetterQueue: "work-dlq" }, "eu-west-1"),
        sender("QueueRedrivePolicy", "work-by-arn", {
          queue: sqs("work", HUB, "eu-west-1"),
          deadLetterQueue: sqs("work-dlq", HUB, "eu-west-1"),
        }),
        sender(
          "QueueRedrivePolicy",
          "member",
          { queue: `https://sqs.eu-west-1.amazonaws.com/${OTHER}/jobs`, deadLetterQueue: "jobs-dlq" },
          "eu-west-1",
        ),
        sender("QueueRedrivePolicy", "by-account", {
          account: OTHER,
          queue: "mail",
          deadLetterQueue: "mail-dlq",
        }),
      ],
      HUB,
    );
    expect(queues.map((q) => [q.arn, q.senders])).toEqual([
      [sqs("jobs-dlq", OTHER, "eu-west-1"), ["QueueRedrivePolicy/member"]],
      // The bare name and the ARN are one queue.
      [sqs("work-dlq", HUB, "eu-west-1"), ["QueueRedrivePolicy/work", "QueueRedrivePolicy/work-by-arn"]],
      [sqs("mail-dlq", OTHER), ["QueueRedrivePolicy/by-account"]],
    ]);
  });

  it("keeps queues of two accounts apart, and labels a bare name with no known hub account ''", () => {
    const queues = failureQueues(
      [
        sender("FunctionDeadLetterConfig", "hub", { functionName: "a", targetArn: sqs("dlq") }),
        sender("FunctionDeadLetterConfig", "member", {
          account: OTHER,
          functionName: "a",
          targetArn: sqs("dlq", OTHER),
        }),
        sender("QueueRedrivePolicy", "bare", { queue: "work", deadLetterQueue: "work-dlq" }),
      ],
      undefined,
    );
    expect(queues.map((q) => [q.account, q.name])).toEqual([
      [OTHER, "dlq"],
      [HUB, "dlq"],
      ["", "work-dlq"],
    ]);
  });

  it("is declared by every kind that has a DLQ or on-failure field", () => {
    expect(KINDS.filter((k) => k.failureDestinations === undefined).map((k) => k.kind)).toEqual([]);
  });
});
