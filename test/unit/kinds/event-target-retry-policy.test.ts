import type { PutTargetsCommand, PutTargetsCommandOutput, Target } from "@aws-sdk/client-eventbridge";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { AwsClients } from "../../../src/aws/clients.js";
import {
  type EventTargetRetryPolicySpec,
  eventTargetRetryPolicy,
  targetFor,
} from "../../../src/kinds/event-target-retry-policy.js";
import { lintContext } from "./lint-context.js";

const DLQ = "arn:aws:sqs:us-east-1:123456789012:events-dlq";

function issues(spec: Record<string, unknown>): string[] {
  const r = eventTargetRetryPolicy.specSchema.safeParse(spec);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}

const base = { rule: "orders-rule", targetId: "orders-fn" };
const spec = (s: Partial<EventTargetRetryPolicySpec> = {}): EventTargetRetryPolicySpec => ({ ...base, ...s });

const fullTarget: Target = {
  Id: "orders-fn",
  Arn: "arn:aws:lambda:us-east-1:123456789012:function:orders",
  RoleArn: "arn:aws:iam::123456789012:role/events",
  InputTransformer: { InputPathsMap: { id: "$.detail.id" }, InputTemplate: '{"id": <id>}' },
  SqsParameters: { MessageGroupId: "g" },
  RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
  DeadLetterConfig: { Arn: DLQ },
};

describe("EventTargetRetryPolicy schema", () => {
  it("accepts the documented ranges at their bounds and a standard SQS DLQ", () => {
    expect(
      issues({ ...base, maximumRetryAttempts: 0, maximumEventAgeInSeconds: 60, deadLetterQueue: DLQ }),
    ).toEqual([]);
    expect(issues({ ...base, maximumRetryAttempts: 185, maximumEventAgeInSeconds: 86400 })).toEqual([]);
    expect(
      issues({ ...base, maximumRetryAttempts: null, maximumEventAgeInSeconds: null, deadLetterQueue: null }),
    ).toEqual([]);
  });

  it("rejects values outside the ranges", () => {
    expect(issues({ ...base, maximumRetryAttempts: 186 })[0]).toMatch(/^maximumRetryAttempts:/);
    expect(issues({ ...base, maximumRetryAttempts: -1 })[0]).toMatch(/^maximumRetryAttempts:/);
    expect(issues({ ...base, maximumEventAgeInSeconds: 59 })[0]).toMatch(/^maximumEventAgeInSeconds:/);
    expect(issues({ ...base, maximumEventAgeInSeconds: 86401 })[0]).toMatch(/^maximumEventAgeInSeconds:/);
  });

  it("takes only a standard SQS queue ARN as DLQ", () => {
    expect(issues({ ...base, deadLetterQueue: "events-dlq" })[0]).toMatch(
      /^deadLetterQueue: must be the ARN of an SQS queue/,
    );
    expect(issues({ ...base, deadLetterQueue: "arn:aws:sns:us-east-1:123456789012:t" })[0]).toMatch(
      /^deadLetterQueue:/,
    );
    expect(issues({ ...base, deadLetterQueue: `${DLQ}.fifo` })[0]).toMatch(
      /^deadLetterQueue: must be a standard SQS queue/,
    );
  });

  it("checks ARNs against spec.region", () => {
    expect(issues({ ...base, region: "eu-west-1", deadLetterQueue: DLQ })[0]).toMatch(
      /^deadLetterQueue: is in region us-east-1, but the manifest's region is eu-west-1/,
    );
    const bus = "arn:aws:events:us-east-1:123456789012:event-bus/orders";
    expect(issues({ ...base, region: "eu-west-1", eventBusName: bus })[0]).toMatch(
      /^eventBusName: is in region/,
    );
    expect(issues({ ...base, region: "us-east-1", eventBusName: bus })).toEqual([]);
  });

  it("validates names and unknown fields", () => {
    expect(issues({ ...base, rule: "bad rule" })[0]).toMatch(/^rule:/);
    expect(issues({ ...base, targetId: "x".repeat(65) })[0]).toMatch(/^targetId:/);
    expect(issues({ ...base, eventBusName: "arn:aws:sqs:us-east-1:123456789012:q" })[0]).toMatch(
      /^eventBusName:/,
    );
    expect(issues({ ...base, maxRetryAttempts: 3 })).toHaveLength(1);
    expect(issues({ targetId: "t" })[0]).toMatch(/^rule:/);
  });
});

