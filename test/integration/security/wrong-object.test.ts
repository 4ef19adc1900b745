import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  GetEventSourceMappingCommand,
  GetFunctionConfigurationCommand,
  GetFunctionEventInvokeConfigCommand,
  PutFunctionEventInvokeConfigCommand,
} from "@aws-sdk/client-lambda";
import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  createFunction,
  createMapping,
  createQueue,
  createRule,
  putTarget,
  resetMoto,
  sdk,
  TEST_ACCOUNT,
} from "../../support/aws.js";
import { cli, manifest, manifestDir, type PlanJson } from "../../support/cli.js";
import { FaultProxy } from "../../support/fault-proxy.js";
import { resource, startController, type TestController } from "../controller/harness.js";

/**
 * retryctl never changes an AWS object other than the one a manifest names
 * (issue 17, items 1, 2 and 10), against moto through the fault proxy, which
 * counts every request: an ARN of another account, two manifests of one
 * mapping, and a uuid-only mapping whose real source the allow-list refuses.
 */

const OTHER = "222222222222";
const fnArn = (account: string, name: string) => `arn:aws:lambda:us-east-1:${account}:function:${name}`;

let proxy: FaultProxy;
let controller: TestController | undefined;

beforeAll(async () => {
  proxy = await FaultProxy.start();
});
afterAll(() => proxy.close());
beforeEach(async () => {
  await resetMoto();
  proxy.reset();
});
afterEach(async () => {
  await controller?.stop();
  controller = undefined;
});

const WRITES = new Set([
  "UpdateFunctionConfiguration",
  "PutFunctionEventInvokeConfig",
  "UpdateFunctionEventInvokeConfig",
  "DeleteFunctionEventInvokeConfig",
  "UpdateEventSourceMapping",
  "SetQueueAttributes",
  "PutTargets",
]);
const writes = () => proxy.requests().filter((r) => WRITES.has(r.operation));

async function apply(dir: string, ...extra: string[]) {
  const run = await cli("apply", dir, "--endpoint-url", proxy.endpoint, "--output", "json", ...extra);
  return { run, byName: new Map(run.json<PlanJson>().resources.map((r) => [r.name, r])) };
}

describe("a resource named in another account (item 1)", () => {
  it("is AccountNotConfigured with no call for it, and the caller's same-named objects stay as they were", async () => {
    const dlq = await createQueue("orders-dlq");
    const failed = await createQueue("orders-failed");
    await createFunction("orders");
    const { lambda, sqs } = sdk();
    await lambda.send(
      new PutFunctionEventInvokeConfigCommand({ FunctionName: "orders", MaximumRetryAttempts: 2 }),
    );
    const queue = await createQueue("orders-in");
    await createRule("orders-rule", "orders-bus");
    await putTarget("orders-rule", { Id: "t", Arn: failed.arn }, "orders-bus");
    const dir = await manifestDir({
      "other.yaml": [
        manifest("FunctionDeadLetterConfig", "dlq-there", {
          functionName: fnArn(OTHER, "orders"),
          targetArn: dlq.arn,
        }),
        manifest("FunctionEventInvokeConfig", "async-there", {
          functionName: `${OTHER}:function:orders`,
          maximumRetryAttempts: 0,
          onFailure: failed.arn,
        }),
        manifest("QueueRedrivePolicy", "queue-there", {
          queue: `https://sqs.us-east-1.amazonaws.com/${OTHER}/orders-in`,
          deadLetterQueue: "orders-dlq",
          maxReceiveCount: 5,
        }),
        manifest("EventTargetRetryPolicy", "target-there", {
          eventBusName: `arn:aws:events:us-east-1:${OTHER}:event-bus/orders-bus`,
          rule: "orders-rule",
          targetId: "t",
          maximumRetryAttempts: 3,
          deadLetterQueue: dlq.arn,
        }),
        manifest("SubscriptionRedrivePolicy", "subscription-there", {
          topicArn: `arn:aws:sns:us-east-1:${OTHER}:orders-topic`,
          endpoint: fnArn(OTHER, "orders"),
          deadLetterQueue: `arn:aws:sqs:us-east-1:${OTHER}:orders-dlq`,
        }),
      ].join("---\n"),
      // The same function named by ARN in the caller's own account is managed, addressed by that ARN.
      "mine.yaml": manifest("FunctionDeadLetterConfig", "dlq-here", {
        functionName: fnArn(TEST_ACCOUNT, "orders"),
        targetArn: dlq.arn,
      }),
    });
    const { run, byName } = await apply(dir);
    expect(run.code, run.stderr).toBe(1);
    for (const [name, field] of [
      ["dlq-there", "functionName"],
      ["async-there", "functionName"],
      ["queue-there", "queue"],
      ["target-there", "eventBusName"],
      ["subscription-there", "topicArn"],
    ]) {
      expect(byName.get(name as string), name).toMatchObject({
        action: "error",
        changes: [],
        error: {
          code: "AccountNotConfigured",
          message: `${field} names account ${OTHER}, but the credentials in use are of account ${TEST_ACCOUNT} and the policy file's access lists no role for that account; not touching it`,
        },
      });
    }
    expect(byName.get("dlq-here")).toMatchObject({ action: "update", applied: true });
    // One STS call for the run, one read and one write for the caller's manifest, nothing for the others.
    expect(proxy.counts()).toEqual({
      "sts.GetCallerIdentity": 1,
      "lambda.GetFunction": 1,
      "lambda.UpdateFunctionConfiguration": 1,
    });
    const config = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: "orders" }));
    expect(config.DeadLetterConfig?.TargetArn).toBe(dlq.arn);
    const invoke = await lambda.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: "orders" }));
    expect(invoke.MaximumRetryAttempts).toBe(2);
    expect(invoke.DestinationConfig?.OnFailure?.Destination ?? null).toBeNull();
    const attrs = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ["RedrivePolicy"] }),
    );
    expect(attrs.Attributes?.RedrivePolicy).toBeUndefined();
  });

  it("leaves the caller's same-named function untouched when only the other account's manifest exists", async () => {
    const dlq = await createQueue("orders-dlq");
    await createFunction("orders");
    const dir = await manifestDir({
      "a.yaml": manifest("FunctionDeadLetterConfig", "dlq-there", {
        functionName: fnArn(OTHER, "orders"),
        targetArn: dlq.arn,
      }),
    });
    const { run, byName } = await apply(dir);
    expect(run.code).toBe(1);
    expect(byName.get("dlq-there")?.error?.code).toBe("AccountNotConfigured");
    expect(proxy.counts()).toEqual({ "sts.GetCallerIdentity": 1 });
    const config = await sdk().lambda.send(new GetFunctionConfigurationCommand({ FunctionName: "orders" }));
    expect(config.DeadLetterConfig?.TargetArn ?? null).toBeNull();
  });
});

