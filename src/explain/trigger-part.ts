import type { FunctionConfiguration } from "@aws-sdk/client-lambda";
import { type FunctionRef, parseFunctionRef } from "../aws/arn.js";
import { classifyAwsError } from "../aws/errors.js";
import { scrubSecrets } from "../log/secrets.js";
import { STREAM_DEFAULTS } from "./aws-defaults.js";
import type { ExplainPath, Uninspected } from "./model.js";
import { setting } from "./paths.js";
import type { RegionReads } from "./reads.js";
import type { ExplainTarget } from "./targets.js";

/** What the trigger readers share: one function's context, and how each reports its part. */

export const LATEST = "$LATEST";

/** What one kind of trigger contributed: its paths and what could not be inspected. */
export interface Part {
  paths: ExplainPath[];
  uninspected: Uninspected[];
  /** Triggers found that invoke the function asynchronously (a pipe's FIRE_AND_FORGET). */
  asyncInvokers?: number;
}

export function failed(trigger: string, source: string, what: string, err: unknown): Part {
  const e = classifyAwsError(err);
  return {
    paths: [],
    uninspected: [
      {
        trigger,
        source,
        reason: `${what} failed`,
        error: { code: e.code, message: scrubSecrets(e.message) },
      },
    ],
  };
}

/** Paths of one trigger kind, each trigger read on its own: one failed read costs only its trigger. */
export async function each<T>(items: readonly T[], explain: (item: T) => Promise<Part>): Promise<Part> {
  const parts = await Promise.all(items.map(explain));
  return {
    paths: parts.flatMap((p) => p.paths),
    uninspected: parts.flatMap((p) => p.uninspected),
    asyncInvokers: parts.reduce((n, p) => n + (p.asyncInvokers ?? 0), 0),
  };
}

/** The function an ARN names, whatever qualifier it carries. */
export function isFunction(
  fn: Required<Pick<FunctionRef, "name" | "region" | "account">>,
  arn: string | undefined,
): boolean {
  const ref = parseFunctionRef(arn ?? "");
  return ref?.name === fn.name && ref.region === fn.region && ref.account === fn.account;
}

export interface FunctionContext {
  reads: RegionReads;
  target: ExplainTarget;
  /** GetFunction's configuration of the unqualified function ($LATEST). */
  config: FunctionConfiguration;
  fn: { name: string; region: string; account: string };
  /** Unqualified. */
  functionArn: string;
}

export function timeoutOf(ctx: FunctionContext) {
  return setting("Timeout", ctx.config.Timeout, STREAM_DEFAULTS.functionTimeoutSeconds, ctx.functionArn);
}
