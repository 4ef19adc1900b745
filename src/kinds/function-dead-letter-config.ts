import {
  type FunctionConfiguration,
  GetFunctionCommand,
  UpdateFunctionConfigurationCommand,
  type UpdateFunctionConfigurationCommandInput,
} from "@aws-sdk/client-lambda";
import { z } from "zod";
import { functionAddress, parseFunctionRef } from "../aws/arn.js";
import { classifyAwsError, isNotFound, ResourceError } from "../aws/errors.js";
import { arnOf, baseSpecShape, checkArnRegion, functionNameSchema, managed } from "../manifests/fields.js";
import { identityPlace, type NamedAccount, specAccount } from "./account.js";
import { failurePathFact } from "./facts.js";
import { diffManagedFields } from "./fields.js";
import type { DesiredResource, Kind, KindContext, LintWarning } from "./kind.js";
import { readEachResource } from "./read-each.js";
import { present, scopeOf } from "./scope.js";

export const functionDeadLetterConfigSpecSchema = z
  .strictObject({
    ...baseSpecShape,
    functionName: functionNameSchema.refine(
      (value) => {
        const qualifier = parseFunctionRef(value)?.qualifier;
        return qualifier === undefined || qualifier === "$LATEST";
      },
      {
        message:
          "must not name a version or alias: published versions are frozen, only the function's ($LATEST) dead-letter queue can change",
      },
    ),
    targetArn: managed(arnOf(["sqs", "sns"], "an SQS queue or SNS topic")),
  })
  .superRefine((spec, ctx) => {
    checkArnRegion(ctx, spec.region, spec.functionName, ["functionName"]);
    checkArnRegion(ctx, spec.region, spec.targetArn, ["targetArn"]);
  });

export type FunctionDeadLetterConfigSpec = z.infer<typeof functionDeadLetterConfigSpecSchema>;

/** The function's DLQ plus what decides whether it can be changed right now. */
export interface DeadLetterState {
  /** Undefined when the function has none (AWS sends nothing, `{}` or `""`). */
  targetArn?: string;
  state?: string;
  lastUpdateStatus?: string;
  revisionId?: string;
}

const MANAGED = ["targetArn"] as const;

function bareName(spec: FunctionDeadLetterConfigSpec): string {
  return parseFunctionRef(spec.functionName)?.name ?? spec.functionName;
}

function ownAccount(spec: FunctionDeadLetterConfigSpec): NamedAccount | undefined {
  const account = parseFunctionRef(spec.functionName)?.account;
  return account === undefined ? undefined : { account, field: "functionName" };
}

/** Region and bare name: the same for every spelling of one function (name, partial ARN, ARN). */
function functionPlace(spec: FunctionDeadLetterConfigSpec, region: string): string {
  return `${region}/${bareName(spec)}`;
}

export function toDeadLetterState(config: FunctionConfiguration | undefined): DeadLetterState {
  const state: DeadLetterState = {};
  const target = config?.DeadLetterConfig?.TargetArn;
  if (target) state.targetArn = target;
  if (config?.State) state.state = config.State;
  if (config?.LastUpdateStatus) state.lastUpdateStatus = config.LastUpdateStatus;
  if (config?.RevisionId) state.revisionId = config.RevisionId;
  return state;
}

function notFound(name: string, region: string, err: unknown): ResourceError {
  return new ResourceError("FunctionNotFound", `function ${name} does not exist in ${region}`, "terminal", {
    cause: err,
  });
}

