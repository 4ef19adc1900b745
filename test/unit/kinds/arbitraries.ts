import type { Target } from "@aws-sdk/client-eventbridge";
import type { EventSourceMappingConfiguration } from "@aws-sdk/client-lambda";
import fc from "fast-check";
import type { z } from "zod";
import {
  eventSourceMappingSpecSchema,
  fieldsFor,
  type SourceType,
} from "../../../src/kinds/event-source-mapping-model.js";
import { eventTargetRetryPolicySpecSchema } from "../../../src/kinds/event-target-retry-policy.js";
import { functionDeadLetterConfigSpecSchema } from "../../../src/kinds/function-dead-letter-config.js";
import { functionEventInvokeConfigSpecSchema } from "../../../src/kinds/function-event-invoke-config.js";
import { queueRedrivePolicySpecSchema } from "../../../src/kinds/queue-redrive-policy.js";

/**
 * Generators of valid specs per kind, written from each zod schema's
 * constraints (ranges, ARN services, per-source fields), and of the states AWS
 * may hold. Cross-field rules are left to the schema itself: a generated spec
 * is kept only when the kind's schema accepts it, and is used as the schema
 * returns it.
 */

export const REGION = "us-east-1";
export const ACCOUNT = "123456789012";

const name = fc.stringMatching(/^[a-zA-Z0-9_-]{1,24}$/);
const queueName = fc.stringMatching(/^[a-zA-Z0-9_-]{1,40}$/);
export const sqsArn = (n: string) => `arn:aws:sqs:${REGION}:${ACCOUNT}:${n}`;
const arnOf = (service: string, resource: fc.Arbitrary<string>) =>
  resource.map((r) => `arn:aws:${service}:${REGION}:${ACCOUNT}:${r}`);
const sqs = arnOf("sqs", queueName);
const sns = arnOf("sns", name);
const lambdaFn = arnOf(
  "lambda",
  name.map((n) => `function:${n}`),
);
const bus = arnOf(
  "events",
  name.map((n) => `event-bus/${n}`),
);
const s3 = name.map(
  (n) =>
    `arn:aws:s3:::${n
      .toLowerCase()
      .replace(/[^a-z0-9]/g, "a")
      .padEnd(3, "b")}`,
);

/** A managed field: omitted (undefined), null ("back to the default") or a value. */
function managed<T>(value: fc.Arbitrary<T>): fc.Arbitrary<T | null | undefined> {
  return fc.oneof(fc.constant(undefined), fc.constant(null), value);
}

