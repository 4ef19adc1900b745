import type { FunctionConfiguration } from "@aws-sdk/client-lambda";
import { parseArn, parseFunctionRef } from "../aws/arn.js";
import { classifyAwsError, isNotFound } from "../aws/errors.js";
import { scrubSecrets } from "../log/secrets.js";
import { asyncPart } from "./async-trigger.js";
import { eventBridgePart, schedulePart, snsPart } from "./delivery-triggers.js";
import type { ExplainPath, FunctionExplanation } from "./model.js";
import type { RegionReads } from "./reads.js";
import { mappingPart, pipePart } from "./source-triggers.js";
import type { ExplainTarget } from "./targets.js";
import { type FunctionContext, LATEST } from "./trigger-part.js";

/** Triggers that hand their events to Lambda's asynchronous queue. */
const ASYNC_TRIGGERS = new Set(["sns", "eventbridge", "schedule"]);

/**
 * Every way an event reaches one function and where a failed event ends up
 * (design §9): its async config and DLQ, its event source mappings, and the
 * EventBridge rules, SNS subscriptions, schedules and pipes that target it.
 */
export async function explainFunction(
  reads: RegionReads,
  target: ExplainTarget,
): Promise<FunctionExplanation> {
  const base: FunctionExplanation = {
    account: target.account ?? null,
    region: target.region,
    functionName: target.functionName,
    functionArn: null,
    paths: [],
    uninspected: [],
  };
  let config: FunctionConfiguration;
  try {
    config = await reads.function(target.address);
  } catch (err) {
    const e = isNotFound(err)
      ? {
          code: "FunctionNotFound",
          message: `function ${target.functionName} does not exist in ${target.region}`,
        }
      : classifyAwsError(err, `GetFunction ${target.functionName}`);
    return { ...base, error: { code: e.code, message: scrubSecrets(e.message) } };
  }
  const ref = parseFunctionRef(config.FunctionArn ?? "");
  const arn = parseArn(config.FunctionArn ?? "");
  if (!ref || !arn || !ref.region || !ref.account) {
    return {
      ...base,
      error: {
        code: "ServiceError",
        message: `GetFunction returned no function ARN for ${target.functionName}`,
      },
    };
  }
  const fn = { name: ref.name, region: ref.region, account: ref.account };
  const functionArn = `arn:${arn.partition}:lambda:${fn.region}:${fn.account}:function:${fn.name}`;
  const ctx: FunctionContext = { reads, target, config, fn, functionArn };
  const [async, ...triggers] = await Promise.all([
    asyncPart(ctx),
    snsPart(ctx),
    eventBridgePart(ctx),
    schedulePart(ctx),
    mappingPart(ctx),
    pipePart(ctx),
  ]);
  const found = triggers.flatMap((p) => [...p.paths, ...p.uninspected]);
  const invokedAsync =
    found.some((p) => ASYNC_TRIGGERS.has(p.trigger)) || triggers.some((p) => (p.asyncInvokers ?? 0) > 0);
  // Mappings and pipes invoke synchronously: a function fed only by them shows an async path only
  // when it has async settings of its own; with no trigger found, direct and S3 invocations remain.
  const asyncPaths = async.paths.filter(
    (p) => invokedAsync || found.length === 0 || !p.source.endsWith(`:${LATEST}`) || hasAsyncSettings(p),
  );
  return {
    ...base,
    account: fn.account,
    functionArn,
    paths: [...asyncPaths, ...triggers.flatMap((p) => p.paths)],
    uninspected: [...async.uninspected, ...triggers.flatMap((p) => p.uninspected)],
  };
}

/** An async path with something read from AWS: an invoke config setting or a DLQ. */
function hasAsyncSettings(p: ExplainPath): boolean {
  return p.facts.some((f) => f.source === "aws" && f.value !== null);
}
