import { ListTargetsByRuleCommand } from "@aws-sdk/client-eventbridge";
import {
  GetFunctionConfigurationCommand,
  GetFunctionEventInvokeConfigCommand,
  PutFunctionEventInvokeConfigCommand,
  UpdateFunctionConfigurationCommand,
} from "@aws-sdk/client-lambda";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  createFunction,
  createMapping,
  createPipe,
  createQueue,
  createRule,
  createSchedule,
  createStream,
  createTopic,
  putTarget,
  resetMoto,
  sdk,
  subscribe,
} from "../../support/aws.js";
import { cli, manifest, manifestDir, type PlanJson } from "../../support/cli.js";
import { FaultProxy } from "../../support/fault-proxy.js";

/**
 * AWS faults the engine must absorb (design §4): throttling, things in
 * motion and partial failures are waited out, and `apply` still converges.
 * The proxy counts what it injected and every request, so the retries show.
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

async function seedAll() {
  const q = await createQueue("failures");
  await createQueue("work");
  await createQueue("work-dlq");
  const stream = await createStream("events");
  const fn = await createFunction("worker");
  await createFunction("async-a");
  await createFunction("async-b");
  await createMapping("worker", stream);
  await createRule("placed");
  await putTarget("placed", { Id: "t1", Arn: fn, Input: '{"keep":true}' });
  return manifestDir({
    "all.yaml": [
      manifest("FunctionEventInvokeConfig", "async-a", {
        functionName: "async-a",
        maximumRetryAttempts: 1,
        onFailure: q.arn,
      }),
      manifest("FunctionEventInvokeConfig", "async-b", {
        functionName: "async-b",
        maximumRetryAttempts: 0,
        onFailure: q.arn,
      }),
      manifest("FunctionDeadLetterConfig", "worker", { functionName: "worker", targetArn: q.arn }),
      manifest("EventSourceMapping", "worker-stream", {
        functionName: "worker",
        eventSourceArn: stream,
        maximumRetryAttempts: 2,
        onFailure: q.arn,
      }),
      manifest("QueueRedrivePolicy", "work", {
        queue: "work",
        deadLetterQueue: "work-dlq",
        maxReceiveCount: 5,
      }),
      manifest("EventTargetRetryPolicy", "placed-t1", {
        rule: "placed",
        targetId: "t1",
        maximumRetryAttempts: 3,
        deadLetterQueue: q.arn,
      }),
    ].join("---\n"),
  });
}

describe("apply converges through injected faults", () => {
  it("throttling on every service: retried, counted, converged", async () => {
    const dir = await seedAll();
    proxy.set({ throttle: { service: "lambda", count: 4 } });
    const first = await cli("apply", dir, "--endpoint-url", proxy.endpoint, "--output", "json");
    proxy.set({ throttle: { service: "sqs", count: 2 } });
    const second = await cli("apply", dir, "--endpoint-url", proxy.endpoint, "--output", "json");
    expect(first.code, first.stdout).toBe(0);
    expect(second.code, second.stdout).toBe(0);
    expect(proxy.injected().throttle).toBe(6);
    const throttledOps = proxy.requests().filter((r) => r.fault === "throttle");
    // Each throttled request was sent again: more requests than faults for those operations.
    for (const op of new Set(throttledOps.map((r) => r.operation))) {
      const sent = proxy.count({ operation: op });
      const failed = throttledOps.filter((r) => r.operation === op).length;
      expect(sent, op).toBeGreaterThan(failed);
    }
    const diff = await cli("diff", dir, "--endpoint-url", proxy.endpoint);
    expect(diff.code, diff.stdout).toBe(0);
  });

  it("throttling on SNS, Scheduler and Pipes: each throttled call retried, counted, converged", async () => {
    const dlq = await createQueue("surfaces-dlq");
    const fn = await createFunction("surfaces-fn");
    const topic = await createTopic("surfaces");
    await subscribe(topic, fn);
    await createSchedule("surfaces", { Target: { Arn: fn, RoleArn: "arn:aws:iam::123456789012:role/s" } });
    const stream = await createStream("surfaces");
    await createPipe("surfaces", stream, fn, { KinesisStreamParameters: { StartingPosition: "LATEST" } });
    const dir = await manifestDir({
      "s.yaml": [
        manifest("SubscriptionRedrivePolicy", "surfaces", {
          topicArn: topic,
          endpoint: fn,
          deadLetterQueue: dlq.arn,
        }),
        manifest("ScheduleRetryPolicy", "surfaces", { scheduleName: "surfaces", maximumRetryAttempts: 2 }),
        manifest("PipeRetryPolicy", "surfaces", { pipeName: "surfaces", maximumRetryAttempts: 2 }),
      ].join("---\n"),
    });
    for (const service of ["sns", "scheduler", "pipes"]) {
      proxy.set({ throttle: { service, count: 2 } });
      const run = await cli("apply", dir, "--endpoint-url", proxy.endpoint, "--output", "json");
      expect(run.code, run.stdout).toBe(0);
    }
    expect(proxy.injected().throttle).toBe(6);
    const throttled = proxy.requests().filter((r) => r.fault === "throttle");
    expect(new Set(throttled.map((r) => r.service))).toEqual(new Set(["sns", "scheduler", "pipes"]));
    for (const op of new Set(throttled.map((r) => r.operation))) {
      const failed = throttled.filter((r) => r.operation === op).length;
      expect(proxy.count({ operation: op }), op).toBeGreaterThan(failed);
    }
    const diff = await cli("diff", dir, "--endpoint-url", proxy.endpoint);
    expect(diff.code, diff.stdout).toBe(0);
  });

  it("a mapping that is Creating (ResourceInUseException) is waited out", async () => {
    const stream = await createStream("s-busy");
    await createFunction("busy");
    proxy.set({ esmInUseMs: 1500 });
    // Created through the proxy, so the proxy knows it is Creating for 1.5 s.
    await createMapping("busy", stream, {}, proxy.endpoint);
    const dir = await manifestDir({
      "m.yaml": manifest("EventSourceMapping", "busy", {
        functionName: "busy",
        eventSourceArn: stream,
        maximumRetryAttempts: 5,
        onFailure: null,
      }),
    });
    const run = await cli("apply", dir, "--endpoint-url", proxy.endpoint, "--output", "json");
    expect(run.code, run.stdout).toBe(0);
    expect(run.json<PlanJson>().resources[0]).toMatchObject({ action: "update", applied: true });
    // The first read saw Creating; it was read again before the one update was sent.
    expect(proxy.count({ operation: "ListEventSourceMappings" })).toBeGreaterThan(1);
    expect(proxy.count({ operation: "UpdateEventSourceMapping" })).toBe(1);
    const diff = await cli("diff", dir, "--endpoint-url", proxy.endpoint);
    expect(diff.code).toBe(0);
  });

  it("a function update InProgress (ResourceConflictException) is waited out", async () => {
    const dlq = await createQueue("dlq");
    await createFunction("updating");
    proxy.set({ functionConflictMs: 1500 });
    await sdk(proxy.endpoint).lambda.send(
      new UpdateFunctionConfigurationCommand({ FunctionName: "updating", Timeout: 30 }),
    );
    const dir = await manifestDir({
      "d.yaml": manifest("FunctionDeadLetterConfig", "updating", {
        functionName: "updating",
        targetArn: dlq.arn,
      }),
    });
    const run = await cli("apply", dir, "--endpoint-url", proxy.endpoint);
    expect(run.code, run.stdout).toBe(0);
    expect(proxy.count({ operation: "GetFunction" })).toBeGreaterThan(1);
    const fn = await sdk().lambda.send(new GetFunctionConfigurationCommand({ FunctionName: "updating" }));
    expect(fn.DeadLetterConfig?.TargetArn).toBe(dlq.arn);
    expect(fn.Timeout).toBe(30);
  });

  it("PutTargets partial failure (FailedEntryCount, HTTP 200) is retried, the target keeps its Input", async () => {
    const dlq = await createQueue("events-dlq");
    const fn = await createFunction("target-fn");
    await createRule("r1");
    await putTarget("r1", { Id: "t", Arn: fn, Input: '{"keep":1}' });
    proxy.set({ failedEntries: { count: 1 } });
    const dir = await manifestDir({
      "t.yaml": manifest("EventTargetRetryPolicy", "r1-t", {
        rule: "r1",
        targetId: "t",
        maximumRetryAttempts: 2,
        deadLetterQueue: dlq.arn,
      }),
    });
    const run = await cli("apply", dir, "--endpoint-url", proxy.endpoint);
    expect(run.code, run.stdout).toBe(0);
    expect(proxy.injected().failedEntries).toBe(1);
    expect(proxy.count({ operation: "PutTargets" })).toBe(2);
    const { Targets } = await sdk().events.send(new ListTargetsByRuleCommand({ Rule: "r1" }));
    expect(Targets?.[0]).toMatchObject({ Input: '{"keep":1}', RetryPolicy: { MaximumRetryAttempts: 2 } });
  });

  it("under a simulated 15 req/s Lambda quota, 30 async configs apply with no throttle received", async () => {
    const q = await createQueue("quota-failures");
    const docs: string[] = [];
    for (let i = 0; i < 30; i++) {
      await createFunction(`quota-${i}`);
      await sdk().lambda.send(
        new PutFunctionEventInvokeConfigCommand({ FunctionName: `quota-${i}`, MaximumRetryAttempts: 2 }),
      );
      docs.push(
        manifest("FunctionEventInvokeConfig", `quota-${i}`, {
          functionName: `quota-${i}`,
          maximumRetryAttempts: 0,
          onFailure: q.arn,
        }),
      );
    }
    const dir = await manifestDir({ "q.yaml": docs.join("---\n") });
    proxy.set({ lambdaQuota: { rps: 15 } });
    const run = await cli("apply", dir, "--endpoint-url", proxy.endpoint, "--concurrency", "16");
    expect(run.code, run.stdout).toBe(0);
    // 30 List, then per config its re-read (List) just before the replacing Put: the client-side
    // limiter kept retryctl under the quota.
    expect(proxy.count({ service: "lambda" })).toBe(90);
    expect(proxy.count({ operation: "PutFunctionEventInvokeConfig" })).toBe(30);
    expect(proxy.injected().lambdaQuota).toBe(0);
    const config = await sdk().lambda.send(
      new GetFunctionEventInvokeConfigCommand({ FunctionName: "quota-29" }),
    );
    expect(config.MaximumRetryAttempts).toBe(0);
  });
});
