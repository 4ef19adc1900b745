import {
  GetScheduleCommand,
  type GetScheduleCommandOutput,
  type Target,
  UpdateScheduleCommand,
  type UpdateScheduleCommandInput,
} from "@aws-sdk/client-scheduler";
import { z } from "zod";
import { classifyAwsError, isNotFound, ResourceError } from "../aws/errors.js";
import { arnOf, baseSpecShape, checkArnRegion, intRange, managed } from "../manifests/fields.js";
import { diffManagedFields } from "./fields.js";
import type { DesiredResource, FieldChange, Kind, KindContext, LintWarning } from "./kind.js";
import { readEachResource } from "./read-each.js";
import { present, scopeOf } from "./scope.js";

const DEFAULT_GROUP = "default";
const NAME_RE = /^[0-9a-zA-Z\-_.]{1,64}$/;
const nameSchema = (what: string) =>
  z.string().regex(NAME_RE, `must be a ${what}: 1-64 characters of letters, digits, '.', '-' and '_'`);

export const scheduleRetryPolicySpecSchema = z
  .strictObject({
    ...baseSpecShape,
    groupName: nameSchema("schedule group name").optional(),
    scheduleName: nameSchema("schedule name"),
    maximumRetryAttempts: managed(intRange(0, 185)),
    maximumEventAgeInSeconds: managed(intRange(60, 86400)),
    deadLetterQueue: managed(arnOf(["sqs"], "an SQS queue")),
  })
  .superRefine((spec, ctx) => {
    checkArnRegion(ctx, spec.region, spec.deadLetterQueue, ["deadLetterQueue"]);
  });

export type ScheduleRetryPolicySpec = z.infer<typeof scheduleRetryPolicySpecSchema>;

/** The schedule exactly as GetSchedule returned it: UpdateSchedule replaces the whole schedule, so a write sends it all back. */
export interface ScheduleRetryPolicyActual {
  schedule: GetScheduleCommandOutput;
}

const MANAGED = ["maximumRetryAttempts", "maximumEventAgeInSeconds", "deadLetterQueue"] as const;
// What Scheduler applies when the target has no RetryPolicy (Scheduler API reference, RetryPolicy).
const DEFAULTS = { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 86400 };

function view(target: Target | undefined): Record<string, unknown> {
  return {
    maximumRetryAttempts: target?.RetryPolicy?.MaximumRetryAttempts ?? DEFAULTS.maximumRetryAttempts,
    maximumEventAgeInSeconds:
      target?.RetryPolicy?.MaximumEventAgeInSeconds ?? DEFAULTS.maximumEventAgeInSeconds,
    deadLetterQueue: target?.DeadLetterConfig?.Arn ?? null,
  };
}

const groupOf = (spec: ScheduleRetryPolicySpec) => spec.groupName ?? DEFAULT_GROUP;

async function readOne(
  ctx: KindContext,
  resource: DesiredResource<ScheduleRetryPolicySpec>,
): Promise<ScheduleRetryPolicyActual | ResourceError> {
  const { spec, region } = resource;
  const where = `schedule ${spec.scheduleName} in group ${groupOf(spec)}`;
  try {
    const schedule = await ctx.aws
      .scheduler(region)
      .send(new GetScheduleCommand({ Name: spec.scheduleName, GroupName: groupOf(spec) }));
    if (!schedule.Target) return new ResourceError("ScheduleNotFound", `${where} has no target`);
    return { schedule };
  } catch (err) {
    if (isNotFound(err)) {
      return new ResourceError("ScheduleNotFound", `${where} does not exist in ${region}`, "terminal", {
        cause: err,
      });
    }
    return classifyAwsError(err, `reading ${where}`);
  }
}

/**
 * The UpdateSchedule input: every field GetSchedule returned, unchanged, except the
 * target's RetryPolicy and DeadLetterConfig. An omitted field would be reset to its
 * default by Scheduler ("uses all values, including empty values").
 */
