import { z } from "zod";

/**
 * The document `retryctl explain --output json` prints (design §9), as zod
 * schemas: the single source of its types, and what the tests parse the
 * output with. The §9 keys come first; `facts`, `notes`, `bisect`,
 * `uninspected` and `summary` are the additions that let a user check each
 * number.
 */

export const TRIGGERS = ["async", "sns", "eventbridge", "schedule", "stream", "pipe", "sqs"] as const;
export const triggerSchema = z.enum(TRIGGERS);
export type Trigger = z.infer<typeof triggerSchema>;

/** One number behind a path: read from AWS (`aws`), or AWS's documented value where AWS leaves it unset (`aws-default`). */
export const factSchema = z.strictObject({
  field: z.string(),
  value: z.union([z.number(), z.string(), z.boolean(), z.null()]),
  source: z.enum(["aws", "aws-default"]),
  /** The ARN or name of the object the value belongs to. */
  of: z.string(),
  /** Where an AWS default is documented (`aws-default` only). */
  reference: z.string().optional(),
});
export type Fact = z.infer<typeof factSchema>;

export const terminalSchema = z.strictObject({
  type: z.enum(["destination", "dlq", "dropped", "redrive"]),
  /** The destination, DLQ or redrive queue; null when dropped. */
  arn: z.string().nullable(),
});
export type Terminal = z.infer<typeof terminalSchema>;

export const pathSchema = z.strictObject({
  trigger: triggerSchema,
  /** The ARN or name of what delivers the event (the function's own ARN and qualifier for async). */
  source: z.string(),
  /** Every attempt, the first included; null when unlimited (retried until the age or retention ends it). */
  attempts: z.number().int().positive().nullable(),
  /** How long the event may be retried. */
  maxAgeSeconds: z.number().nonnegative().nullable(),
  /** How long one failing record can hold its shard, message group or batch; null where nothing blocks. */
  blockingSeconds: z.number().nonnegative().nullable(),
  terminal: terminalSchema,
  /** Stream and pipe paths: whether a failing batch is split in two before it is retried. */
  bisect: z.boolean().optional(),
  facts: z.array(factSchema),
  /** What the numbers do not say on their own (an onFailure destination a record never reaches, …). */
  notes: z.array(z.string()),
});
export type ExplainPath = z.infer<typeof pathSchema>;

export const errorSchema = z.strictObject({ code: z.string(), message: z.string() });

/** A trigger that was found but could not be read, or whose kind retryctl does not model. */
export const uninspectedSchema = z.strictObject({
  trigger: z.string(),
  source: z.string(),
  reason: z.string(),
  /** Set when a read failed (the exit code is then 1). */
  error: errorSchema.optional(),
});
export type Uninspected = z.infer<typeof uninspectedSchema>;

export const functionExplanationSchema = z.strictObject({
  account: z.string().nullable(),
  region: z.string(),
  functionName: z.string(),
  functionArn: z.string().nullable(),
  paths: z.array(pathSchema),
  uninspected: z.array(uninspectedSchema),
  /** The function itself could not be read (not found, denied): no paths. */
  error: errorSchema.optional(),
});
export type FunctionExplanation = z.infer<typeof functionExplanationSchema>;

export const explainDocumentSchema = z.strictObject({
  functions: z.array(functionExplanationSchema),
  manifestErrors: z.array(
    z.object({ file: z.string(), line: z.number(), path: z.string(), message: z.string() }),
  ),
  summary: z.strictObject({
    functions: z.number().int(),
    paths: z.number().int(),
    dropped: z.number().int(),
    blocking: z.number().int(),
    uninspected: z.number().int(),
    errors: z.number().int(),
  }),
});
export type ExplainDocument = z.infer<typeof explainDocumentSchema>;
