import { parseFunctionRef } from "../aws/arn.js";
import { toState } from "../kinds/function-event-invoke-config.js";
import { asyncPath } from "./paths.js";
import type { RegionReads } from "./reads.js";
import { each, type FunctionContext, failed, LATEST, type Part } from "./trigger-part.js";

/** One async path per qualifier with an invoke config, and $LATEST's always (AWS's defaults when it has none). */
export async function asyncPart(ctx: FunctionContext): Promise<Part> {
  const { reads, target, functionArn } = ctx;
  let configs: Awaited<ReturnType<RegionReads["invokeConfigs"]>>;
  try {
    configs = await reads.invokeConfigs(target.address);
  } catch (err) {
    return failed("async", `${functionArn}:${LATEST}`, "ListFunctionEventInvokeConfigs", err);
  }
  const byQualifier = new Map(
    configs.map((c) => [parseFunctionRef(c.FunctionArn ?? "")?.qualifier ?? LATEST, c]),
  );
  const qualifiers = [LATEST, ...[...byQualifier.keys()].filter((q) => q !== LATEST).sort()];
  return each(qualifiers, async (qualifier) => {
    const source = `${functionArn}:${qualifier}`;
    let dlqOf = ctx.config;
    if (qualifier !== LATEST) {
      // A version's DLQ is frozen with it; an alias's is its version's: read the qualifier's own.
      try {
        dlqOf = await reads.function(target.address, qualifier);
      } catch (err) {
        return failed("async", source, `GetFunction ${ctx.fn.name}:${qualifier}`, err);
      }
    }
    const state = toState(byQualifier.get(qualifier));
    const path = asyncPath({
      source,
      maximumRetryAttempts: state.maximumRetryAttempts,
      maximumEventAgeInSeconds: state.maximumEventAgeInSeconds,
      onFailure: state.onFailure,
      deadLetterQueue: dlqOf.DeadLetterConfig?.TargetArn || undefined,
      deadLetterOf: qualifier === LATEST ? functionArn : source,
    });
    return { paths: [path], uninspected: [] };
  });
}
