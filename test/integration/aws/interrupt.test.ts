import { ListFunctionsCommand } from "@aws-sdk/client-lambda";
import { ListQueuesCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AwsClients } from "../../../src/aws/clients.js";
import { classifyAwsError, InterruptedError } from "../../../src/aws/errors.js";
import { RateLimiter } from "../../../src/aws/rate-limiter.js";
import { resetMoto, TEST_CREDENTIALS, TEST_RATE_LIMITS, TEST_REGION } from "../../support/aws.js";
import { FaultProxy } from "../../support/fault-proxy.js";

/**
 * The clients of an interrupted one-shot command (`signal` aborted): no new
 * attempt is sent, a call waiting for the limiter or in the SDK's retry delay
 * ends at once, and the attempt in flight gets its answer. Counted at the proxy.
 */
let proxy: FaultProxy;
beforeAll(async () => {
  proxy = await FaultProxy.start();
  process.env.AWS_ACCESS_KEY_ID ??= TEST_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY ??= TEST_CREDENTIALS.secretAccessKey;
});
afterAll(() => proxy.close());
beforeEach(async () => {
  await resetMoto();
  proxy.reset();
});

function clients(signal: AbortSignal, limiter = new RateLimiter(TEST_RATE_LIMITS)): AwsClients {
  return new AwsClients({ endpoint: proxy.endpoint, limiter, signal });
}

/** How a call settled, and whether the first call was still in flight then. */
async function settle(call: Promise<unknown>, firstSettled: () => boolean) {
  try {
    await call;
    return { ok: true, firstSettledBefore: firstSettled() };
  } catch (err) {
    return { ok: false, error: err, firstSettledBefore: firstSettled() };
  }
}

describe("AwsClients with an abort signal", () => {
  it("the call in flight finishes; calls waiting for the limiter end at the abort and are never sent", async () => {
    const abort = new AbortController();
    // One SQS call per 5 s; each answer takes 1 s.
    const limiter = new RateLimiter({ ...TEST_RATE_LIMITS, sqs: 0.2 });
    const aws = clients(abort.signal, limiter);
    proxy.set({ slow: [{ service: "sqs", minMs: 1_000, maxMs: 1_000 }] });
    const sqs = aws.sqs(TEST_REGION);
    let firstDone = false;
    const first = sqs.send(new ListQueuesCommand({})).finally(() => {
      firstDone = true;
    });
    await expect.poll(() => proxy.inflight).toBe(1);
    const waiting = [sqs.send(new ListQueuesCommand({})), sqs.send(new ListQueuesCommand({}))];
    await expect.poll(() => limiter.pending).toBe(2);
    expect(aws.inFlight).toBe(1);
    abort.abort();
    const settled = await Promise.all(waiting.map((w) => settle(w, () => firstDone)));
    for (const s of settled) {
      expect(s.error).toBeInstanceOf(InterruptedError);
      expect(classifyAwsError(s.error).code).toBe("Interrupted");
      // They ended at the abort, not when a limiter slot came (5 s later, after the first answer).
      expect(s.firstSettledBefore).toBe(false);
    }
    await expect(first).resolves.toBeDefined();
    expect(aws.inFlight).toBe(0);
    expect(proxy.count({ operation: "ListQueues" })).toBe(1);
    aws.destroy();
  });

  it("a call in the SDK's retry delay (throttled, Retry-After 1 s) ends at the abort: the SDK's own wait is cut, no retry is sent", async () => {
    const abort = new AbortController();
    const aws = clients(abort.signal);
    proxy.set({ throttle: { service: "lambda", operation: "ListFunctions", count: 5 } });
    const call = aws.lambda(TEST_REGION).send(new ListFunctionsCommand({}));
    const outcome = settle(call, () => false);
    await expect.poll(() => proxy.requests().some((q) => q.status === 429)).toBe(true);
    abort.abort();
    const { ok, error } = await outcome;
    expect(ok).toBe(false);
    // The SDK's retry loop raised it from its delay (with the signal on its context), not our refusal afterwards.
    expect((error as Error).name).toBe("AbortError");
    expect(classifyAwsError(error).code).toBe("Interrupted");
    expect(proxy.count({ operation: "ListFunctions" })).toBe(1);
    aws.destroy();
  });

  it("once aborted, a new call is refused before it reaches the limiter or the wire", async () => {
    const abort = new AbortController();
    abort.abort();
    const aws = clients(abort.signal);
    await expect(aws.sqs(TEST_REGION).send(new ListQueuesCommand({}))).rejects.toSatisfy(
      (err) => classifyAwsError(err).code === "Interrupted",
    );
    expect(proxy.requests()).toEqual([]);
    aws.destroy();
  });
});
