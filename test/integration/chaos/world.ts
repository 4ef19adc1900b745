import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ListTargetsByRuleCommand, PutTargetsCommand, type Target } from "@aws-sdk/client-eventbridge";
import {
  type EventSourceMappingConfiguration,
  GetFunctionConfigurationCommand,
  GetFunctionEventInvokeConfigCommand,
  ListEventSourceMappingsCommand,
  PutFunctionEventInvokeConfigCommand,
  UpdateEventSourceMappingCommand,
  UpdateFunctionConfigurationCommand,
} from "@aws-sdk/client-lambda";
import { DescribePipeCommand, UpdatePipeCommand } from "@aws-sdk/client-pipes";
import { GetScheduleCommand, UpdateScheduleCommand } from "@aws-sdk/client-scheduler";
import { GetSubscriptionAttributesCommand, SetSubscriptionAttributesCommand } from "@aws-sdk/client-sns";
import { GetQueueAttributesCommand, SetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import pMap from "p-map";
import { stringify } from "yaml";
import {
  createFunction,
  createMapping,
  createPipe,
  createQueue,
  createRule,
  createSchedule,
  createStream,
  createTableStream,
  createTopic,
  sdk,
  subscribe,
  TEST_ACCOUNT,
  TEST_REGION,
} from "../../support/aws.js";

/**
 * A fleet of AWS objects in moto, one manifest per managed resource across the
 * eight kinds, with a second opinion on what AWS holds: the chaos test and the
 * soak (bench/soak.ts) seed it, drift it by hand and read it back through the
 * plain SDK, never through retryctl's own code.
 */

export type KindName =
  | "FunctionEventInvokeConfig"
  | "FunctionDeadLetterConfig"
  | "EventSourceMapping"
  | "QueueRedrivePolicy"
  | "EventTargetRetryPolicy"
  | "SubscriptionRedrivePolicy"
  | "ScheduleRetryPolicy"
  | "PipeRetryPolicy";

export interface WorldSizes {
  /** Functions, each with a FunctionEventInvokeConfig manifest on $LATEST. */
  functions: number;
  /** Of those, how many also have a FunctionDeadLetterConfig manifest. */
  dlqs: number;
  /** SQS mappings, each from its own source queue. */
  sqsMappings: number;
  /** Stream mappings, half from one Kinesis stream, half from one DynamoDB stream. */
  streamMappings: number;
  /** Queues with a QueueRedrivePolicy manifest. */
  queues: number;
  rules: number;
  targetsPerRule: number;
  /**
   * Functions named by ARN in a second account (OTHER_ACCOUNT), each with an
   * async-config and a DLQ manifest that must be refused (AccountNotConfigured)
   * while the default account's function of the same name stays as seeded.
   */
  otherAccount?: number;
  /** Subscriptions of one SNS topic, each a function of the fleet. */
  subscriptions?: number;
  /** Scheduler schedules in the default group, each invoking a function of the fleet. */
  schedules?: number;
  /** Pipes from the fleet's Kinesis stream to a function. */
  pipes?: number;
}

/** 240 resources: big enough that batching, the sweep and the limiter all matter; seeds in seconds. */
export const CHAOS_SIZES: WorldSizes = {
  functions: 50,
  dlqs: 30,
  sqsMappings: 30,
  streamMappings: 20,
  queues: 60,
  rules: 10,
  targetsPerRule: 5,
  otherAccount: 1,
  subscriptions: 10,
  schedules: 10,
  pipes: 5,
};

/** An account the credentials are not of: manifests naming it are refused, never applied to the default account. */
export const OTHER_ACCOUNT = "222222222222";

export function worldSize(s: WorldSizes): number {
  const surfaces = (s.subscriptions ?? 0) + (s.schedules ?? 0) + (s.pipes ?? 0);
  return (
    s.functions + s.dlqs + s.sqsMappings + s.streamMappings + s.queues + s.rules * s.targetsPerRule + surfaces
  );
}

interface Base {
  kind: KindName;
  name: string;
  spec: Record<string, unknown>;
}
export interface AsyncRes extends Base {
  kind: "FunctionEventInvokeConfig";
  fn: string;
}
export interface DlqRes extends Base {
  kind: "FunctionDeadLetterConfig";
  fn: string;
}
export interface MappingRes extends Base {
  kind: "EventSourceMapping";
  fn: string;
  uuid: string;
  stream: boolean;
}
export interface QueueRes extends Base {
  kind: "QueueRedrivePolicy";
  queue: string;
  url: string;
}
export interface TargetRes extends Base {
  kind: "EventTargetRetryPolicy";
  rule: string;
  id: string;
  /** Unmanaged parts of the target that every write must keep. */
  arn: string;
  input: string;
}
export interface SubscriptionRes extends Base {
  kind: "SubscriptionRedrivePolicy";
  arn: string;
}
export interface ScheduleRes extends Base {
  kind: "ScheduleRetryPolicy";
  schedule: string;
  /** Unmanaged parts of the schedule that every write must keep. */
  expression: string;
  input: string;
}
export interface PipeRes extends Base {
  kind: "PipeRetryPolicy";
  pipe: string;
  /** An unmanaged stream parameter every write must keep. */
  batchSize: number;
}
export type WorldResource =
  | AsyncRes
  | DlqRes
  | MappingRes
  | QueueRes
  | TargetRes
  | SubscriptionRes
  | ScheduleRes
  | PipeRes;

/** A manifest that names a function by an ARN of OTHER_ACCOUNT: refused, and `fn` in the default account untouched. */
export interface RefusedRes extends Base {
  kind: "FunctionEventInvokeConfig" | "FunctionDeadLetterConfig";
  /** The same-named function in the default account, seeded with TWIN_SEED and no DLQ. */
  fn: string;
  code: "AccountNotConfigured";
}

/** The default-account twin's async config, which no write may change. */
const TWIN_SEED = { MaximumRetryAttempts: 1, MaximumEventAgeInSeconds: 300 };

export interface World {
  prefix: string;
  resources: WorldResource[];
  /** Manifests that must end in an error with no AWS call for them (not counted in `resources`). */
  refused: RefusedRes[];
  /** Destinations the desired state points at (…A) and hand drift points at (…B). */
  arns: Record<
    | "asyncFailed"
    | "fnDlqA"
    | "fnDlqB"
    | "streamFailed"
    | "qDlqA"
    | "qDlqB"
    | "evDlqA"
    | "evDlqB"
    | "targetQ"
    | "snsDlqA"
    | "snsDlqB"
    | "schDlqA"
    | "schDlqB"
    | "pipeDlqA"
    | "pipeDlqB",
    string
  >;
}

const sqsArn = (name: string) => `arn:aws:sqs:${TEST_REGION}:${TEST_ACCOUNT}:${name}`;

const SEED_CONCURRENCY = 12;

/**
 * Creates every object directly in moto (not through the proxy), in parallel
 * batches, in a mix of states: about a third already as desired, the rest off
 * in a field or missing a setting, so the first reconcile has writes to do.
 */
export async function seedWorld(sizes: WorldSizes, endpoint: string, prefix = "chaos"): Promise<World> {
  const p = prefix;
  const { lambda, events } = sdk(endpoint);
  const names = {
    asyncFailed: `${p}-async-failed`,
    fnDlqA: `${p}-fn-dlq-a`,
    fnDlqB: `${p}-fn-dlq-b`,
    streamFailed: `${p}-stream-failed`,
    qDlqA: `${p}-q-dlq-a`,
    qDlqB: `${p}-q-dlq-b`,
    evDlqA: `${p}-ev-dlq-a`,
    evDlqB: `${p}-ev-dlq-b`,
    targetQ: `${p}-target-q`,
    snsDlqA: `${p}-sns-dlq-a`,
    snsDlqB: `${p}-sns-dlq-b`,
    schDlqA: `${p}-sch-dlq-a`,
    schDlqB: `${p}-sch-dlq-b`,
    pipeDlqA: `${p}-pipe-dlq-a`,
    pipeDlqB: `${p}-pipe-dlq-b`,
  };
  const arns = Object.fromEntries(Object.entries(names).map(([k, n]) => [k, sqsArn(n)])) as World["arns"];
  const fns = Array.from({ length: sizes.functions }, (_, i) => `${p}-fn-${i}`);
  const queues = Array.from({ length: sizes.queues }, (_, i) => `${p}-q-${i}`);
  const sources = Array.from({ length: sizes.sqsMappings }, (_, i) => `${p}-src-${i}`);
  const created = new Map<string, string>();
  await pMap(
    [...Object.values(names), ...queues, ...sources],
    async (n) => {
      created.set(n, (await createQueue(n, {}, endpoint)).url);
    },
    { concurrency: SEED_CONCURRENCY },
  );
  await pMap(fns, (fn) => createFunction(fn, { endpoint }), { concurrency: SEED_CONCURRENCY });
  const [kinesisArn, dynamoArn] = await Promise.all([
    createStream(`${p}-stream`, endpoint),
    createTableStream(`${p}-table`, endpoint),
  ]);

  const resources: WorldResource[] = [];
  const refused: RefusedRes[] = [];
  const jobs: (() => Promise<unknown>)[] = [];

  const twins = Array.from({ length: sizes.otherAccount ?? 0 }, (_, i) => `${p}-twin-${i}`);
  await pMap(twins, (fn) => createFunction(fn, { endpoint }), { concurrency: SEED_CONCURRENCY });
  for (const fn of twins) {
    const arn = `arn:aws:lambda:${TEST_REGION}:${OTHER_ACCOUNT}:function:${fn}`;
    const code = "AccountNotConfigured";
    refused.push(
      {
        kind: "FunctionEventInvokeConfig",
        name: `${fn}-async`,
        fn,
        code,
        spec: { functionName: arn, maximumRetryAttempts: 0, onFailure: arns.asyncFailed },
      },
      {
        kind: "FunctionDeadLetterConfig",
        name: `${fn}-dlq`,
        fn,
        code,
        spec: { functionName: arn, targetArn: arns.fnDlqA },
      },
    );
    jobs.push(() => lambda.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: fn, ...TWIN_SEED })));
  }

  fns.forEach((fn, i) => {
    const spec = {
      functionName: fn,
      maximumRetryAttempts: i % 3,
      maximumEventAgeInSeconds: 600 + 60 * (i % 20),
      onFailure: arns.asyncFailed,
    };
    resources.push({ kind: "FunctionEventInvokeConfig", name: `${fn}-async`, fn, spec });
    if (i % 3 === 0) return; // no config at all: the first apply creates it
    jobs.push(() =>
      lambda.send(
        new PutFunctionEventInvokeConfigCommand(
          i % 3 === 1
            ? { FunctionName: fn, MaximumRetryAttempts: 2 - (i % 3), MaximumEventAgeInSeconds: 21600 }
            : {
                FunctionName: fn,
                MaximumRetryAttempts: spec.maximumRetryAttempts,
                MaximumEventAgeInSeconds: spec.maximumEventAgeInSeconds,
                DestinationConfig: { OnFailure: { Destination: spec.onFailure } },
              },
        ),
      ),
    );
  });

  fns.slice(0, sizes.dlqs).forEach((fn, i) => {
    resources.push({
      kind: "FunctionDeadLetterConfig",
      name: `${fn}-dlq`,
      fn,
      spec: { functionName: fn, targetArn: arns.fnDlqA },
    });
    if (i % 3 === 0) return;
    const target = i % 3 === 1 ? arns.fnDlqB : arns.fnDlqA;
    jobs.push(() =>
      lambda.send(
        new UpdateFunctionConfigurationCommand({ FunctionName: fn, DeadLetterConfig: { TargetArn: target } }),
      ),
    );
  });

  const mappingJobs: (() => Promise<void>)[] = [];
  sources.forEach((src, i) => {
    const fn = fns[i % fns.length] as string;
    const spec = {
      functionName: fn,
      eventSourceArn: sqsArn(src),
      batchSize: 5 + (i % 5),
      maximumBatchingWindowInSeconds: 1 + (i % 3),
      functionResponseTypes: ["ReportBatchItemFailures"],
    };
    mappingJobs.push(async () => {
      const inSync = i % 3 === 2;
      // AWS keeps `:$LATEST` in FunctionArn as given; the manifest names the plain function.
      const uuid = await createMapping(
        i === 0 ? `${fn}:$LATEST` : fn,
        spec.eventSourceArn,
        inSync
          ? {
              BatchSize: spec.batchSize,
              MaximumBatchingWindowInSeconds: spec.maximumBatchingWindowInSeconds,
              FunctionResponseTypes: ["ReportBatchItemFailures"],
            }
          : { BatchSize: 10 },
        endpoint,
      );
      resources.push({ kind: "EventSourceMapping", name: `${src}-esm`, fn, uuid, stream: false, spec });
    });
  });
  for (let i = 0; i < sizes.streamMappings; i++) {
    const kinesis = i % 2 === 0;
    const fn = fns[Math.floor(i / 2) % fns.length] as string;
    const spec = {
      functionName: fn,
      eventSourceArn: kinesis ? kinesisArn : dynamoArn,
      batchSize: 50 + i,
      maximumRetryAttempts: 3,
      maximumRecordAgeInSeconds: 3600,
      bisectBatchOnFunctionError: true,
      onFailure: arns.streamFailed,
    };
    mappingJobs.push(async () => {
      const uuid = await createMapping(fn, spec.eventSourceArn, { BatchSize: 100 }, endpoint);
      resources.push({
        kind: "EventSourceMapping",
        name: `${fn}-${kinesis ? "kinesis" : "ddb"}-esm`,
        fn,
        uuid,
        stream: true,
        spec,
      });
    });
  }
  await pMap(mappingJobs, (job) => job(), { concurrency: SEED_CONCURRENCY });

  queues.forEach((q, i) => {
    const spec = {
      queue: q,
      // Half by name, half by ARN: both forms must converge to the same policy.
      deadLetterQueue: i % 2 === 0 ? names.qDlqA : arns.qDlqA,
      maxReceiveCount: 5 + (i % 20),
      visibilityTimeoutSeconds: 30 + (i % 60),
    };
    const url = created.get(q) as string;
    resources.push({ kind: "QueueRedrivePolicy", name: `${q}-redrive`, queue: q, url, spec });
    if (i % 3 === 0) return;
    const policy =
      i % 3 === 1
        ? { deadLetterTargetArn: arns.qDlqB, maxReceiveCount: 2 }
        : { deadLetterTargetArn: arns.qDlqA, maxReceiveCount: spec.maxReceiveCount };
    jobs.push(() =>
      sdk(endpoint).sqs.send(
        new SetQueueAttributesCommand({
          QueueUrl: url,
          Attributes: {
            RedrivePolicy: JSON.stringify(policy),
            VisibilityTimeout: String(i % 3 === 1 ? 10 : spec.visibilityTimeoutSeconds),
          },
        }),
      ),
    );
  });

  const rules = Array.from({ length: sizes.rules }, (_, r) => `${p}-rule-${r}`);
  await pMap(rules, (rule) => createRule(rule, undefined, endpoint), { concurrency: SEED_CONCURRENCY });
  rules.forEach((rule, r) => {
    const targets: Target[] = [];
    for (let j = 0; j < sizes.targetsPerRule; j++) {
      const id = `t${j}`;
      const input = JSON.stringify({ rule, target: id });
      const spec = {
        rule,
        targetId: id,
        maximumRetryAttempts: (r + j) % 10,
        maximumEventAgeInSeconds: 3600 + 60 * j,
        deadLetterQueue: arns.evDlqA,
      };
      resources.push({
        kind: "EventTargetRetryPolicy",
        name: `${rule}-${id}`,
        rule,
        id,
        arn: arns.targetQ,
        input,
        spec,
      });
      const target: Target = { Id: id, Arn: arns.targetQ, Input: input };
      if (j % 3 === 1) target.RetryPolicy = { MaximumRetryAttempts: 100, MaximumEventAgeInSeconds: 86400 };
      if (j % 3 === 2) {
        target.RetryPolicy = {
          MaximumRetryAttempts: spec.maximumRetryAttempts,
          MaximumEventAgeInSeconds: spec.maximumEventAgeInSeconds,
        };
        target.DeadLetterConfig = { Arn: spec.deadLetterQueue };
      }
      targets.push(target);
    }
    jobs.push(() => events.send(new PutTargetsCommand({ Rule: rule, Targets: targets })));
  });

  await seedSurfaces(sizes, endpoint, p, fns, kinesisArn, arns, resources, jobs);
  await pMap(jobs, (job) => job(), { concurrency: SEED_CONCURRENCY });
  return { prefix, resources, refused, arns };
}

