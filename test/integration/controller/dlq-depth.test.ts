import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DeleteQueueCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { describe, expect, it } from "vitest";
import { createFunction, createQueue, createRule, createTopic, putTarget, sdk } from "../../support/aws.js";
import {
  controllerSuite,
  doc,
  get,
  type LogLine,
  startController,
  status,
  type TestController,
} from "./harness.js";

/**
 * Failure-path health (design §11): every SQS queue a managed resource names
 * as a DLQ or on-failure destination is read once per resync and exported as
 * retryctl_dead_letter_messages{account,region,queue}, against moto over HTTP
 * through the counting proxy.
 */
const RESYNC_MS = 1_000;
const ACCOUNT = "123456789012";

const reads = (c: TestController) => c.logs.filter((l: LogLine) => l.msg === "failure queues read").length;

/** Waits until `n` more depth reads than now have finished. */
async function readsFinished(c: TestController, n: number): Promise<void> {
  const target = reads(c) + n;
  await expect.poll(() => reads(c), { timeout: 15_000, interval: 20 }).toBeGreaterThanOrEqual(target);
}

function depthLine(queue: string, value: number | string): string {
  return `retryctl_dead_letter_messages{account="${ACCOUNT}",region="us-east-1",queue="${queue}"} ${value}`;
}

async function metrics(c: TestController): Promise<string> {
  return (await get(`${c.url}/metrics`)).body;
}

async function send(url: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await sdk().sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: `failed event ${i}` }));
  }
}

