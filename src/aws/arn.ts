/** A parsed ARN: arn:partition:service:region:account:resource. */
export interface Arn {
  partition: string;
  service: string;
  region: string;
  account: string;
  resource: string;
}

const ARN_RE = /^arn:(aws[a-zA-Z-]*):([a-z0-9-]+):([a-z0-9-]*):(\d{12}|):(.+)$/;

export function parseArn(value: string): Arn | undefined {
  const m = ARN_RE.exec(value);
  if (!m) return undefined;
  return { partition: m[1]!, service: m[2]!, region: m[3]!, account: m[4]!, resource: m[5]! };
}

/**
 * A Lambda function reference: a name, a partial ARN (`123456789012:function:name`)
 * or a full ARN, each optionally with a `:qualifier`. All forms of one function
 * compare equal through `name` (design §4, "no perpetual diffs").
 */
export interface FunctionRef {
  name: string;
  qualifier?: string;
  region?: string;
  account?: string;
}

const NAME_RE = /^[a-zA-Z0-9-_]{1,64}$/;
const QUALIFIER_RE = /^(\$LATEST|[a-zA-Z0-9-_]{1,128})$/;

export function parseFunctionRef(value: string): FunctionRef | undefined {
  const full = /^arn:aws[a-zA-Z-]*:lambda:([a-z0-9-]+):(\d{12}):function:([^:]+)(?::([^:]+))?$/.exec(value);
  const partial = /^(\d{12}):function:([^:]+)(?::([^:]+))?$/.exec(value);
  const bare = /^([^:]+)(?::([^:]+))?$/.exec(value);
  let ref: FunctionRef | undefined;
  if (full) ref = withQualifier({ name: full[3]!, region: full[1]!, account: full[2]! }, full[4]);
  else if (partial) ref = withQualifier({ name: partial[2]!, account: partial[1]! }, partial[3]);
  else if (bare) ref = withQualifier({ name: bare[1]! }, bare[2]);
  if (!ref || !NAME_RE.test(ref.name)) return undefined;
  if (ref.qualifier !== undefined && !QUALIFIER_RE.test(ref.qualifier)) return undefined;
  return ref;
}

function withQualifier(ref: FunctionRef, qualifier: string | undefined): FunctionRef {
  return qualifier === undefined ? ref : { ...ref, qualifier };
}

/** The function's bare name from any accepted form (the name itself if it cannot be parsed). */
export function functionName(value: string): string {
  return parseFunctionRef(value)?.name ?? value;
}

/** `queue-name` from an SQS queue URL, ARN or name. */
export function queueName(value: string): string {
  const arn = parseArn(value);
  if (arn?.service === "sqs") return arn.resource;
  if (/^https?:\/\//.test(value)) return value.replace(/\/+$/, "").split("/").pop() ?? value;
  return value;
}

export function sqsQueueArn(region: string, account: string, name: string, partition = "aws"): string {
  return `arn:${partition}:sqs:${region}:${account}:${name}`;
}

/** The partition a region belongs to (`aws`, `aws-cn`, `aws-us-gov`, `aws-iso…`). */
export function partitionOf(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  if (region.startsWith("us-isob-")) return "aws-iso-b";
  if (region.startsWith("us-iso-")) return "aws-iso";
  return "aws";
}

/**
 * How to name a function to AWS, without its qualifier: the bare name when the
 * manifest gave one (the caller's own account), else its full ARN, so that a
 * function named in an account is addressed in that account and nowhere else.
 */
export function functionAddress(value: string, region: string | undefined): string {
  const ref = parseFunctionRef(value);
  if (!ref) return value;
  if (ref.account === undefined) return ref.name;
  const where = ref.region ?? region;
  // Lambda takes a partial ARN too; the full one is built when the region is known.
  if (!where) return `${ref.account}:function:${ref.name}`;
  const partition = parseArn(value)?.partition ?? partitionOf(where);
  return `arn:${partition}:lambda:${where}:${ref.account}:function:${ref.name}`;
}
