import { TEST_ACCOUNT, TEST_REGION } from "../test/support/aws.js";

/**
 * How many AWS objects of each sort the benchmark manages. Every function has
 * a `$LATEST` async config; some also one on an alias, some a DLQ manifest;
 * mappings and rule targets point at the same functions.
 */
export interface Sizes {
  /** F: functions, each with a FunctionEventInvokeConfig on $LATEST. */
  functions: number;
  /** Functions that also have an alias `live` with its own async config. */
  aliases: number;
  /** Functions with a FunctionDeadLetterConfig manifest. */
  dlqs: number;
  kinesisMappings: number;
  dynamodbMappings: number;
  /** SQS mappings; their source queues are the first of the redrive queues. */
  sqsMappings: number;
  /** Q: queues with a QueueRedrivePolicy. */
  queues: number;
  /** R: rule targets with an EventTargetRetryPolicy. */
  targets: number;
  targetsPerRule: number;
  /** Stream consumers per Kinesis stream / DynamoDB table. */
  consumersPerStream: number;
}

export const ALIAS = "live";
const QUEUES_PER_DLQ = 10;

export type KindName =
  | "FunctionEventInvokeConfig"
  | "FunctionDeadLetterConfig"
  | "EventSourceMapping"
  | "QueueRedrivePolicy"
  | "EventTargetRetryPolicy";

export interface FunctionRes {
  name: string;
  arn: string;
}
export interface MappingRes {
  name: string;
  source: "kinesis" | "dynamodb" | "sqs";
  fn: string;
  /** Stream or table (kinesis/dynamodb) or queue (sqs) name. */
  sourceName: string;
  sourceArn: string;
}
export interface QueueRes {
  name: string;
  arn: string;
  url: string;
  dlqName: string;
  dlqArn: string;
}
export interface TargetRes {
  name: string;
  rule: string;
  id: string;
  fnArn: string;
  input: string;
}

/** Every object of a scenario, with the names and ARNs the manifests and the baselines use. */
export interface Scenario {
  sizes: Sizes;
  /** The account the scenario's objects live in (the multi-account part seeds one per member). */
  account: string;
  endpointHost: string;
  functions: FunctionRes[];
  /** Functions with an alias config (by name). */
  aliased: string[];
  /** Functions with a DLQ manifest (by name). */
  withDlq: string[];
  mappings: MappingRes[];
  queues: QueueRes[];
  targets: TargetRes[];
  streams: string[];
  tables: string[];
  rules: string[];
  dlqQueues: string[];
  /** Destinations the desired state points at. */
  asyncFailedArn: string;
  functionDlqArn: string;
  streamFailedArn: string;
  eventsDlqArn: string;
}

const pad = (n: number, width = 4) => String(n).padStart(width, "0");

/**
 * Builds the scenario's names. `endpoint` is moto's: queue URLs in moto are
 * `<endpoint>/<account>/<name>`, which the CLI baseline needs up front.
 */
