import type { z } from "zod";
import { arnPartProblem } from "./arn-parts.js";
import { isIntegerSchema, knownKeys, numberBounds, schemaAt, unwrap } from "./schema-walk.js";
import { closest } from "./suggest.js";
import type { PathSegment } from "./yaml-position.js";

/**
 * Turns zod v4 issues into kubectl-like English. Messages a schema sets itself
 * (`"must be an AWS region such as us-east-1"`) are kept; zod's defaults are
 * replaced by parsing with an error map that returns this marker.
 */
export const DEFAULT_MESSAGE = "\u0000retryctl-default-message";

/** Parse options that make zod's default messages recognisable. */
export const PARSE_OPTIONS = { error: () => DEFAULT_MESSAGE } as const;

/** One problem at one field; the message does not repeat the path (`formatManifestError` puts it in front). */
export interface FieldIssue {
  path: PathSegment[];
  message: string;
}

export interface DescribeContext {
  /** Schema that the issue paths are relative to. */
  schema: z.core.$ZodType;
  /** The value that was parsed. */
  data: unknown;
  /** Extra advice for an unknown field, e.g. "it belongs under spec". */
  unknownFieldHint?: (path: PathSegment[], key: string) => string | undefined;
}

const MAX_SHOWN = 60;

export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "string") {
    const shown = value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN)}…` : value;
    return JSON.stringify(shown);
  }
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint")
    return String(value);
  if (Array.isArray(value)) return "a list";
  if (value instanceof Uint8Array) return "binary data";
  if (typeof value === "object") return "a mapping";
  return typeof value;
}

function expectedText(expected: string): string {
  switch (expected) {
    case "int":
    case "bigint":
      return "an integer";
    case "boolean":
      return "true or false";
    case "object":
    case "record":
    case "map":
      return "a mapping";
    case "array":
    case "tuple":
    case "set":
      return "a list";
    case "null":
      return "null";
    case "undefined":
    case "never":
      return "absent";
    default:
      return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
  }
}

function formatLiteral(value: unknown): string {
  return typeof value === "string" ? value : String(value);
}

function allowedValues(values: readonly unknown[]): string {
  if (values.length === 1) return `must be ${formatLiteral(values[0])}`;
  return `must be one of ${values.map(formatLiteral).join(", ")}`;
}

function toSegments(path: readonly PropertyKey[]): PathSegment[] {
  return path.map((s) => (typeof s === "number" ? s : String(s)));
}

function valueAt(data: unknown, path: readonly PathSegment[]): { present: boolean; value: unknown } {
  let current = data;
  for (const segment of path) {
    if (current === null || typeof current !== "object" || !Object.hasOwn(current, segment)) {
      return { present: false, value: undefined };
    }
    current = (current as Record<PathSegment, unknown>)[segment];
  }
  return { present: true, value: current };
}

function sizeOf(value: unknown): number | undefined {
  if (typeof value === "string" || Array.isArray(value)) return value.length;
  return undefined;
}

function rangeMessage(
  issue: z.core.$ZodIssueTooBig | z.core.$ZodIssueTooSmall,
  value: unknown,
  target?: z.core.$ZodType,
) {
  const big = issue.code === "too_big";
  const limit = Number(
    big ? (issue as z.core.$ZodIssueTooBig).maximum : (issue as z.core.$ZodIssueTooSmall).minimum,
  );
  const got = describeValue(value);
  switch (issue.origin) {
    case "number":
    case "int":
    case "bigint": {
      const { min, max } = numberBounds(target);
      if (min !== undefined && max !== undefined && issue.inclusive !== false) {
        return `must be between ${min} and ${max}, got ${got}`;
      }
      if (big) return `must be ${issue.inclusive === false ? "less than" : "at most"} ${limit}, got ${got}`;
      return `must be ${issue.inclusive === false ? "greater than" : "at least"} ${limit}, got ${got}`;
    }
    case "string": {
      const size = sizeOf(value);
      if (!big && limit === 1) return "must not be empty";
      return `must be at ${big ? "most" : "least"} ${limit} characters long${size === undefined ? "" : `, got ${size}`}`;
    }
    case "array":
    case "set": {
      const size = sizeOf(value);
      if (!big && limit === 1) return "must not be empty";
      return `must have at ${big ? "most" : "least"} ${limit} items${size === undefined ? "" : `, got ${size}`}`;
    }
    default:
      return big ? "is too large" : "is too small";
  }
}

function defaultMessage(issue: z.core.$ZodIssue, value: unknown, target?: z.core.$ZodType): string {
  const got = describeValue(value);
  switch (issue.code) {
    case "invalid_type": {
      // zod reports a string given to `z.int()` as "expected number"; the field wants an integer.
      const integer = issue.expected === "number" && isIntegerSchema(target);
      return `must be ${integer ? "an integer" : expectedText(issue.expected)}, got ${got}`;
    }
    case "too_big":
    case "too_small":
      return rangeMessage(issue, value, target);
    case "invalid_format":
      if (issue.format === "regex" && issue.pattern) return `must match ${issue.pattern}, got ${got}`;
      if (issue.format === "starts_with")
        return `must start with "${(issue as z.core.$ZodIssueStringStartsWith).prefix}", got ${got}`;
      if (issue.format === "ends_with")
        return `must end with "${(issue as z.core.$ZodIssueStringEndsWith).suffix}", got ${got}`;
      if (issue.format === "includes")
        return `must contain "${(issue as z.core.$ZodIssueStringIncludes).includes}", got ${got}`;
      return `must be a valid ${issue.format}, got ${got}`;
    case "not_multiple_of":
      return `must be a multiple of ${issue.divisor}, got ${got}`;
    case "invalid_value":
      return `${allowedValues(issue.values)}, got ${got}`;
    default:
      return `is invalid (${got})`;
  }
}

/**
 * Adds the offending value to a schema's own "must …" message, unless it already says what it got;
 * for a malformed ARN, the part that is wrong instead (every kind's ARN fields alike).
 */
function customMessage(message: string, value: unknown): string {
  const part = typeof value === "string" && /\bARN\b/.test(message) ? arnPartProblem(value) : undefined;
  if (part !== undefined) return `${message}: ${part}`;
  const scalar = typeof value === "string" || typeof value === "number" || typeof value === "boolean";
  // A message that names the wrong part of the value already quotes it.
  if (scalar && /^must\b/.test(message) && !/\bgot\b|\bpart "/.test(message))
    return `${message}, got ${describeValue(value)}`;
  return message;
}

function describeOne(issue: z.core.$ZodIssue, path: PathSegment[], ctx: DescribeContext): FieldIssue {
  const { present, value } = valueAt(ctx.data, path);
  const custom = issue.message !== DEFAULT_MESSAGE;
  if (!present && (issue.code === "invalid_type" || issue.code === "invalid_value")) {
    if (custom) return { path, message: `is required; ${issue.message}` };
    if (issue.code === "invalid_value")
      return { path, message: `is required; ${allowedValues(issue.values)}` };
    return { path, message: "is required" };
  }
  if (custom) return { path, message: customMessage(issue.message, value) };
  return { path, message: defaultMessage(issue, value, schemaAt(ctx.schema, path)) };
}

function unknownFields(issue: z.core.$ZodIssueUnrecognizedKeys, path: PathSegment[], ctx: DescribeContext) {
  const known = knownKeys(schemaAt(ctx.schema, path));
  return issue.keys.map((key): FieldIssue => {
    const suggestion = closest(key, known);
    const hint = ctx.unknownFieldHint?.(path, key);
    let message = `unknown field "${key}"`;
    if (suggestion !== undefined) message += `; did you mean "${suggestion}"?`;
    else if (hint !== undefined) message += `; ${hint}`;
    else if (known.length > 0) message += `; known fields: ${known.join(", ")}`;
    return { path: [...path, key], message };
  });
}

function unionIssues(
  issue: z.core.$ZodIssueInvalidUnion,
  path: PathSegment[],
  ctx: DescribeContext,
): FieldIssue[] {
  const { value } = valueAt(ctx.data, path);
  if (issue.errors.length === 0) {
    // A discriminated union whose discriminator matched no option lists the options it knows.
    const options = (issue as { options?: unknown[] }).options;
    const message = options?.length
      ? `${allowedValues(options)}, got ${describeValue(value)}`
      : "matches none of the allowed forms";
    return [{ path, message }];
  }
  const typeOnly = issue.errors.every(
    (branch) => branch.length === 1 && branch[0]?.code === "invalid_type" && branch[0].path.length === 0,
  );
  if (typeOnly) {
    const union = unwrap(schemaAt(ctx.schema, path) ?? ctx.schema) as z.core.$ZodTypes;
    const options = union._zod.def.type === "union" ? union._zod.def.options : [];
    const expected = issue.errors.map((branch, index) => {
      const wanted = (branch[0] as z.core.$ZodIssueInvalidType).expected;
      return wanted === "number" && isIntegerSchema(options[index]) ? "an integer" : expectedText(wanted);
    });
    return [{ path, message: `must be ${[...new Set(expected)].join(" or ")}, got ${describeValue(value)}` }];
  }
  // The branch with the fewest complaints is the one the author most likely meant.
  const best = issue.errors.reduce((a, b) => (b.length < a.length ? b : a));
  return best.flatMap((inner) => describeIssue(inner, path, ctx));
}

function describeIssue(issue: z.core.$ZodIssue, prefix: PathSegment[], ctx: DescribeContext): FieldIssue[] {
  const path = [...prefix, ...toSegments(issue.path)];
  switch (issue.code) {
    case "unrecognized_keys":
      return unknownFields(issue, path, ctx);
    case "invalid_union":
      return unionIssues(issue, path, ctx);
    case "invalid_key": {
      const key = path[path.length - 1];
      const record = unwrap(schemaAt(ctx.schema, path.slice(0, -1)) ?? ctx.schema) as z.core.$ZodTypes;
      const keySchema = record._zod.def.type === "record" ? record._zod.def.keyType : ctx.schema;
      return issue.issues.map((inner) => {
        const described = describeOne(inner, [], { ...ctx, schema: keySchema, data: key });
        return { path, message: `key ${describeValue(key)} ${described.message}` };
      });
    }
    case "invalid_element":
      return issue.issues.flatMap((inner) => describeIssue(inner, path, ctx));
    default:
      return [describeOne(issue, path, ctx)];
  }
}

/** Every zod issue as one or more field issues (an unknown-keys issue becomes one per key). */
export function describeIssues(issues: readonly z.core.$ZodIssue[], ctx: DescribeContext): FieldIssue[] {
  // zod 4 still runs a schema's checks after its type check failed (a string given for a list
  // is then also "at most 1 characters long"); the type error alone says what is wrong.
  const key = (issue: z.core.$ZodIssue) => JSON.stringify(issue.path);
  const wrongType = new Set(issues.filter((i) => i.code === "invalid_type").map(key));
  const relevant = issues.filter((i) => i.code === "invalid_type" || !wrongType.has(key(i)));
  return relevant.flatMap((issue) => describeIssue(issue, [], ctx));
}
