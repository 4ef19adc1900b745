import { parseArn, parseFunctionRef } from "../aws/arn.js";
import type { Scope } from "./kind.js";
import { parseQueueRef } from "./sqs-queue.js";

type Ref = string | null | undefined;

/** What a kind names in its spec, by role; `refs` are ARNs of any service (destinations, DLQs, sources). */
export interface ScopeParts {
  functions?: Ref[];
  queues?: Ref[];
  rules?: Ref[];
  refs?: Ref[];
}

/**
 * Builds a kind's `Scope` from the references in its spec. An ARN in `refs` counts
 * by its service: a Lambda function ARN as a function, an SQS ARN as a queue, any
 * other (SNS topic, S3 bucket, stream, event bus) only for its account and region.
 */
export function scopeOf(parts: ScopeParts): Scope {
  const functions = new Set<string>();
  const queues = new Set<string>();
  const rules = new Set<string>();
  const accounts = new Set<string>();
  const regions = new Set<string>();
  const place = (account: string | undefined, region: string | undefined) => {
    if (account) accounts.add(account);
    if (region) regions.add(region);
  };
  const addFunction = (value: string) => {
    const ref = parseFunctionRef(value);
    if (!ref) return;
    functions.add(ref.name);
    place(ref.account, ref.region);
  };
  const addQueue = (value: string) => {
    const ref = parseQueueRef(value);
    if (!ref) return;
    queues.add(ref.name);
    place(ref.account, ref.region);
  };
  for (const value of present(parts.functions)) addFunction(value);
  for (const value of present(parts.queues)) addQueue(value);
  for (const value of present(parts.rules)) rules.add(value);
  for (const value of present(parts.refs)) {
    const arn = parseArn(value);
    if (arn?.service === "lambda") addFunction(value);
    else if (arn?.service === "sqs") addQueue(value);
    else if (arn) place(arn.account, arn.region);
  }
  const scope: Scope = {};
  if (functions.size > 0) scope.functions = [...functions];
  if (queues.size > 0) scope.queues = [...queues];
  if (rules.size > 0) scope.rules = [...rules];
  if (accounts.size > 0) scope.accounts = [...accounts];
  if (regions.size > 0) scope.regions = [...regions];
  return scope;
}

/** The references that are set (neither omitted, null nor empty). */
export function present(values: readonly Ref[] | undefined): string[] {
  return (values ?? []).filter((v): v is string => typeof v === "string" && v !== "");
}