describe("EventTargetRetryPolicy identity", () => {
  it("is region, bus, rule and target, the bus defaulting to default and read from an ARN", () => {
    expect(eventTargetRetryPolicy.identity(spec(), "us-east-1")).toBe(
      "us-east-1/default/orders-rule/orders-fn",
    );
    expect(eventTargetRetryPolicy.identity(spec({ eventBusName: "default" }), "us-east-1")).toBe(
      "us-east-1/default/orders-rule/orders-fn",
    );
    const arn = "arn:aws:events:us-east-1:123456789012:event-bus/orders-bus";
    // An ARN names the bus's account, which the identity keeps; after the read both spellings are one target.
    expect(eventTargetRetryPolicy.identity(spec({ eventBusName: arn }), "us-east-1")).toBe(
      "us-east-1:123456789012/orders-bus/orders-rule/orders-fn",
    );
    const resolved = [arn, "orders-bus"].map((eventBusName) => {
      const s = spec({ eventBusName });
      const r = { name: "r", region: "us-east-1", identity: "", spec: s };
      return eventTargetRetryPolicy.resolvedIdentity?.({ target: { Id: "orders-fn", Arn: "x" } }, r);
    });
    expect(new Set(resolved)).toEqual(new Set(["us-east-1/orders-bus/orders-rule/orders-fn"]));
  });
});

describe("EventTargetRetryPolicy diff", () => {
  it("fills absent RetryPolicy members with the AWS defaults and an absent DLQ with null", () => {
    const bare = { target: { Id: "orders-fn", Arn: fullTarget.Arn } };
    expect(
      eventTargetRetryPolicy.diff(
        spec({ maximumRetryAttempts: 185, maximumEventAgeInSeconds: 86400, deadLetterQueue: null }),
        bare,
      ),
    ).toEqual([]);
    expect(
      eventTargetRetryPolicy.diff(spec({ maximumRetryAttempts: null, maximumEventAgeInSeconds: null }), bare),
    ).toEqual([]);
    expect(
      eventTargetRetryPolicy.diff(spec({ maximumRetryAttempts: 3, deadLetterQueue: DLQ }), bare),
    ).toEqual([
      { field: "maximumRetryAttempts", actual: 185, desired: 3 },
      { field: "deadLetterQueue", actual: null, desired: DLQ },
    ]);
  });

  it("reports only managed fields that differ", () => {
    const actual = { target: fullTarget };
    expect(eventTargetRetryPolicy.diff(spec(), actual)).toEqual([]);
    expect(
      eventTargetRetryPolicy.diff(spec({ maximumRetryAttempts: 3, deadLetterQueue: DLQ }), actual),
    ).toEqual([]);
    expect(
      eventTargetRetryPolicy.diff(spec({ maximumEventAgeInSeconds: null, deadLetterQueue: null }), actual),
    ).toEqual([
      { field: "maximumEventAgeInSeconds", actual: 3600, desired: 86400 },
      { field: "deadLetterQueue", actual: DLQ, desired: null },
    ]);
  });
});

describe("EventTargetRetryPolicy write", () => {
  it("keeps every other member of the target and changes only the retry policy", () => {
    const s = spec({ maximumRetryAttempts: 10 });
    const next = targetFor(fullTarget, eventTargetRetryPolicy.diff(s, { target: fullTarget }), s);
    expect(next).toEqual({
      ...fullTarget,
      RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 3600 },
    });
    expect(fullTarget.RetryPolicy?.MaximumRetryAttempts).toBe(3);
  });

  it("omits DeadLetterConfig for a null DLQ and retry members set to null", () => {
    const s = spec({ maximumRetryAttempts: null, maximumEventAgeInSeconds: null, deadLetterQueue: null });
    const next = targetFor(fullTarget, eventTargetRetryPolicy.diff(s, { target: fullTarget }), s);
    expect(next).not.toHaveProperty("DeadLetterConfig");
    expect(next).not.toHaveProperty("RetryPolicy");
    expect(next.InputTransformer).toEqual(fullTarget.InputTransformer);
    expect(eventTargetRetryPolicy.diff(s, { target: next })).toEqual([]);
  });

  it("keeps the other retry member when only one is reset", () => {
    const s = spec({ maximumRetryAttempts: null });
    const next = targetFor(fullTarget, eventTargetRetryPolicy.diff(s, { target: fullTarget }), s);
    expect(next.RetryPolicy).toEqual({ MaximumEventAgeInSeconds: 3600 });
  });

  it("adds a DLQ and a retry policy to a bare target", () => {
    const bare: Target = { Id: "t", Arn: fullTarget.Arn, Input: '{"a":1}' };
    const s = spec({ maximumEventAgeInSeconds: 600, deadLetterQueue: DLQ });
    const next = targetFor(bare, eventTargetRetryPolicy.diff(s, { target: bare }), s);
    expect(next).toEqual({
      ...bare,
      RetryPolicy: { MaximumEventAgeInSeconds: 600 },
      DeadLetterConfig: { Arn: DLQ },
    });
  });
});

