import { GetQueueAttributesCommand, SetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { pino } from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AwsClients, isWriteOperation } from "../../../src/aws/clients.js";
import { classifyAwsError, ResourceError } from "../../../src/aws/errors.js";
import { RateLimiter } from "../../../src/aws/rate-limiter.js";
import { reconcile } from "../../../src/engine/reconcile.js";
import { loadManifests } from "../../../src/manifests/load.js";
import { createQueue, resetMoto, sdk, TEST_RATE_LIMITS, TEST_REGION } from "../../support/aws.js";
import { manifest, manifestDir } from "../../support/cli.js";
import { type FaultProxy, startFaultProxy } from "../../support/fault-proxy.js";

/**
 * The write gate of leader election (design §12) in the one AWS client factory:
 * with `mayWrite` false a write is refused before it is signed or sent, as a
 * transient NotLeader error, while reads still go out.
 */
describe("AwsClients write gate", () => {
  let proxy: FaultProxy;
  let leading: boolean;
  let aws: AwsClients;

  beforeAll(async () => {
    proxy = await startFaultProxy();
  });
  afterAll(async () => {
    aws?.destroy();
    await proxy.close();
  });
  beforeEach(async () => {
    await resetMoto();
    proxy.reset();
    aws?.destroy();
    leading = false;
    aws = new AwsClients({
      endpoint: proxy.endpoint,
      limiter: new RateLimiter(TEST_RATE_LIMITS),
      mayWrite: () => leading,
    });
  });

  it("refuses a write unsent while the lease is not held, and sends it once it is", async () => {
    const queue = await createQueue("gated");
    const write = () =>
      aws
        .sqs(TEST_REGION)
        .send(
          new SetQueueAttributesCommand({ QueueUrl: queue.url, Attributes: { VisibilityTimeout: "45" } }),
        );
    const refused = await write().catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(ResourceError);
    expect(classifyAwsError(refused)).toMatchObject({ code: "NotLeader", retry: "transient" });
    expect((refused as Error).message).toContain("sqs:SetQueueAttributes not sent");
    // Reads are never gated.
    await aws
      .sqs(TEST_REGION)
      .send(new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ["All"] }));
    expect(proxy.counts()).toEqual({ "sqs.GetQueueAttributes": 1 });

    leading = true;
    await write();
    expect(proxy.count({ operation: "SetQueueAttributes" })).toBe(1);
    const attrs = await sdk().sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ["VisibilityTimeout"] }),
    );
    expect(attrs.Attributes?.VisibilityTimeout).toBe("45");
  });

  it("makes the engine report a drifted resource as a retryable NotLeader error, with AWS left unchanged", async () => {
    const dlq = await createQueue("gated-dlq");
    await createQueue("gated-src");
    const dir = await manifestDir({
      "q.yaml": manifest("QueueRedrivePolicy", "gated-src", {
        queue: "gated-src",
        deadLetterQueue: dlq.arn,
        maxReceiveCount: 4,
      }),
    });
    const loaded = await loadManifests([dir], { defaultRegion: TEST_REGION });
    expect(loaded.errors).toEqual([]);
    const run = () =>
      reconcile(loaded.manifests, {
        aws,
        log: pino({ level: "silent" }),
        mode: "enforce",
        dryRun: false,
        concurrency: 2,
        waitTimeoutMs: 0,
      });
    const [result] = await run();
    expect(result).toMatchObject({ applied: false, error: { code: "NotLeader", retry: "transient" } });
    expect(result?.changes.length).toBeGreaterThan(0);
    expect(proxy.count({ operation: "SetQueueAttributes" })).toBe(0);

    leading = true;
    const [repaired] = await run();
    expect(repaired).toMatchObject({ applied: true });
    expect(repaired?.error).toBeUndefined();
    expect(proxy.count({ operation: "SetQueueAttributes" })).toBe(1);
  });

  it("counts every operation retryctl sends that changes AWS as a write, and none of its reads", () => {
    const writes = [
      ["lambda", "PutFunctionEventInvokeConfig"],
      ["lambda", "UpdateFunctionEventInvokeConfig"],
      ["lambda", "DeleteFunctionEventInvokeConfig"],
      ["lambda", "UpdateFunctionConfiguration"],
      ["lambda", "UpdateEventSourceMapping"],
      ["sqs", "SetQueueAttributes"],
      ["sqs", "DeleteMessage"],
      ["events", "PutTargets"],
      ["sns", "SetSubscriptionAttributes"],
      ["scheduler", "UpdateSchedule"],
      ["pipes", "UpdatePipe"],
    ] as const;
    const reads = [
      ["lambda", "GetFunction"],
      ["lambda", "ListFunctionEventInvokeConfigs"],
      ["lambda", "ListEventSourceMappings"],
      ["lambda", "GetEventSourceMapping"],
      ["sqs", "GetQueueUrl"],
      ["sqs", "GetQueueAttributes"],
      ["sqs", "ReceiveMessage"],
      ["events", "ListTargetsByRule"],
      ["sns", "ListSubscriptionsByTopic"],
      ["sns", "GetSubscriptionAttributes"],
      ["scheduler", "GetSchedule"],
      ["pipes", "DescribePipe"],
      ["sts", "GetCallerIdentity"],
      ["sts", "AssumeRole"],
    ] as const;
    expect(writes.filter(([s, o]) => !isWriteOperation(s, o))).toEqual([]);
    expect(reads.filter(([s, o]) => isWriteOperation(s, o))).toEqual([]);
  });
});
