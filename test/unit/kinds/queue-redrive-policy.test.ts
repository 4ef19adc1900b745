import { describe, expect, it } from "vitest";
import {
  attributesFor,
  type QueueRedrivePolicyActual,
  type QueueRedrivePolicySpec,
  queueRedrivePolicy,
} from "../../../src/kinds/queue-redrive-policy.js";
import { parseQueueRef, parseRedrivePolicy } from "../../../src/kinds/sqs-queue.js";
import { lintContext } from "./lint-context.js";

const ACCOUNT = "123456789012";
const arn = (name: string, region = "us-east-1") => `arn:aws:sqs:${region}:${ACCOUNT}:${name}`;
const url = (name: string, region = "us-east-1") => `https://sqs.${region}.amazonaws.com/${ACCOUNT}/${name}`;

function parse(spec: Record<string, unknown>) {
  return queueRedrivePolicy.specSchema.safeParse(spec);
}

function issues(spec: Record<string, unknown>): string[] {
  const r = parse(spec);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}

function actual(over: Partial<QueueRedrivePolicyActual> = {}): QueueRedrivePolicyActual {
  return {
    queueUrl: url("orders"),
    queueArn: arn("orders"),
    deadLetterQueue: arn("orders-dlq"),
    maxReceiveCount: 5,
    visibilityTimeoutSeconds: 30,
    otherPolicyKeys: {},
    ...over,
  };
}

const spec = (s: Omit<QueueRedrivePolicySpec, "queue"> & { queue?: string }): QueueRedrivePolicySpec => ({
  queue: "orders",
  ...s,
});

