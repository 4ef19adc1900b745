import {
  ListTargetsByRuleCommand,
  PutTargetsCommand,
  type PutTargetsCommandOutput,
  type Target,
} from "@aws-sdk/client-eventbridge";
import { z } from "zod";
import { parseArn } from "../aws/arn.js";
import { classifyAwsError, isNotFound, ResourceError } from "../aws/errors.js";
import { arnOf, baseSpecShape, checkArnRegion, intRange, managed } from "../manifests/fields.js";
import { identityPlace, type NamedAccount, specAccount } from "./account.js";
import { diffManagedFields } from "./fields.js";
import type { DesiredResource, FieldChange, Kind, KindContext, LintWarning, ReadResult } from "./kind.js";
import { readEach } from "./read-each.js";
import { present, scopeOf } from "./scope.js";

const DEFAULT_BUS = "default";
const BUS_NAME_RE = /^[/.\-_A-Za-z0-9]{1,256}$/;
const RULE_RE = /^[.\-_A-Za-z0-9]{1,64}$/;

/** The bus name from a name or an event-bus ARN (`arn:…:events:…:event-bus/<name>`). */
export function busName(value: string | undefined): string {
  if (value === undefined) return DEFAULT_BUS;
  const arn = parseArn(value);
  if (arn?.service === "events" && arn.resource.startsWith("event-bus/"))
    return arn.resource.slice("event-bus/".length);
  return value;
}

const eventBusSchema = z.string().refine(
  (v) => {
    const arn = parseArn(v);
    if (arn) return arn.service === "events" && BUS_NAME_RE.test(busName(v));
    return BUS_NAME_RE.test(v);
  },
  {
    message:
      "must be an event bus name or event bus ARN (arn:aws:events:<region>:<account>:event-bus/<name>)",
  },
);

const standardQueueArn = arnOf(["sqs"], "an SQS queue").refine((v) => !v.endsWith(".fifo"), {
  message: "must be a standard SQS queue: EventBridge does not support FIFO dead-letter queues",
});

export const eventTargetRetryPolicySpecSchema = z
  .strictObject({
    ...baseSpecShape,
    eventBusName: eventBusSchema.optional(),
    rule: z
      .string()
      .regex(RULE_RE, "must be a rule name: 1-64 characters of letters, digits, '.', '-' and '_'"),
    targetId: z
      .string()
      .regex(RULE_RE, "must be a target id: 1-64 characters of letters, digits, '.', '-' and '_'"),
    maximumRetryAttempts: managed(intRange(0, 185)),
    maximumEventAgeInSeconds: managed(intRange(60, 86400)),
    deadLetterQueue: managed(standardQueueArn),
  })
  .superRefine((spec, ctx) => {
    checkArnRegion(ctx, spec.region, spec.eventBusName, ["eventBusName"]);
    checkArnRegion(ctx, spec.region, spec.deadLetterQueue, ["deadLetterQueue"]);
  });

export type EventTargetRetryPolicySpec = z.infer<typeof eventTargetRetryPolicySpecSchema>;

/** An event-bus ARN names the bus's account; a bus name is the caller's. */
function ownAccount(spec: EventTargetRetryPolicySpec): NamedAccount | undefined {
  const account = spec.eventBusName === undefined ? undefined : parseArn(spec.eventBusName)?.account;
  return account ? { account, field: "eventBusName" } : undefined;
}

/** The rule target exactly as ListTargetsByRule returned it, so a write can send it back whole. */
export interface EventTargetRetryPolicyActual {
  target: Target;
}

const MANAGED = ["maximumRetryAttempts", "maximumEventAgeInSeconds", "deadLetterQueue"] as const;
// What EventBridge applies when RetryPolicy leaves a member out (aws-reference §5.2).
const DEFAULTS = { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 86400 };

function view(target: Target): Record<string, unknown> {
  return {
    maximumRetryAttempts: target.RetryPolicy?.MaximumRetryAttempts ?? DEFAULTS.maximumRetryAttempts,
    maximumEventAgeInSeconds:
      target.RetryPolicy?.MaximumEventAgeInSeconds ?? DEFAULTS.maximumEventAgeInSeconds,
    deadLetterQueue: target.DeadLetterConfig?.Arn ?? null,
  };
}

