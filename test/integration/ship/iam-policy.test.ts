import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { PutFunctionEventInvokeConfigCommand } from "@aws-sdk/client-lambda";
import { SetSubscriptionAttributesCommand } from "@aws-sdk/client-sns";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { discoverInventory } from "../../../src/fleet/discover.js";
import {
  createFunction,
  createMapping,
  createPipe,
  createQueue,
  createRule,
  createSchedule,
  createStream,
  createTopic,
  publishVersionAndAlias,
  putTarget,
  resetMoto,
  sdk,
  subscribe,
  TEST_ACCOUNT,
  TEST_REGION,
  testAwsClients,
} from "../../support/aws.js";
import { cli, manifest, manifestDir } from "../../support/cli.js";
import { FaultProxy } from "../../support/fault-proxy.js";

/**
 * deploy/iam-policy.json is least privilege, proven: a scenario that takes
 * every kind through its read and write paths (removals and a uuid-only
 * mapping included) runs the CLI through the recording proxy, and the
 * `service:Operation`s retryctl sent are exactly the policy's actions — the
 * reads of `diff` exactly its read statement. The seeding goes to moto
 * directly, so the proxy sees retryctl's requests only.
 */
const ROOT = join(import.meta.dirname, "../../..");

interface Statement {
  Sid: string;
  Effect: string;
  Action: string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}
const policy = JSON.parse(await readFile(join(ROOT, "deploy/iam-policy.json"), "utf8")) as {
  Version: string;
  Statement: Statement[];
};
const statement = (sid: string) => new Set(policy.Statement.find((s) => s.Sid === sid)?.Action ?? []);
const READ = statement("RetryctlRead");
const WRITE = statement("RetryctlWrite");
// Only `explain` sends these: the listings that find a function's triggers (design §9).
const EXPLAIN = statement("RetryctlExplain");
// Only with RetryPolicy manifests: fleet discovery's function listing and bulk tag read (design §7).
const FLEET_DISCOVERY = statement("RetryctlFleetDiscovery");
// Only with `run --drift-events-queue`, on the feed queue alone (design §10).
const DRIFT_EVENTS = statement("RetryctlDriftEvents");
// A batch call is authorised by its single action.
const ACTION_OF: Record<string, string> = { "sqs:DeleteMessageBatch": "sqs:DeleteMessage" };

// SigV4 signing name → IAM service prefix (they differ for some services, not for these).
const IAM_PREFIX: Record<string, string> = {
  lambda: "lambda",
  sqs: "sqs",
  events: "events",
  sts: "sts",
  sns: "sns",
  scheduler: "scheduler",
  pipes: "pipes",
  kinesis: "kinesis",
  tagging: "tag",
};
// The SDK client package → IAM service prefix.
const CLIENT_PREFIX: Record<string, string> = {
  lambda: "lambda",
  sqs: "sqs",
  eventbridge: "events",
  sts: "sts",
  sns: "sns",
  scheduler: "scheduler",
  pipes: "pipes",
  kinesis: "kinesis",
  "resource-groups-tagging-api": "tag",
};

// Calls AWS allows every principal, whatever its policies say: granting them would change nothing.
const NEEDS_NO_PERMISSION = new Set(["sts:GetCallerIdentity"]);

let proxy: FaultProxy;
beforeAll(async () => {
  proxy = await FaultProxy.start();
});
afterAll(() => proxy.close());

/** The IAM actions the requests retryctl sent need. */
function actionsSent(): Set<string> {
  const actions = proxy.requests().map((r) => `${IAM_PREFIX[r.service] ?? r.service}:${r.operation}`);
  return new Set(actions.filter((a) => !NEEDS_NO_PERMISSION.has(a)));
}

const sorted = (s: Iterable<string>) => [...s].sort();