describe("QueueRedrivePolicy schema", () => {
  it("accepts the queue as name, URL or ARN and the DLQ as name or ARN", () => {
    for (const queue of [
      "orders",
      url("orders"),
      arn("orders"),
      "http://localhost:4566/000000000000/orders",
    ]) {
      expect(issues({ queue, deadLetterQueue: "orders-dlq", maxReceiveCount: 5 })).toEqual([]);
    }
    expect(issues({ queue: "orders", deadLetterQueue: arn("orders-dlq"), maxReceiveCount: 5 })).toEqual([]);
  });

  it("rejects unknown fields, bad names and non-SQS ARNs", () => {
    expect(issues({ queue: "orders", maxRecieveCount: 5 })).toHaveLength(1);
    expect(issues({ queue: "bad name" })[0]).toMatch(/^queue: must be an SQS queue name/);
    expect(issues({ queue: "arn:aws:sns:us-east-1:123456789012:topic" })[0]).toMatch(/^queue:/);
    expect(issues({ queue: "orders", deadLetterQueue: "arn:aws:sns:us-east-1:123456789012:t" })[0]).toMatch(
      /^deadLetterQueue: must be an SQS queue name or queue ARN/,
    );
    expect(issues({ queue: "orders", deadLetterQueue: url("orders-dlq") })[0]).toMatch(/^deadLetterQueue:/);
    expect(issues({ queue: "x".repeat(81) })).toHaveLength(1);
  });

  it("checks the ranges of maxReceiveCount and visibilityTimeoutSeconds", () => {
    const base = { queue: "orders", deadLetterQueue: "orders-dlq" };
    expect(issues({ ...base, maxReceiveCount: 1 })).toEqual([]);
    expect(issues({ ...base, maxReceiveCount: 1000 })).toEqual([]);
    expect(issues({ ...base, maxReceiveCount: 0 })[0]).toMatch(/^maxReceiveCount:/);
    expect(issues({ ...base, maxReceiveCount: 1001 })[0]).toMatch(/^maxReceiveCount:/);
    expect(issues({ ...base, maxReceiveCount: 2.5 })[0]).toMatch(/^maxReceiveCount:/);
    expect(issues({ queue: "orders", visibilityTimeoutSeconds: 0 })).toEqual([]);
    expect(issues({ queue: "orders", visibilityTimeoutSeconds: 43200 })).toEqual([]);
    expect(issues({ queue: "orders", visibilityTimeoutSeconds: 43201 })[0]).toMatch(
      /^visibilityTimeoutSeconds:/,
    );
    expect(issues({ queue: "orders", visibilityTimeoutSeconds: -1 })[0]).toMatch(
      /^visibilityTimeoutSeconds:/,
    );
  });

  it("requires a FIFO DLQ for a FIFO queue and a standard DLQ for a standard queue", () => {
    expect(issues({ queue: "orders.fifo", deadLetterQueue: "dlq.fifo", maxReceiveCount: 5 })).toEqual([]);
    expect(issues({ queue: "orders.fifo", deadLetterQueue: "dlq", maxReceiveCount: 5 })).toEqual([
      "deadLetterQueue: must be a FIFO queue (name ending in .fifo) because the queue is FIFO",
    ]);
    expect(issues({ queue: arn("orders"), deadLetterQueue: arn("dlq.fifo"), maxReceiveCount: 5 })).toEqual([
      "deadLetterQueue: must be a standard queue (not .fifo) because the queue is standard",
    ]);
  });

  it("rejects a DLQ in another region than the queue, however the queue's region is known", () => {
    const dlq = arn("dlq", "eu-west-1");
    expect(
      issues({ region: "us-east-1", queue: "orders", deadLetterQueue: dlq, maxReceiveCount: 5 })[0],
    ).toMatch(/^deadLetterQueue: is in region eu-west-1, but the queue is in region us-east-1/);
    expect(issues({ queue: arn("orders"), deadLetterQueue: dlq, maxReceiveCount: 5 })).toHaveLength(1);
    expect(issues({ queue: url("orders"), deadLetterQueue: dlq, maxReceiveCount: 5 })).toHaveLength(1);
    // A bare name has no region of its own: only read time can check it against the manifest's region.
    expect(issues({ queue: "orders", deadLetterQueue: dlq, maxReceiveCount: 5 })).toEqual([]);
    expect(
      issues({ region: "eu-west-1", queue: "orders", deadLetterQueue: dlq, maxReceiveCount: 5 }),
    ).toEqual([]);
  });

  it("rejects a queue ARN or URL in another region than spec.region", () => {
    expect(issues({ region: "eu-west-1", queue: arn("orders") })[0]).toMatch(
      /^queue: is in region us-east-1/,
    );
    expect(issues({ region: "eu-west-1", queue: url("orders") })[0]).toMatch(
      /^queue: is in region us-east-1/,
    );
    expect(issues({ region: "us-east-1", queue: arn("orders") })).toEqual([]);
  });

  it("rejects the queue as its own DLQ in any spelling", () => {
    expect(issues({ queue: "orders", deadLetterQueue: "orders", maxReceiveCount: 5 })).toEqual([
      "deadLetterQueue: must not be the queue itself",
    ]);
    expect(issues({ queue: url("orders"), deadLetterQueue: arn("orders"), maxReceiveCount: 5 })).toEqual([
      "deadLetterQueue: must not be the queue itself",
    ]);
    const other = `arn:aws:sqs:us-east-1:210987654321:orders`;
    expect(issues({ queue: arn("orders"), deadLetterQueue: other, maxReceiveCount: 5 })).toEqual([]);
  });

  it("ties maxReceiveCount to deadLetterQueue where the combination cannot be written", () => {
    expect(issues({ queue: "orders", deadLetterQueue: null, maxReceiveCount: 5 })[0]).toMatch(
      /^maxReceiveCount: cannot be set when deadLetterQueue is null/,
    );
    expect(issues({ queue: "orders", deadLetterQueue: "dlq", maxReceiveCount: null })[0]).toMatch(
      /^maxReceiveCount: may be null only together with deadLetterQueue: null/,
    );
    expect(issues({ queue: "orders", maxReceiveCount: null })).toHaveLength(1);
    expect(issues({ queue: "orders", deadLetterQueue: null, maxReceiveCount: null })).toEqual([]);
    expect(issues({ queue: "orders", deadLetterQueue: null })).toEqual([]);
    // Only AWS knows whether the queue has a policy whose DLQ this count can join: checked at read time.
    expect(issues({ queue: "orders", maxReceiveCount: 5 })).toEqual([]);
  });

  it("does not default omitted managed fields (they stay unmanaged)", () => {
    const r = parse({ queue: "orders" });
    expect(r.success && r.data).toEqual({ queue: "orders" });
  });
});

