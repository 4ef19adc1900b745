import { ListTargetsByRuleCommand, PutTargetsCommand } from "@aws-sdk/client-eventbridge";
import { GetRoleCommand } from "@aws-sdk/client-iam";
import {
  CreateEventSourceMappingCommand,
  DeleteEventSourceMappingCommand,
  GetEventSourceMappingCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  ListEventSourceMappingsCommand,
  ListFunctionEventInvokeConfigsCommand,
  PutFunctionEventInvokeConfigCommand,
  UpdateEventSourceMappingCommand,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionUpdatedV2,
} from "@aws-sdk/client-lambda";
import { GetQueueAttributesCommand, ListQueuesCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  createFunction,
  createMapping,
  createQueue,
  createRule,
  createStream,
  createTableStream,
  resetMoto,
  sdk,
  testAwsClients,
} from "../../support/aws.js";
import { type FaultProxy, startFaultProxy } from "../../support/fault-proxy.js";

let proxy: FaultProxy;
// Clients through the proxy, one attempt per call so each injected fault reaches the test.
const via = () => sdk(proxy.endpoint);

beforeAll(async () => {
  proxy = await startFaultProxy();
});
afterAll(async () => {
  await proxy.close();
});
beforeEach(async () => {
  await resetMoto();
  proxy.reset();
});

async function rejection(
  p: Promise<unknown>,
): Promise<Record<string, unknown> & { $metadata?: { httpStatusCode?: number } }> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!err) throw new Error("expected the call to fail");
  return err as Record<string, unknown>;
}

describe("fault proxy: identification and counting", () => {
  it("forwards transparently and counts per service and operation", async () => {
    const fn = await createFunction("count-fn");
    const queue = await createQueue("count-q");
    const uuid = await createMapping("count-fn", queue.arn);
    await via().lambda.send(new GetFunctionCommand({ FunctionName: fn }));
    await via().lambda.send(new GetFunctionConfigurationCommand({ FunctionName: "count-fn" }));
    await via().lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, BatchSize: 3 }));
    await via().lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }));
    await via().lambda.send(new ListEventSourceMappingsCommand({ FunctionName: "count-fn" }));
    await via().lambda.send(
      new PutFunctionEventInvokeConfigCommand({ FunctionName: "count-fn", MaximumRetryAttempts: 1 }),
    );
    await via().lambda.send(new ListFunctionEventInvokeConfigsCommand({ FunctionName: "count-fn" }));
    await via().sqs.send(new ListQueuesCommand({}));
    await via().sqs.send(new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ["All"] }));
    await createRule("count-rule");
    await via().events.send(new ListTargetsByRuleCommand({ Rule: "count-rule" }));
    await via().iam.send(new GetRoleCommand({ RoleName: "retryctl-test-lambda-role" }));
    await createStream("count-stream", proxy.endpoint);
    await createTableStream("count-table", proxy.endpoint);
    expect(proxy.counts()).toEqual({
      "lambda.GetFunction": 1,
      "lambda.GetFunctionConfiguration": 1,
      "lambda.UpdateEventSourceMapping": 1,
      "lambda.GetEventSourceMapping": 1,
      "lambda.ListEventSourceMappings": 1,
      "lambda.PutFunctionEventInvokeConfig": 1,
      "lambda.ListFunctionEventInvokeConfigs": 1,
      "sqs.ListQueues": 1,
      "sqs.GetQueueAttributes": 1,
      "events.ListTargetsByRule": 1,
      "iam.GetRole": 1,
      "kinesis.CreateStream": 1,
      "kinesis.DescribeStreamSummary": 1,
      "dynamodb.CreateTable": 1,
    });
    expect(proxy.count({ service: "lambda" })).toBe(7);
    expect(proxy.requests().every((r) => r.status === 200 || r.status === 202)).toBe(true);
    expect(proxy.injected()).toEqual({
      lambdaQuota: 0,
      throttle: 0,
      esmInUse: 0,
      functionConflict: 0,
      failedEntries: 0,
      http5xx: 0,
      dropConnections: 0,
    });
  });

  it("maxInWindow reports the busiest span", async () => {
    await createFunction("rate-fn");
    for (let i = 0; i < 4; i++)
      await via().lambda.send(new GetFunctionConfigurationCommand({ FunctionName: "rate-fn" }));
    expect(proxy.maxInWindow({ service: "lambda" }, 60_000)).toBe(4);
    expect(proxy.maxInWindow({ service: "sqs" })).toBe(0);
  });
});