describe("EventTargetRetryPolicy lint", () => {
  it("warns when the manifest gives the target no DLQ", () => {
    expect(eventTargetRetryPolicy.lint(spec(), lintContext())).toEqual([
      expect.objectContaining({ code: "EventTargetNoDlq", path: ["deadLetterQueue"] }),
    ]);
    expect(eventTargetRetryPolicy.lint(spec({ deadLetterQueue: null }), lintContext())).toHaveLength(1);
    expect(eventTargetRetryPolicy.lint(spec({ deadLetterQueue: DLQ }), lintContext())).toEqual([]);
  });
});

/**
 * An events client whose rule holds `fullTarget` (what apply's re-read sees), that answers
 * PutTargets with the given output and records the PutTargets sent.
 */
function fakeEvents(output: Partial<PutTargetsCommandOutput>) {
  const sent: PutTargetsCommand[] = [];
  const operations: string[] = [];
  const client = {
    send: async (command: PutTargetsCommand) => {
      operations.push(command.constructor.name.replace(/Command$/, ""));
      if (command.constructor.name === "ListTargetsByRuleCommand") return { Targets: [fullTarget] };
      sent.push(command);
      return { $metadata: { httpStatusCode: 200 }, ...output };
    },
  };
  const aws = { events: () => client } as unknown as AwsClients;
  return { ctx: { aws, log: pino({ level: "silent" }) }, sent, operations };
}

describe("EventTargetRetryPolicy apply: partial failures", () => {
  const resource = {
    name: "t",
    region: "us-east-1",
    identity: "us-east-1/default/orders-rule/orders-fn",
    spec: spec({ maximumRetryAttempts: 1 }),
  };
  const changes = [{ field: "maximumRetryAttempts", actual: 3, desired: 1 }];

  // moto always answers FailedEntryCount 0, so what AWS sends under contention is replayed here.
  it("turns a ConcurrentModificationException entry into a transient ConcurrentModification", async () => {
    const { ctx } = fakeEvents({
      FailedEntryCount: 1,
      FailedEntries: [
        { TargetId: "orders-fn", ErrorCode: "ConcurrentModificationException", ErrorMessage: "busy" },
      ],
    });
    await expect(
      eventTargetRetryPolicy.apply(ctx, resource, { target: fullTarget }, changes),
    ).rejects.toMatchObject({
      name: "ResourceError",
      code: "ConcurrentModification",
      retry: "transient",
    });
  });

  it("turns any other failed entry into a terminal error with the entry's ErrorCode", async () => {
    const { ctx } = fakeEvents({
      FailedEntryCount: 1,
      FailedEntries: [
        {
          TargetId: "orders-fn",
          ErrorCode: "ValidationException",
          ErrorMessage: "SQS FIFO is not supported",
        },
      ],
    });
    await expect(
      eventTargetRetryPolicy.apply(ctx, resource, { target: fullTarget }, changes),
    ).rejects.toMatchObject({
      code: "ValidationException",
      retry: "terminal",
      message: expect.stringContaining("SQS FIFO is not supported"),
    });
  });

  it("sends the whole target with the rule and bus, and succeeds when no entry failed", async () => {
    const { ctx, sent, operations } = fakeEvents({ FailedEntryCount: 0, FailedEntries: [] });
    const onBus = { ...resource, spec: spec({ maximumRetryAttempts: 1, eventBusName: "orders-bus" }) };
    await eventTargetRetryPolicy.apply(ctx, onBus, { target: fullTarget }, changes);
    // The target is read again just before the replacing write.
    expect(operations).toEqual(["ListTargetsByRule", "PutTargets"]);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.input).toEqual({
      Rule: "orders-rule",
      EventBusName: "orders-bus",
      Targets: [{ ...fullTarget, RetryPolicy: { MaximumRetryAttempts: 1, MaximumEventAgeInSeconds: 3600 } }],
    });
  });
});
