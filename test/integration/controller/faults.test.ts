import { GetFunctionEventInvokeConfigCommand, ListEventSourceMappingsCommand } from "@aws-sdk/client-lambda";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createFunction, createMapping, createQueue, resetMoto, sdk } from "../../support/aws.js";
import { type FaultProxy, startFaultProxy } from "../../support/fault-proxy.js";
import { doc, status, startController, type TestController } from "./harness.js";

const FUNCTIONS = 4;
const LAMBDA_RATE = 5;

/** Lambda calls that count against the shared control-plane quota (GetFunction has its own). */
function maxLambdaPerSecond(proxy: FaultProxy): number {
  const times = proxy
    .requests()
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
  let dir: string;
  let proxy: FaultProxy;
  let controller: TestController | undefined;

  beforeAll(async () => {
    proxy = await startFaultProxy();
  });
  afterAll(async () => {
    await proxy.close();
  });

  beforeEach(async () => {
    await resetMoto();
    proxy.reset();
    dir = await mkdtemp(join(tmpdir(), "retryctl-faults-"));
  });
  afterEach(async () => {
    await controller?.stop();
    controller = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it("converges every resource, never dropping one, and keeps Lambda calls under its own rate", async () => {
    // Mappings created through the proxy are "Creating" for 2 s: updates meanwhile get ResourceInUseException.
    proxy.set({ esmInUseMs: 2_000 });
    for (let i = 0; i < FUNCTIONS; i++) {
      await createFunction(`fault-fn-${i}`);
      const source = await createQueue(`fault-src-${i}`);
      await createMapping(`fault-fn-${i}`, source.arn, { BatchSize: 10 }, proxy.endpoint);
      await writeFile(
        join(dir, `fn-${i}.yaml`),
        doc("FunctionEventInvokeConfig", `fault-fn-${i}`, { functionName: `fault-fn-${i}`, maximumRetryAttempts: 2 }) +
          "---\n" +
          doc("EventSourceMapping", `fault-esm-${i}`, {
            functionName: `fault-fn-${i}`,
            eventSourceArn: source.arn,
            batchSize: 5,
          }),
      );
    }
    // Lambda's real quota at the proxy, plus a burst of throttles the controller did not cause.
    proxy.set({ lambdaQuota: { rps: 15 }, throttle: { service: "lambda", count: 6 } });

    const c = await startController({
      dir,
      endpoint: proxy.endpoint,
      rateLimits: { lambda: LAMBDA_RATE },
      backoff: { baseMs: 250, maxMs: 2_000 },
    });
    controller = c;

    await expect
      .poll(async () => (await status(c.url)).resources.filter((r) => r.status === "Synced").length, {
        timeout: 45_000,
        interval: 250,
      })
      .toBe(2 * FUNCTIONS);

    const injected = proxy.injected();
    console.info(
      `faults injected: ${JSON.stringify(injected)}; Lambda calls ${proxy.count({ service: "lambda" })}, ` +
        `at most ${maxLambdaPerSecond(proxy)} in any second (limit ${LAMBDA_RATE}/s)`,
    );
    expect(injected.throttle).toBe(6);
    expect(injected.esmInUse).toBeGreaterThan(0);
    // retryctl's own limiter kept it under the quota: the proxy's quota never had to throttle it.
    expect(injected.lambdaQuota).toBe(0);
    expect(maxLambdaPerSecond(proxy)).toBeLessThanOrEqual(LAMBDA_RATE + 1);

    // Waiting was shown as such, and nothing was lost: AWS has every desired value.
    expect(
      c.logs.some((l) => l.reason === "ResourceInUse" && l.status === "Pending" && l.kind === "EventSourceMapping"),
    ).toBe(true);
    const { lambda } = sdk();
    for (let i = 0; i < FUNCTIONS; i++) {
      const config = await lambda.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: `fault-fn-${i}` }));
      expect(config.MaximumRetryAttempts).toBe(2);
      const mappings = await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: `fault-fn-${i}` }));
      expect(mappings.EventSourceMappings?.map((m) => m.BatchSize)).toEqual([5]);
    }
    expect(c.logs.filter((l) => l.level === "fatal")).toEqual([]);
  });
});
