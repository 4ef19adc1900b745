import type {
  EventSourceMappingConfiguration,
  FunctionResponseType,
  UpdateEventSourceMappingCommandInput,
} from "@aws-sdk/client-lambda";
import { z } from "zod";
import { parseArn } from "../aws/arn.js";
import { ResourceError } from "../aws/errors.js";
import {
  arnOf,
  baseSpecShape,
  checkArnRegion,
  functionNameSchema,
  intRange,
  managed,
} from "../manifests/fields.js";
import type { FieldChange } from "./kind.js";

/**
 * The EventSourceMapping model: which fields each source accepts, their AWS
 * defaults, how they read from and write to the Lambda API, and the spec schema.
 */

/** The event sources retryctl manages; Kafka, MQ and DocumentDB mappings are out of scope. */
export type SourceType = "kinesis" | "dynamodb" | "sqs" | "sqs-fifo";

const STREAMS: readonly SourceType[] = ["kinesis", "dynamodb"];
const QUEUES: readonly SourceType[] = ["sqs", "sqs-fifo"];
const ALL: readonly SourceType[] = [...STREAMS, ...QUEUES];

export const isStream = (source: SourceType) => STREAMS.includes(source);

const SOURCE_LABEL: Record<SourceType, string> = {
  kinesis: "a Kinesis stream",
  dynamodb: "a DynamoDB stream",
  sqs: "an SQS queue",
  "sqs-fifo": "an SQS FIFO queue",
};

const OUT_OF_SCOPE: Record<string, string> = {
  kafka: "an Amazon MSK (Kafka)",
  mq: "an Amazon MQ",
  rds: "a DocumentDB",
  docdb: "a DocumentDB",
};

/** The source type of an event source ARN, or why it is not one retryctl manages. */
export function classifySource(arn: string): { source: SourceType } | { error: string } {
  const parsed = parseArn(arn);
  const wanted = "must be the ARN of a Kinesis stream, a DynamoDB stream or an SQS queue";
  if (!parsed) return { error: wanted };
  const { service, resource } = parsed;
  if (service === "kinesis" && /^stream\/[^/]+/.test(resource)) return { source: "kinesis" };
  if (service === "dynamodb" && /^table\/[^/]+\/stream\/.+/.test(resource)) return { source: "dynamodb" };
  if (service === "dynamodb" && /^table\/[^/]+$/.test(resource)) {
    return {
      error: "is a DynamoDB table ARN; a mapping reads the table's stream (…:table/<name>/stream/<label>)",
    };
  }
  if (service === "sqs" && /^[A-Za-z0-9_-]+(\.fifo)?$/.test(resource)) {
    return { source: resource.endsWith(".fifo") ? "sqs-fifo" : "sqs" };
  }
  const outOfScope = OUT_OF_SCOPE[service];
  if (outOfScope) {
    return {
      error: `is ${outOfScope} source; retryctl manages only Kinesis, DynamoDB stream and SQS mappings`,
    };
  }
  return { error: wanted };
}

export function sourceTypeOf(arn: string | undefined): SourceType | undefined {
  if (arn === undefined) return undefined;
  const c = classifySource(arn);
  return "source" in c ? c.source : undefined;
}

/**
 * One managed field: where it is legal, what AWS uses when it is absent, how
 * it reads from a mapping (null = absent) and how it is written on Update.
 */
interface FieldDef {
  sources: readonly SourceType[];
  defaultFor?: (source: SourceType) => unknown;
  read(config: EventSourceMappingConfiguration): unknown;
  write(input: UpdateEventSourceMappingCommandInput, value: unknown): void;
}