describe("fault proxy: throttling", () => {
  it("lambdaQuota throttles the control plane (not GetFunction) with 429 TooManyRequestsException + Retry-After", async () => {
    await createFunction("quota-fn");
    proxy.set({ lambdaQuota: { rps: 3 } });
    const calls = Array.from({ length: 10 }, () =>
      via()
        .lambda.send(new GetFunctionConfigurationCommand({ FunctionName: "quota-fn" }))
        .then(
          () => "ok",
          (e: {
            name: string;
            $metadata?: { httpStatusCode?: number };
            retryAfterSeconds?: string;
            Reason?: string;
          }) => e,
        ),
    );
    const results = await Promise.all(calls);
    const failures = results.filter((r) => r !== "ok");
    expect(results.filter((r) => r === "ok").length).toBeGreaterThanOrEqual(3);
    expect(failures.length).toBeGreaterThan(0);
    for (const f of failures) {
      expect(f).toMatchObject({
        name: "TooManyRequestsException",
        $metadata: { httpStatusCode: 429 },
        retryAfterSeconds: "1",
        Reason: "CallerRateLimitExceeded",
      });
    }
    expect(proxy.injected().lambdaQuota).toBe(failures.length);
    // GetFunction has a quota of its own and is not drawn from this bucket.
    for (let i = 0; i < 5; i++) await via().lambda.send(new GetFunctionCommand({ FunctionName: "quota-fn" }));
    expect(proxy.injected().lambdaQuota).toBe(failures.length);
  });

  it("retryctl's AwsClients records quota throttles as 'throttled' and the SDK retries them", async () => {
    await createFunction("quota-fn");
    proxy.set({ lambdaQuota: { rps: 2, burst: 1 } });
    const { aws, requests } = testAwsClients({ endpoint: proxy.endpoint, maxAttempts: 5 });
    await aws.lambda("us-east-1").send(new GetFunctionConfigurationCommand({ FunctionName: "quota-fn" }));
    await aws.lambda("us-east-1").send(new GetFunctionConfigurationCommand({ FunctionName: "quota-fn" }));
    aws.destroy();
    expect(proxy.injected().lambdaQuota).toBeGreaterThan(0);
    expect(requests.filter((r) => r.outcome === "throttled")).toHaveLength(proxy.injected().lambdaQuota);
    expect(requests.filter((r) => r.outcome === "success")).toHaveLength(2);
  });

  it("throttle names each service's own error and is used up after count", async () => {
    await createFunction("thr-fn");
    const queue = await createQueue("thr-q");
    await createRule("thr-rule");

    proxy.set({ throttle: { service: "lambda", operation: "GetFunctionConfiguration", count: 1 } });
    await via().lambda.send(new GetFunctionCommand({ FunctionName: "thr-fn" }));
    const lambdaErr = await rejection(
      via().lambda.send(new GetFunctionConfigurationCommand({ FunctionName: "thr-fn" })),
    );
    expect(lambdaErr).toMatchObject({ name: "TooManyRequestsException", $metadata: { httpStatusCode: 429 } });
    await via().lambda.send(new GetFunctionConfigurationCommand({ FunctionName: "thr-fn" }));

    proxy.set({ throttle: { service: "sqs", count: 1 } });
    const sqsErr = await rejection(
      via().sqs.send(new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ["All"] })),
    );
    expect(sqsErr).toMatchObject({ name: "RequestThrottled", $metadata: { httpStatusCode: 403 } });
    expect((sqsErr as { Error?: { Code?: string } }).Error?.Code ?? sqsErr.Code).toBe("RequestThrottled");

    proxy.set({ throttle: { service: "events", count: 1 } });
    const eventsErr = await rejection(via().events.send(new ListTargetsByRuleCommand({ Rule: "thr-rule" })));
    expect(eventsErr).toMatchObject({ name: "ThrottlingException", $metadata: { httpStatusCode: 400 } });

    expect(proxy.injected().throttle).toBe(3);
    expect(proxy.faults.throttle?.count).toBe(0);
  });
});