export function buildScenario(
  sizes: Sizes,
  endpoint: string,
  prefix = "b",
  account = TEST_ACCOUNT,
): Scenario {
  const sqsArn = (name: string) => `arn:aws:sqs:${TEST_REGION}:${account}:${name}`;
  const lambdaArn = (name: string) => `arn:aws:lambda:${TEST_REGION}:${account}:function:${name}`;
  const F = sizes.functions;
  if (F < sizes.consumersPerStream) throw new Error("need at least consumersPerStream functions");
  if (sizes.sqsMappings > sizes.queues) throw new Error("each SQS mapping needs its own redrive queue");
  const functions = Array.from({ length: F }, (_, i) => {
    const name = `${prefix}-fn-${pad(i)}`;
    return { name, arn: lambdaArn(name) };
  });
  // Spread aliases and DLQs evenly over the functions.
  const every = (count: number) =>
    functions.filter((_, i) => Math.floor((i * count) / F) !== Math.floor(((i + 1) * count) / F));
  const aliased = every(sizes.aliases).map((f) => f.name);
  const withDlq = every(sizes.dlqs).map((f) => f.name);

  const streams: string[] = [];
  const tables: string[] = [];
  const mappings: MappingRes[] = [];
  const c = sizes.consumersPerStream;
  let fnCursor = 0;
  const nextFn = () => (functions[fnCursor++ % F] as FunctionRes).name;
  for (let i = 0; i < sizes.kinesisMappings; i++) {
    if (i % c === 0) streams.push(`${prefix}-stream-${pad(streams.length)}`);
    const stream = streams[streams.length - 1] as string;
    const sourceArn = `arn:aws:kinesis:${TEST_REGION}:${account}:stream/${stream}`;
    mappings.push({
      name: `${prefix}-esm-k-${pad(i)}`,
      source: "kinesis",
      fn: nextFn(),
      sourceName: stream,
      sourceArn,
    });
  }
  for (let i = 0; i < sizes.dynamodbMappings; i++) {
    if (i % c === 0) tables.push(`${prefix}-table-${pad(tables.length)}`);
    const table = tables[tables.length - 1] as string;
    // The real stream ARN carries a label only known after CreateTable: seeding replaces this placeholder.
    mappings.push({
      name: `${prefix}-esm-d-${pad(i)}`,
      source: "dynamodb",
      fn: nextFn(),
      sourceName: table,
      sourceArn: `arn:aws:dynamodb:${TEST_REGION}:${account}:table/${table}/stream/2026-01-01T00:00:00.000`,
    });
  }

  const dlqQueues = Array.from(
    { length: Math.ceil(sizes.queues / QUEUES_PER_DLQ) },
    (_, i) => `${prefix}-dlq-${pad(i, 3)}`,
  );
  const queues = Array.from({ length: sizes.queues }, (_, i) => {
    const name = `${prefix}-q-${pad(i)}`;
    const dlqName = dlqQueues[Math.floor(i / QUEUES_PER_DLQ)] as string;
    return {
      name,
      arn: sqsArn(name),
      url: `${endpoint}/${account}/${name}`,
      dlqName,
      dlqArn: sqsArn(dlqName),
    };
  });
  for (let i = 0; i < sizes.sqsMappings; i++) {
    const q = queues[i] as QueueRes;
    mappings.push({
      name: `${prefix}-esm-s-${pad(i)}`,
      source: "sqs",
      fn: nextFn(),
      sourceName: q.name,
      sourceArn: q.arn,
    });
  }

  const rules: string[] = [];
  const targets: TargetRes[] = [];
  for (let i = 0; i < sizes.targets; i++) {
    if (i % sizes.targetsPerRule === 0) rules.push(`${prefix}-rule-${pad(rules.length, 3)}`);
    const rule = rules[rules.length - 1] as string;
    const id = `t${i % sizes.targetsPerRule}`;
    targets.push({
      name: `${prefix}-target-${pad(i)}`,
      rule,
      id,
      fnArn: (functions[i % F] as FunctionRes).arn,
      input: JSON.stringify({ from: rule, target: id }),
    });
  }

  return {
    sizes,
    account,
    endpointHost: endpoint,
    functions,
    aliased,
    withDlq,
    mappings,
    queues,
    targets,
    streams,
    tables,
    rules,
    dlqQueues,
    asyncFailedArn: sqsArn(`${prefix}-async-failed`),
    functionDlqArn: sqsArn(`${prefix}-fn-dlq`),
    streamFailedArn: sqsArn(`${prefix}-stream-failed`),
    eventsDlqArn: sqsArn(`${prefix}-events-dlq`),
  };
}

/** Number of manifests of each kind. */
export function manifestCounts(s: Scenario): Record<KindName, number> {
  return {
    FunctionEventInvokeConfig: s.functions.length + s.aliased.length,
    FunctionDeadLetterConfig: s.withDlq.length,
    EventSourceMapping: s.mappings.length,
    QueueRedrivePolicy: s.queues.length,
    EventTargetRetryPolicy: s.targets.length,
  };
}

export function totalManifests(s: Scenario): number {
  return Object.values(manifestCounts(s)).reduce((a, b) => a + b, 0);
}

/** The desired values (shared by the manifests and both baselines, so all three write the same state). */
export const DESIRED = {
  latest: { maximumRetryAttempts: 1, maximumEventAgeInSeconds: 7200 },
  alias: { maximumRetryAttempts: 0, maximumEventAgeInSeconds: 600 },
  stream: {
    batchSize: 50,
    maximumRetryAttempts: 3,
    maximumRecordAgeInSeconds: 3600,
    bisectBatchOnFunctionError: true,
  },
  sqsMapping: { batchSize: 5, maximumBatchingWindowInSeconds: 2 },
  queue: { maxReceiveCount: 5, visibilityTimeoutSeconds: 60 },
  target: { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 3600 },
} as const;
