import { readFile } from "node:fs/promises";
import { join } from "node:path";
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
  subscribe,
  TEST_ACCOUNT,
} from "../../support/aws.js";
import { cli, manifest, manifestDir } from "../../support/cli.js";
import { FaultProxy } from "../../support/fault-proxy.js";

/**
 * explain's reads are planned (design §4, docs/benchmarks.md "explain"): per
 * account and region one paged listing each of event buses, SNS subscriptions,
 * schedules and pipes; per function GetFunction, ListFunctionEventInvokeConfigs,
 * ListEventSourceMappings, one ListRuleNamesByTarget per bus, and one read per
 * trigger found (a rule's targets, a subscription's attributes, a schedule, a
 * pipe, a stream's retention, a queue's URL and attributes). Counted at the
 * proxy, exactly.
 */
const PER_REGION = {
  "events.ListEventBuses": 1,
  "sns.ListSubscriptions": 1,
  "scheduler.ListSchedules": 1,
  "pipes.ListPipes": 1,
};
/** One function with a Kinesis mapping and a pipe on one stream, an SQS mapping, a subscription, a rule target and a schedule. */
const PER_FUNCTION = {
  "lambda.GetFunction": 1,
  "lambda.ListFunctionEventInvokeConfigs": 1,
  "lambda.ListEventSourceMappings": 1,
  "events.ListRuleNamesByTarget": 1,
  "events.ListTargetsByRule": 1,
  "sns.GetSubscriptionAttributes": 1,
  "scheduler.GetSchedule": 1,
  "pipes.DescribePipe": 1,
  "kinesis.DescribeStreamSummary": 1,
  "sqs.GetQueueUrl": 1,
  "sqs.GetQueueAttributes": 1,
};
const CALLS_PER_FUNCTION = Object.values(PER_FUNCTION).reduce((a, b) => a + b, 0);

let proxy: FaultProxy;
beforeAll(async () => {
  proxy = await FaultProxy.start();
});
afterAll(() => proxy.close());

/** `count` functions, each with every kind of trigger, plus triggers of a function no manifest names. */
async function seed(count: number): Promise<string> {
  const topic = await createTopic("orders");
  const role = `arn:aws:iam::${TEST_ACCOUNT}:role/scheduler`;
  const docs: string[] = [];
  const names = [...Array.from({ length: count }, (_, i) => `fn-${i}`), "unmanaged"];
  for (const name of names) {
    const fn = await createFunction(name);
    const stream = await createStream(`${name}-stream`);
    const queue = await createQueue(`${name}-queue`);
    await createMapping(name, stream);
    await createMapping(name, queue.arn);
    await subscribe(topic, fn);
    await createRule(`${name}-rule`);
    await putTarget(`${name}-rule`, { Id: "t", Arn: fn });
    await createSchedule(`${name}-schedule`, { Target: { Arn: fn, RoleArn: role } });
    await createPipe(`${name}-pipe`, stream, fn, { KinesisStreamParameters: { StartingPosition: "LATEST" } });
    if (name !== "unmanaged")
      docs.push(manifest("FunctionEventInvokeConfig", name, { functionName: name, maximumRetryAttempts: 0 }));
  }
  return manifestDir({ "functions.yaml": docs.join("---\n") });
}

function expected(functions: number): Record<string, number> {
  const counts: Record<string, number> = { ...PER_REGION };
  for (const [operation, n] of Object.entries(PER_FUNCTION)) counts[operation] = n * functions;
  return counts;
}

describe("explain's planned reads", () => {
  beforeEach(async () => {
    await resetMoto();
  });

  for (const functions of [1, 4]) {
    it(`explain of ${functions} function(s) costs 4 + ${CALLS_PER_FUNCTION} × F calls, every one a read`, async () => {
      const dir = await seed(functions);
      proxy.reset();
      const run = await cli("explain", dir, "--output", "json", "--endpoint-url", proxy.endpoint);
      // Every path of AWS defaults drops (EventBridge, SNS, schedule, pipe at -1/-1, queue without redrive).
      expect(run.code, run.stderr).toBe(2);
      const doc = run.json<{ functions: { paths: unknown[] }[] }>();
      expect(doc.functions.map((f) => f.paths.length)).toEqual(Array(functions).fill(7));
      expect(proxy.counts()).toEqual(expected(functions));
      expect(proxy.requests()).toHaveLength(4 + CALLS_PER_FUNCTION * functions);
      expect(proxy.requests().filter((r) => !/^(Get|List|Describe)/.test(r.operation))).toEqual([]);
    });
  }

  it("asks only for actions deploy/iam-policy.json grants: its explain statement, all used, and the read statement", async () => {
    const policy = JSON.parse(
      await readFile(join(import.meta.dirname, "../../../deploy/iam-policy.json"), "utf8"),
    ) as {
      Statement: { Sid: string; Action: string[] }[];
    };
    const actions = (sid: string) => policy.Statement.find((s) => s.Sid === sid)?.Action ?? [];
    const dir = await seed(1);
    proxy.reset();
    await cli("explain", dir, "--endpoint-url", proxy.endpoint);
    const sent = new Set(proxy.requests().map((r) => `${r.service}:${r.operation}`));
    const granted = new Set([...actions("RetryctlRead"), ...actions("RetryctlExplain")]);
    expect([...sent].filter((a) => !granted.has(a))).toEqual([]);
    expect(actions("RetryctlExplain").filter((a) => !sent.has(a))).toEqual([]);
  });
});