const fnArn = (fn: string) => `arn:aws:lambda:${TEST_REGION}:${TEST_ACCOUNT}:function:${fn}`;
const SCHEDULE_ROLE = `arn:aws:iam::${TEST_ACCOUNT}:role/chaos-scheduler`;

/** Subscriptions, schedules and pipes (issue 14), in the same mix of states as the rest of the fleet. */
async function seedSurfaces(
  sizes: WorldSizes,
  endpoint: string,
  p: string,
  fns: string[],
  stream: string,
  arns: World["arns"],
  resources: WorldResource[],
  jobs: (() => Promise<unknown>)[],
): Promise<void> {
  const { sns } = sdk(endpoint);
  const subscribers = fns.slice(0, sizes.subscriptions ?? 0);
  if (subscribers.length > 0) {
    const topic = await createTopic(`${p}-topic`, endpoint);
    const subs = await pMap(subscribers, (fn) => subscribe(topic, fnArn(fn), endpoint), {
      concurrency: SEED_CONCURRENCY,
    });
    subs.forEach((arn, i) => {
      const fn = subscribers[i] as string;
      const spec = { topicArn: topic, endpoint: fnArn(fn), deadLetterQueue: arns.snsDlqA };
      resources.push({ kind: "SubscriptionRedrivePolicy", name: `${fn}-sub`, arn, spec });
      if (i % 3 === 0) return;
      const dlq = i % 3 === 1 ? arns.snsDlqB : arns.snsDlqA;
      jobs.push(() =>
        sns.send(
          new SetSubscriptionAttributesCommand({
            SubscriptionArn: arn,
            AttributeName: "RedrivePolicy",
            AttributeValue: JSON.stringify({ deadLetterTargetArn: dlq }),
          }),
        ),
      );
    });
  }
  for (let i = 0; i < (sizes.schedules ?? 0); i++) {
    const schedule = `${p}-sched-${i}`;
    const fn = fns[i % fns.length] as string;
    const spec = {
      scheduleName: schedule,
      maximumRetryAttempts: i % 10,
      maximumEventAgeInSeconds: 3600 + 60 * i,
      deadLetterQueue: arns.schDlqA,
    };
    const expression = `rate(${5 + i} minutes)`;
    const input = JSON.stringify({ schedule });
    resources.push({ kind: "ScheduleRetryPolicy", name: schedule, schedule, expression, input, spec });
    const inSync = i % 3 === 2;
    jobs.push(() =>
      createSchedule(
        schedule,
        {
          ScheduleExpression: expression,
          Target: {
            Arn: fnArn(fn),
            RoleArn: SCHEDULE_ROLE,
            Input: input,
            ...(inSync && {
              RetryPolicy: {
                MaximumRetryAttempts: spec.maximumRetryAttempts,
                MaximumEventAgeInSeconds: spec.maximumEventAgeInSeconds,
              },
              DeadLetterConfig: { Arn: spec.deadLetterQueue },
            }),
          },
        },
        endpoint,
      ),
    );
  }
  for (let i = 0; i < (sizes.pipes ?? 0); i++) {
    const pipe = `${p}-pipe-${i}`;
    const fn = fns[i % fns.length] as string;
    const spec = {
      pipeName: pipe,
      maximumRetryAttempts: i,
      maximumRecordAgeInSeconds: 3600,
      onPartialBatchItemFailure: "AUTOMATIC_BISECT",
      deadLetterQueue: arns.pipeDlqA,
    };
    const batchSize = 10 + i;
    resources.push({ kind: "PipeRetryPolicy", name: pipe, pipe, batchSize, spec });
    jobs.push(() =>
      createPipe(
        pipe,
        stream,
        fnArn(fn),
        { KinesisStreamParameters: { StartingPosition: "LATEST", BatchSize: batchSize } },
        endpoint,
      ),
    );
  }
}