describe("QueueRedrivePolicy identity", () => {
  it("is region, the account a URL or ARN names, and queue name for every spelling of the queue", () => {
    const ids = [url("orders"), `${url("orders")}/`, arn("orders")].map((queue) =>
      queueRedrivePolicy.identity({ queue }, "us-east-1"),
    );
    expect(new Set(ids)).toEqual(new Set([`us-east-1:${ACCOUNT}/orders`]));
    expect(queueRedrivePolicy.identity({ queue: "orders" }, "us-east-1")).toBe("us-east-1/orders");
    expect(queueRedrivePolicy.identity({ queue: "orders" }, "eu-west-1")).toBe("eu-west-1/orders");
    expect(
      queueRedrivePolicy.identity({ queue: arn("orders").replace(ACCOUNT, "222222222222") }, "us-east-1"),
    ).toBe("us-east-1:222222222222/orders");
  });

  it("parses the account and region out of URLs and ARNs", () => {
    expect(parseQueueRef(url("orders", "eu-west-1"))).toMatchObject({
      name: "orders",
      account: ACCOUNT,
      region: "eu-west-1",
    });
    expect(parseQueueRef(`https://eu-west-1.queue.amazonaws.com/${ACCOUNT}/q.fifo`)?.region).toBe(
      "eu-west-1",
    );
    expect(parseQueueRef(arn("orders", "ap-south-1"))).toEqual({
      name: "orders",
      account: ACCOUNT,
      region: "ap-south-1",
    });
    expect(parseQueueRef("orders")).toEqual({ name: "orders" });
  });
});

describe("RedrivePolicy by meaning", () => {
  it("ignores key order and reads a string count as a number", () => {
    const a = parseRedrivePolicy(`{"maxReceiveCount":"5","deadLetterTargetArn":"${arn("dlq")}"}`);
    const b = parseRedrivePolicy(`{"deadLetterTargetArn": "${arn("dlq")}", "maxReceiveCount": 5}`);
    expect(a).toEqual(b);
    expect(a.maxReceiveCount).toBe(5);
  });

  it("treats an absent or empty policy as no policy", () => {
    const none = { deadLetterQueue: null, maxReceiveCount: null, other: {} };
    expect(parseRedrivePolicy(undefined)).toEqual(none);
    expect(parseRedrivePolicy("")).toEqual(none);
  });

  it("rejects a policy that is not a JSON object", () => {
    expect(() => parseRedrivePolicy("[1]")).toThrow(/not a JSON object/);
    expect(() => parseRedrivePolicy("{")).toThrow(SyntaxError);
  });
});

describe("QueueRedrivePolicy diff", () => {
  it("reports nothing when the policy matches by meaning, the DLQ given by name", () => {
    expect(
      queueRedrivePolicy.diff(spec({ deadLetterQueue: "orders-dlq", maxReceiveCount: 5 }), actual()),
    ).toEqual([]);
    expect(
      queueRedrivePolicy.diff(spec({ deadLetterQueue: arn("orders-dlq"), maxReceiveCount: 5 }), actual()),
    ).toEqual([]);
  });

  it("resolves a DLQ name with the queue's own account, region and partition", () => {
    const cn = actual({
      queueArn: `arn:aws-cn:sqs:cn-north-1:${ACCOUNT}:orders`,
      deadLetterQueue: `arn:aws-cn:sqs:cn-north-1:${ACCOUNT}:orders-dlq`,
    });
    expect(queueRedrivePolicy.diff(spec({ deadLetterQueue: "orders-dlq" }), cn)).toEqual([]);
  });

  it("lists exactly the differing fields, numbers as numbers", () => {
    const changes = queueRedrivePolicy.diff(
      spec({ deadLetterQueue: "other-dlq", maxReceiveCount: 5, visibilityTimeoutSeconds: 120 }),
      actual(),
    );
    expect(changes).toEqual([
      { field: "deadLetterQueue", actual: arn("orders-dlq"), desired: arn("other-dlq") },
      { field: "visibilityTimeoutSeconds", actual: 30, desired: 120 },
    ]);
  });

  it("never reports omitted fields", () => {
    expect(
      queueRedrivePolicy.diff(spec({}), actual({ maxReceiveCount: 2, visibilityTimeoutSeconds: 9 })),
    ).toEqual([]);
  });

  it("null removes the policy; null visibility timeout means the default 30", () => {
    expect(queueRedrivePolicy.diff(spec({ deadLetterQueue: null }), actual())).toEqual([
      { field: "deadLetterQueue", actual: arn("orders-dlq"), desired: null },
    ]);
    expect(
      queueRedrivePolicy.diff(
        spec({ deadLetterQueue: null }),
        actual({ deadLetterQueue: null, maxReceiveCount: null }),
      ),
    ).toEqual([]);
    expect(queueRedrivePolicy.diff(spec({ visibilityTimeoutSeconds: null }), actual())).toEqual([]);
    expect(
      queueRedrivePolicy.diff(
        spec({ visibilityTimeoutSeconds: null }),
        actual({ visibilityTimeoutSeconds: 60 }),
      ),
    ).toEqual([{ field: "visibilityTimeoutSeconds", actual: 60, desired: 30 }]);
  });
});

