import { describe, expect, it } from "vitest";
import { subscriptionRedrivePolicy as kind } from "../../../src/kinds/subscription-redrive-policy.js";
import { lintContext } from "./lint-context.js";

const TOPIC = "arn:aws:sns:us-east-1:123456789012:orders";
const SUB = `${TOPIC}:0a1b2c3d-4e5f-6789-abcd-ef0123456789`;
const FN = "arn:aws:lambda:us-east-1:123456789012:function:orders";
const DLQ = "arn:aws:sqs:us-east-1:123456789012:orders-dlq";

function issues(spec: Record<string, unknown>): string[] {
  const r = kind.specSchema.safeParse(spec);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}

describe("SubscriptionRedrivePolicy schema", () => {
  it("takes a subscription by topicArn + endpoint or by subscriptionArn, and a DLQ or null", () => {
    expect(issues({ topicArn: TOPIC, endpoint: FN, deadLetterQueue: DLQ })).toEqual([]);
    expect(issues({ subscriptionArn: SUB, deadLetterQueue: null })).toEqual([]);
  });

  it("requires exactly one way of naming the subscription", () => {
    expect(issues({ deadLetterQueue: DLQ })[0]).toMatch(/^topicArn: is required together with endpoint/);
    expect(issues({ topicArn: TOPIC })[0]).toMatch(
      /^endpoint: topicArn and endpoint name the subscription together/,
    );
    expect(issues({ subscriptionArn: SUB, topicArn: TOPIC, endpoint: FN })[0]).toMatch(
      /^subscriptionArn: .*not both/,
    );
    expect(issues({ subscriptionArn: TOPIC })[0]).toMatch(/^subscriptionArn: must be a subscription ARN/);
    expect(issues({ topicArn: SUB, endpoint: FN })[0]).toMatch(/^topicArn: must be a topic ARN/);
  });

  it("rejects a DLQ that is not SQS, in another region or account, or of the other queue type", () => {
    expect(issues({ subscriptionArn: SUB, deadLetterQueue: TOPIC })).toEqual([
      'deadLetterQueue: must be the ARN of an SQS queue: the service part "sns" must be sqs',
    ]);
    expect(
      issues({ subscriptionArn: SUB, deadLetterQueue: "arn:aws:sqs:eu-west-1:123456789012:d" })[0],
    ).toMatch(/^deadLetterQueue: is in region eu-west-1, but the topic is in region us-east-1/);
    expect(
      issues({ subscriptionArn: SUB, deadLetterQueue: "arn:aws:sqs:us-east-1:210987654321:d" })[0],
    ).toMatch(/^deadLetterQueue: is in account 210987654321/);
    expect(issues({ subscriptionArn: SUB, deadLetterQueue: `${DLQ}.fifo` })[0]).toMatch(
      /must be a standard queue .* the topic is standard/,
    );
    expect(
      issues({
        topicArn: `${TOPIC}.fifo`,
        endpoint: "arn:aws:sqs:us-east-1:123456789012:q.fifo",
        deadLetterQueue: DLQ,
      })[0],
    ).toMatch(/must be a FIFO queue .* the topic is FIFO/);
  });
});

describe("SubscriptionRedrivePolicy identity, scope, lint and diff", () => {
  it("identity is the subscription ARN or topic + endpoint; the read group is the topic", () => {
    const byTopic = kind.specSchema.parse({ topicArn: TOPIC, endpoint: FN });
    expect(kind.identity(byTopic, "us-east-1")).toBe(`us-east-1/${TOPIC}/${FN}`);
    expect(kind.readGroup?.(byTopic, "us-east-1")).toBe(`us-east-1/${TOPIC}`);
    expect(kind.identity(kind.specSchema.parse({ subscriptionArn: SUB }), "us-east-1")).toBe(
      `us-east-1/${SUB}`,
    );
  });

  it("scope names the endpoint function and the DLQ", () => {
    const spec = kind.specSchema.parse({ subscriptionArn: SUB, deadLetterQueue: DLQ });
    expect(kind.scope?.(spec, "us-east-1")).toEqual({
      queues: ["orders-dlq"],
      accounts: ["123456789012"],
      regions: ["us-east-1"],
    });
    expect(kind.scope?.(kind.specSchema.parse({ topicArn: TOPIC, endpoint: FN }), "us-east-1")).toMatchObject(
      {
        functions: ["orders"],
      },
    );
  });

  it("lint: a subscription without a DLQ is a missing failure path", () => {
    const none = kind.lint(kind.specSchema.parse({ subscriptionArn: SUB }), lintContext());
    expect(none.map((w) => w.code)).toEqual(["SubscriptionNoDlq"]);
    expect(
      kind.lint(kind.specSchema.parse({ subscriptionArn: SUB, deadLetterQueue: DLQ }), lintContext()),
    ).toEqual([]);
  });

  it("diff: only a named deadLetterQueue is managed", () => {
    const actual = { subscriptionArn: SUB, deadLetterQueue: DLQ };
    expect(kind.diff(kind.specSchema.parse({ subscriptionArn: SUB }), actual)).toEqual([]);
    expect(kind.diff(kind.specSchema.parse({ subscriptionArn: SUB, deadLetterQueue: null }), actual)).toEqual(
      [{ field: "deadLetterQueue", actual: DLQ, desired: null }],
    );
  });
});