async function readOne(
  ctx: KindContext,
  resource: DesiredResource<FunctionDeadLetterConfigSpec>,
): Promise<DeadLetterState | ResourceError> {
  const name = bareName(resource.spec);
  const address = functionAddress(resource.spec.functionName, resource.region);
  const arnRegion = parseFunctionRef(resource.spec.functionName)?.region;
  if (arnRegion !== undefined && arnRegion !== resource.region) {
    return new ResourceError(
      "RegionMismatch",
      `functionName is in region ${arnRegion}, but the resource's region is ${resource.region}`,
    );
  }
  try {
    // GetFunction has a 100/s quota of its own, unlike GetFunctionConfiguration (shared 15/s).
    const out = await ctx.aws.lambda(resource.region).send(new GetFunctionCommand({ FunctionName: address }));
    return toDeadLetterState(out.Configuration);
  } catch (err) {
    return isNotFound(err)
      ? notFound(name, resource.region, err)
      : classifyAwsError(err, `GetFunction ${name}`);
  }
}

/** The UpdateFunctionConfiguration input that sets (or clears) only the DLQ. */
export function deadLetterUpdateInput(
  spec: FunctionDeadLetterConfigSpec,
  actual: DeadLetterState,
  region = spec.region,
): UpdateFunctionConfigurationCommandInput {
  const input: UpdateFunctionConfigurationCommandInput = {
    // A function named by ARN is addressed by ARN, so AWS changes it in that account and no other.
    FunctionName: functionAddress(spec.functionName, region),
    // Only DeadLetterConfig is sent, so no other setting of the function is touched; "" clears it.
    DeadLetterConfig: { TargetArn: spec.targetArn ?? "" },
  };
  // A change made since the read fails with PreconditionFailed (transient): the engine re-reads and tries again.
  if (actual.revisionId) input.RevisionId = actual.revisionId;
  return input;
}

export const functionDeadLetterConfig: Kind<FunctionDeadLetterConfigSpec, DeadLetterState> = {
  kind: "FunctionDeadLetterConfig",
  specSchema: functionDeadLetterConfigSpecSchema,

  identity(spec, region) {
    return `${identityPlace(region, specAccount({ ownAccount }, spec))}/${bareName(spec)}`;
  },

  ownAccount,

  resolvedIdentity(_actual, resource) {
    // A resource is read only once its account is the caller's (the guard), so name and region say which function.
    return functionPlace(resource.spec, resource.region);
  },

  peerScope: functionPlace,

  provides(spec, region) {
    return typeof spec.targetArn === "string" ? [failurePathFact(region, bareName(spec))] : [];
  },

  failureDestinations(spec) {
    return present([spec.targetArn]);
  },

  scope(spec) {
    return scopeOf({ functions: [spec.functionName], refs: [spec.targetArn] });
  },

  lint(spec, context): LintWarning[] {
    if (spec.targetArn !== null) return [];
    if (context.provided(failurePathFact(context.region, bareName(spec)))) return [];
    return [
      {
        code: "FunctionDlqRemoved",
        message:
          "targetArn is null: the dead-letter queue is removed, so failed asynchronous events are discarded; no manifest gives this function an onFailure destination either",
        path: ["targetArn"],
      },
    ];
  },

  async read(ctx, resources) {
    return readEachResource(resources, (r) => readOne(ctx, r));
  },

  diff(spec, actual) {
    return diffManagedFields(spec, { targetArn: actual.targetArn }, MANAGED);
  },

  creates() {
    // The DLQ is a setting of a function that must already exist: applying always updates.
    return false;
  },

  async apply(ctx, resource, actual) {
    const name = bareName(resource.spec);
    if (actual.lastUpdateStatus === "InProgress" || actual.state === "Pending") {
      throw new ResourceError(
        "UpdateInProgress",
        `function ${name} is being updated (State ${actual.state ?? "?"}, LastUpdateStatus ${actual.lastUpdateStatus ?? "?"})`,
        "waiting",
      );
    }
    try {
      await ctx.aws
        .lambda(resource.region)
        .send(
          new UpdateFunctionConfigurationCommand(
            deadLetterUpdateInput(resource.spec, actual, resource.region),
          ),
        );
    } catch (err) {
      throw isNotFound(err)
        ? notFound(name, resource.region, err)
        : classifyAwsError(err, `UpdateFunctionConfiguration ${name}`);
    }
  },
};