describe("one mapping named by two manifests (item 2)", () => {
  async function seed() {
    await createFunction("orders");
    const source = await createQueue("orders-in");
    const uuid = await createMapping("orders", source.arn, { BatchSize: 10 });
    const dir = await manifestDir({
      "by-uuid.yaml": manifest("EventSourceMapping", "by-uuid", {
        functionName: "orders",
        uuid,
        batchSize: 5,
      }),
      "by-source.yaml": manifest("EventSourceMapping", "by-source", {
        functionName: fnArn(TEST_ACCOUNT, "orders"),
        eventSourceArn: source.arn,
        batchSize: 7,
      }),
    });
    return { uuid, dir };
  }

  it("is a Conflict on both after the read, and neither is applied (CLI)", async () => {
    const { uuid, dir } = await seed();
    const { run, byName } = await apply(dir);
    expect(run.code).toBe(1);
    for (const [name, other] of [
      ["by-uuid", "by-source"],
      ["by-source", "by-uuid"],
    ]) {
      expect(byName.get(name as string), name).toMatchObject({
        action: "error",
        error: {
          code: "Conflict",
          message: expect.stringMatching(
            new RegExp(
              `^EventSourceMapping ${name} resolves to the same AWS object as ${other} \\(.*${other}\\.yaml:1\\); neither is applied$`,
            ),
          ),
        },
      });
    }
    expect(writes()).toEqual([]);
    const mapping = await sdk().lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }));
    expect(mapping.BatchSize).toBe(10);
  });

  it("is a Conflict on both in the controller, across resyncs, and the mapping is never written", async () => {
    const { uuid, dir } = await seed();
    const c = await startController({ dir, endpoint: proxy.endpoint, resyncIntervalMs: 500 });
    controller = c;
    for (const name of ["by-uuid", "by-source"]) {
      await expect.poll(async () => (await resource(c.url, name))?.reason).toBe("Conflict");
      expect((await resource(c.url, name))?.status).toBe("Error");
    }
    // Retries and sweeps read it again and again; none of them writes.
    await expect.poll(() => proxy.count({ operation: "ListEventSourceMappings" })).toBeGreaterThan(3);
    expect(writes()).toEqual([]);
    const mapping = await sdk().lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }));
    expect(mapping.BatchSize).toBe(10);
  });
});

describe("a uuid-only mapping and the allow-list (item 10)", () => {
  it("is refused after the read when its real source queue is not allowed, with no write", async () => {
    await createFunction("orders-processor");
    const allowed = await createQueue("orders-in");
    const outside = await createQueue("billing-in");
    const ok = await createMapping("orders-processor", allowed.arn, { BatchSize: 10 });
    const sneaky = await createMapping("orders-processor", outside.arn, { BatchSize: 10 });
    const dir = await manifestDir({
      "a.yaml": [
        manifest("EventSourceMapping", "ok", { functionName: "orders-processor", uuid: ok, batchSize: 5 }),
        manifest("EventSourceMapping", "sneaky", {
          functionName: "orders-processor",
          uuid: sneaky,
          batchSize: 5,
        }),
      ].join("---\n"),
    });
    const policyFile = join(dir, "..", `${dir.split("/").pop()}-policy.yaml`);
    await writeFile(
      policyFile,
      'apiVersion: retryctl.dev/v1alpha1\nkind: Policy\nallow:\n  functions: ["orders-*"]\n  queues: ["orders-*"]\n',
    );
    const { run, byName } = await apply(dir, "--policy", policyFile);
    expect(run.code).toBe(1);
    expect(byName.get("ok")).toMatchObject({ action: "update", applied: true });
    expect(byName.get("sneaky")).toMatchObject({
      action: "error",
      changes: [],
      error: {
        code: "DeniedByPolicy",
        message:
          'denied by policy: queue "billing-in" (found in the object read) does not match allow.queues [orders-*]',
      },
    });
    expect(writes().map((w) => w.resource)).toEqual([`esm:${ok}`]);
    expect(proxy.counts()).toEqual({
      "lambda.GetEventSourceMapping": 2,
      "lambda.UpdateEventSourceMapping": 1,
    });
    const { lambda } = sdk();
    expect((await lambda.send(new GetEventSourceMappingCommand({ UUID: sneaky }))).BatchSize).toBe(10);
    expect((await lambda.send(new GetEventSourceMappingCommand({ UUID: ok }))).BatchSize).toBe(5);
  });
});