/** One file per kind, every resource a document in it. */
export async function writeWorldManifests(world: World, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const byKind = new Map<KindName, (WorldResource | RefusedRes)[]>();
  for (const r of [...world.resources, ...world.refused])
    byKind.set(r.kind, [...(byKind.get(r.kind) ?? []), r]);
  for (const [kind, list] of byKind) {
    const docs = list.map((r) =>
      stringify({
        apiVersion: "retryctl.dev/v1alpha1",
        kind: r.kind,
        metadata: { name: r.name },
        spec: r.spec,
      }),
    );
    await writeFile(join(dir, `${kind}.yaml`), docs.join("---\n"));
  }
}

/** A small seeded generator (mulberry32). */
export function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** "Someone changed it by hand": one random managed field of one random resource, directly in moto. */
/**
 * A hand change to a function that retryctl is updating meets Lambda's InProgress
 * window (ResourceConflictException), as it would in the console: try again shortly.
 */
async function whileInProgress<T>(send: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await send();
    } catch (err) {
      if ((err as Error).name !== "ResourceConflictException" || attempt >= 50) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export async function driftOne(world: World, random: () => number, endpoint: string): Promise<string> {
  const r = world.resources[Math.floor(random() * world.resources.length)] as WorldResource;
  const { lambda, sqs, events } = sdk(endpoint);
  const flip = random() < 0.5;
  switch (r.kind) {
    case "FunctionEventInvokeConfig":
      // Put replaces the whole config: the flip side loses onFailure and the retry setting too.
      await lambda.send(
        new PutFunctionEventInvokeConfigCommand(
          flip
            ? { FunctionName: r.fn, MaximumEventAgeInSeconds: 120 }
            : { FunctionName: r.fn, MaximumRetryAttempts: ((r.spec.maximumRetryAttempts as number) + 1) % 3 },
        ),
      );
      break;
    case "FunctionDeadLetterConfig":
      await whileInProgress(() =>
        lambda.send(
          new UpdateFunctionConfigurationCommand({
            FunctionName: r.fn,
            DeadLetterConfig: { TargetArn: flip ? "" : world.arns.fnDlqB },
          }),
        ),
      );
      break;
    case "EventSourceMapping":
      if (!r.stream) {
        const batchSize = r.spec.batchSize === 9 ? 8 : 9;
        await lambda.send(new UpdateEventSourceMappingCommand({ UUID: r.uuid, BatchSize: batchSize }));
      } else if (flip) {
        await lambda.send(new UpdateEventSourceMappingCommand({ UUID: r.uuid, BatchSize: 77 }));
      } else {
        await lambda.send(
          new UpdateEventSourceMappingCommand({ UUID: r.uuid, BisectBatchOnFunctionError: false }),
        );
      }
      break;
    case "QueueRedrivePolicy":
      await sqs.send(
        new SetQueueAttributesCommand({
          QueueUrl: r.url,
          Attributes: flip
            ? { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: world.arns.qDlqB, maxReceiveCount: 2 }) }
            : { VisibilityTimeout: "7" },
        }),
      );
      break;
    case "EventTargetRetryPolicy": {
      const target: Target = { Id: r.id, Arn: r.arn, Input: r.input };
      if (!flip) target.RetryPolicy = { MaximumRetryAttempts: 150, MaximumEventAgeInSeconds: 600 };
      else target.DeadLetterConfig = { Arn: world.arns.evDlqB };
      await events.send(new PutTargetsCommand({ Rule: r.rule, Targets: [target] }));
      break;
    }
    case "SubscriptionRedrivePolicy":
      await sdk(endpoint).sns.send(
        new SetSubscriptionAttributesCommand({
          SubscriptionArn: r.arn,
          AttributeName: "RedrivePolicy",
          AttributeValue: flip ? "" : JSON.stringify({ deadLetterTargetArn: world.arns.snsDlqB }),
        }),
      );
      break;
    case "ScheduleRetryPolicy": {
      const { scheduler } = sdk(endpoint);
      const s = await scheduler.send(new GetScheduleCommand({ Name: r.schedule }));
      const target = { ...s.Target, Arn: s.Target?.Arn ?? "", RoleArn: s.Target?.RoleArn ?? "" };
      if (flip) delete target.DeadLetterConfig;
      else target.RetryPolicy = { MaximumRetryAttempts: 150, MaximumEventAgeInSeconds: 600 };
      await scheduler.send(
        new UpdateScheduleCommand({
          Name: r.schedule,
          ScheduleExpression: s.ScheduleExpression,
          FlexibleTimeWindow: s.FlexibleTimeWindow,
          Target: target,
        }),
      );
      break;
    }
    case "PipeRetryPolicy": {
      const { pipes } = sdk(endpoint);
      const pipe = await pipes.send(new DescribePipeCommand({ Name: r.pipe }));
      // Pipes replaces the stream parameters as one: the hand edit keeps BatchSize, as a careful human would.
      const params = flip ? { BatchSize: r.batchSize } : { BatchSize: r.batchSize, MaximumRetryAttempts: -1 };
      await pipes
        .send(
          new UpdatePipeCommand({
            Name: r.pipe,
            RoleArn: pipe.RoleArn,
            SourceParameters: { KinesisStreamParameters: params },
          }),
        )
        .catch((err: { name?: string }) => {
          // A pipe retryctl is changing right now: the hand edit loses the race, as it would in AWS.
          if (err.name !== "ConflictException") throw err;
        });
      break;
    }
  }
  return `${r.kind}/${r.name}`;
}