describe("QueueRedrivePolicy write", () => {
  it("sends only the changed attributes", () => {
    expect(attributesFor(actual(), [{ field: "visibilityTimeoutSeconds", actual: 30, desired: 90 }])).toEqual(
      {
        VisibilityTimeout: "90",
      },
    );
  });

  it("merges a changed count with the current DLQ, the count as a JSON number", () => {
    const attrs = attributesFor(actual({ otherPolicyKeys: { futureKey: true } }), [
      { field: "maxReceiveCount", actual: 5, desired: 8 },
    ]);
    expect(Object.keys(attrs)).toEqual(["RedrivePolicy"]);
    expect(JSON.parse(attrs.RedrivePolicy ?? "")).toEqual({
      futureKey: true,
      deadLetterTargetArn: arn("orders-dlq"),
      maxReceiveCount: 8,
    });
    expect(attrs.RedrivePolicy).toContain('"maxReceiveCount":8');
  });

  it("merges a changed DLQ with the current count", () => {
    const attrs = attributesFor(actual(), [
      { field: "deadLetterQueue", actual: arn("orders-dlq"), desired: arn("b") },
    ]);
    expect(JSON.parse(attrs.RedrivePolicy ?? "")).toEqual({
      deadLetterTargetArn: arn("b"),
      maxReceiveCount: 5,
    });
  });

  it("removes the policy with an empty string", () => {
    expect(
      attributesFor(actual(), [{ field: "deadLetterQueue", actual: arn("orders-dlq"), desired: null }]),
    ).toEqual({ RedrivePolicy: "" });
  });

  it("refuses to write a policy without a count", () => {
    expect(() =>
      attributesFor(actual({ deadLetterQueue: null, maxReceiveCount: null }), [
        { field: "deadLetterQueue", actual: null, desired: arn("b") },
      ]),
    ).toThrow(expect.objectContaining({ code: "RedrivePolicyIncomplete", retry: "terminal" }));
  });
});

describe("QueueRedrivePolicy lint", () => {
  it("warns below 5 receives, not at 5 or when the count is not managed", () => {
    expect(
      queueRedrivePolicy.lint(spec({ deadLetterQueue: "dlq", maxReceiveCount: 4 }), lintContext()),
    ).toEqual([expect.objectContaining({ code: "SqsLowMaxReceiveCount", path: ["maxReceiveCount"] })]);
    expect(
      queueRedrivePolicy.lint(spec({ deadLetterQueue: "dlq", maxReceiveCount: 5 }), lintContext()),
    ).toEqual([]);
    expect(queueRedrivePolicy.lint(spec({ deadLetterQueue: null }), lintContext())).toEqual([]);
  });

  it("never creates the queue", () => {
    expect(queueRedrivePolicy.creates(actual())).toBe(false);
  });
});
