import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { PutFunctionEventInvokeConfigCommand } from "@aws-sdk/client-lambda";
import { DeleteQueueCommand } from "@aws-sdk/client-sqs";
import { describe, expect, it } from "vitest";
import { createFunction, createQueue, sdk, TEST_ACCOUNT } from "../../support/aws.js";
import {
  createFeed,
  envelope,
  IDENTITIES,
  publishCloudTrailEvent,
  queueDepth,
  sendRaw,
} from "../../support/cloudtrail.js";
import { retryAttempts } from "./aws-state.js";
import { controllerSuite, doc, get, resource, startController, status } from "./harness.js";

const HOUR = 3_600_000;
const OPERATORS = `arn:aws:iam::${TEST_ACCOUNT}:role/Operators (session alice)`;

/** The hand change of the end-to-end test: someone raises the retries with the SDK. */
async function raiseRetries(fn: string): Promise<void> {
  await sdk().lambda.send(
    new PutFunctionEventInvokeConfigCommand({ FunctionName: fn, MaximumRetryAttempts: 2 }),
  );
}

/** The CloudTrail event AWS records for that call (Lambda event names carry the API version). */
const putInvokeConfigEvent = (fn: string) => ({
  eventSource: "lambda.amazonaws.com",
  eventName: "PutFunctionEventInvokeConfig20190925",
  requestParameters: { functionName: fn, maximumRetryAttempts: 2 },
  responseElements: {
    functionArn: `arn:aws:lambda:us-east-1:${TEST_ACCOUNT}:function:${fn}:$LATEST`,
    maximumRetryAttempts: 2,
  },
});

function metric(body: string, result: string): number {
  const m = new RegExp(`^retryctl_drift_events_total\\{result="${result}"\\} (\\S+)$`, "m").exec(body);
  return Number(m?.[1] ?? Number.NaN);
}

describe("drift events from CloudTrail (run --drift-events-queue)", () => {
  const suite = controllerSuite("drift-events");

  async function seedInvokeConfig(fn: string, annotations?: Record<string, string>): Promise<void> {
    await createFunction(fn);
    await writeFile(
      join(suite.dir, `${fn}.yaml`),
      doc("FunctionEventInvokeConfig", fn, { functionName: fn, maximumRetryAttempts: 1 }, annotations),
    );
  }

  it("reverts a hand change within seconds of its event, with --resync-interval 1h, and says who made it", async () => {
    const feed = await createFeed();
    await seedInvokeConfig("de-orders");
    const c = await startController({
      dir: suite.dir,
      resyncIntervalMs: HOUR,
      driftEventsQueue: feed.url,
      driftSettleMs: 200,
    });
    suite.controller = c;
    await expect
      .poll(async () => (await resource(c.url, "de-orders"))?.status, { timeout: 10_000 })
      .toBe("Synced");
    await expect.poll(async () => (await status(c.url)).driftEvents?.state, { timeout: 10_000 }).toBe("ok");

    await raiseRetries("de-orders");
    const eventId = await publishCloudTrailEvent(putInvokeConfigEvent("de-orders"));
    const published = Date.now();
    await expect.poll(() => retryAttempts("de-orders"), { timeout: 5_000, interval: 50 }).toBe(1);
    console.info(`drift reverted ${Date.now() - published} ms after its event was published (resync 1h)`);

    const entry = await resource(c.url, "de-orders");
    expect(entry?.lastDrift).toMatchObject({
      changedBy: OPERATORS,
      eventName: "PutFunctionEventInvokeConfig20190925",
      eventId,
    });
    const repaired = c.logs.findLast((l) => l.msg === "drift repaired" && l.name === "de-orders");
    expect(repaired).toMatchObject({
      changedBy: OPERATORS,
      eventId,
      changes: [{ field: "maximumRetryAttempts", actual: 2, desired: 1 }],
    });
    await expect.poll(() => queueDepth(feed.url)).toBe(0);
    const metrics = (await get(`${c.url}/metrics`)).body;
    expect(metric(metrics, "matched")).toBe(1);
    expect(metrics).toMatch(/^retryctl_drift_event_lag_seconds_count 1$/m);
  });
});