export interface Mismatch {
  kind: KindName;
  name: string;
  field: string;
  actual: unknown;
  desired: unknown;
}

/**
 * Reads every resource back with the plain SDK and lists each managed field
 * that is not what the manifest asks for (and each unmanaged target field a
 * write lost): empty means every resource converged, none half-applied.
 */
export async function compareWorld(world: World, endpoint: string): Promise<Mismatch[]> {
  const { lambda, sqs, events } = sdk(endpoint);
  const out: Mismatch[] = [];
  const check = (r: WorldResource, field: string, actual: unknown, desired: unknown) => {
    if (JSON.stringify(actual) !== JSON.stringify(desired))
      out.push({ kind: r.kind, name: r.name, field, actual, desired });
  };

  const mappings = new Map<string, EventSourceMappingConfiguration>();
  let marker: string | undefined;
  do {
    const page = await lambda.send(new ListEventSourceMappingsCommand({ Marker: marker, MaxItems: 100 }));
    for (const m of page.EventSourceMappings ?? []) mappings.set(m.UUID ?? "", m);
    marker = page.NextMarker || undefined;
  } while (marker);

  const targets = new Map<string, Target[]>();
  const rules = [
    ...new Set(world.resources.flatMap((r) => (r.kind === "EventTargetRetryPolicy" ? [r.rule] : []))),
  ];
  await pMap(
    rules,
    async (rule) => {
      targets.set(rule, (await events.send(new ListTargetsByRuleCommand({ Rule: rule }))).Targets ?? []);
    },
    { concurrency: 8 },
  );

  // A manifest naming another account's function must not have changed the default account's twin.
  await pMap(
    world.refused,
    async (r) => {
      if (r.kind === "FunctionEventInvokeConfig") {
        const c = await lambda.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: r.fn }));
        const seen = {
          MaximumRetryAttempts: c.MaximumRetryAttempts,
          MaximumEventAgeInSeconds: c.MaximumEventAgeInSeconds,
          onFailure: c.DestinationConfig?.OnFailure?.Destination || null,
        };
        const seeded = { ...TWIN_SEED, onFailure: null };
        if (JSON.stringify(seen) !== JSON.stringify(seeded))
          out.push({ kind: r.kind, name: r.name, field: "(twin untouched)", actual: seen, desired: seeded });
      } else {
        const c = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: r.fn }));
        const target = c.DeadLetterConfig?.TargetArn || null;
        if (target !== null)
          out.push({ kind: r.kind, name: r.name, field: "(twin untouched)", actual: target, desired: null });
      }
    },
    { concurrency: 4 },
  );

  await pMap(
    world.resources,
    async (r) => {
      const s = r.spec;
      switch (r.kind) {
        case "FunctionEventInvokeConfig": {
          const c = await lambda
            .send(new GetFunctionEventInvokeConfigCommand({ FunctionName: r.fn }))
            .catch((err: { name?: string }) => {
              if (err.name === "ResourceNotFoundException") return undefined;
              throw err;
            });
          // A setting AWS leaves out is its documented default (aws-reference §1.2).
          check(r, "maximumRetryAttempts", c?.MaximumRetryAttempts ?? 2, s.maximumRetryAttempts);
          check(
            r,
            "maximumEventAgeInSeconds",
            c?.MaximumEventAgeInSeconds ?? 21600,
            s.maximumEventAgeInSeconds,
          );
          check(r, "onFailure", c?.DestinationConfig?.OnFailure?.Destination || null, s.onFailure);
          return;
        }
        case "FunctionDeadLetterConfig": {
          const c = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: r.fn }));
          check(r, "targetArn", c.DeadLetterConfig?.TargetArn || null, s.targetArn);
          return;
        }
        case "EventSourceMapping": {
          const m = mappings.get(r.uuid);
          if (!m) {
            out.push({ kind: r.kind, name: r.name, field: "(mapping)", actual: null, desired: r.uuid });
            return;
          }
          check(r, "batchSize", m.BatchSize, s.batchSize);
          if (r.stream) {
            check(r, "maximumRetryAttempts", m.MaximumRetryAttempts, s.maximumRetryAttempts);
            check(r, "maximumRecordAgeInSeconds", m.MaximumRecordAgeInSeconds, s.maximumRecordAgeInSeconds);
            check(
              r,
              "bisectBatchOnFunctionError",
              m.BisectBatchOnFunctionError,
              s.bisectBatchOnFunctionError,
            );
            check(r, "onFailure", m.DestinationConfig?.OnFailure?.Destination ?? null, s.onFailure);
          } else {
            check(
              r,
              "maximumBatchingWindowInSeconds",
              m.MaximumBatchingWindowInSeconds,
              s.maximumBatchingWindowInSeconds,
            );
            check(r, "functionResponseTypes", m.FunctionResponseTypes ?? [], s.functionResponseTypes);
          }
          return;
        }
        case "QueueRedrivePolicy": {
          const a = await sqs.send(
            new GetQueueAttributesCommand({
              QueueUrl: r.url,
              AttributeNames: ["RedrivePolicy", "VisibilityTimeout"],
            }),
          );
          const policy = a.Attributes?.RedrivePolicy
            ? (JSON.parse(a.Attributes.RedrivePolicy) as Record<string, unknown>)
            : {};
          const dlq = s.deadLetterQueue as string;
          check(
            r,
            "deadLetterQueue",
            policy.deadLetterTargetArn ?? null,
            dlq.startsWith("arn:") ? dlq : sqsArn(dlq),
          );
          check(r, "maxReceiveCount", Number(policy.maxReceiveCount), s.maxReceiveCount);
          check(
            r,
            "visibilityTimeoutSeconds",
            Number(a.Attributes?.VisibilityTimeout),
            s.visibilityTimeoutSeconds,
          );
          return;
        }
        case "EventTargetRetryPolicy": {
          const t = targets.get(r.rule)?.find((x) => x.Id === r.id);
          if (!t) {
            out.push({ kind: r.kind, name: r.name, field: "(target)", actual: null, desired: r.id });
            return;
          }
          // EventBridge's defaults when RetryPolicy leaves a member out (aws-reference §5).
          check(
            r,
            "maximumRetryAttempts",
            t.RetryPolicy?.MaximumRetryAttempts ?? 185,
            s.maximumRetryAttempts,
          );
          check(
            r,
            "maximumEventAgeInSeconds",
            t.RetryPolicy?.MaximumEventAgeInSeconds ?? 86400,
            s.maximumEventAgeInSeconds,
          );
          check(r, "deadLetterQueue", t.DeadLetterConfig?.Arn ?? null, s.deadLetterQueue);
          check(r, "(Arn kept)", t.Arn, r.arn);
          check(r, "(Input kept)", t.Input, r.input);
          return;
        }
        case "SubscriptionRedrivePolicy": {
          const a = await sdk(endpoint).sns.send(
            new GetSubscriptionAttributesCommand({ SubscriptionArn: r.arn }),
          );
          const policy = a.Attributes?.RedrivePolicy ? JSON.parse(a.Attributes.RedrivePolicy) : {};
          check(r, "deadLetterQueue", policy.deadLetterTargetArn ?? null, s.deadLetterQueue);
          return;
        }
        case "ScheduleRetryPolicy": {
          const sc = await sdk(endpoint).scheduler.send(new GetScheduleCommand({ Name: r.schedule }));
          // Scheduler's defaults when the target has no RetryPolicy.
          check(
            r,
            "maximumRetryAttempts",
            sc.Target?.RetryPolicy?.MaximumRetryAttempts ?? 185,
            s.maximumRetryAttempts,
          );
          check(
            r,
            "maximumEventAgeInSeconds",
            sc.Target?.RetryPolicy?.MaximumEventAgeInSeconds ?? 86400,
            s.maximumEventAgeInSeconds,
          );
          check(r, "deadLetterQueue", sc.Target?.DeadLetterConfig?.Arn ?? null, s.deadLetterQueue);
          check(r, "(ScheduleExpression kept)", sc.ScheduleExpression, r.expression);
          check(r, "(Input kept)", sc.Target?.Input, r.input);
          return;
        }
        case "PipeRetryPolicy": {
          const pipe = await sdk(endpoint).pipes.send(new DescribePipeCommand({ Name: r.pipe }));
          const k = pipe.SourceParameters?.KinesisStreamParameters;
          check(r, "maximumRetryAttempts", k?.MaximumRetryAttempts ?? -1, s.maximumRetryAttempts);
          check(
            r,
            "maximumRecordAgeInSeconds",
            k?.MaximumRecordAgeInSeconds ?? -1,
            s.maximumRecordAgeInSeconds,
          );
          check(
            r,
            "onPartialBatchItemFailure",
            k?.OnPartialBatchItemFailure ?? null,
            s.onPartialBatchItemFailure,
          );
          check(r, "deadLetterQueue", k?.DeadLetterConfig?.Arn ?? null, s.deadLetterQueue);
          check(r, "(BatchSize kept)", k?.BatchSize, r.batchSize);
          check(r, "(StartingPosition kept)", k?.StartingPosition, "LATEST");
          return;
        }
      }
    },
    { concurrency: 12 },
  );
  return out;
}