const FIELDS = {
  batchSize: {
    sources: ALL,
    defaultFor: (source) => (QUEUES.includes(source) ? 10 : 100),
    read: (c) => c.BatchSize ?? null,
    write: (input, v) => {
      input.BatchSize = v as number;
    },
  },
  maximumBatchingWindowInSeconds: {
    sources: ["kinesis", "dynamodb", "sqs"],
    defaultFor: () => 0,
    read: (c) => c.MaximumBatchingWindowInSeconds ?? null,
    write: (input, v) => {
      input.MaximumBatchingWindowInSeconds = v as number;
    },
  },
  maximumRetryAttempts: {
    sources: STREAMS,
    defaultFor: () => -1,
    read: (c) => c.MaximumRetryAttempts ?? null,
    write: (input, v) => {
      input.MaximumRetryAttempts = v as number;
    },
  },
  maximumRecordAgeInSeconds: {
    sources: STREAMS,
    defaultFor: () => -1,
    read: (c) => c.MaximumRecordAgeInSeconds ?? null,
    write: (input, v) => {
      input.MaximumRecordAgeInSeconds = v as number;
    },
  },
  bisectBatchOnFunctionError: {
    sources: STREAMS,
    defaultFor: () => false,
    read: (c) => c.BisectBatchOnFunctionError ?? null,
    write: (input, v) => {
      input.BisectBatchOnFunctionError = v as boolean;
    },
  },
  parallelizationFactor: {
    sources: STREAMS,
    defaultFor: () => 1,
    read: (c) => c.ParallelizationFactor ?? null,
    write: (input, v) => {
      input.ParallelizationFactor = v as number;
    },
  },
  onFailure: {
    sources: STREAMS,
    // AWS answers `{OnFailure: {}}` for "no destination"; "" and null mean the same.
    read: (c) => c.DestinationConfig?.OnFailure?.Destination || null,
    // `{OnFailure: {}}` is refused ("The Destination field is required for an OnFailure
    // configuration", aws-controllers-k8s/community#2865), while the model's Destination
    // pattern admits the empty string (`$|kafka://…|arn:…`); so "" clears it. Not yet
    // confirmed against live AWS (aws-reference §3.6); read normalises every "none" shape.
    write: (input, v) => {
      input.DestinationConfig = { OnFailure: { Destination: (v as string | null) ?? "" } };
    },
  },
  functionResponseTypes: {
    sources: ALL,
    read: (c) => (c.FunctionResponseTypes?.length ? [...c.FunctionResponseTypes] : null),
    write: (input, v) => {
      input.FunctionResponseTypes = (v as FunctionResponseType[] | null) ?? [];
    },
  },
  maximumConcurrency: {
    sources: QUEUES,
    read: (c) => c.ScalingConfig?.MaximumConcurrency ?? null,
    // "To remove the configuration, pass an empty value" (model); omitting it keeps the cap.
    write: (input, v) => {
      input.ScalingConfig = v === null ? {} : { MaximumConcurrency: v as number };
    },
  },
} satisfies Record<string, FieldDef>;

export type ManagedField = keyof typeof FIELDS;
export const MANAGED_FIELDS = Object.keys(FIELDS) as ManagedField[];

/** The managed fields this source accepts. */
export function fieldsFor(source: SourceType): ManagedField[] {
  return MANAGED_FIELDS.filter((field) => (FIELDS[field] as FieldDef).sources.includes(source));
}

/** The AWS value of each field this source accepts, when the mapping leaves it out. */
export function defaultsFor(source: SourceType): Record<string, unknown> {
  const defaults: Record<string, unknown> = {};
  for (const field of MANAGED_FIELDS) {
    const def: FieldDef = FIELDS[field];
    if (def.defaultFor && def.sources.includes(source)) defaults[field] = def.defaultFor(source);
  }
  return defaults;
}

// Lower case, as Lambda issues them; the JSON Schema for editors carries the same pattern.
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const eventSourceArnSchema = z.string().superRefine((value, ctx) => {
  const c = classifySource(value);
  if ("error" in c) ctx.addIssue({ code: "custom", message: c.error });
});