type Resource = DesiredResource<EventTargetRetryPolicySpec>;

async function listTargets(
  ctx: KindContext,
  region: string,
  spec: EventTargetRetryPolicySpec,
): Promise<Target[]> {
  const targets: Target[] = [];
  let nextToken: string | undefined;
  do {
    const out = await ctx.aws.events(region).send(
      new ListTargetsByRuleCommand({
        Rule: spec.rule,
        ...(spec.eventBusName !== undefined && { EventBusName: spec.eventBusName }),
        Limit: 100,
        ...(nextToken && { NextToken: nextToken }),
      }),
    );
    targets.push(...(out.Targets ?? []));
    nextToken = out.NextToken;
  } while (nextToken);
  return targets;
}

/** One ListTargetsByRule for every target of a rule in the batch (design §4, "reads are planned"). */
async function readRule(
  ctx: KindContext,
  group: Resource[],
): Promise<[string, EventTargetRetryPolicyActual | ResourceError][]> {
  const [first] = group;
  if (!first) return [];
  const where = `rule ${first.spec.rule} on event bus ${busName(first.spec.eventBusName)} in ${first.region}`;
  let targets: Target[];
  try {
    targets = await listTargets(ctx, first.region, first.spec);
  } catch (err) {
    const error = isNotFound(err)
      ? new ResourceError("RuleNotFound", `${where}: ${(err as Error).message}`, "terminal", { cause: err })
      : classifyAwsError(err, `listing targets of ${where}`);
    return group.map((r) => [r.identity, error]);
  }
  const byId = new Map(targets.map((t) => [t.Id, t]));
  return group.map((r) => {
    const target = byId.get(r.spec.targetId);
    if (!target)
      return [
        r.identity,
        new ResourceError("TargetNotFound", `target ${r.spec.targetId} not found on ${where}`),
      ];
    return [r.identity, { target }];
  });
}

/** The target to send back: the whole target as read, with only RetryPolicy and DeadLetterConfig changed. */
export function targetFor(target: Target, changes: FieldChange[], spec: EventTargetRetryPolicySpec): Target {
  const desired = new Map(changes.map((c) => [c.field, c.desired]));
  const next: Target = { ...target };
  const retry = { ...target.RetryPolicy };
  // null in the manifest means "AWS default": leaving the member out gets it and reads back as the default.
  if (desired.has("maximumRetryAttempts")) {
    if (spec.maximumRetryAttempts === null) delete retry.MaximumRetryAttempts;
    else retry.MaximumRetryAttempts = desired.get("maximumRetryAttempts") as number;
  }
  if (desired.has("maximumEventAgeInSeconds")) {
    if (spec.maximumEventAgeInSeconds === null) delete retry.MaximumEventAgeInSeconds;
    else retry.MaximumEventAgeInSeconds = desired.get("maximumEventAgeInSeconds") as number;
  }
  if (retry.MaximumRetryAttempts === undefined && retry.MaximumEventAgeInSeconds === undefined)
    delete next.RetryPolicy;
  else next.RetryPolicy = retry;
  if (desired.has("deadLetterQueue")) {
    const arn = desired.get("deadLetterQueue") as string | null;
    if (arn === null) delete next.DeadLetterConfig;
    else next.DeadLetterConfig = { ...target.DeadLetterConfig, Arn: arn };
  }
  return next;
}

/** Region, bus name, rule and target: the same whether the bus is named by name or by ARN. */
function targetPlace(spec: EventTargetRetryPolicySpec, region: string): string {
  return `${region}/${busName(spec.eventBusName)}/${spec.rule}/${spec.targetId}`;
}

