import {
  EventBridgeClient,
  ListTargetsByRuleCommand,
  PutTargetsCommand,
  type Target,
} from "@aws-sdk/client-eventbridge";
import {
  GetFunctionConfigurationCommand,
  GetFunctionEventInvokeConfigCommand,
  LambdaClient,
  ListEventSourceMappingsCommand,
  PutFunctionEventInvokeConfigCommand,
  UpdateEventSourceMappingCommand,
  UpdateFunctionConfigurationCommand,
} from "@aws-sdk/client-lambda";
import {
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { TEST_CREDENTIALS, TEST_REGION } from "../test/support/aws.js";
import { ALIAS, DESIRED, type Scenario } from "./scenario.js";

/**
 * Baseline (a): what a hand-written script does. One resource after the
 * other, read it, write it if it differs; plain SDK v3 clients with their
 * defaults (standard retry mode, 3 attempts), no client-side rate limit.
 */
export interface BaselineResult {
  ms: number;
  resources: number;
  written: number;
  /** Resources the script gave up on (an SDK error after its retries). */
  failed: number;
  failures: Record<string, number>;
}

type Step = { kind: string; run: () => Promise<boolean> };

function clients(endpoint: string) {
  const config = {
    region: TEST_REGION,
    endpoint,
    credentials: TEST_CREDENTIALS,
    requestHandler: new NodeHttpHandler({ connectionTimeout: 5_000, requestTimeout: 30_000 }),
  };
  return {
    lambda: new LambdaClient(config),
    sqs: new SQSClient(config),
    events: new EventBridgeClient(config),
  };
}

const notFound = (err: unknown) => (err as { name?: string }).name === "ResourceNotFoundException";

/** One step per resource, in manifest order; each returns whether it wrote. */
export function baselineSteps(s: Scenario, endpoint: string): Step[] {
  const { lambda, sqs, events } = clients(endpoint);
  const steps: Step[] = [];
  const asyncConfig =
    (
      name: string,
      qualifier: string | undefined,
      want: { maximumRetryAttempts: number; maximumEventAgeInSeconds: number },
    ) =>
    async () => {
      let current:
        | {
            MaximumRetryAttempts?: number;
            MaximumEventAgeInSeconds?: number;
            DestinationConfig?: { OnFailure?: { Destination?: string } };
          }
        | undefined;
      try {
        current = await lambda.send(
          new GetFunctionEventInvokeConfigCommand({ FunctionName: name, Qualifier: qualifier }),
        );
      } catch (err) {
        if (!notFound(err)) throw err;
      }
      if (
        current?.MaximumRetryAttempts === want.maximumRetryAttempts &&
        current.MaximumEventAgeInSeconds === want.maximumEventAgeInSeconds &&
        current.DestinationConfig?.OnFailure?.Destination === s.asyncFailedArn
      )
        return false;
      await lambda.send(
        new PutFunctionEventInvokeConfigCommand({
          FunctionName: name,
          Qualifier: qualifier,
          MaximumRetryAttempts: want.maximumRetryAttempts,
          MaximumEventAgeInSeconds: want.maximumEventAgeInSeconds,
          DestinationConfig: { OnFailure: { Destination: s.asyncFailedArn } },
        }),
      );
      return true;
    };
  const aliased = new Set(s.aliased);
  for (const f of s.functions) {
    steps.push({ kind: "FunctionEventInvokeConfig", run: asyncConfig(f.name, undefined, DESIRED.latest) });
    if (aliased.has(f.name))
      steps.push({ kind: "FunctionEventInvokeConfig", run: asyncConfig(f.name, ALIAS, DESIRED.alias) });
  }
  for (const name of s.withDlq) {
    steps.push({
      kind: "FunctionDeadLetterConfig",
      run: async () => {
        const got = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
        if (got.DeadLetterConfig?.TargetArn === s.functionDlqArn) return false;
        await lambda.send(
          new UpdateFunctionConfigurationCommand({
            FunctionName: name,
            DeadLetterConfig: { TargetArn: s.functionDlqArn },
          }),
        );
        return true;
      },
    });
  }
  for (const m of s.mappings) {
    steps.push({
      kind: "EventSourceMapping",
      run: async () => {
        const listed = await lambda.send(
          new ListEventSourceMappingsCommand({ FunctionName: m.fn, EventSourceArn: m.sourceArn }),
        );
        const current = listed.EventSourceMappings?.[0];
        if (!current?.UUID) throw new Error(`mapping ${m.name} not found`);
        if (m.source === "sqs") {
          const want = DESIRED.sqsMapping;
          if (
            current.BatchSize === want.batchSize &&
            current.MaximumBatchingWindowInSeconds === want.maximumBatchingWindowInSeconds
          )
            return false;
          await lambda.send(
            new UpdateEventSourceMappingCommand({
              UUID: current.UUID,
              BatchSize: want.batchSize,
              MaximumBatchingWindowInSeconds: want.maximumBatchingWindowInSeconds,
            }),
          );
          return true;
        }
        const want = DESIRED.stream;
        if (
          current.BatchSize === want.batchSize &&
          current.MaximumRetryAttempts === want.maximumRetryAttempts &&
          current.MaximumRecordAgeInSeconds === want.maximumRecordAgeInSeconds &&
          current.BisectBatchOnFunctionError === want.bisectBatchOnFunctionError &&
          current.DestinationConfig?.OnFailure?.Destination === s.streamFailedArn
        )
          return false;
        await lambda.send(
          new UpdateEventSourceMappingCommand({
            UUID: current.UUID,
            BatchSize: want.batchSize,
            MaximumRetryAttempts: want.maximumRetryAttempts,
            MaximumRecordAgeInSeconds: want.maximumRecordAgeInSeconds,
            BisectBatchOnFunctionError: want.bisectBatchOnFunctionError,
            DestinationConfig: { OnFailure: { Destination: s.streamFailedArn } },
          }),
        );
        return true;
      },
    });
  }
  for (const q of s.queues) {
    steps.push({
      kind: "QueueRedrivePolicy",
      run: async () => {
        const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: q.name }));
        const got = await sqs.send(
          new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["RedrivePolicy", "VisibilityTimeout"] }),
        );
        const policy = JSON.parse(got.Attributes?.RedrivePolicy ?? "{}") as {
          deadLetterTargetArn?: string;
          maxReceiveCount?: number | string;
        };
        const want = DESIRED.queue;
        if (
          policy.deadLetterTargetArn === q.dlqArn &&
          Number(policy.maxReceiveCount) === want.maxReceiveCount &&
          Number(got.Attributes?.VisibilityTimeout) === want.visibilityTimeoutSeconds
        )
          return false;
        await sqs.send(
          new SetQueueAttributesCommand({
            QueueUrl,
            Attributes: {
              RedrivePolicy: JSON.stringify({
                deadLetterTargetArn: q.dlqArn,
                maxReceiveCount: want.maxReceiveCount,
              }),
              VisibilityTimeout: String(want.visibilityTimeoutSeconds),
            },
          }),
        );
        return true;
      },
    });
  }
  for (const t of s.targets) {
    steps.push({
      kind: "EventTargetRetryPolicy",
      run: async () => {
        const listed = await events.send(new ListTargetsByRuleCommand({ Rule: t.rule }));
        const current = listed.Targets?.find((x) => x.Id === t.id);
        if (!current) throw new Error(`target ${t.name} not found`);
        const want = DESIRED.target;
        if (
          current.RetryPolicy?.MaximumRetryAttempts === want.maximumRetryAttempts &&
          current.RetryPolicy?.MaximumEventAgeInSeconds === want.maximumEventAgeInSeconds &&
          current.DeadLetterConfig?.Arn === s.eventsDlqArn
        )
          return false;
        const next: Target = {
          ...current,
          RetryPolicy: {
            MaximumRetryAttempts: want.maximumRetryAttempts,
            MaximumEventAgeInSeconds: want.maximumEventAgeInSeconds,
          },
          DeadLetterConfig: { Arn: s.eventsDlqArn },
        };
        const out = await events.send(new PutTargetsCommand({ Rule: t.rule, Targets: [next] }));
        if (out.FailedEntryCount) throw new Error(`PutTargets failed for ${t.name}`);
        return true;
      },
    });
  }
  return steps;
}

/** Runs the script's loop over every resource, sequentially, carrying on past failures the way `set +e` would. */
export async function runBaselineSdk(s: Scenario, endpoint: string): Promise<BaselineResult> {
  const steps = baselineSteps(s, endpoint);
  const failures: Record<string, number> = {};
  let written = 0;
  let failed = 0;
  const started = performance.now();
  for (const step of steps) {
    try {
      if (await step.run()) written++;
    } catch (err) {
      failed++;
      const name = (err as { name?: string }).name ?? "Error";
      failures[name] = (failures[name] ?? 0) + 1;
    }
  }
  return { ms: performance.now() - started, resources: steps.length, written, failed, failures };
}
