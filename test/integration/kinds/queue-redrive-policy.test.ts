import { GetQueueAttributesCommand, SetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AwsClients, RequestEvent } from "../../../src/aws/clients.js";
import { ResourceError } from "../../../src/aws/errors.js";
import type { DesiredResource, KindContext } from "../../../src/kinds/kind.js";
import {
  type QueueRedrivePolicyActual,
  type QueueRedrivePolicySpec,
  queueRedrivePolicy,
} from "../../../src/kinds/queue-redrive-policy.js";
import { createQueue, resetMoto, sdk, TEST_REGION, testAwsClients } from "../../support/aws.js";
import { readState } from "../../support/kinds.js";

const kind = queueRedrivePolicy;
let aws: AwsClients;
let requests: RequestEvent[];
let ctx: KindContext;

function desired(spec: Record<string, unknown>, name = "q"): DesiredResource<QueueRedrivePolicySpec> {
  const parsed = kind.specSchema.parse(spec);
  return { name, region: TEST_REGION, identity: kind.identity(parsed, TEST_REGION), spec: parsed };
}

function readOne(resource: DesiredResource<QueueRedrivePolicySpec>): Promise<QueueRedrivePolicyActual> {
  return readState(kind, ctx, resource);
}

async function rawAttributes(url: string): Promise<Record<string, string>> {
  const out = await sdk().sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["RedrivePolicy", "VisibilityTimeout"] }),
  );
  return out.Attributes ?? {};
}

async function setAttributes(url: string, attributes: Record<string, string>): Promise<void> {
  await sdk().sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: attributes }));
}

const calls = (operation: string) => requests.filter((r) => r.operation === operation).length;

/** read → diff → apply → read → diff, returning what the first diff listed. */
async function reconcile(resource: DesiredResource<QueueRedrivePolicySpec>) {
  const before = await readOne(resource);
  const changes = kind.diff(resource.spec, before);
  await kind.apply(ctx, resource, before, changes);
  const after = await readOne(resource);
  return { changes, after, remaining: kind.diff(resource.spec, after) };
}

