import { z } from "zod";
import { eventSourceMappingSpecSchema, fieldsFor } from "../kinds/event-source-mapping-model.js";
import { functionDeadLetterConfigSpecSchema } from "../kinds/function-dead-letter-config.js";
import { functionEventInvokeConfigSpecSchema } from "../kinds/function-event-invoke-config.js";
import { queueRedrivePolicySpecSchema } from "../kinds/queue-redrive-policy.js";
import { accountSchema, regionSchema } from "../manifests/fields.js";
import { unwrap } from "../manifests/schema-walk.js";
import { namePattern } from "../policy/policy.js";
import {
  FUNCTION_VARIABLES,
  isTemplate,
  QUEUE_VARIABLES,
  templateProblem,
  type Variable,
} from "./template.js";

export const RETRY_POLICY_KIND = "RetryPolicy";

type Shape = Record<string, z.ZodType>;

/**
 * A string field of a kind that may hold `${…}` variables: a value without any
 * gets the kind's own check now; one with variables is checked for known names
 * now and by the kind's schema once expansion has filled them in (design §7:
 * ARN checks run after substitution).
 */
function templated(field: z.ZodType, variables: readonly Variable[]): z.ZodType {
  const inner = unwrap(field) as z.ZodType;
  return z
    .string()
    .superRefine((value, ctx) => {
      if (isTemplate(value)) {
        const problem = templateProblem(value, variables);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
        return;
      }
      const parsed = inner.safeParse(value);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) ctx.addIssue({ code: "custom", message: issue.message });
      }
    })
    .nullable()
    .optional();
}

/**
 * A section: the named managed fields of a kind's spec schema, taken from that
 * schema (the same ranges, `null` semantics and checks), strings made templatable.
 */
function section(kindShape: Shape, fields: readonly string[], variables: readonly Variable[]) {
  const shape: Shape = {};
  for (const name of fields) {
    const field = kindShape[name];
    if (field === undefined) throw new TypeError(`section field ${name} is not in the kind's schema`);
    const inner = unwrap(field) as z.core.$ZodTypes;
    shape[name] = inner._zod.def.type === "string" ? templated(field, variables) : field;
  }
  return shape;
}

const SQS_ONLY_HINT =
  "does not apply to SQS mappings, only to Kinesis and DynamoDB streams (set it under streamMappings); " +
  "SQS retries are configured on the source queue's redrive policy: use sourceQueues (maxReceiveCount, deadLetterQueue)";

const asyncInvokeSchema = z.strictObject(
  section(
    functionEventInvokeConfigSpecSchema.shape,
    ["maximumRetryAttempts", "maximumEventAgeInSeconds", "onSuccess", "onFailure"],
    FUNCTION_VARIABLES,
  ),
);

const deadLetterConfigSchema = z.strictObject(
  section(functionDeadLetterConfigSpecSchema.shape, ["targetArn"], FUNCTION_VARIABLES),
);

const STREAM_FIELDS = fieldsFor("kinesis");
const QUEUE_FIELDS = fieldsFor("sqs");

const streamMappingsSchema = z.strictObject(
  section(eventSourceMappingSpecSchema.shape, STREAM_FIELDS, FUNCTION_VARIABLES),
);

/** Stream-only fields are named so that the message can say where SQS retries are set instead. */
const queueMappingsSchema = z.strictObject({
  ...section(eventSourceMappingSpecSchema.shape, QUEUE_FIELDS, FUNCTION_VARIABLES),
  ...Object.fromEntries(
    STREAM_FIELDS.filter((f) => !QUEUE_FIELDS.includes(f)).map((f) => [
      f,
      z.never({ error: SQS_ONLY_HINT }).optional(),
    ]),
  ),
});

const sourceQueuesSchema = z.strictObject(
  section(
    queueRedrivePolicySpecSchema.shape,
    ["deadLetterQueue", "maxReceiveCount", "visibilityTimeoutSeconds"],
    QUEUE_VARIABLES,
  ),
);

const tagKeySchema = z.string().min(1).max(128);

export const selectorSchema = z.strictObject({
  /** Default: the hub's account. */
  accounts: z.array(accountSchema).min(1).optional(),
  /** Default: the controller's region. */
  regions: z.array(regionSchema).min(1).optional(),
  /** Globs with `*` and `?`; default: every function. */
  functionNames: z.array(namePattern).min(1).optional(),
  excludeFunctionNames: z.array(namePattern).optional(),
  /** Every listed tag must match; the value `"*"` means the key is present. */
  tags: z.record(tagKeySchema, z.string().max(256)).optional(),
});

export const SECTIONS = [
  "asyncInvoke",
  "deadLetterConfig",
  "streamMappings",
  "queueMappings",
  "sourceQueues",
] as const;
export type Section = (typeof SECTIONS)[number];

export const retryPolicySpecSchema = z
  .strictObject({
    priority: z.int().min(-1000000).max(1000000).default(0),
    maxMatches: z.int().min(1).optional(),
    selector: selectorSchema.optional(),
    asyncInvoke: asyncInvokeSchema.optional(),
    deadLetterConfig: deadLetterConfigSchema.optional(),
    streamMappings: streamMappingsSchema.optional(),
    queueMappings: queueMappingsSchema.optional(),
    sourceQueues: sourceQueuesSchema.optional(),
  })
  .superRefine((spec, ctx) => {
    if (SECTIONS.every((s) => spec[s] === undefined)) {
      ctx.addIssue({
        code: "custom",
        path: [],
        message: `sets nothing: give at least one of ${SECTIONS.join(", ")}`,
      });
    }
  });

export type RetryPolicySpec = z.infer<typeof retryPolicySpecSchema>;
export type Selector = z.infer<typeof selectorSchema>;

/** A validated RetryPolicy document, beside the manifests of the per-resource kinds. */
export interface RetryPolicy {
  name: string;
  spec: RetryPolicySpec;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  source: { file: string; line: number };
  /** Hash of the parsed document. */
  hash: string;
}