export const eventSourceMappingSpecSchema = z
  .strictObject({
    ...baseSpecShape,
    functionName: functionNameSchema,
    eventSourceArn: eventSourceArnSchema.optional(),
    uuid: z
      .string()
      .regex(
        UUID_RE,
        "must be the mapping's UUID: 36 characters such as 14e0db71-5d35-4eb5-b481-8945cf9d10c2",
      )
      .optional(),
    batchSize: managed(intRange(1, 10000)),
    maximumBatchingWindowInSeconds: managed(intRange(0, 300)),
    maximumRetryAttempts: managed(intRange(-1, 10000)),
    maximumRecordAgeInSeconds: managed(
      // AWS refuses 0..59 inside -1..604800; the bounds abort so a value gets one message, not two.
      z
        .int()
        .min(-1, { abort: true })
        .max(604800, { abort: true })
        .refine((v) => v === -1 || v >= 60, {
          message: "must be -1 (no limit) or between 60 and 604800 seconds",
        }),
    ),
    bisectBatchOnFunctionError: managed(z.boolean()),
    parallelizationFactor: managed(intRange(1, 10)),
    onFailure: managed(arnOf(["sqs", "sns", "s3"], "an SQS queue, SNS topic or S3 bucket")),
    functionResponseTypes: managed(z.array(z.enum(["ReportBatchItemFailures"])).max(1)),
    maximumConcurrency: managed(intRange(2, 1000)),
  })
  .superRefine((spec, ctx) => {
    if (spec.eventSourceArn === undefined && spec.uuid === undefined) {
      ctx.addIssue({
        code: "custom",
        path: [],
        message:
          "needs eventSourceArn (the mapping of functionName from that source) or uuid to find the mapping",
      });
    }
    checkArnRegion(ctx, spec.region, spec.functionName, ["functionName"]);
    checkArnRegion(ctx, spec.region, spec.eventSourceArn, ["eventSourceArn"]);
    const source = sourceTypeOf(spec.eventSourceArn);
    if (!source) return;
    for (const issue of sourceIssues(spec, source)) ctx.addIssue({ code: "custom", ...issue });
  });

export type EventSourceMappingSpec = z.infer<typeof eventSourceMappingSpecSchema>;

/** A mapping as read, its managed fields already in manifest terms. */
export interface EventSourceMappingActual {
  uuid: string;
  /** `Enabled`, `Creating`, `Updating`, … (a free string in the model). */
  state: string;
  functionArn: string;
  eventSourceArn: string;
  source: SourceType;
  /** Managed fields the source accepts; null = absent in AWS (its default applies). */
  view: Record<string, unknown>;
}

export interface SpecIssue {
  path: string[];
  message: string;
}

const SQS_RETRIES_HINT =
  "SQS retries are configured on the queue's redrive policy: use a QueueRedrivePolicy manifest for the queue " +
  "(maxReceiveCount and deadLetterQueue)";

function notForSource(field: ManagedField, source: SourceType): string {
  if (QUEUES.includes(source) && field !== "maximumBatchingWindowInSeconds") {
    return `does not apply to SQS sources, only to Kinesis and DynamoDB streams. ${SQS_RETRIES_HINT}`;
  }
  if (source === "sqs-fifo") return "is not supported for SQS FIFO queues";
  return `applies only to SQS sources; a stream's concurrency is set with parallelizationFactor (batches per shard)`;
}

/**
 * What the source type forbids in this spec. Validation runs it when
 * eventSourceArn names the source; read runs it again against the mapping's
 * real source, which is the only check a uuid-only manifest gets.
 */
export function sourceIssues(spec: EventSourceMappingSpec, source: SourceType): SpecIssue[] {
  const issues: SpecIssue[] = [];
  for (const field of MANAGED_FIELDS) {
    if (spec[field] !== undefined && !(FIELDS[field] as FieldDef).sources.includes(source)) {
      issues.push({ path: [field], message: notForSource(field, source) });
    }
  }
  const batch = spec.batchSize;
  if (source === "sqs-fifo" && typeof batch === "number" && batch > 10) {
    issues.push({ path: ["batchSize"], message: "must be at most 10 for an SQS FIFO queue" });
  }
  const window = spec.maximumBatchingWindowInSeconds;
  if (
    source === "sqs" &&
    typeof batch === "number" &&
    batch > 10 &&
    window !== undefined &&
    (window ?? 0) < 1
  ) {
    issues.push({
      path: ["maximumBatchingWindowInSeconds"],
      message:
        "must be at least 1 when batchSize is greater than 10 on an SQS queue (AWS refuses the update)",
    });
  }
  return issues;
}

