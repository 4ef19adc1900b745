import { PutTargetsCommand } from "@aws-sdk/client-eventbridge";
import {
  DeleteFunctionEventInvokeConfigCommand,
  PutFunctionEventInvokeConfigCommand,
  UpdateEventSourceMappingCommand,
  UpdateFunctionConfigurationCommand,
} from "@aws-sdk/client-lambda";
import { SetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import pMap from "p-map";
import {
  createFunction,
  createMapping,
  createQueue,
  createRule,
  createStream,
  createTableStream,
  publishVersionAndAlias,
  putTarget,
  sdk,
} from "../test/support/aws.js";
import { ALIAS, type Scenario } from "./scenario.js";

const SEED_CONCURRENCY = 8;

/**
 * Creates every AWS object of the scenario in moto (directly, not through the
 * proxy). Fills in what only AWS knows: DynamoDB stream ARNs and mapping UUIDs.
 */
export async function seedScenario(s: Scenario, endpoint: string): Promise<Map<string, string>> {
  const extraQueues = [s.asyncFailedArn, s.functionDlqArn, s.streamFailedArn, s.eventsDlqArn].map(
    (arn) => arn.split(":").pop() as string,
  );
  await pMap(
    [...s.dlqQueues, ...extraQueues, ...s.queues.map((q) => q.name)],
    (name) => createQueue(name, {}, endpoint),
    { concurrency: SEED_CONCURRENCY },
  );
  await pMap(s.functions, (f) => createFunction(f.name, { endpoint }), { concurrency: SEED_CONCURRENCY });
  await pMap(s.aliased, (name) => publishVersionAndAlias(name, ALIAS, endpoint), {
    concurrency: SEED_CONCURRENCY,
  });

  const streamArns = new Map<string, string>();
  await pMap(
    s.streams,
    async (name) => {
      streamArns.set(name, await createStream(name, endpoint));
    },
    { concurrency: SEED_CONCURRENCY },
  );
  await pMap(
    s.tables,
    async (name) => {
      streamArns.set(name, await createTableStream(name, endpoint));
    },
    { concurrency: SEED_CONCURRENCY },
  );
  for (const m of s.mappings) {
    if (m.source !== "sqs") m.sourceArn = streamArns.get(m.sourceName) as string;
  }

  const uuids = new Map<string, string>();
  await pMap(
    s.mappings,
    async (m) => {
      const extra =
        m.source === "sqs"
          ? { BatchSize: 10 }
          : { BatchSize: 100, DestinationConfig: { OnFailure: { Destination: s.streamFailedArn } } };
      uuids.set(m.name, await createMapping(m.fn, m.sourceArn, extra, endpoint));
    },
    { concurrency: SEED_CONCURRENCY },
  );

  for (const rule of s.rules) await createRule(rule, undefined, endpoint);
  await pMap(
    s.targets,
    (t) => putTarget(t.rule, { Id: t.id, Arn: t.fnArn, Input: t.input }, undefined, endpoint),
    { concurrency: SEED_CONCURRENCY },
  );
  return uuids;
}

/**
 * Puts every managed field off its desired value, directly in moto, so the
 * next apply finds all resources drifted: wrong async settings on $LATEST, no
 * config on the alias (a create), no function DLQ, default stream retries,
 * a too-low maxReceiveCount, targets without retry policy or DLQ.
 */
export async function driftAll(s: Scenario, endpoint: string, uuids: Map<string, string>): Promise<void> {
  const { lambda, sqs, events } = sdk(endpoint);
  const jobs: (() => Promise<unknown>)[] = [];
  for (const f of s.functions) {
    jobs.push(() =>
      lambda.send(
        new PutFunctionEventInvokeConfigCommand({
          FunctionName: f.name,
          MaximumRetryAttempts: 2,
          MaximumEventAgeInSeconds: 3600,
        }),
      ),
    );
  }
  for (const name of s.aliased) {
    jobs.push(() =>
      lambda
        .send(new DeleteFunctionEventInvokeConfigCommand({ FunctionName: name, Qualifier: ALIAS }))
        .catch((err: { name?: string }) => {
          if (err.name !== "ResourceNotFoundException") throw err;
        }),
    );
  }
  for (const name of s.withDlq) {
    jobs.push(() =>
      lambda.send(
        new UpdateFunctionConfigurationCommand({ FunctionName: name, DeadLetterConfig: { TargetArn: "" } }),
      ),
    );
  }
  for (const m of s.mappings) {
    const UUID = uuids.get(m.name);
    if (!UUID) throw new Error(`no UUID for mapping ${m.name}`);
    const input =
      m.source === "sqs"
        ? { UUID, BatchSize: 10, MaximumBatchingWindowInSeconds: 0 }
        : {
            UUID,
            BatchSize: 100,
            MaximumRetryAttempts: -1,
            MaximumRecordAgeInSeconds: -1,
            BisectBatchOnFunctionError: false,
          };
    jobs.push(() => lambda.send(new UpdateEventSourceMappingCommand(input)));
  }
  for (const q of s.queues) {
    jobs.push(() =>
      sqs.send(
        new SetQueueAttributesCommand({
          QueueUrl: q.url,
          Attributes: {
            RedrivePolicy: JSON.stringify({ deadLetterTargetArn: q.dlqArn, maxReceiveCount: "1" }),
            VisibilityTimeout: "30",
          },
        }),
      ),
    );
  }
  const byRule = new Map<string, typeof s.targets>();
  for (const t of s.targets) byRule.set(t.rule, [...(byRule.get(t.rule) ?? []), t]);
  for (const [rule, ts] of byRule) {
    jobs.push(() =>
      events.send(
        new PutTargetsCommand({
          Rule: rule,
          Targets: ts.map((t) => ({ Id: t.id, Arn: t.fnArn, Input: t.input })),
        }),
      ),
    );
  }
  await pMap(jobs, (job) => job(), { concurrency: SEED_CONCURRENCY });
}
