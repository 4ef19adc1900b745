import { describe, expect, it } from "vitest";
import { eventSourceMapping } from "../../../src/kinds/event-source-mapping.js";
import { eventTargetRetryPolicy } from "../../../src/kinds/event-target-retry-policy.js";
import { functionDeadLetterConfig } from "../../../src/kinds/function-dead-letter-config.js";
import { functionEventInvokeConfig } from "../../../src/kinds/function-event-invoke-config.js";
import { queueRedrivePolicy } from "../../../src/kinds/queue-redrive-policy.js";
import { KINDS } from "../../../src/kinds/registry.js";

/** Each kind says which functions, queues and rules a manifest touches, the ones it points at included. */
describe("Kind.scope", () => {
  it("is declared by every registered kind", () => {
    expect(KINDS.filter((k) => k.scope === undefined).map((k) => k.kind)).toEqual([]);
  });

  it("FunctionEventInvokeConfig: the function and its destination function or queue", () => {
    const spec = functionEventInvokeConfig.specSchema.parse({
      functionName: "arn:aws:lambda:us-east-1:123456789012:function:orders:live",
      onSuccess: "arn:aws:lambda:us-east-1:123456789012:function:audit",
      onFailure: "arn:aws:sqs:us-east-1:210987654321:orders-failed",
    });
    expect(functionEventInvokeConfig.scope?.(spec, "us-east-1")).toEqual({
      functions: ["orders", "audit"],
      queues: ["orders-failed"],
      accounts: ["123456789012", "210987654321"],
      regions: ["us-east-1"],
    });
  });

  it("FunctionEventInvokeConfig: an SNS or event-bus destination counts only for its account and region", () => {
    const spec = functionEventInvokeConfig.specSchema.parse({
      functionName: "orders",
      onFailure: "arn:aws:sns:us-east-1:123456789012:alerts",
      onSuccess: null,
    });
    expect(functionEventInvokeConfig.scope?.(spec, "us-east-1")).toEqual({
      functions: ["orders"],
      accounts: ["123456789012"],
      regions: ["us-east-1"],
    });
  });

  it("FunctionDeadLetterConfig: the function and its dead-letter queue", () => {
    const spec = functionDeadLetterConfig.specSchema.parse({
      functionName: "orders",
      targetArn: "arn:aws:sqs:us-east-1:123456789012:orders-dlq",
    });
    expect(functionDeadLetterConfig.scope?.(spec, "us-east-1")).toEqual({
      functions: ["orders"],
      queues: ["orders-dlq"],
      accounts: ["123456789012"],
      regions: ["us-east-1"],
    });
  });

  it("EventSourceMapping: the function, an SQS source queue and the onFailure queue", () => {
    const sqs = eventSourceMapping.specSchema.parse({
      functionName: "orders",
      eventSourceArn: "arn:aws:sqs:us-east-1:123456789012:orders-in",
    });
    expect(eventSourceMapping.scope?.(sqs, "us-east-1")).toEqual({
      functions: ["orders"],
      queues: ["orders-in"],
      accounts: ["123456789012"],
      regions: ["us-east-1"],
    });
    const stream = eventSourceMapping.specSchema.parse({
      functionName: "orders",
      eventSourceArn: "arn:aws:kinesis:us-east-1:123456789012:stream/orders",
      onFailure: "arn:aws:sqs:us-east-1:123456789012:orders-failed",
    });
    expect(eventSourceMapping.scope?.(stream, "us-east-1")).toEqual({
      functions: ["orders"],
      queues: ["orders-failed"],
      accounts: ["123456789012"],
      regions: ["us-east-1"],
    });
    const byUuid = eventSourceMapping.specSchema.parse({
      functionName: "orders",
      uuid: "14e0db71-5d35-4eb5-b481-8945cf9d10c2",
    });
    expect(eventSourceMapping.scope?.(byUuid, "us-east-1")).toEqual({ functions: ["orders"] });
  });

  it("QueueRedrivePolicy: the queue (name, URL or ARN) and its dead-letter queue", () => {
    const byUrl = queueRedrivePolicy.specSchema.parse({
      queue: "https://sqs.us-east-1.amazonaws.com/123456789012/orders",
      deadLetterQueue: "orders-dlq",
      maxReceiveCount: 5,
    });
    expect(queueRedrivePolicy.scope?.(byUrl, "us-east-1")).toEqual({
      queues: ["orders", "orders-dlq"],
      accounts: ["123456789012"],
      regions: ["us-east-1"],
    });
    const removal = queueRedrivePolicy.specSchema.parse({ queue: "orders", deadLetterQueue: null });
    expect(queueRedrivePolicy.scope?.(removal, "us-east-1")).toEqual({ queues: ["orders"] });
  });

  it("EventTargetRetryPolicy: the rule and the target's dead-letter queue", () => {
    const spec = eventTargetRetryPolicy.specSchema.parse({
      eventBusName: "arn:aws:events:us-east-1:123456789012:event-bus/orders",
      rule: "order-placed",
      targetId: "t1",
      deadLetterQueue: "arn:aws:sqs:us-east-1:123456789012:order-events-dlq",
    });
    expect(eventTargetRetryPolicy.scope?.(spec, "us-east-1")).toEqual({
      queues: ["order-events-dlq"],
      rules: ["order-placed"],
      accounts: ["123456789012"],
      regions: ["us-east-1"],
    });
  });

  it("every kind accepts spec.account (12 digits) through the shared fields", () => {
    for (const kind of KINDS) {
      const shape = (kind.specSchema as unknown as { _zod: { def: { shape: Record<string, unknown> } } })._zod
        .def.shape;
      expect(Object.keys(shape), kind.kind).toContain("account");
    }
    const ok = queueRedrivePolicy.specSchema.safeParse({ queue: "q", account: "123456789012" });
    const bad = queueRedrivePolicy.specSchema.safeParse({ queue: "q", account: "1234" });
    expect(ok.success).toBe(true);
    expect(bad.success).toBe(false);
  });
});
