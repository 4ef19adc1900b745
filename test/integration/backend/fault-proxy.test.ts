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
  ListFunctionsCommand,
  PutFunctionEventInvokeConfigCommand,
  UpdateEventSourceMappingCommand,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionUpdatedV2,
} from "@aws-sdk/client-lambda";
import { GetQueueAttributesCommand, ListQueuesCommand, SetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { classifyAwsError } from "../../../src/aws/errors.js";
import {
  createFunction,
  createMapping,
  createQueue,
  createRule,
  createStream,
  createTableStream,
  resetMoto,
  sdk,
  TEST_CREDENTIALS,
  TEST_REGION,
  testAwsClients,
} from "../../support/aws.js";
import {
  type FaultProxy,
  RANDOM_FAULT_KINDS,
  type RandomFaultKind,
  startFaultProxy,
} from "../../support/fault-proxy.js";
import { clientsIn } from "../fleet/seed.js";

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
      timeout: 0,
      credentials: 0,
      assumeRole: 0,
      slow: 0,
    });
  });

  it("records the object each call addresses; idle() waits for requests still being handled", async () => {
    const fnArn = await createFunction("res-fn");
    const queue = await createQueue("res-q");
    await createRule("res-rule");
    const uuid = await createMapping("res-fn", queue.arn);
    await via().lambda.send(new GetFunctionConfigurationCommand({ FunctionName: "res-fn" }));
    await via().lambda.send(
      new PutFunctionEventInvokeConfigCommand({ FunctionName: fnArn, MaximumRetryAttempts: 1 }),
    );
    await via().lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, BatchSize: 3 }));
    await via().sqs.send(new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ["All"] }));
    await via().events.send(
      new PutTargetsCommand({ Rule: "res-rule", Targets: [{ Id: "t1", Arn: queue.arn }] }),
    );
    await via().events.send(new ListTargetsByRuleCommand({ Rule: "res-rule" }));
    expect(proxy.requests().map((r) => r.resource)).toEqual([
      "function:res-fn",
      "function:res-fn",
      `esm:${uuid}`,
      "queue:res-q",
      "rule:default/res-rule/t1",
      "rule:default/res-rule",
    ]);

    proxy.set({ slow: [{ minMs: 300, maxMs: 300 }] });
    const pending = via().sqs.send(new ListQueuesCommand({}));
    await expect.poll(() => proxy.inflight, { interval: 5 }).toBe(1);
    await proxy.idle();
    expect(proxy.inflight).toBe(0);
    await pending;
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

  it("credentials refuses requests as Lambda (403 rest-json) and STS (query XML) do, used up after count", async () => {
    await createFunction("cred-fn");
    const sts = new STSClient({
      region: TEST_REGION,
      endpoint: proxy.endpoint,
      credentials: TEST_CREDENTIALS,
      maxAttempts: 1,
    });
    const cases = [
      ["lambda", "unknown-key", "UnrecognizedClientException", 403],
      ["lambda", "expired", "ExpiredTokenException", 403],
      ["lambda", "denied", "AccessDeniedException", 403],
      ["sts", "unknown-key", "InvalidClientTokenId", 403],
      ["sts", "expired", "ExpiredToken", 400],
      ["sts", "denied", "AccessDenied", 403],
    ] as const;
    for (const [service, fault, name, status] of cases) {
      proxy.set({ credentials: { service, fault, count: 1 } });
      const call =
        service === "lambda"
          ? via().lambda.send(new GetFunctionConfigurationCommand({ FunctionName: "cred-fn" }))
          : sts.send(new GetCallerIdentityCommand({}));
      await expect(call, `${service} ${fault}`).rejects.toMatchObject({
        name,
        $metadata: { httpStatusCode: status },
      });
    }
    // Used up: the next calls reach moto.
    await via().lambda.send(new GetFunctionConfigurationCommand({ FunctionName: "cred-fn" }));
    await sts.send(new GetCallerIdentityCommand({}));
    sts.destroy();
    expect(proxy.injected().credentials).toBe(6);
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

describe("fault proxy: timeouts", () => {
  it("timeout (hang) accepts the request and never answers; AwsClients gives up after requestTimeoutMs", async () => {
    await createFunction("hang-fn");
    proxy.set({ timeout: { service: "lambda", count: 1 } });
    const { aws, requests } = testAwsClients({
      endpoint: proxy.endpoint,
      maxAttempts: 1,
      requestTimeoutMs: 500,
    });
    const start = Date.now();
    const err = await rejection(
      aws.lambda("us-east-1").send(new GetFunctionConfigurationCommand({ FunctionName: "hang-fn" })),
    );
    const waited = Date.now() - start;
    expect(err).toMatchObject({ name: "TimeoutError", code: "ETIMEDOUT" });
    expect(waited).toBeGreaterThanOrEqual(450);
    expect(waited).toBeLessThan(5_000);
    expect(classifyAwsError(err)).toMatchObject({ code: "NetworkError", retry: "transient" });
    expect(requests).toEqual([
      expect.objectContaining({
        operation: "GetFunctionConfiguration",
        outcome: "error",
        errorName: "TimeoutError",
      }),
    ]);
    // The count is used up: the next call goes through.
    await aws.lambda("us-east-1").send(new GetFunctionConfigurationCommand({ FunctionName: "hang-fn" }));
    aws.destroy();
    expect(proxy.injected().timeout).toBe(1);
    expect(proxy.requests().map((r) => [r.status, r.fault])).toEqual([
      [0, "timeout"],
      [200, undefined],
    ]);
  });

  it("the SDK retries a timed-out attempt, and each attempt is counted", async () => {
    await createFunction("retry-fn");
    proxy.set({ timeout: { operation: "GetFunctionConfiguration", count: 2 } });
    const { aws, requests } = testAwsClients({
      endpoint: proxy.endpoint,
      maxAttempts: 3,
      requestTimeoutMs: 400,
    });
    const out = await aws
      .lambda("us-east-1")
      .send(new GetFunctionConfigurationCommand({ FunctionName: "retry-fn" }));
    aws.destroy();
    expect(out.FunctionName).toBe("retry-fn");
    expect(requests.map((r) => r.outcome)).toEqual(["error", "error", "success"]);
    expect(proxy.injected().timeout).toBe(2);
    expect(proxy.count({ operation: "GetFunctionConfiguration" })).toBe(3);
  });

  it("timeout (late) forwards the request, so AWS does the work, and answers after the client gave up", async () => {
    const queue = await createQueue("late-q");
    proxy.set({
      timeout: { service: "sqs", operation: "SetQueueAttributes", count: 1, mode: "late", afterMs: 3_000 },
    });
    const { aws, requests } = testAwsClients({
      endpoint: proxy.endpoint,
      maxAttempts: 1,
      requestTimeoutMs: 500,
    });
    const err = await rejection(
      aws
        .sqs("us-east-1")
        .send(
          new SetQueueAttributesCommand({ QueueUrl: queue.url, Attributes: { VisibilityTimeout: "77" } }),
        ),
    );
    aws.destroy();
    expect(err).toMatchObject({ name: "TimeoutError" });
    expect(requests).toEqual([expect.objectContaining({ outcome: "error", errorName: "TimeoutError" })]);
    const got = await sdk().sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ["VisibilityTimeout"] }),
    );
    expect(got.Attributes?.VisibilityTimeout).toBe("77");
    expect(proxy.injected().timeout).toBe(1);
    expect(proxy.requests()[0]).toMatchObject({ status: 0, fault: "timeout" });
  });
});