describe("fault proxy: resources in motion", () => {
  it("esmInUseMs: Update/Delete right after a change is ResourceInUseException; reads show the transient state", async () => {
    await createFunction("esm-fn");
    const queue = await createQueue("esm-q");
    proxy.set({ esmInUseMs: 2000 });
    const created = await via().lambda.send(
      new CreateEventSourceMappingCommand({ FunctionName: "esm-fn", EventSourceArn: queue.arn }),
    );
    expect(created.State).toBe("Creating");
    const uuid = created.UUID ?? "";
    expect((await via().lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }))).State).toBe(
      "Creating",
    );
    const inUse = await rejection(
      via().lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, BatchSize: 2 })),
    );
    expect(inUse).toMatchObject({ name: "ResourceInUseException", $metadata: { httpStatusCode: 400 } });

    await new Promise((r) => setTimeout(r, 2100));
    expect((await via().lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }))).State).toBe("Enabled");
    const updated = await via().lambda.send(
      new UpdateEventSourceMappingCommand({ UUID: uuid, BatchSize: 2 }),
    );
    expect(updated.State).toBe("Updating");
    const listed = await via().lambda.send(new ListEventSourceMappingsCommand({ FunctionName: "esm-fn" }));
    expect(listed.EventSourceMappings?.[0]?.State).toBe("Updating");
    await expect(
      via().lambda.send(new DeleteEventSourceMappingCommand({ UUID: uuid })),
    ).rejects.toMatchObject({
      name: "ResourceInUseException",
    });
    expect(proxy.injected().esmInUse).toBe(2);
    expect((await sdk().lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }))).BatchSize).toBe(2);
  });

  it("functionConflictMs: a second update is ResourceConflictException while GetFunction says InProgress", async () => {
    const arn = await createFunction("conf-fn");
    proxy.set({ functionConflictMs: 3000 });
    const first = await via().lambda.send(
      new UpdateFunctionConfigurationCommand({ FunctionName: "conf-fn", Timeout: 10 }),
    );
    expect(first.LastUpdateStatus).toBe("InProgress");
    const get = await via().lambda.send(new GetFunctionCommand({ FunctionName: arn }));
    expect(get.Configuration?.LastUpdateStatus).toBe("InProgress");
    const conf = await via().lambda.send(new GetFunctionConfigurationCommand({ FunctionName: "conf-fn" }));
    expect(conf.LastUpdateStatus).toBe("InProgress");
    const conflict = await rejection(
      via().lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: arn, Timeout: 11 })),
    );
    expect(conflict).toMatchObject({
      name: "ResourceConflictException",
      $metadata: { httpStatusCode: 409 },
      message: `The operation cannot be performed at this time. An update is in progress for resource: ${arn}`,
    });
    const waited = await waitUntilFunctionUpdatedV2(
      { client: via().lambda, minDelay: 1, maxDelay: 1, maxWaitTime: 20 },
      { FunctionName: "conf-fn" },
    );
    expect(waited.state).toBe("SUCCESS");
    expect(proxy.count({ operation: "GetFunction" })).toBeGreaterThanOrEqual(2);
    await via().lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: "conf-fn", Timeout: 11 }));
    expect(proxy.injected().functionConflict).toBe(1);
  });
});

describe("fault proxy: partial failures and broken transport", () => {
  it("failedEntries answers PutTargets with FailedEntries and does not forward it", async () => {
    const queue = await createQueue("fe-q");
    await createRule("fe-rule");
    proxy.set({ failedEntries: { count: 1 } });
    const out = await via().events.send(
      new PutTargetsCommand({ Rule: "fe-rule", Targets: [{ Id: "t1", Arn: queue.arn }] }),
    );
    expect(out.FailedEntryCount).toBe(1);
    expect(out.FailedEntries).toEqual([
      { TargetId: "t1", ErrorCode: "ConcurrentModificationException", ErrorMessage: expect.any(String) },
    ]);
    expect(
      (await sdk().events.send(new ListTargetsByRuleCommand({ Rule: "fe-rule" }))).Targets ?? [],
    ).toEqual([]);
    const second = await via().events.send(
      new PutTargetsCommand({ Rule: "fe-rule", Targets: [{ Id: "t1", Arn: queue.arn }] }),
    );
    expect(second.FailedEntryCount).toBe(0);
    expect(proxy.injected().failedEntries).toBe(1);
  });

  it("http5xx answers 500/503 in each service's error format", async () => {
    await createFunction("err-fn");
    await createQueue("err-q");
    proxy.set({ http5xx: { status: 500, count: 1, service: "lambda" } });
    await expect(
      via().lambda.send(new GetFunctionConfigurationCommand({ FunctionName: "err-fn" })),
    ).rejects.toMatchObject({ name: "ServiceException", $metadata: { httpStatusCode: 500 } });
    proxy.set({ http5xx: { status: 503, count: 1, service: "sqs" } });
    await expect(via().sqs.send(new ListQueuesCommand({}))).rejects.toMatchObject({
      name: "ServiceUnavailable",
      $metadata: { httpStatusCode: 503 },
    });
    await via().sqs.send(new ListQueuesCommand({}));
    expect(proxy.injected().http5xx).toBe(2);
  });

  it("dropConnections destroys the socket; the SDK sees a network error", async () => {
    await createFunction("drop-fn");
    proxy.set({ dropConnections: { count: 1 } });
    const err = await rejection(
      via().lambda.send(new GetFunctionConfigurationCommand({ FunctionName: "drop-fn" })),
    );
    expect(String(err.code ?? err.name)).toMatch(/ECONNRESET|socket hang up/i);
    await via().lambda.send(new GetFunctionConfigurationCommand({ FunctionName: "drop-fn" }));
    expect(proxy.injected().dropConnections).toBe(1);
    expect(proxy.requests().map((r) => r.status)).toEqual([0, 200]);
  });

  it("latencyMs delays every request", async () => {
    await createFunction("slow-fn");
    proxy.set({ latencyMs: 200 });
    const start = Date.now();
    await via().lambda.send(new GetFunctionConfigurationCommand({ FunctionName: "slow-fn" }));
    expect(Date.now() - start).toBeGreaterThanOrEqual(190);
    proxy.set({ latencyMs: undefined });
    expect(proxy.faults.latencyMs).toBeUndefined();
  });
});