/** Spec values in the terms the view uses: an empty functionResponseTypes list is the same as none. */
export function normalisedSpec(spec: EventSourceMappingSpec): Record<string, unknown> {
  const wanted: Record<string, unknown> = { ...spec };
  if (Array.isArray(spec.functionResponseTypes) && spec.functionResponseTypes.length === 0) {
    wanted.functionResponseTypes = null;
  }
  return wanted;
}

export function invalidForSource(
  actual: { uuid: string; eventSourceArn: string; source: SourceType },
  issues: SpecIssue[],
) {
  const detail = issues.map((i) => `spec.${i.path.join(".")} ${i.message}`).join("; ");
  return new ResourceError(
    "InvalidForSource",
    `mapping ${actual.uuid} reads from ${SOURCE_LABEL[actual.source]} (${actual.eventSourceArn}): ${detail}`,
  );
}

/**
 * The SQS batch-size/window rule checked on the values the mapping will have
 * after the update: validation only sees the manifest, and a manifest may set
 * one of the two while AWS holds the other.
 */
function batchWindowConflict(
  spec: EventSourceMappingSpec,
  source: SourceType,
  view: Record<string, unknown>,
) {
  if (source !== "sqs") return undefined;
  if (spec.batchSize === undefined && spec.maximumBatchingWindowInSeconds === undefined) return undefined;
  const pick = (field: ManagedField, fallback: number) => {
    const wanted = spec[field];
    if (wanted === null) return fallback;
    return (wanted ?? view[field] ?? fallback) as number;
  };
  const batch = pick("batchSize", 10);
  const window = pick("maximumBatchingWindowInSeconds", 0);
  if (batch <= 10 || window >= 1) return undefined;
  const path = spec.batchSize === undefined ? "maximumBatchingWindowInSeconds" : "batchSize";
  return {
    path: [path],
    message: `would leave batchSize ${batch} with maximumBatchingWindowInSeconds ${window}; AWS requires a window of at least 1 second above a batch size of 10 on SQS, so set maximumBatchingWindowInSeconds in the manifest`,
  };
}

/** Builds the actual from one mapping, or the error that says why this spec cannot manage it. */
export function toActual(
  spec: EventSourceMappingSpec,
  config: EventSourceMappingConfiguration,
): EventSourceMappingActual | ResourceError {
  const uuid = config.UUID ?? "";
  const eventSourceArn = config.EventSourceArn ?? "";
  const classified = classifySource(eventSourceArn);
  if ("error" in classified) {
    return new ResourceError(
      "InvalidForSource",
      `mapping ${uuid} reads from ${eventSourceArn || "a self-managed source"}, which retryctl does not manage: ` +
        "only Kinesis, DynamoDB stream and SQS mappings are supported",
    );
  }
  const { source } = classified;
  const view: Record<string, unknown> = {};
  for (const field of MANAGED_FIELDS) {
    const def: FieldDef = FIELDS[field];
    if (def.sources.includes(source)) view[field] = def.read(config);
  }
  const actual: EventSourceMappingActual = {
    uuid,
    state: config.State ?? "Enabled",
    functionArn: config.FunctionArn ?? "",
    eventSourceArn,
    source,
    view,
  };
  const issues = sourceIssues(spec, source);
  const conflict = batchWindowConflict(spec, source, view);
  if (conflict) issues.push(conflict);
  return issues.length > 0 ? invalidForSource(actual, issues) : actual;
}

/** The Update input for the changes: UUID plus only the changed fields, since Update merges. */
export function updateInput(
  uuid: string,
  changes: readonly FieldChange[],
): UpdateEventSourceMappingCommandInput {
  const input: UpdateEventSourceMappingCommandInput = { UUID: uuid };
  for (const change of changes) {
    const def = (FIELDS as Record<string, FieldDef>)[change.field];
    if (!def)
      throw new ResourceError("InvalidChange", `${change.field} is not a managed EventSourceMapping field`);
    def.write(input, change.desired);
  }
  return input;
}
