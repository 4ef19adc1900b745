import type { z } from "zod";
import type { AnyKind } from "../../../src/kinds/kind.js";
import { KINDS } from "../../../src/kinds/registry.js";
import { knownKeys, numberBounds, unwrap } from "../../../src/manifests/schema-walk.js";

/**
 * Out-of-range and wrong-type cases for every field of every kind, read from
 * the kinds' zod schemas: a field added to a kind gets its cases without
 * touching this file.
 */
export interface RangeCase {
  kind: string;
  field: string;
  case: "below min" | "above max" | "not an integer" | "wrong type";
  file: string;
  /** One manifest whose spec holds the bad value on line 6 and a valid rest. */
  yaml: string;
  message: string;
}

const ACCOUNT = "123456789012";
const sqs = (name: string) => `arn:aws:sqs:us-east-1:${ACCOUNT}:${name}`;

/** Valid specs per kind, tried in order: a field is tested on the first one it is legal in. */
const BASES: Record<string, Record<string, unknown>[]> = {
  FunctionEventInvokeConfig: [{ functionName: "fn", onFailure: sqs("fn-failed") }],
  FunctionDeadLetterConfig: [{ functionName: "fn", targetArn: sqs("fn-dlq") }],
  EventSourceMapping: [
    {
      functionName: "fn",
      eventSourceArn: `arn:aws:kinesis:us-east-1:${ACCOUNT}:stream/s`,
      onFailure: sqs("fn-failed"),
    },
    { functionName: "fn", eventSourceArn: sqs("source") },
  ],
  QueueRedrivePolicy: [{ queue: "q", deadLetterQueue: "q-dlq", maxReceiveCount: 5 }],
  EventTargetRetryPolicy: [{ rule: "r", targetId: "t", deadLetterQueue: sqs("r-dlq") }],
  SubscriptionRedrivePolicy: [
    { subscriptionArn: `arn:aws:sns:us-east-1:${ACCOUNT}:t:0a1b2c3d`, deadLetterQueue: sqs("t-dlq") },
    { topicArn: `arn:aws:sns:us-east-1:${ACCOUNT}:t`, endpoint: sqs("t-sub"), deadLetterQueue: sqs("t-dlq") },
  ],
  ScheduleRetryPolicy: [{ scheduleName: "s", deadLetterQueue: sqs("s-dlq") }],
  PipeRetryPolicy: [{ pipeName: "p", deadLetterQueue: sqs("p-dlq") }],
};

type Def = z.core.$ZodTypes["_zod"]["def"];

function defOf(schema: z.core.$ZodType): Def {
  return (unwrap(schema) as z.core.$ZodTypes)._zod.def;
}

/** A value of the field's own type that the schema accepts, to pick a base spec it is legal in. */
function validValue(schema: z.core.$ZodType): unknown {
  const def = defOf(schema);
  const { min, max } = numberBounds(schema);
  if (def.type === "number") return min !== undefined && min >= 0 ? min : (max ?? 1);
  if (def.type === "boolean") return true;
  return undefined;
}

function baseFor(kind: AnyKind, field: string, schema: z.core.$ZodType): Record<string, unknown> {
  const bases = BASES[kind.kind] ?? [];
  const value = validValue(schema);
  const legal = bases.find((base) => {
    const spec = value === undefined ? base : { ...base, [field]: value };
    return kind.specSchema.safeParse(spec).success;
  });
  const base = legal ?? bases[0] ?? {};
  const { [field]: _replaced, ...rest } = base;
  return rest;
}

function yamlOf(kind: string, name: string, field: string, value: unknown, rest: Record<string, unknown>) {
  return [
    "apiVersion: retryctl.dev/v1alpha1",
    `kind: ${kind}`,
    "metadata:",
    `  name: ${name}`,
    "spec:",
    `  ${field}: ${JSON.stringify(value)}`,
    ...Object.entries(rest).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`),
    "",
  ].join("\n");
}

/** What a value of the wrong type is, per expected type, and how the loader words the complaint. */
function wrongType(def: Def, integer: boolean): { value: unknown; message: string } | undefined {
  switch (def.type) {
    case "number":
      return { value: "ten", message: `must be ${integer ? "an integer" : "a number"}, got "ten"` };
    case "string":
      return { value: 42, message: "must be a string, got 42" };
    case "boolean":
      return { value: "yes", message: 'must be true or false, got "yes"' };
    case "array":
      return { value: "ReportBatchItemFailures", message: 'must be a list, got "ReportBatchItemFailures"' };
    default:
      return undefined;
  }
}

export function outOfRangeCases(kinds: readonly AnyKind[] = KINDS): RangeCase[] {
  const cases: RangeCase[] = [];
  for (const kind of kinds) {
    const shape = (defOf(kind.specSchema) as z.core.$ZodObjectDef).shape;
    for (const field of knownKeys(kind.specSchema)) {
      const schema = shape[field] as z.core.$ZodType;
      const def = defOf(schema);
      const integer = def.type === "number" && (unwrap(schema) as z.ZodNumber).isInt === true;
      const rest = baseFor(kind, field, schema);
      const add = (label: RangeCase["case"], value: unknown, message: string) => {
        const slug = `${kind.kind}-${field}-${label.replace(/ /g, "-")}`.toLowerCase();
        const name = slug.replace(/[^a-z0-9-]/g, "-");
        cases.push({
          kind: kind.kind,
          field,
          case: label,
          file: `${slug}.yaml`,
          yaml: yamlOf(kind.kind, name, field, value, rest),
          message,
        });
      };
      const { min, max } = numberBounds(schema);
      if (min !== undefined && max !== undefined) {
        add("below min", min - 1, `must be between ${min} and ${max}, got ${min - 1}`);
        add("above max", max + 1, `must be between ${min} and ${max}, got ${max + 1}`);
      }
      if (integer && min !== undefined)
        add("not an integer", min + 0.5, `must be an integer, got ${min + 0.5}`);
      const wrong = wrongType(def, integer);
      if (wrong) add("wrong type", wrong.value, wrong.message);
    }
  }
  return cases;
}