describe("QueueRedrivePolicy against moto", () => {
  beforeEach(async () => {
    await resetMoto();
    ({ aws, requests } = testAwsClients());
    ctx = { aws, log: pino({ level: "silent" }) };
  });

  afterEach(() => {
    aws.destroy();
  });

  it("finds drift made by hand, lists exactly the drifted fields and repairs them", async () => {
    const dlq = await createQueue("orders-dlq");
    const queue = await createQueue("orders", {
      VisibilityTimeout: "60",
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 5 }),
    });
    const resource = desired({
      queue: "orders",
      deadLetterQueue: "orders-dlq",
      maxReceiveCount: 5,
      visibilityTimeoutSeconds: 60,
    });
    expect(kind.diff(resource.spec, await readOne(resource))).toEqual([]);

    await setAttributes(queue.url, {
      VisibilityTimeout: "10",
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 2 }),
    });
    requests.length = 0;
    const { changes, after, remaining } = await reconcile(resource);
    expect(changes).toEqual([
      { field: "maxReceiveCount", actual: 2, desired: 5 },
      { field: "visibilityTimeoutSeconds", actual: 10, desired: 60 },
    ]);
    expect(remaining).toEqual([]);
    expect(after).toMatchObject({
      deadLetterQueue: dlq.arn,
      maxReceiveCount: 5,
      visibilityTimeoutSeconds: 60,
    });
    // One write for both attributes; the DLQ did not change, so it is not looked up again.
    expect(calls("SetQueueAttributes")).toBe(1);
    expect(calls("GetQueueUrl")).toBe(0);
    const raw = await rawAttributes(queue.url);
    expect(JSON.parse(raw.RedrivePolicy ?? "")).toEqual({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 5 });
    expect(raw.VisibilityTimeout).toBe("60");
  });

  it("creates a policy on a queue without one, the DLQ named by name", async () => {
    const dlq = await createQueue("jobs-dlq.fifo");
    const queue = await createQueue("jobs.fifo");
    const resource = desired({ queue: queue.url, deadLetterQueue: "jobs-dlq.fifo", maxReceiveCount: 7 });
    const { changes, remaining } = await reconcile(resource);
    expect(changes).toEqual([
      { field: "deadLetterQueue", actual: null, desired: dlq.arn },
      { field: "maxReceiveCount", actual: null, desired: 7 },
    ]);
    expect(remaining).toEqual([]);
    expect(JSON.parse((await rawAttributes(queue.url)).RedrivePolicy ?? "")).toEqual({
      deadLetterTargetArn: dlq.arn,
      maxReceiveCount: 7,
    });
  });

  it("deadLetterQueue: null removes the policy and leaves omitted attributes alone", async () => {
    const dlq = await createQueue("orders-dlq");
    const queue = await createQueue("orders", {
      VisibilityTimeout: "45",
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 5 }),
    });
    const { changes, remaining } = await reconcile(desired({ queue: queue.arn, deadLetterQueue: null }));
    expect(changes).toEqual([{ field: "deadLetterQueue", actual: dlq.arn, desired: null }]);
    expect(remaining).toEqual([]);
    expect(await rawAttributes(queue.url)).toEqual({ VisibilityTimeout: "45" });
  });

  it("changing only the visibility timeout leaves the policy string untouched", async () => {
    const dlq = await createQueue("orders-dlq");
    const policy = `{"maxReceiveCount": 9, "deadLetterTargetArn": "${dlq.arn}"}`;
    const queue = await createQueue("orders", { RedrivePolicy: policy });
    const before = (await rawAttributes(queue.url)).RedrivePolicy;
    const { changes, remaining } = await reconcile(
      desired({ queue: "orders", visibilityTimeoutSeconds: 300 }),
    );
    expect(changes).toEqual([{ field: "visibilityTimeoutSeconds", actual: 30, desired: 300 }]);
    expect(remaining).toEqual([]);
    const raw = await rawAttributes(queue.url);
    expect(raw.RedrivePolicy).toBe(before);
    expect(raw.VisibilityTimeout).toBe("300");
  });

  it("a policy set by hand with keys swapped and the count as a string is no change", async () => {
    const dlq = await createQueue("orders-dlq");
    const queue = await createQueue("orders");
    await setAttributes(queue.url, {
      RedrivePolicy: `{"maxReceiveCount":"5","deadLetterTargetArn":"${dlq.arn}"}`,
    });
    for (const deadLetterQueue of ["orders-dlq", dlq.arn]) {
      const resource = desired({ queue: "orders", deadLetterQueue, maxReceiveCount: 5 });
      expect(kind.diff(resource.spec, await readOne(resource))).toEqual([]);
    }
  });

  it("merges a changed maxReceiveCount with the queue's current DLQ when the manifest names none", async () => {
    const dlq = await createQueue("orders-dlq");
    const queue = await createQueue("orders", {
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 3 }),
    });
    const { changes, remaining } = await reconcile(desired({ queue: "orders", maxReceiveCount: 10 }));
    expect(changes).toEqual([{ field: "maxReceiveCount", actual: 3, desired: 10 }]);
    expect(remaining).toEqual([]);
    expect(JSON.parse((await rawAttributes(queue.url)).RedrivePolicy ?? "")).toEqual({
      deadLetterTargetArn: dlq.arn,
      maxReceiveCount: 10,
    });
  });

  it("maxReceiveCount without a deadLetterQueue on a queue without a policy is an error at read", async () => {
    await createQueue("orders");
    const resource = desired({ queue: "orders", maxReceiveCount: 5 });
    const got = (await kind.read(ctx, [resource])).get(resource.identity);
    expect(got).toBeInstanceOf(ResourceError);
    expect(got).toMatchObject({ code: "RedrivePolicyIncomplete", retry: "terminal" });
  });

  it("a missing queue is an error on that resource only", async () => {
    await createQueue("present");
    const missing = desired({ queue: "absent", visibilityTimeoutSeconds: 60 }, "a");
    const present = desired({ queue: "present", visibilityTimeoutSeconds: 60 }, "b");
    const result = await kind.read(ctx, [missing, present]);
    expect(result.get(missing.identity)).toMatchObject({ code: "QueueNotFound", retry: "terminal" });
    expect(result.get(present.identity)).toMatchObject({ visibilityTimeoutSeconds: 30 });
  });

  it("apply reports a DLQ that does not exist and leaves the queue unchanged", async () => {
    const queue = await createQueue("orders");
    const resource = desired({ queue: "orders", deadLetterQueue: "never-made", maxReceiveCount: 5 });
    const actual = await readOne(resource);
    await expect(kind.apply(ctx, resource, actual, kind.diff(resource.spec, actual))).rejects.toMatchObject({
      code: "DeadLetterQueueNotFound",
      retry: "terminal",
    });
    expect(calls("SetQueueAttributes")).toBe(0);
    expect(await rawAttributes(queue.url)).not.toHaveProperty("RedrivePolicy");
  });

  it("resolves a queue name once per client set, and reads a URL without resolving it", async () => {
    const queue = await createQueue("orders");
    const byName = desired({ queue: "orders", visibilityTimeoutSeconds: 30 });
    const byUrl = desired({ queue: queue.url, visibilityTimeoutSeconds: 30 });
    // The URL names the account, which the identity keeps; once read, both are the one queue.
    expect(byUrl.identity).toBe(`${TEST_REGION}:123456789012/orders`);
    expect(byName.identity).toBe(`${TEST_REGION}/orders`);
    for (let sweep = 0; sweep < 3; sweep++) await readOne(byName);
    expect(calls("GetQueueUrl")).toBe(1);
    expect(calls("GetQueueAttributes")).toBe(3);
    requests.length = 0;
    const [a, b] = [await readOne(byName), await readOne(byUrl)];
    expect(calls("GetQueueUrl")).toBe(0);
    expect(kind.resolvedIdentity?.(a, byName)).toBe(kind.resolvedIdentity?.(b, byUrl));
  });
});
