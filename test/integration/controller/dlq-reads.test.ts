import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { describe, expect, it } from "vitest";
import { type RateBucket, RateLimiter } from "../../../src/aws/rate-limiter.js";
import { sqsDepthReader } from "../../../src/controller/dead-letters.js";
import { queueUrl } from "../../../src/kinds/sqs-queue.js";
import { loadPolicyFile } from "../../../src/policy/policy.js";
import {
  accessPolicy,
  createFunctionIn,
  createMemberRole,
  createQueueIn,
  forgetAccountSeeds,
  HUB,
  MEMBER_A,
  sdkIn,
} from "../../support/accounts.js";
import { createQueue, TEST_RATE_LIMITS, TEST_REGION, testAwsClients } from "../../support/aws.js";
import { controllerSuite, doc, get, startController, status } from "./harness.js";

/** Records the bucket of every grant. */
class RecordingLimiter extends RateLimiter {
  readonly buckets: RateBucket[] = [];
  constructor() {
    super(TEST_RATE_LIMITS);
  }
  override async acquire(bucket: RateBucket, region: string, account?: string): Promise<void> {
    this.buckets.push(bucket);
    await super.acquire(bucket, region, account);
  }
}

describe("DLQ depth reads: their own bucket, the queue's own account", () => {
  const suite = controllerSuite("dlq-reads");

  it("draws the depth read (and its URL lookup) from the deadLetterQueues bucket, never the kinds' sqs one", async () => {
    const dlq = await createQueue("dlq-bucket");
    await createQueue("dlq-bucket-source");
    const limiter = new RecordingLimiter();
    const { aws, requests } = testAwsClients({ limiter, endpoint: suite.proxy.endpoint });
    try {
      const read = sqsDepthReader(() => aws);
      const queue = { arn: dlq.arn, account: HUB, region: TEST_REGION, name: "dlq-bucket", senders: [] };
      expect(await read(queue)).toBe(0);
      expect(await read(queue)).toBe(0);
      // A kind's lookup of another queue stays in the sqs bucket.
      await queueUrl(aws, TEST_REGION, { name: "dlq-bucket-source" });
    } finally {
      aws.destroy();
    }
    expect(requests.map((r) => `${r.service}:${r.operation}:${r.outcome}`)).toEqual([
      "sqs:GetQueueUrl:success",
      "sqs:GetQueueAttributes:success",
      "sqs:GetQueueAttributes:success",
      "sqs:GetQueueUrl:success",
    ]);
    expect(limiter.buckets).toEqual(["deadLetterQueues", "deadLetterQueues", "deadLetterQueues", "sqs"]);
    expect(suite.proxy.requests().map((r) => r.resource)).toEqual([
      "queue:dlq-bucket",
      "queue:dlq-bucket",
      "queue:dlq-bucket",
      "queue:dlq-bucket-source",
    ]);
  });

  it("reads a member account's DLQ with that account's assumed credentials and labels it with the account", async () => {
    forgetAccountSeeds();
    await createMemberRole(MEMBER_A);
    await createFunctionIn(MEMBER_A, "orders");
    const dlq = await createQueueIn(MEMBER_A, "orders-dlq");
    await sdkIn(MEMBER_A).sqs.send(new SendMessageCommand({ QueueUrl: dlq.url, MessageBody: "failed" }));
    await writeFile(
      join(suite.dir, "orders.yaml"),
      doc("FunctionDeadLetterConfig", "orders", {
        account: MEMBER_A,
        functionName: "orders",
        targetArn: dlq.arn,
      }),
    );
    const policyFile = join(suite.dir, "..", `${suite.dir.split("/").pop()}-policy.yaml`);
    await writeFile(policyFile, accessPolicy([{ account: MEMBER_A }]));
    const loaded = await loadPolicyFile(policyFile);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    suite.controller = await startController({
      dir: suite.dir,
      policy: loaded.policy,
      endpoint: suite.proxy.endpoint,
      resyncIntervalMs: 1_000,
    });
    const c = suite.controller;
    await expect
      .poll(
        async () =>
          (await status(c.url)).deadLetterQueues.map((q) => [q.account, q.name, q.state, q.messages]),
        {
          timeout: 15_000,
        },
      )
      .toEqual([[MEMBER_A, "orders-dlq", "ok", 1]]);
    expect((await get(`${c.url}/metrics`)).body).toContain(
      `retryctl_dead_letter_messages{account="${MEMBER_A}",region="us-east-1",queue="orders-dlq"} 1`,
    );
    const depthReads = suite.proxy
      .requests()
      .filter((r) => r.operation === "GetQueueAttributes" && r.resource === "queue:orders-dlq");
    expect(depthReads.length).toBeGreaterThan(0);
    expect(new Set(depthReads.map((r) => r.account))).toEqual(new Set([MEMBER_A]));
  }, 60_000);

  it("reads no queue of a resource the guard refuses (an account without an access entry), only the allowed one's", async () => {
    const mine = await createQueue("dlq-mine");
    await writeFile(
      join(suite.dir, "fns.yaml"),
      [
        doc("FunctionDeadLetterConfig", "mine", { functionName: "dlq-mine-fn", targetArn: mine.arn }),
        doc("FunctionDeadLetterConfig", "theirs", {
          account: "210987654321",
          functionName: "dlq-theirs-fn",
          targetArn: "arn:aws:sqs:us-east-1:210987654321:dlq-theirs",
        }),
      ].join("---\n"),
    );
    suite.controller = await startController({
      dir: suite.dir,
      endpoint: suite.proxy.endpoint,
      resyncIntervalMs: 1_000,
    });
    const c = suite.controller;
    await expect
      .poll(async () => (await status(c.url)).resources.find((r) => r.name === "theirs")?.reason, {
        timeout: 15_000,
      })
      .toBe("AccountNotConfigured");
    await expect
      .poll(async () => (await status(c.url)).deadLetterQueues.map((q) => [q.name, q.state]), {
        timeout: 15_000,
      })
      .toEqual([["dlq-mine", "ok"]]);
    const theirs = (await status(c.url)).resources.find((r) => r.name === "theirs");
    expect(theirs).not.toHaveProperty("deadLetterQueues");
    expect(suite.proxy.requests().filter((r) => r.resource === "queue:dlq-theirs")).toEqual([]);
  }, 60_000);
});
