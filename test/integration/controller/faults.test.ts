import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  GetFunctionEventInvokeConfigCommand,
  ListEventSourceMappingsCommand,
  UpdateEventSourceMappingCommand,
} from "@aws-sdk/client-lambda";
import { describe, expect, it } from "vitest";
import { createFunction, createMapping, createQueue, sdk } from "../../support/aws.js";
import type { RequestRecord } from "../../support/fault-proxy.js";
import { controllerSuite, doc, startController, status } from "./harness.js";

const FUNCTIONS = 4;
const LAMBDA_RATE = 5;

/** Lambda calls that count against the shared control-plane quota (GetFunction has its own). */
function maxLambdaPerSecond(requests: readonly RequestRecord[]): number {
  const times = requests
    .filter((r) => r.service === "lambda" && r.operation !== "GetFunction")
    .map((r) => r.at);
  let best = 0;
  for (let end = 0, start = 0; end < times.length; end++) {
    while ((times[end] ?? 0) - (times[start] ?? 0) >= 1000) start++;
    best = Math.max(best, end - start + 1);
  }
  return best;
}

describe("controller under throttling and resources in motion", () => {
  const suite = controllerSuite("faults");

  it("converges every resource, never dropping one, and keeps Lambda calls under its own rate", async () => {
    const uuids: string[] = [];
    for (let i = 0; i < FUNCTIONS; i++) {
      await createFunction(`fault-fn-${i}`);
      const source = await createQueue(`fault-src-${i}`);
      uuids.push(await createMapping(`fault-fn-${i}`, source.arn, { BatchSize: 10 }));
      await writeFile(
        join(suite.dir, `fn-${i}.yaml`),
        doc("FunctionEventInvokeConfig", `fault-fn-${i}`, {
          functionName: `fault-fn-${i}`,
          maximumRetryAttempts: 1,
        }) +
          "---\n" +
          doc("EventSourceMapping", `fault-esm-${i}`, {
            functionName: `fault-fn-${i}`,
            eventSourceArn: source.arn,
            batchSize: 5,
          }),
      );
    }
    // Lambda's real quota; a mapping changed within 3 s of its last change is in use; slow answers.
    suite.proxy.set({ lambdaQuota: { rps: 15 }, esmInUseMs: 3_000, latencyMs: 300 });

    const startedAt = Date.now();
    const c = await startController({
      dir: suite.dir,
      endpoint: suite.proxy.endpoint,
      rateLimits: { lambda: LAMBDA_RATE },
      backoff: { baseMs: 250, maxMs: 2_000 },
    });
    suite.controller = c;

    // The race users hit: the suite.controller has read the mappings (Enabled) when someone else updates
    // them, so its own update meets ResourceInUseException on the wire.
    await expect
      .poll(
        () =>
          suite.proxy.requests().some((r) => r.at >= startedAt && r.operation.includes("EventSourceMapping")),
        {
          timeout: 15_000,
          interval: 5,
        },
      )
      .toBe(true);
    const handAt = Date.now();
    const hand = sdk(suite.proxy.endpoint).lambda;
    await Promise.all(
      uuids.map((UUID) => hand.send(new UpdateEventSourceMappingCommand({ UUID, BatchSize: 7 }))),
    );
    const byHand = (r: RequestRecord) =>
      r.operation === "UpdateEventSourceMapping" && r.at >= handAt && r.at < handAt + 150;
    expect(suite.proxy.requests().filter(byHand)).toHaveLength(FUNCTIONS);
    // Then a burst of throttles the suite.controller did not cause.
    suite.proxy.set({ throttle: { service: "lambda", count: 6 } });

    await expect
      .poll(async () => (await status(c.url)).resources.filter((r) => r.status === "Synced").length, {
        timeout: 45_000,
        interval: 250,
      })
      .toBe(2 * FUNCTIONS);

    const injected = suite.proxy.injected();
    const mine = suite.proxy.requests().filter((r) => r.at >= startedAt && !byHand(r));
    const peak = maxLambdaPerSecond(mine);
    console.info(
      `faults injected: ${JSON.stringify(injected)}; suite.controller Lambda calls ` +
        `${mine.filter((r) => r.service === "lambda").length}, at most ${peak} in any second (limit ${LAMBDA_RATE}/s)`,
    );
    expect(injected.throttle).toBe(6);
    expect(injected.esmInUse).toBeGreaterThan(0);
    // retryctl's own limiter kept it under the quota: the suite.proxy's quota never had to throttle it.
    expect(injected.lambdaQuota).toBe(0);
    expect(peak).toBeLessThanOrEqual(LAMBDA_RATE + 1);

    // Waiting was shown as such, and nothing was lost: AWS has every desired value.
    expect(
      c.logs.some(
        (l) => l.reason === "ResourceInUse" && l.status === "Pending" && l.kind === "EventSourceMapping",
      ),
    ).toBe(true);
    const { lambda } = sdk();

    for (let i = 0; i < FUNCTIONS; i++) {
      const config = await lambda.send(
        new GetFunctionEventInvokeConfigCommand({ FunctionName: `fault-fn-${i}` }),
      );
      expect(config.MaximumRetryAttempts).toBe(1);
      const mappings = await lambda.send(
        new ListEventSourceMappingsCommand({ FunctionName: `fault-fn-${i}` }),
      );
      expect(mappings.EventSourceMappings?.map((m) => m.BatchSize)).toEqual([5]);
    }
    expect(c.logs.filter((l) => l.level === "fatal")).toEqual([]);
  });
});