describe("DLQ depth in /metrics and /status", () => {
  const suite = controllerSuite("dlq-depth");

  it("shows messages sent to a DLQ within one resync, next to the resources that send to it", async () => {
    await createFunction("dlq-fn");
    const fnDlq = await createQueue("dlq-fn-dlq");
    await createQueue("dlq-work");
    const workDlq = await createQueue("dlq-work-dlq");
    const topic = await createTopic("dlq-alerts");
    await writeFile(
      join(suite.dir, "all.yaml"),
      [
        doc("FunctionDeadLetterConfig", "fn", { functionName: "dlq-fn", targetArn: fnDlq.arn }),
        // An SNS topic is a failure destination, not a queue: it is not read.
        doc("FunctionEventInvokeConfig", "fn", { functionName: "dlq-fn", onFailure: topic }),
        // By bare name: the queue's own account (the hub's, learnt once) and region.
        doc("QueueRedrivePolicy", "work", {
          queue: "dlq-work",
          deadLetterQueue: "dlq-work-dlq",
          maxReceiveCount: 5,
        }),
      ].join("---\n"),
    );
    suite.controller = await startController({
      dir: suite.dir,
      endpoint: suite.proxy.endpoint,
      resyncIntervalMs: RESYNC_MS,
    });
    const c = suite.controller;
    await readsFinished(c, 1);
    const body = await metrics(c);
    expect(body).toContain(depthLine("dlq-fn-dlq", 0));
    expect(body).toContain(depthLine("dlq-work-dlq", 0));
    expect(body).not.toContain('queue="dlq-alerts"');

    await send(fnDlq.url, 3);
    await send(workDlq.url, 1);
    // The first read that starts after the messages arrived has them.
    await readsFinished(c, 2);
    const after = await metrics(c);
    expect(after).toContain(depthLine("dlq-fn-dlq", 3));
    expect(after).toContain(depthLine("dlq-work-dlq", 1));

    const doc1 = await status(c.url);
    expect(doc1.deadLetterQueues).toEqual([
      {
        queue: fnDlq.arn,
        account: ACCOUNT,
        region: "us-east-1",
        name: "dlq-fn-dlq",
        messages: 3,
        state: "ok",
        reason: "",
        message: "3 messages waiting",
        lastReadTime: expect.any(String),
        resources: ["FunctionDeadLetterConfig/fn"],
      },
      expect.objectContaining({
        queue: workDlq.arn,
        messages: 1,
        state: "ok",
        resources: ["QueueRedrivePolicy/work"],
      }),
    ]);
    const byName = (kind: string) => doc1.resources.find((r) => r.kind === kind);
    expect(byName("FunctionDeadLetterConfig")?.deadLetterQueues).toEqual([{ queue: fnDlq.arn, messages: 3 }]);
    expect(byName("QueueRedrivePolicy")?.deadLetterQueues).toEqual([{ queue: workDlq.arn, messages: 1 }]);
    expect(byName("FunctionEventInvokeConfig")).not.toHaveProperty("deadLetterQueues");
    expect(c.logs.filter((l) => l.msg.startsWith("messages waiting in a failure queue"))).toHaveLength(2);
    // Nothing but queues was read for their depth: never the topic.
    expect(suite.proxy.requests().filter((r) => r.service === "sns")).toEqual([]);

    // A queue no manifest names any more loses its series with the new revision.
    await writeFile(
      join(suite.dir, "all.yaml"),
      doc("QueueRedrivePolicy", "work", {
        queue: "dlq-work",
        deadLetterQueue: "dlq-work-dlq",
        maxReceiveCount: 5,
      }),
    );
    await expect.poll(async () => metrics(c), { timeout: 10_000 }).not.toContain('queue="dlq-fn-dlq"');
    expect(await metrics(c)).toContain(depthLine("dlq-work-dlq", 1));
    expect((await status(c.url)).deadLetterQueues.map((q) => q.name)).toEqual(["dlq-work-dlq"]);
  }, 60_000);

  it("reads each distinct queue once per resync, however many resources name it", async () => {
    const shared = await createQueue("dlq-shared");
    const other = await createQueue("dlq-other");
    const topic = await createTopic("dlq-topic");
    const docs: string[] = [];
    for (let i = 0; i < 3; i++) {
      await createFunction(`dlq-count-${i}`);
      docs.push(
        doc("FunctionEventInvokeConfig", `async-${i}`, {
          functionName: `dlq-count-${i}`,
          onFailure: shared.arn,
        }),
        doc("FunctionDeadLetterConfig", `dlq-${i}`, {
          functionName: `dlq-count-${i}`,
          targetArn: shared.arn,
        }),
      );
    }
    await createFunction("dlq-count-topic");
    docs.push(
      doc("FunctionDeadLetterConfig", "to-topic", { functionName: "dlq-count-topic", targetArn: topic }),
    );
    await createRule("dlq-rule");
    await putTarget("dlq-rule", { Id: "t0", Arn: shared.arn });
    await putTarget("dlq-rule", { Id: "t1", Arn: shared.arn });
    docs.push(
      doc("EventTargetRetryPolicy", "t0", { rule: "dlq-rule", targetId: "t0", deadLetterQueue: shared.arn }),
      doc("EventTargetRetryPolicy", "t1", { rule: "dlq-rule", targetId: "t1", deadLetterQueue: other.arn }),
    );
    await writeFile(join(suite.dir, "all.yaml"), docs.join("---\n"));
    suite.controller = await startController({
      dir: suite.dir,
      endpoint: suite.proxy.endpoint,
      resyncIntervalMs: RESYNC_MS,
      logLevel: "debug",
    });
    const c = suite.controller;
    await readsFinished(c, 3);
    // Stopping waits for a read under way, so every read counted in the log has all its calls in the proxy.
    await c.stop();
    suite.controller = undefined;
    const rounds = reads(c);
    const calls = (operation: string, queue: string) =>
      suite.proxy.requests().filter((r) => r.operation === operation && r.resource === `queue:${queue}`)
        .length;
    expect(rounds).toBeGreaterThanOrEqual(3);
    expect(calls("GetQueueAttributes", "dlq-shared")).toBe(rounds);
    expect(calls("GetQueueAttributes", "dlq-other")).toBe(rounds);
    // The URL is looked up once per queue and process.
    expect(calls("GetQueueUrl", "dlq-shared")).toBe(1);
    expect(calls("GetQueueUrl", "dlq-other")).toBe(1);
    const sqsCalls = suite.proxy.requests().filter((r) => r.service === "sqs");
    expect(sqsCalls.length).toBe(2 * rounds + 2);
    const statusLine = c.logs.filter((l) => l.msg === "failure queues read").map((l) => l.queues);
    expect(new Set(statusLine)).toEqual(new Set([2]));
    expect(c.logs.filter((l) => l.level === "warn" || l.level === "error")).toEqual([]);
  }, 60_000);

  it("marks a deleted DLQ's depth unknown, without a stale value or a crash, says so once, and sees it come back", async () => {
    await createFunction("dlq-gone-fn");
    const dlq = await createQueue("dlq-gone");
    await writeFile(
      join(suite.dir, "fn.yaml"),
      doc("FunctionDeadLetterConfig", "gone", { functionName: "dlq-gone-fn", targetArn: dlq.arn }),
    );
    suite.controller = await startController({
      dir: suite.dir,
      endpoint: suite.proxy.endpoint,
      resyncIntervalMs: RESYNC_MS,
    });
    const c = suite.controller;
    await send(dlq.url, 2);
    await readsFinished(c, 2);
    expect(await metrics(c)).toContain(depthLine("dlq-gone", 2));

    await sdk().sqs.send(new DeleteQueueCommand({ QueueUrl: dlq.url }));
    await readsFinished(c, 4);
    const gone = await status(c.url);
    expect(gone.deadLetterQueues).toEqual([
      expect.objectContaining({
        queue: dlq.arn,
        messages: null,
        state: "unknown",
        reason: "QueueNotFound",
        message: `depth unknown: queue ${dlq.arn} does not exist`,
      }),
    ]);
    expect(gone.resources[0]?.deadLetterQueues).toEqual([{ queue: dlq.arn, messages: null }]);
    expect(await metrics(c)).not.toContain('queue="dlq-gone"');
    expect((await get(`${c.url}/healthz`)).status).toBe(200);
    const warned = () => c.logs.filter((l) => l.msg.startsWith("cannot read the depth of a failure queue"));
    expect(warned()).toHaveLength(1);
    expect(warned()[0]).toMatchObject({ level: "warn", queue: dlq.arn, code: "QueueNotFound" });

    // Made again under its name: found again (its old URL is not kept), empty.
    await createQueue("dlq-gone");
    await readsFinished(c, 2);
    expect((await status(c.url)).deadLetterQueues[0]).toMatchObject({ state: "ok", messages: 0 });
    expect(await metrics(c)).toContain(depthLine("dlq-gone", 0));
    expect(c.logs.filter((l) => l.msg === "failure queue readable again")).toHaveLength(1);
    expect(warned()).toHaveLength(1);
  }, 60_000);
});