describe("fault proxy: slow answers and bursts over a time window", () => {
  it("slow adds per-service/operation jitter, not counted as a fault", async () => {
    await createFunction("jit-fn");
    await createQueue("jit-q");
    proxy.set({ slow: [{ service: "sqs", minMs: 250, maxMs: 400 }] });
    const sqsStart = Date.now();
    await via().sqs.send(new ListQueuesCommand({}));
    const sqsTook = Date.now() - sqsStart;
    const lambdaStart = Date.now();
    await via().lambda.send(new GetFunctionConfigurationCommand({ FunctionName: "jit-fn" }));
    const lambdaTook = Date.now() - lambdaStart;
    expect(sqsTook).toBeGreaterThanOrEqual(240);
    expect(lambdaTook).toBeLessThan(240);
    const [sqsRecord, lambdaRecord] = proxy.requests();
    expect(sqsRecord?.delayMs).toBeGreaterThanOrEqual(250);
    expect(sqsRecord?.delayMs).toBeLessThanOrEqual(400);
    expect(lambdaRecord?.delayMs).toBeUndefined();
    expect(proxy.injections()).toEqual([]);
  });

  it("http5xx and throttle with forMs fail every matching request inside the window, none after", async () => {
    await createRule("burst-rule");
    await createQueue("burst-q");
    proxy.set({
      http5xx: { status: 503, service: "events", forMs: 800 },
      throttle: { service: "sqs", forMs: 800 },
    });
    const during: string[] = [];
    for (let i = 0; i < 3; i++) {
      const e = await rejection(via().events.send(new ListTargetsByRuleCommand({ Rule: "burst-rule" })));
      during.push(`${String(e.name)}/${e.$metadata?.httpStatusCode}`);
      const t = await rejection(via().sqs.send(new ListQueuesCommand({})));
      during.push(`${String(t.name)}/${t.$metadata?.httpStatusCode}`);
    }
    expect(during).toEqual([
      "ServiceUnavailableException/503",
      "RequestThrottled/403",
      "ServiceUnavailableException/503",
      "RequestThrottled/403",
      "ServiceUnavailableException/503",
      "RequestThrottled/403",
    ]);
    await new Promise((r) => setTimeout(r, 900));
    await via().events.send(new ListTargetsByRuleCommand({ Rule: "burst-rule" }));
    await via().sqs.send(new ListQueuesCommand({}));
    expect(proxy.injected()).toMatchObject({ http5xx: 3, throttle: 3 });
  });

  it("a window and a count together end at whichever comes first", async () => {
    await createQueue("both-q");
    proxy.set({ http5xx: { status: 500, service: "sqs", count: 2, forMs: 10_000 } });
    await expect(via().sqs.send(new ListQueuesCommand({}))).rejects.toMatchObject({ name: "InternalError" });
    await expect(via().sqs.send(new ListQueuesCommand({}))).rejects.toMatchObject({ name: "InternalError" });
    await via().sqs.send(new ListQueuesCommand({}));
    expect(proxy.injected().http5xx).toBe(2);
  });
});