const WRITES: Record<KindName, readonly string[]> = {
  FunctionEventInvokeConfig: [
    "PutFunctionEventInvokeConfig",
    "UpdateFunctionEventInvokeConfig",
    "DeleteFunctionEventInvokeConfig",
  ],
  FunctionDeadLetterConfig: ["UpdateFunctionConfiguration"],
  EventSourceMapping: ["UpdateEventSourceMapping"],
  QueueRedrivePolicy: ["SetQueueAttributes"],
  EventTargetRetryPolicy: ["PutTargets"],
  SubscriptionRedrivePolicy: ["SetSubscriptionAttributes"],
  ScheduleRetryPolicy: ["UpdateSchedule"],
  PipeRetryPolicy: ["UpdatePipe"],
};

function wireResourceOf(r: WorldResource): string {
  switch (r.kind) {
    case "FunctionEventInvokeConfig":
    case "FunctionDeadLetterConfig":
      return `function:${r.fn}`;
    case "EventSourceMapping":
      return `esm:${r.uuid}`;
    case "QueueRedrivePolicy":
      return `queue:${r.queue}`;
    case "EventTargetRetryPolicy":
      return `rule:default/${r.rule}/${r.id}`;
    case "SubscriptionRedrivePolicy":
      return `subscription:${r.arn}`;
    case "ScheduleRetryPolicy":
      return `scheduler:${r.schedule}`;
    case "PipeRetryPolicy":
      return `pipes:${r.pipe}`;
  }
}

/**
 * Which resource a proxied write changed (`kind/name`), from its operation and
 * the object it addresses; undefined for reads and for writes to anything else.
 */
export function writeOwner(
  world: World,
): (call: { operation: string; resource?: string }) => string | undefined {
  const owners = new Map<string, string>();
  for (const r of world.resources) {
    for (const op of WRITES[r.kind]) owners.set(`${op} ${wireResourceOf(r)}`, `${r.kind}/${r.name}`);
  }
  return (call) => (call.resource ? owners.get(`${call.operation} ${call.resource}`) : undefined);
}