/** Drops undefined members, as a parsed YAML document never has them. */
function defined<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** Keeps what the kind's schema accepts, in the form the schema returns. */
function valid<S>(schema: z.ZodType<S>, raw: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<S> {
  return raw
    .map((r) => schema.safeParse(defined(r)))
    .filter((r) => r.success)
    .map((r) => r.data as S);
}

const functionRef = fc.oneof(
  name,
  name.map((n) => `${ACCOUNT}:function:${n}`),
  name.map((n) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${n}`),
);

/** A function reference that may carry its qualifier (`name:alias`, `arn:…:function:name:3`). */
const qualifiedRef = fc.oneof(
  functionRef,
  fc.tuple(functionRef, fc.oneof(fc.constant("$LATEST"), name)).map(([ref, q]) => `${ref}:${q}`),
);

export const invokeConfigSpec = valid(
  functionEventInvokeConfigSpecSchema,
  fc.record({
    functionName: qualifiedRef,
    qualifier: fc.option(fc.oneof(fc.constant("$LATEST"), name), { nil: undefined }),
    maximumRetryAttempts: managed(fc.integer({ min: 0, max: 2 })),
    maximumEventAgeInSeconds: managed(fc.integer({ min: 60, max: 21600 })),
    onSuccess: managed(fc.oneof(sqs, sns, lambdaFn, bus)),
    onFailure: managed(fc.oneof(sqs, sns, lambdaFn, bus, s3)),
  }),
);

/** An async config as Get/List return it (a removed setting is left out or an empty object). */
export const invokeConfig = fc.option(
  fc.record(
    {
      MaximumRetryAttempts: fc.integer({ min: 0, max: 2 }),
      MaximumEventAgeInSeconds: fc.integer({ min: 60, max: 21600 }),
      DestinationConfig: fc.record(
        {
          OnSuccess: fc.oneof(
            fc.constant({}),
            fc.record({ Destination: fc.oneof(fc.constant(""), sqs, sns) }),
          ),
          OnFailure: fc.oneof(
            fc.constant({}),
            fc.record({ Destination: fc.oneof(fc.constant(""), sqs, s3) }),
          ),
        },
        { requiredKeys: [] },
      ),
    },
    { requiredKeys: [] },
  ),
  { nil: undefined },
);

export const deadLetterSpec = valid(
  functionDeadLetterConfigSpecSchema,
  fc.record({ functionName: functionRef, targetArn: managed(fc.oneof(sqs, sns)) }),
);

/** A settled function's configuration (updates in progress are waits, not writes). */
export const functionConfiguration = fc.record({
  DeadLetterConfig: fc.oneof(
    fc.constant(undefined),
    fc.constant({}),
    fc.record({ TargetArn: fc.oneof(fc.constant(""), sqs, sns) }),
  ),
  State: fc.constant("Active" as const),
  LastUpdateStatus: fc.constant("Successful" as const),
  RevisionId: fc.uuid(),
});

const SOURCES: Record<SourceType, fc.Arbitrary<string>> = {
  kinesis: arnOf(
    "kinesis",
    name.map((n) => `stream/${n}`),
  ),
  dynamodb: arnOf(
    "dynamodb",
    name.map((n) => `table/${n}/stream/2026-01-01T00:00:00.000`),
  ),
  sqs,
  "sqs-fifo": arnOf(
    "sqs",
    name.map((n) => `${n}.fifo`),
  ),
};

const MAPPING_FIELDS = {
  batchSize: managed(fc.oneof(fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 10000 }))),
  maximumBatchingWindowInSeconds: managed(fc.integer({ min: 0, max: 300 })),
  maximumRetryAttempts: managed(fc.integer({ min: -1, max: 10000 })),
  maximumRecordAgeInSeconds: managed(fc.oneof(fc.constant(-1), fc.integer({ min: 60, max: 604800 }))),
  bisectBatchOnFunctionError: managed(fc.boolean()),
  parallelizationFactor: managed(fc.integer({ min: 1, max: 10 })),
  onFailure: managed(fc.oneof(sqs, sns, s3)),
  functionResponseTypes: managed(fc.constantFrom([], ["ReportBatchItemFailures"])),
  maximumConcurrency: managed(fc.integer({ min: 2, max: 1000 })),
};

/** A mapping spec and the source its mapping really reads from (a uuid-only spec does not name it). */
export const mappingSpec = fc
  .record({
    source: fc.constantFrom<SourceType>("kinesis", "dynamodb", "sqs", "sqs-fifo"),
    byUuid: fc.boolean(),
    functionName: functionRef,
    uuid: fc.uuid({ version: 4 }),
    fields: fc.record(MAPPING_FIELDS),
  })
  .chain((r) => SOURCES[r.source].map((sourceArn) => ({ ...r, sourceArn })))
  .map((r) => {
    const allowed = new Set<string>(fieldsFor(r.source));
    const fields = Object.fromEntries(Object.entries(r.fields).filter(([k]) => allowed.has(k)));
    const raw = defined({
      functionName: r.functionName,
      ...(r.byUuid ? { uuid: r.uuid } : { eventSourceArn: r.sourceArn }),
      ...fields,
    });
    const parsed = eventSourceMappingSpecSchema.safeParse(raw);
    return parsed.success
      ? { spec: parsed.data, source: r.source, sourceArn: r.sourceArn, uuid: r.uuid }
      : undefined;
  })
  .filter((r) => r !== undefined);

/** A mapping as Get/List return it, any managed member present or not. */
export function mappingConfiguration(
  uuid: string,
  sourceArn: string,
  functionArn: string,
): fc.Arbitrary<EventSourceMappingConfiguration> {
  return fc
    .record(
      {
        BatchSize: fc.integer({ min: 1, max: 10000 }),
        MaximumBatchingWindowInSeconds: fc.integer({ min: 0, max: 300 }),
        MaximumRetryAttempts: fc.integer({ min: -1, max: 10000 }),
        MaximumRecordAgeInSeconds: fc.oneof(fc.constant(-1), fc.integer({ min: 60, max: 604800 })),
        BisectBatchOnFunctionError: fc.boolean(),
        ParallelizationFactor: fc.integer({ min: 1, max: 10 }),
        DestinationConfig: fc.oneof(
          fc.constant({}),
          fc.constant({ OnFailure: {} }),
          fc.record({ OnFailure: fc.record({ Destination: fc.oneof(fc.constant(""), sqs, sns) }) }),
        ),
        FunctionResponseTypes: fc.boolean().map((on) => (on ? ["ReportBatchItemFailures" as const] : [])),
        ScalingConfig: fc.oneof(
          fc.constant({}),
          fc.record({ MaximumConcurrency: fc.integer({ min: 2, max: 1000 }) }),
        ),
      },
      { requiredKeys: [] },
    )
    .map((c) => ({
      ...c,
      UUID: uuid,
      EventSourceArn: sourceArn,
      FunctionArn: functionArn,
      State: "Enabled",
    }));
}

export const redriveSpec = valid(
  queueRedrivePolicySpecSchema,
  fc.record({
    queue: fc.oneof(
      queueName,
      sqs,
      queueName.map((n) => `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${n}`),
    ),
    deadLetterQueue: managed(fc.oneof(queueName, sqs)),
    maxReceiveCount: managed(fc.integer({ min: 1, max: 1000 })),
    visibilityTimeoutSeconds: managed(fc.integer({ min: 0, max: 43200 })),
  }),
);

/** A queue's RedrivePolicy as stored: any of its halves, `maxReceiveCount` as number or string, other keys kept. */
export const redrivePolicy = fc.option(
  fc.record(
    {
      deadLetterTargetArn: sqs,
      maxReceiveCount: fc
        .integer({ min: 1, max: 1000 })
        .chain((n) => fc.constantFrom<number | string>(n, String(n))),
      other: fc.dictionary(
        fc.constantFrom("redrivePermission", "sourceQueueArns", "x-note"),
        fc.jsonValue(),
        {
          maxKeys: 2,
        },
      ),
    },
    { requiredKeys: [] },
  ),
  { nil: undefined },
);

export const targetSpec = valid(
  eventTargetRetryPolicySpecSchema,
  fc.record({
    eventBusName: fc.option(fc.oneof(fc.constant("default"), name), { nil: undefined }),
    rule: name,
    targetId: name,
    maximumRetryAttempts: managed(fc.integer({ min: 0, max: 185 })),
    maximumEventAgeInSeconds: managed(fc.integer({ min: 60, max: 86400 })),
    deadLetterQueue: managed(sqs),
  }),
);

/** A rule target as ListTargetsByRule returns it, unmanaged members included. */
export function ruleTarget(id: string): fc.Arbitrary<Target> {
  return fc
    .record(
      {
        Arn: fc.oneof(sqs, lambdaFn),
        Input: fc.json(),
        RoleArn: name.map((n) => `arn:aws:iam::${ACCOUNT}:role/${n}`),
        SqsParameters: fc.record({ MessageGroupId: name }),
        RetryPolicy: fc.record(
          {
            MaximumRetryAttempts: fc.integer({ min: 0, max: 185 }),
            MaximumEventAgeInSeconds: fc.integer({ min: 60, max: 86400 }),
          },
          { requiredKeys: [] },
        ),
        DeadLetterConfig: fc.record({ Arn: sqs }, { requiredKeys: [] }),
      },
      { requiredKeys: ["Arn"] },
    )
    .map((t) => ({ ...t, Id: id }) as Target);
}