describe("fault proxy: random faults", () => {
  /** What the SDK made of one call: the error (name/status/code) or "ok". */
  async function outcome(p: Promise<unknown>): Promise<string> {
    try {
      await p;
      return "ok";
    } catch (err) {
      const e = err as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } };
      // The SDK's HTTP handler names a reset connection TimeoutError too; the code tells them apart.
      if (e.$metadata?.httpStatusCode === undefined) return `${e.name}:${e.code}`;
      return `${e.name}/${e.$metadata.httpStatusCode}`;
    }
  }

  async function runCalls(n: number): Promise<string[]> {
    const { aws } = testAwsClients({ endpoint: proxy.endpoint, maxAttempts: 1, requestTimeoutMs: 400 });
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      const service = (["lambda", "sqs", "events"] as const)[i % 3];
      if (service === "lambda") {
        out.push(
          await outcome(
            aws.lambda("us-east-1").send(new GetFunctionConfigurationCommand({ FunctionName: "rnd-fn" })),
          ),
        );
      } else if (service === "sqs") {
        out.push(await outcome(aws.sqs("us-east-1").send(new ListQueuesCommand({}))));
      } else {
        out.push(
          await outcome(aws.events("us-east-1").send(new ListTargetsByRuleCommand({ Rule: "rnd-rule" }))),
        );
      }
    }
    aws.destroy();
    return out;
  }

  const EXPECTED: Record<RandomFaultKind, Record<string, RegExp>> = {
    throttle: {
      lambda: /^TooManyRequestsException\/429$/,
      sqs: /^RequestThrottled\/403$/,
      events: /^ThrottlingException\/400$/,
    },
    http500: {
      lambda: /^ServiceException\/500$/,
      sqs: /^InternalError\/500$/,
      events: /^InternalException\/500$/,
    },
    http503: {
      lambda: /^ServiceUnavailableException\/503$/,
      sqs: /^ServiceUnavailable\/503$/,
      events: /^ServiceUnavailableException\/503$/,
    },
    reset: { lambda: /:ECONNRESET$/, sqs: /:ECONNRESET$/, events: /:ECONNRESET$/ },
    timeout: {
      lambda: /^TimeoutError:ETIMEDOUT$/,
      sqs: /^TimeoutError:ETIMEDOUT$/,
      events: /^TimeoutError:ETIMEDOUT$/,
    },
    slow: { lambda: /^ok$/, sqs: /^ok$/, events: /^ok$/ },
  };

  it("injects each listed kind as its service's real error, counted per kind, the same for the same seed", async () => {
    await createFunction("rnd-fn");
    await createRule("rnd-rule");
    const random = {
      probability: 0.7,
      kinds: RANDOM_FAULT_KINDS,
      seed: 42,
      slowMs: { minMs: 20, maxMs: 60 },
      lateMs: 1_500,
    };
    proxy.set({ random });
    const first = await runCalls(45);
    const injections = proxy.injections();
    const records = proxy.requests();

    // Every call maps to its request (they ran one at a time); each injected kind reached the SDK as it should.
    expect(records).toHaveLength(45);
    records.forEach((r, i) => {
      const seen = first[i] ?? "";
      if (r.random === undefined) expect(seen, `call ${i} (${r.operation})`).toBe("ok");
      else
        expect(seen, `call ${i} (${r.operation}, ${r.random})`).toMatch(
          EXPECTED[r.random][r.service] as RegExp,
        );
    });

    const perKind = proxy.injectedRandom();
    expect(Object.values(perKind).reduce((a, b) => a + b, 0)).toBe(injections.length);
    for (const kind of RANDOM_FAULT_KINDS) expect(perKind[kind], kind).toBeGreaterThan(0);
    const injected = proxy.injected();
    expect(injected.throttle).toBe(perKind.throttle);
    expect(injected.http5xx).toBe(perKind.http500 + perKind.http503);
    expect(injected.dropConnections).toBe(perKind.reset);
    expect(injected.timeout).toBe(perKind.timeout);
    expect(injected.slow).toBe(perKind.slow);

    // Same seed, same request order: the same faults.
    const kindsOf = () => proxy.injections().map((i) => `${i.operation}:${i.random}`);
    const firstKinds = kindsOf();
    proxy.reset();
    proxy.set({ random });
    const second = await runCalls(45);
    expect(kindsOf()).toEqual(firstKinds);
    expect(second).toEqual(first);
  });

  it("probability bounds the share of faulty requests; match limits which requests are eligible", async () => {
    await createFunction("rnd-fn");
    await createRule("rnd-rule");
    proxy.set({ random: { probability: 0.25, kinds: ["http500"], seed: 7, match: { service: "sqs" } } });
    await runCalls(90);
    const perKind = proxy.injectedRandom();
    expect(proxy.injections().every((i) => i.service === "sqs")).toBe(true);
    // 30 eligible SQS calls at 25%: a seeded draw, so this is an exact, repeatable figure within sane bounds.
    expect(perKind.http500).toBeGreaterThan(2);
    expect(perKind.http500).toBeLessThan(16);
    proxy.set({ random: undefined });
    const before = proxy.injections().length;
    await runCalls(6);
    expect(proxy.injections().length).toBe(before);
  });
});

describe("faults by account", () => {
  it("apply only to requests acting in the account the fault names", async () => {
    proxy.set({
      http5xx: {
        service: "lambda",
        operation: "ListFunctions",
        account: "111111111111",
        status: 500,
        count: 5,
      },
    });
    await clientsIn("222222222222", TEST_REGION, proxy.endpoint).lambda.send(new ListFunctionsCommand({}));
    const refused = await rejection(
      clientsIn("111111111111", TEST_REGION, proxy.endpoint).lambda.send(new ListFunctionsCommand({})),
    );
    expect(refused.$metadata?.httpStatusCode).toBe(500);
    expect(proxy.injected().http5xx).toBe(1);
  });
});
