import { UpdateFunctionConfigurationCommand } from "@aws-sdk/client-lambda";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  createFunction,
  createMapping,
  createQueue,
  createStream,
  resetMoto,
  sdk,
} from "../../support/aws.js";
import { cli, manifest, manifestDir, type PlanJson } from "../../support/cli.js";
import { FaultProxy } from "../../support/fault-proxy.js";

/**
 * One-shot commands say on stderr what they wait for (design §13), at least
 * every 10 s by default; here every second (`--progress-interval`), against
 * waits of a few seconds made by the fault proxy. stdout carries only the plan.
 */
let proxy: FaultProxy;
beforeAll(async () => {
  proxy = await FaultProxy.start();
});
afterAll(() => proxy.close());
beforeEach(async () => {
  await resetMoto();
  proxy.reset();
});

const EVERY_SECOND = ["--progress-interval", "1s"];

function lines(text: string, prefix: string): string[] {
  return text.split("\n").filter((l) => l.startsWith(prefix));
}

describe("apply says what it waits for", () => {
  it("a function update InProgress: waiting lines with the reason and the time left; stdout is the plan alone", async () => {
    const dlq = await createQueue("dlq");
    await createFunction("busy-fn");
    proxy.set({ functionConflictMs: 3_500 });
    await sdk(proxy.endpoint).lambda.send(
      new UpdateFunctionConfigurationCommand({ FunctionName: "busy-fn", Timeout: 30 }),
    );
    const dir = await manifestDir({
      "d.yaml": manifest("FunctionDeadLetterConfig", "busy-fn", {
        functionName: "busy-fn",
        targetArn: dlq.arn,
      }),
    });
    const run = await cli(
      "apply",
      dir,
      "--endpoint-url",
      proxy.endpoint,
      "--output",
      "json",
      ...EVERY_SECOND,
    );
    expect(run.code, run.stderr).toBe(0);
    const waits = lines(run.stderr, "waiting: ");
    expect(waits.length, run.stderr).toBeGreaterThanOrEqual(2);
    for (const line of waits) {
      expect(line).toMatch(
        /^waiting: FunctionDeadLetterConfig\/busy-fn: UpdateInProgress \(function update in progress\), retrying for up to (\d+m)?\d+s more$/,
      );
    }
    // The time left counts down from the 2m default --wait-timeout.
    expect(waits[0]).toMatch(/up to 1m5\ds more$/);
    // stdout is exactly the JSON document: nothing of the progress in it.
    expect(run.json<PlanJson>().resources[0]).toMatchObject({ action: "update", applied: true });
    expect(run.stdout).not.toContain("waiting");
  });

  it("a mapping that is Creating: waiting lines name ResourceInUse", async () => {
    const stream = await createStream("s-busy");
    await createFunction("mapped");
    proxy.set({ esmInUseMs: 3_500 });
    await createMapping("mapped", stream, {}, proxy.endpoint);
    const dir = await manifestDir({
      "m.yaml": manifest("EventSourceMapping", "mapped", {
        functionName: "mapped",
        eventSourceArn: stream,
        maximumRetryAttempts: 5,
        onFailure: null,
      }),
    });
    const run = await cli("apply", dir, "--endpoint-url", proxy.endpoint, ...EVERY_SECOND);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const waits = lines(run.stderr, "waiting: EventSourceMapping/mapped: ResourceInUse (");
    expect(waits.length, run.stderr).toBeGreaterThanOrEqual(2);
    expect(run.stdout).not.toContain("waiting");
    expect(run.stdout).toContain("Apply: 0 created, 1 updated");
  });

  it("an AWS call that is slow and retried inside the SDK: still-waiting lines with the failed attempts", async () => {
    await createFunction("slow-fn");
    // Each attempt takes 1.5 s; the first two answer 500, so the SDK's one call takes three attempts.
    proxy.set({
      slow: [{ service: "lambda", operation: "ListFunctionEventInvokeConfigs", minMs: 1_500, maxMs: 1_500 }],
      http5xx: { service: "lambda", operation: "ListFunctionEventInvokeConfigs", status: 500, count: 2 },
    });
    const dir = await manifestDir({
      "m.yaml": manifest("FunctionEventInvokeConfig", "slow-fn", {
        functionName: "slow-fn",
        maximumRetryAttempts: 1,
      }),
    });
    const run = await cli("diff", dir, "--endpoint-url", proxy.endpoint, ...EVERY_SECOND);
    expect(run.code, run.stdout + run.stderr).toBe(2);
    expect(proxy.count({ operation: "ListFunctionEventInvokeConfigs" })).toBe(3);
    const still = lines(
      run.stderr,
      "still waiting for 1 resource(s): reading FunctionEventInvokeConfig/slow-fn",
    );
    expect(still.length, run.stderr).toBeGreaterThanOrEqual(3);
    expect(
      still.some((l) =>
        /\d AWS attempt\(s\) failed since the last report, the last lambda ListFunctionEventInvokeConfigs: ServiceException$/.test(
          l,
        ),
      ),
      run.stderr,
    ).toBe(true);
    expect(run.stdout).not.toMatch(/waiting|attempt/);
    expect(run.stdout).toContain("Plan: 1 to create, 0 to update, 0 in sync, 0 errors.");
  });

  it("says nothing when nothing waits", async () => {
    await createFunction("quick-fn");
    const dir = await manifestDir({
      "m.yaml": manifest("FunctionEventInvokeConfig", "quick-fn", {
        functionName: "quick-fn",
        maximumRetryAttempts: 1,
      }),
    });
    // The default interval (10 s): a one-resource apply is done long before.
    const run = await cli("apply", dir, "--endpoint-url", proxy.endpoint);
    expect(run.code).toBe(0);
    expect(run.stderr).not.toContain("waiting");
  });
});
