import { parseArn } from "../aws/arn.js";
import { parseRedrivePolicy } from "../kinds/sqs-queue.js";
import { awsFact, deliveryPath, snsPath } from "./paths.js";
import type { RegionReads } from "./reads.js";
import { each, type FunctionContext, failed, isFunction, type Part } from "./trigger-part.js";

/** Triggers that deliver to Lambda's asynchronous queue with retries of their own: SNS, EventBridge, Scheduler. */

export async function snsPart(ctx: FunctionContext): Promise<Part> {
  const { reads } = ctx;
  let subscriptions: Awaited<ReturnType<RegionReads["subscriptions"]>>;
  try {
    subscriptions = await reads.subscriptions();
  } catch (err) {
    return failed("sns", `subscriptions in ${reads.region}`, "ListSubscriptions", err);
  }
  const mine = subscriptions.filter((s) => s.Protocol === "lambda" && isFunction(ctx.fn, s.Endpoint));
  return each(mine, async (s) => {
    const arn = s.SubscriptionArn ?? "";
    if (!arn.startsWith("arn:")) {
      return {
        paths: [],
        uninspected: [
          {
            trigger: "sns",
            source: s.TopicArn ?? "",
            reason: "the subscription is not confirmed, so it delivers nothing yet",
          },
        ],
      };
    }
    let attributes: Record<string, string>;
    try {
      attributes = await reads.subscriptionAttributes(arn);
    } catch (err) {
      return failed("sns", arn, "GetSubscriptionAttributes", err);
    }
    let deadLetterQueue: string | undefined;
    try {
      deadLetterQueue = parseRedrivePolicy(attributes.RedrivePolicy).deadLetterQueue ?? undefined;
    } catch {
      return {
        paths: [],
        uninspected: [{ trigger: "sns", source: arn, reason: "its RedrivePolicy is not readable JSON" }],
      };
    }
    return { paths: [snsPath({ subscriptionArn: arn, deadLetterQueue })], uninspected: [] };
  });
}

function ruleArn(ctx: FunctionContext, bus: string, rule: string): string {
  const partition = parseArn(ctx.functionArn)?.partition ?? "aws";
  const name = bus === "default" ? rule : `${bus}/${rule}`;
  return `arn:${partition}:events:${ctx.fn.region}:${ctx.fn.account}:rule/${name}`;
}

/** ListRuleNamesByTarget on every bus of the region, then each rule's targets (shared by the functions it targets). */
export async function eventBridgePart(ctx: FunctionContext): Promise<Part> {
  const { reads } = ctx;
  let buses: string[];
  try {
    buses = await reads.eventBuses();
  } catch (err) {
    return failed("eventbridge", `event buses in ${reads.region}`, "ListEventBuses", err);
  }
  return each(buses, async (bus) => {
    let rules: string[];
    try {
      rules = await reads.ruleNamesByTarget(bus, ctx.functionArn);
    } catch (err) {
      return failed("eventbridge", `event bus ${bus}`, "ListRuleNamesByTarget", err);
    }
    return each(rules, async (rule) => {
      const source = ruleArn(ctx, bus, rule);
      let targets: Awaited<ReturnType<RegionReads["ruleTargets"]>>;
      try {
        targets = await reads.ruleTargets(bus, rule);
      } catch (err) {
        return failed("eventbridge", source, "ListTargetsByRule", err);
      }
      const paths = targets
        .filter((t) => isFunction(ctx.fn, t.Arn))
        .map((t) => {
          const path = deliveryPath({
            trigger: "eventbridge",
            source,
            maximumRetryAttempts: t.RetryPolicy?.MaximumRetryAttempts,
            maximumEventAgeInSeconds: t.RetryPolicy?.MaximumEventAgeInSeconds,
            deadLetterQueue: t.DeadLetterConfig?.Arn || undefined,
          });
          path.facts.unshift(awsFact("Target.Id", t.Id ?? null, source));
          return path;
        });
      return { paths, uninspected: [] };
    });
  });
}

export async function schedulePart(ctx: FunctionContext): Promise<Part> {
  const { reads } = ctx;
  let schedules: Awaited<ReturnType<RegionReads["schedules"]>>;
  try {
    schedules = await reads.schedules();
  } catch (err) {
    return failed("schedule", `schedules in ${reads.region}`, "ListSchedules", err);
  }
  const mine = schedules.filter((s) => isFunction(ctx.fn, s.Target?.Arn));
  return each(mine, async (s) => {
    const group = s.GroupName ?? "default";
    const name = s.Name ?? "";
    let schedule: Awaited<ReturnType<RegionReads["schedule"]>>;
    try {
      schedule = await reads.schedule(group, name);
    } catch (err) {
      return failed("schedule", s.Arn ?? `${group}/${name}`, "GetSchedule", err);
    }
    const target = schedule.Target;
    const path = deliveryPath({
      trigger: "schedule",
      source: schedule.Arn ?? s.Arn ?? `${group}/${name}`,
      maximumRetryAttempts: target?.RetryPolicy?.MaximumRetryAttempts,
      maximumEventAgeInSeconds: target?.RetryPolicy?.MaximumEventAgeInSeconds,
      deadLetterQueue: target?.DeadLetterConfig?.Arn || undefined,
    });
    return { paths: [path], uninspected: [] };
  });
}