export function updateInput(
  actual: ScheduleRetryPolicyActual,
  changes: FieldChange[],
): UpdateScheduleCommandInput {
  const s = actual.schedule;
  const desired = new Map(changes.map((c) => [c.field, c.desired]));
  const target: Target = { ...(s.Target as Target) };
  if (desired.has("maximumRetryAttempts") || desired.has("maximumEventAgeInSeconds")) {
    const current = view(s.Target);
    target.RetryPolicy = {
      MaximumRetryAttempts: (desired.get("maximumRetryAttempts") ?? current.maximumRetryAttempts) as number,
      MaximumEventAgeInSeconds: (desired.get("maximumEventAgeInSeconds") ??
        current.maximumEventAgeInSeconds) as number,
    };
  }
  if (desired.has("deadLetterQueue")) {
    const arn = desired.get("deadLetterQueue") as string | null;
    if (arn === null) delete target.DeadLetterConfig;
    else target.DeadLetterConfig = { Arn: arn };
  }
  const input: UpdateScheduleCommandInput = {
    Name: s.Name,
    GroupName: s.GroupName,
    ScheduleExpression: s.ScheduleExpression,
    FlexibleTimeWindow: s.FlexibleTimeWindow,
    Target: target,
  };
  if (s.ScheduleExpressionTimezone !== undefined)
    input.ScheduleExpressionTimezone = s.ScheduleExpressionTimezone;
  if (s.Description !== undefined) input.Description = s.Description;
  if (s.StartDate !== undefined) input.StartDate = s.StartDate;
  if (s.EndDate !== undefined) input.EndDate = s.EndDate;
  if (s.State !== undefined) input.State = s.State;
  if (s.KmsKeyArn !== undefined) input.KmsKeyArn = s.KmsKeyArn;
  if (s.ActionAfterCompletion !== undefined) input.ActionAfterCompletion = s.ActionAfterCompletion;
  return input;
}

export const scheduleRetryPolicy: Kind<ScheduleRetryPolicySpec, ScheduleRetryPolicyActual> = {
  kind: "ScheduleRetryPolicy",
  specSchema: scheduleRetryPolicySpecSchema,

  identity(spec, region) {
    return `${region}/${groupOf(spec)}/${spec.scheduleName}`;
  },

  failureDestinations(spec) {
    return present([spec.deadLetterQueue]);
  },

  scope(spec) {
    // The target is known only after reading the schedule; its DLQ is named here.
    return scopeOf({ refs: [spec.deadLetterQueue] });
  },

  lint(spec) {
    const warnings: LintWarning[] = [];
    if (typeof spec.deadLetterQueue !== "string") {
      warnings.push({
        code: "ScheduleNoDlq",
        message:
          "the schedule has no deadLetterQueue: an invocation that exhausts its retries (185 over 24 hours by default) is dropped",
        path: ["deadLetterQueue"],
      });
    }
    return warnings;
  },

  read(ctx, resources) {
    return readEachResource(resources, (r) => readOne(ctx, r));
  },

  diff(spec, actual) {
    return diffManagedFields(spec, view(actual.schedule.Target), MANAGED, DEFAULTS);
  },

  creates() {
    return false;
  },

  async apply(ctx, resource, actual, changes) {
    if (changes.length === 0) return;
    const where = `schedule ${resource.spec.scheduleName} in group ${groupOf(resource.spec)}`;
    try {
      await ctx.aws.scheduler(resource.region).send(new UpdateScheduleCommand(updateInput(actual, changes)));
    } catch (err) {
      if (isNotFound(err)) {
        throw new ResourceError("ScheduleNotFound", `${where} no longer exists`, "terminal", { cause: err });
      }
      // Another writer changed the schedule at the same moment: re-read and try again.
      if ((err as { name?: string }).name === "ConflictException") {
        throw new ResourceError(
          "ConcurrentModification",
          `updating ${where}: ${(err as Error).message}`,
          "transient",
          {
            cause: err,
          },
        );
      }
      throw classifyAwsError(err, `updating ${where}`);
    }
  },
};