export const eventTargetRetryPolicy: Kind<EventTargetRetryPolicySpec, EventTargetRetryPolicyActual> = {
  kind: "EventTargetRetryPolicy",
  specSchema: eventTargetRetryPolicySpecSchema,

  identity(spec, region) {
    const place = identityPlace(region, specAccount({ ownAccount }, spec));
    return `${place}/${busName(spec.eventBusName)}/${spec.rule}/${spec.targetId}`;
  },

  ownAccount,

  resolvedIdentity(_actual, { region, spec }) {
    // A resource is read only once its account is the caller's (the guard): a bus ARN then names a bus by name.
    return targetPlace(spec, region);
  },

  peerScope: targetPlace,

  readGroup(spec, region) {
    // One ListTargetsByRule serves every target of a rule.
    return `${identityPlace(region, specAccount({ ownAccount }, spec))}/${busName(spec.eventBusName)}/${spec.rule}`;
  },

  failureDestinations(spec) {
    return present([spec.deadLetterQueue]);
  },

  scope(spec) {
    // The target itself is known only after reading the rule; its DLQ is named here.
    return scopeOf({ rules: [spec.rule], refs: [spec.eventBusName, spec.deadLetterQueue] });
  },

  lint(spec) {
    const warnings: LintWarning[] = [];
    if (typeof spec.deadLetterQueue !== "string") {
      warnings.push({
        code: "EventTargetNoDlq",
        message:
          "the target has no deadLetterQueue: an event that exhausts its retries or maximum age is dropped without a trace",
        path: ["deadLetterQueue"],
      });
    }
    return warnings;
  },

  async read(ctx, resources) {
    const groups = new Map<string, Resource[]>();
    for (const r of resources) {
      const key = `${r.region}/${busName(r.spec.eventBusName)}/${r.spec.rule}`;
      const group = groups.get(key);
      if (group) group.push(r);
      else groups.set(key, [r]);
    }
    const result: ReadResult<EventTargetRetryPolicyActual> = new Map();
    await readEach(groups.values(), async (group) => {
      for (const [identity, outcome] of await readRule(ctx, group)) result.set(identity, outcome);
    });
    return result;
  },

  diff(spec, actual) {
    return diffManagedFields(spec, view(actual.target), MANAGED, DEFAULTS);
  },

  creates() {
    return false;
  },

  // The batch read's target is only the reason to write; what is written comes from the re-read.
  async apply(ctx, resource, _actual, changes) {
    if (changes.length === 0) return;
    const { spec, region } = resource;
    const where = `target ${spec.targetId} of rule ${spec.rule} on event bus ${busName(spec.eventBusName)}`;
    // PutTargets replaces the whole target and the batch read may be many seconds old: re-read the
    // rule's targets just before, so a field changed meanwhile (Input, RoleArn) is not put back.
    const fresh = (await readRule(ctx, [resource]))[0]?.[1];
    if (fresh === undefined || fresh instanceof ResourceError) {
      throw fresh ?? new ResourceError("ReadFailed", `${where}: the re-read returned nothing`);
    }
    const freshChanges = diffManagedFields(spec, view(fresh.target), MANAGED, DEFAULTS);
    if (freshChanges.length === 0) return;
    const command = new PutTargetsCommand({
      Rule: spec.rule,
      ...(spec.eventBusName !== undefined && { EventBusName: spec.eventBusName }),
      Targets: [targetFor(fresh.target, freshChanges, spec)],
    });
    let out: PutTargetsCommandOutput;
    try {
      out = await ctx.aws.events(region).send(command);
    } catch (err) {
      if (isNotFound(err)) {
        throw new ResourceError("RuleNotFound", `${where}: ${(err as Error).message}`, "terminal", {
          cause: err,
        });
      }
      throw classifyAwsError(err, `putting ${where}`);
    }
    const failed = out.FailedEntries?.[0];
    if ((out.FailedEntryCount ?? 0) > 0 || failed) {
      const code = failed?.ErrorCode ?? "PutTargetsFailed";
      const message = `putting ${where}: ${failed?.ErrorMessage ?? "the entry failed"}`;
      // A partial failure arrives with HTTP 200; only ConcurrentModification passes by itself (aws-reference §5.3).
      if (code === "ConcurrentModificationException") {
        throw new ResourceError("ConcurrentModification", message, "transient");
      }
      throw new ResourceError(code, message, "terminal");
    }
  },
};
