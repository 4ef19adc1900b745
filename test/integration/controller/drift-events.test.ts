import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { PutFunctionEventInvokeConfigCommand } from "@aws-sdk/client-lambda";
import { DeleteQueueCommand } from "@aws-sdk/client-sqs";
import { describe, expect, it } from "vitest";
import { USER_AGENT } from "../../../src/version.js";
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
    // The event's time is in lastDrift, never in place of the log line's own.
    expect(typeof repaired?.time).toBe("number");
    await expect.poll(() => queueDepth(feed.url)).toBe(0);
    const metrics = (await get(`${c.url}/metrics`)).body;
    expect(metric(metrics, "matched")).toBe(1);
    expect(metrics).toMatch(/^retryctl_drift_event_lag_seconds_count 1$/m);
  });

  it("counts and deletes own writes, failed calls, malformed, unmanaged and huge messages, and keeps running", async () => {
    const feed = await createFeed();
    await seedInvokeConfig("de-quiet");
    const c = await startController({
      dir: suite.dir,
      endpoint: suite.proxy.endpoint,
      resyncIntervalMs: HOUR,
      driftEventsQueue: feed.url,
      driftSettleMs: 100,
      driftWaitSeconds: 1,
    });
    suite.controller = c;
    await expect
      .poll(async () => (await resource(c.url, "de-quiet"))?.status, { timeout: 10_000 })
      .toBe("Synced");
    await expect.poll(async () => (await status(c.url)).driftEvents?.state, { timeout: 10_000 }).toBe("ok");
    const reads = () => suite.proxy.count({ service: "lambda", operation: "ListFunctionEventInvokeConfigs" });
    const readsBefore = reads();

    const call = putInvokeConfigEvent("de-quiet");
    // retryctl's own revert, as CloudTrail records it: the SDK user agent carries retryctl/<version>.
    await sendRaw(
      feed.url,
      JSON.stringify(
        envelope({
          ...call,
          userAgent: `aws-sdk-js/3.1164.0 ua/2.1 os/linux lang/js md/nodejs#24 api/lambda#3.1164.0 ${USER_AGENT} m/E`,
        }),
      ),
    );
    await sendRaw(feed.url, JSON.stringify(envelope({ ...call, errorCode: "ResourceNotFoundException" })));
    await sendRaw(
      feed.url,
      JSON.stringify(
        envelope({ ...call, eventName: "GetFunctionEventInvokeConfig20190925", readOnly: true }),
      ),
    );
    await sendRaw(feed.url, "not json at all");
    await sendRaw(
      feed.url,
      JSON.stringify({ "detail-type": "EC2 Instance State-change Notification", source: "aws.ec2" }),
    );
    await sendRaw(feed.url, JSON.stringify(envelope(putInvokeConfigEvent("someone-elses-function"))));
    // The managed function's name, in another account: not the managed resource.
    await sendRaw(feed.url, JSON.stringify({ ...envelope(call), account: "111122223333" }));
    // Near the SQS message limit: one CloudTrail record with a huge parameter, and a huge non-JSON body.
    const padding = "x".repeat(200_000);
    await sendRaw(
      feed.url,
      JSON.stringify(
        envelope({
          ...putInvokeConfigEvent("unmanaged-huge"),
          requestParameters: { functionName: "unmanaged-huge", description: padding },
        }),
      ),
    );
    await sendRaw(feed.url, `{${padding}`);

    await expect.poll(() => queueDepth(feed.url), { timeout: 10_000 }).toBe(0);
    const body = (await get(`${c.url}/metrics`)).body;
    expect({
      own: metric(body, "own"),
      unmatched: metric(body, "unmatched"),
      malformed: metric(body, "malformed"),
      matched: metric(body, "matched"),
    }).toEqual({ own: 1, unmatched: 5, malformed: 3, matched: 0 });
    // Nothing was re-read: the only reads are the ones from before the messages.
    await new Promise((r) => setTimeout(r, 500));
    expect(reads()).toBe(readsBefore);
    // Each distinct problem is one warn line (not JSON, twice; not a CloudTrail event); the rest are counted.
    const warns = c.logs.filter(
      (l) => l.level === "warn" && l.msg.startsWith("drift events queue: message ignored"),
    );
    expect(warns).toHaveLength(2);
    expect((await get(`${c.url}/healthz`)).status).toBe(200);
    expect((await status(c.url)).driftEvents?.state).toBe("ok");

    // Still consuming: a real event afterwards is matched.
    await sendRaw(feed.url, JSON.stringify(envelope(call)));
    await expect
      .poll(async () => metric((await get(`${c.url}/metrics`)).body, "matched"), { timeout: 10_000 })
      .toBe(1);
  });

  it("observe mode: the event's re-read reports Drifted with changedBy and writes nothing", async () => {
    const feed = await createFeed();
    await seedInvokeConfig("de-watched");
    const c = await startController({
      dir: suite.dir,
      endpoint: suite.proxy.endpoint,
      mode: "observe",
      resyncIntervalMs: HOUR,
      driftEventsQueue: feed.url,
      driftSettleMs: 100,
      driftWaitSeconds: 1,
    });
    suite.controller = c;
    // Observe mode never creates the config, so the manifest starts out Drifted; put it in line first.
    await sdk().lambda.send(
      new PutFunctionEventInvokeConfigCommand({ FunctionName: "de-watched", MaximumRetryAttempts: 1 }),
    );
    await expect.poll(async () => (await status(c.url)).driftEvents?.state, { timeout: 10_000 }).toBe("ok");
    await publishCloudTrailEvent({ ...putInvokeConfigEvent("de-watched"), userIdentity: IDENTITIES.iamUser });
    await expect
      .poll(async () => (await resource(c.url, "de-watched"))?.status, { timeout: 10_000 })
      .toBe("Synced");

    const writesBefore = suite.proxy.count({ service: "lambda", operation: "PutFunctionEventInvokeConfig" });
    await raiseRetries("de-watched");
    const eventId = await publishCloudTrailEvent({
      ...putInvokeConfigEvent("de-watched"),
      userIdentity: IDENTITIES.iamUser,
    });
    await expect
      .poll(async () => (await resource(c.url, "de-watched"))?.status, { timeout: 10_000 })
      .toBe("Drifted");
    const entry = await resource(c.url, "de-watched");
    expect(entry?.lastDrift).toMatchObject({ changedBy: `arn:aws:iam::${TEST_ACCOUNT}:user/Alice`, eventId });
    const detected = c.logs.findLast(
      (l) => l.msg === "drift detected (observe mode)" && l.name === "de-watched",
    );
    expect(detected).toMatchObject({ changedBy: `arn:aws:iam::${TEST_ACCOUNT}:user/Alice`, eventId });
    expect(suite.proxy.count({ service: "lambda", operation: "PutFunctionEventInvokeConfig" })).toBe(
      writesBefore,
    );
    expect(await retryAttempts("de-watched")).toBe(2);
  });

  it("a queue that disappears is an error in /status, retried with backoff, and recovers when it is back", async () => {
    const feed = await createFeed("de-feed");
    await seedInvokeConfig("de-again");
    const c = await startController({
      dir: suite.dir,
      resyncIntervalMs: HOUR,
      driftEventsQueue: feed.url,
      driftSettleMs: 100,
      driftWaitSeconds: 1,
      backoff: { baseMs: 200, maxMs: 1_000 },
    });
    suite.controller = c;
    await expect.poll(async () => (await status(c.url)).driftEvents?.state, { timeout: 10_000 }).toBe("ok");

    await sdk().sqs.send(new DeleteQueueCommand({ QueueUrl: feed.url }));
    await expect
      .poll(async () => (await status(c.url)).driftEvents?.state, { timeout: 10_000 })
      .toBe("error");
    const down = (await status(c.url)).driftEvents;
    expect(down?.message).toMatch(/QueueDoesNotExist|NonExistentQueue|does not exist/i);
    expect((await get(`${c.url}/healthz`)).status).toBe(200);
    // One error line when it went down, not one per retry.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(
      c.logs.filter((l) => l.level === "error" && l.msg.startsWith("drift events queue cannot be read")),
    ).toHaveLength(1);

    await createQueue("de-feed");
    await expect.poll(async () => (await status(c.url)).driftEvents?.state, { timeout: 10_000 }).toBe("ok");
    expect(c.logs.some((l) => l.msg === "drift events queue readable again")).toBe(true);
    await raiseRetries("de-again");
    await publishCloudTrailEvent(putInvokeConfigEvent("de-again"));
    await expect.poll(() => retryAttempts("de-again"), { timeout: 10_000, interval: 50 }).toBe(1);
  });
});