/** Drift on every kind, in every shape a write can take. */
async function seedScenario(): Promise<string> {
  const { lambda } = sdk();
  const failures = await createQueue("failures");
  const dlqOld = await createQueue("dlq-old");
  const dlqNew = await createQueue("dlq-new");
  await createQueue("work");
  await createQueue("work-dlq");
  const legacyDlq = await createQueue("legacy-dlq");
  await createQueue("legacy", {
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: legacyDlq.arn, maxReceiveCount: 3 }),
  });
  const mapped = await createQueue("mapped");
  const stream = await createStream("orders");

  const fn = await createFunction("async-fn");
  await createFunction("async-reset");
  await lambda.send(
    new PutFunctionEventInvokeConfigCommand({ FunctionName: "async-reset", MaximumRetryAttempts: 0 }),
  );
  await createFunction("async-retry");
  await lambda.send(
    new PutFunctionEventInvokeConfigCommand({
      FunctionName: "async-retry",
      MaximumRetryAttempts: 0,
      DestinationConfig: { OnFailure: { Destination: failures.arn } },
    }),
  );
  await createFunction("alias-fn");
  await publishVersionAndAlias("alias-fn", "live");
  await createFunction("dlq-fn", { deadLetterArn: dlqOld.arn });
  await createFunction("dlq-off", { deadLetterArn: dlqOld.arn });
  await createFunction("stream-fn");
  await createMapping("stream-fn", stream, { BatchSize: 50 });
  await createFunction("queue-fn");
  const queueMapping = await createMapping("queue-fn", mapped.arn, { BatchSize: 10 });

  await createRule("placed");
  await putTarget("placed", { Id: "t1", Arn: fn, Input: '{"keep":true}' });
  await createRule("cleanup");
  await putTarget("cleanup", { Id: "t2", Arn: fn, DeadLetterConfig: { Arn: failures.arn } });

  const topic = await createTopic("orders");
  await subscribe(topic, fn);
  const dropped = await subscribe(topic, mapped.arn);
  await sdk().sns.send(
    new SetSubscriptionAttributesCommand({
      SubscriptionArn: dropped,
      AttributeName: "RedrivePolicy",
      AttributeValue: JSON.stringify({ deadLetterTargetArn: failures.arn }),
    }),
  );
  await createSchedule("nightly", {
    Target: { Arn: fn, RoleArn: "arn:aws:iam::123456789012:role/scheduler" },
  });
  await createPipe("orders-pipe", stream, fn, { KinesisStreamParameters: { StartingPosition: "LATEST" } });

  return manifestDir({
    "lambda.yaml": [
      // Put: a config that does not exist yet.
      manifest("FunctionEventInvokeConfig", "async-fn", {
        functionName: "async-fn",
        maximumRetryAttempts: 1,
        onFailure: failures.arn,
      }),
      // Delete: every setting back to the AWS default.
      manifest("FunctionEventInvokeConfig", "async-reset", {
        functionName: "async-reset",
        maximumRetryAttempts: null,
        maximumEventAgeInSeconds: null,
        onSuccess: null,
        onFailure: null,
      }),
      // Update: only retries change on an existing config (merge, destinations not re-sent).
      manifest("FunctionEventInvokeConfig", "async-retry", {
        functionName: "async-retry",
        maximumRetryAttempts: 1,
      }),
      // GetFunction: an alias without a config is checked before the Put.
      manifest("FunctionEventInvokeConfig", "alias-fn-live", {
        functionName: "alias-fn",
        qualifier: "live",
        maximumEventAgeInSeconds: 3600,
        onFailure: failures.arn,
      }),
      manifest("FunctionDeadLetterConfig", "dlq-fn", { functionName: "dlq-fn", targetArn: dlqNew.arn }),
      manifest("FunctionDeadLetterConfig", "dlq-off", { functionName: "dlq-off", targetArn: null }),
    ].join("---\n"),
    "mappings.yaml": [
      manifest("EventSourceMapping", "orders-stream", {
        functionName: "stream-fn",
        eventSourceArn: stream,
        maximumRetryAttempts: 3,
        onFailure: failures.arn,
      }),
      // GetEventSourceMapping: named by UUID only.
      manifest("EventSourceMapping", "queue-fn-mapping", {
        functionName: "queue-fn",
        uuid: queueMapping,
        batchSize: 5,
      }),
    ].join("---\n"),
    "queues.yaml": [
      manifest("QueueRedrivePolicy", "work", {
        queue: "work",
        deadLetterQueue: "work-dlq",
        maxReceiveCount: 5,
        visibilityTimeoutSeconds: 120,
      }),
      manifest("QueueRedrivePolicy", "legacy", { queue: "legacy", deadLetterQueue: null }),
    ].join("---\n"),
    "events.yaml": [
      manifest("EventTargetRetryPolicy", "placed-t1", {
        rule: "placed",
        targetId: "t1",
        maximumRetryAttempts: 4,
        deadLetterQueue: failures.arn,
      }),
      manifest("EventTargetRetryPolicy", "cleanup-t2", {
        rule: "cleanup",
        targetId: "t2",
        deadLetterQueue: null,
      }),
    ].join("---\n"),
    "surfaces.yaml": [
      // ListSubscriptionsByTopic: named by topic and endpoint; a removal named by ARN.
      manifest("SubscriptionRedrivePolicy", "orders-fn", {
        topicArn: topic,
        endpoint: fn,
        deadLetterQueue: failures.arn,
      }),
      manifest("SubscriptionRedrivePolicy", "orders-mapped", {
        subscriptionArn: dropped,
        deadLetterQueue: null,
      }),
      manifest("ScheduleRetryPolicy", "nightly", { scheduleName: "nightly", maximumRetryAttempts: 3 }),
      manifest("PipeRetryPolicy", "orders-pipe", { pipeName: "orders-pipe", maximumRetryAttempts: 10 }),
    ].join("---\n"),
  });
}

describe("deploy/iam-policy.json", () => {
  it("is a plain allow policy of named actions, each granted once", () => {
    expect(policy.Version).toBe("2012-10-17");
    expect(policy.Statement.map((s) => s.Sid)).toEqual([
      "RetryctlRead",
      "RetryctlFleetDiscovery",
      "RetryctlWrite",
      "RetryctlExplain",
      "RetryctlPassRole",
      "RetryctlDriftEvents",
    ]);
    const all = [...READ, ...FLEET_DISCOVERY, ...WRITE, ...EXPLAIN];
    for (const s of policy.Statement) {
      expect(s.Effect).toBe("Allow");
      expect(s.Action).toEqual(sorted(s.Action));
      expect(new Set(s.Action).size).toBe(s.Action.length);
    }
    expect(new Set(all).size).toBe(all.length);
    // The feed statement names the queue of deploy/drift-events/template.yaml, nothing wider.
    expect(policy.Statement.find((s) => s.Sid === "RetryctlDriftEvents")?.Resource).toBe(
      "arn:aws:sqs:*:*:retryctl-drift-events",
    );
    expect(sorted(DRIFT_EVENTS)).toEqual([
      "sqs:DeleteMessage",
      "sqs:GetQueueAttributes",
      "sqs:ReceiveMessage",
    ]);
    for (const action of all) {
      expect(action).toMatch(/^(lambda|sqs|events|sns|scheduler|pipes|kinesis|tag):[A-Z][A-Za-z]+$/);
    }
  });

  it("passes roles only to Scheduler and Pipes: UpdateSchedule and UpdatePipe send the schedule's and pipe's own role", () => {
    const passRole = policy.Statement.find((s) => s.Sid === "RetryctlPassRole");
    expect(passRole?.Action).toEqual(["iam:PassRole"]);
    expect(passRole?.Condition).toEqual({
      StringEquals: { "iam:PassedToService": ["scheduler.amazonaws.com", "pipes.amazonaws.com"] },
    });
    // Exactly the writes that carry a RoleArn need it.
    expect([...WRITE].filter((a) => a.startsWith("scheduler:") || a.startsWith("pipes:")).sort()).toEqual([
      "pipes:UpdatePipe",
      "scheduler:UpdateSchedule",
    ]);
  });

  it("grants exactly the AWS calls retryctl sends: `diff` the read statement, `apply` both", async () => {
    await resetMoto();
    const dir = await seedScenario();
    const endpoint = ["--endpoint-url", proxy.endpoint];

    proxy.reset();
    const plan = await cli("diff", dir, "--output", "json", ...endpoint);
    expect(plan.code, plan.stdout + plan.stderr).toBe(2);
    const planned = plan.json<{ resources: { name: string; action: string }[] }>().resources;
    // Every resource has something to change: none is in sync or failed.
    expect(planned.filter((r) => !["create", "update"].includes(r.action))).toEqual([]);
    expect(planned).toHaveLength(16);
    expect(sorted(actionsSent())).toEqual(sorted(READ));

    proxy.reset();
    const applied = await cli("apply", dir, ...endpoint);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(proxy.requests().filter((r) => r.status >= 400)).toEqual([]);
    expect(sorted(actionsSent())).toEqual(sorted([...READ, ...WRITE]));

    // The scenario really converged, so every write above was needed and none was missed.
    proxy.reset();
    const after = await cli("diff", dir, ...endpoint);
    expect(after.code, after.stdout + after.stderr).toBe(0);
    expect(sorted(actionsSent())).toEqual(sorted(READ));
  });

  it("grants fleet discovery exactly its calls: its own statement, and the mapping listing of the read one", async () => {
    await resetMoto();
    const stream = await createStream("fleet-orders");
    await createFunction("fleet-fn");
    await createMapping("fleet-fn", stream);
    const { aws } = testAwsClients({ endpoint: proxy.endpoint });
    try {
      proxy.reset();
      const found = await discoverInventory(aws, [
        { account: TEST_ACCOUNT, region: TEST_REGION, tags: true, mappings: true },
      ]);
      expect(found.failures).toEqual([]);
      expect(found.inventory.mappings).toHaveLength(1);
      expect(sorted(FLEET_DISCOVERY)).toEqual(["lambda:ListFunctions", "tag:GetResources"]);
      expect(READ.has("lambda:ListEventSourceMappings")).toBe(true);
      expect(sorted(actionsSent())).toEqual(sorted([...FLEET_DISCOVERY, "lambda:ListEventSourceMappings"]));
    } finally {
      aws.destroy();
    }
  });

  it("grants every AWS command the source constructs that needs a permission, and no other", async () => {
    const src = join(ROOT, "src");
    const files = (await readdir(src, { recursive: true })).filter((f) => f.endsWith(".ts"));
    const constructed = new Set<string>();
    for (const file of files) {
      const text = await readFile(join(src, file), "utf8");
      const prefixOf = new Map<string, string>();
      for (const m of text.matchAll(
        /import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*"@aws-sdk\/client-([a-z-]+)"/g,
      )) {
        const prefix = CLIENT_PREFIX[m[2]!] ?? `unknown-client-${m[2]}`;
        for (const name of m[1]!.split(",")) prefixOf.set(name.replace(/^\s*type\s+/, "").trim(), prefix);
      }
      for (const m of text.matchAll(/new\s+(\w+)Command\s*\(/g)) {
        const prefix = prefixOf.get(`${m[1]}Command`);
        const action = ACTION_OF[`${prefix}:${m[1]}`] ?? `${prefix}:${m[1]}`;
        if (prefix && !NEEDS_NO_PERMISSION.has(action)) constructed.add(action);
      }
    }
    expect(sorted(constructed)).toEqual(
      sorted(new Set([...READ, ...FLEET_DISCOVERY, ...WRITE, ...EXPLAIN, ...DRIFT_EVENTS])),
    );
  });
});
