import {
  GetSubscriptionAttributesCommand,
  ListSubscriptionsByTopicCommand,
  SetSubscriptionAttributesCommand,
  type Subscription,
} from "@aws-sdk/client-sns";
import { z } from "zod";
import { parseArn } from "../aws/arn.js";
import { classifyAwsError, isNotFound, ResourceError } from "../aws/errors.js";
import { arnOf, baseSpecShape, checkArnRegion, managed } from "../manifests/fields.js";
import { diffManagedFields } from "./fields.js";
import type { DesiredResource, Kind, KindContext, LintWarning, ReadResult } from "./kind.js";
import { readEach } from "./read-each.js";
import { present, scopeOf } from "./scope.js";
import { isFifo } from "./sqs-queue.js";

const topicArnSchema = arnOf(["sns"], "an SNS topic").refine((v) => !parseArn(v)?.resource.includes(":"), {
  message: "must be a topic ARN (arn:aws:sns:<region>:<account>:<topic>), not a subscription ARN",
});
const subscriptionArnSchema = arnOf(["sns"], "an SNS subscription").refine(
  (v) => parseArn(v)?.resource.includes(":") === true,
  { message: "must be a subscription ARN (arn:aws:sns:<region>:<account>:<topic>:<id>)" },
);

export const subscriptionRedrivePolicySpecSchema = z
  .strictObject({
    ...baseSpecShape,
    subscriptionArn: subscriptionArnSchema.optional(),
    topicArn: topicArnSchema.optional(),
    /** What the subscription delivers to: a function or queue ARN (or any SNS endpoint). */
    endpoint: z.string().min(1).max(2048).optional(),
    deadLetterQueue: managed(arnOf(["sqs"], "an SQS queue")),
  })
  .superRefine((spec, ctx) => {
    const byArn = spec.subscriptionArn !== undefined;
    const byTopic = spec.topicArn !== undefined || spec.endpoint !== undefined;
    if (byArn === byTopic) {
      ctx.addIssue({
        code: "custom",
        path: byArn ? ["subscriptionArn"] : ["topicArn"],
        message: byArn
          ? "name the subscription either by subscriptionArn or by topicArn + endpoint, not both"
          : "is required together with endpoint (or name the subscription by subscriptionArn)",
      });
      return;
    }
    if (byTopic && (spec.topicArn === undefined || spec.endpoint === undefined)) {
      ctx.addIssue({
        code: "custom",
        path: spec.topicArn === undefined ? ["topicArn"] : ["endpoint"],
        message: "topicArn and endpoint name the subscription together: both are required",
      });
    }
    const topic = topicOf(spec);
    checkArnRegion(ctx, spec.region, topic, [byArn ? "subscriptionArn" : "topicArn"]);
    checkArnRegion(ctx, spec.region, spec.deadLetterQueue, ["deadLetterQueue"]);
    if (typeof spec.deadLetterQueue !== "string" || topic === undefined) return;
    const dlq = parseArn(spec.deadLetterQueue);
    const where = parseArn(topic);
    if (!dlq || !where) return;
    // SNS redrives only to a queue next to the topic (aws docs, "Amazon SNS dead-letter queues").
    if (where.region && dlq.region !== where.region) {
      ctx.addIssue({
        code: "custom",
        path: ["deadLetterQueue"],
        message: `is in region ${dlq.region}, but the topic is in region ${where.region}; an SNS dead-letter queue must be in the subscription's region`,
      });
    }
    if (where.account && dlq.account !== where.account) {
      ctx.addIssue({
        code: "custom",
        path: ["deadLetterQueue"],
        message: `is in account ${dlq.account}, but the topic is in account ${where.account}; an SNS dead-letter queue must be in the subscription's account`,
      });
    }
    if (isFifo(where.resource) !== isFifo(dlq.resource)) {
      ctx.addIssue({
        code: "custom",
        path: ["deadLetterQueue"],
        message: isFifo(dlq.resource)
          ? "must be a standard queue (not .fifo) because the topic is standard"
          : "must be a FIFO queue (name ending in .fifo) because the topic is FIFO",
      });
    }
  });

export type SubscriptionRedrivePolicySpec = z.infer<typeof subscriptionRedrivePolicySpecSchema>;

/** The subscription as read, in manifest terms. */
export interface SubscriptionRedrivePolicyActual {
  subscriptionArn: string;
  /** `deadLetterTargetArn` of the RedrivePolicy; null when the subscription has none. */
  deadLetterQueue: string | null;
}

const MANAGED = ["deadLetterQueue"] as const;

/** The topic ARN the manifest names, directly or as the head of its subscription ARN. */
function topicOf(spec: SubscriptionRedrivePolicySpec): string | undefined {
  if (spec.topicArn !== undefined) return spec.topicArn;
  if (spec.subscriptionArn === undefined) return undefined;
  return spec.subscriptionArn.slice(0, spec.subscriptionArn.lastIndexOf(":"));
}

type Resource = DesiredResource<SubscriptionRedrivePolicySpec>;

function parseRedrive(value: string | undefined): string | null {
  // No policy: SNS leaves the attribute out; an empty string (what a removal sends) means none too.
  if (value === undefined || value.trim() === "") return null;
  const policy = JSON.parse(value) as { deadLetterTargetArn?: unknown };
  return typeof policy.deadLetterTargetArn === "string" ? policy.deadLetterTargetArn : null;
}

async function readAttributes(
  ctx: KindContext,
  region: string,
  subscriptionArn: string,
): Promise<SubscriptionRedrivePolicyActual | ResourceError> {
  try {
    const out = await ctx.aws
      .sns(region)
      .send(new GetSubscriptionAttributesCommand({ SubscriptionArn: subscriptionArn }));
    let deadLetterQueue: string | null;
    try {
      deadLetterQueue = parseRedrive(out.Attributes?.RedrivePolicy);
    } catch (err) {
      return new ResourceError(
        "InvalidRedrivePolicy",
        `subscription ${subscriptionArn} has an unreadable RedrivePolicy: ${String(err)}`,
      );
    }
    return { subscriptionArn, deadLetterQueue };
  } catch (err) {
    if (isNotFound(err)) {
      return new ResourceError(
        "SubscriptionNotFound",
        `subscription ${subscriptionArn} does not exist in ${region}`,
        "terminal",
        { cause: err },
      );
    }
    return classifyAwsError(err, `reading subscription ${subscriptionArn}`);
  }
}

async function listSubscriptions(
  ctx: KindContext,
  region: string,
  topicArn: string,
): Promise<Subscription[]> {
  const all: Subscription[] = [];
  let nextToken: string | undefined;
  do {
    const out = await ctx.aws.sns(region).send(
      new ListSubscriptionsByTopicCommand({
        TopicArn: topicArn,
        ...(nextToken && { NextToken: nextToken }),
      }),
    );
    all.push(...(out.Subscriptions ?? []));
    nextToken = out.NextToken;
  } while (nextToken);
  return all;
}

/** One paged ListSubscriptionsByTopic finds every subscription of a topic the batch names by endpoint. */
async function readTopic(ctx: KindContext, group: Resource[]): Promise<[string, ResourceError | string][]> {
  const [first] = group;
  if (!first?.spec.topicArn) return [];
  const topicArn = first.spec.topicArn;
  let subscriptions: Subscription[];
  try {
    subscriptions = await listSubscriptions(ctx, first.region, topicArn);
  } catch (err) {
    const error = isNotFound(err)
      ? new ResourceError(
          "TopicNotFound",
          `topic ${topicArn} does not exist in ${first.region}`,
          "terminal",
          {
            cause: err,
          },
        )
      : classifyAwsError(err, `listing subscriptions of ${topicArn}`);
    return group.map((r) => [r.identity, error]);
  }
  return group.map((r) => {
    const matches = subscriptions.filter((s) => s.Endpoint === r.spec.endpoint);
    const [match] = matches;
    if (!match?.SubscriptionArn) {
      return [
        r.identity,
        new ResourceError(
          "SubscriptionNotFound",
          `topic ${topicArn} has no subscription for ${r.spec.endpoint}`,
        ),
      ];
    }
    if (matches.length > 1) {
      return [
        r.identity,
        new ResourceError(
          "SubscriptionAmbiguous",
          `topic ${topicArn} has ${matches.length} subscriptions for ${r.spec.endpoint}; name one by subscriptionArn`,
        ),
      ];
    }
    if (!match.SubscriptionArn.startsWith("arn:")) {
      return [
        r.identity,
        new ResourceError(
          "SubscriptionPendingConfirmation",
          `the subscription of ${r.spec.endpoint} to ${topicArn} is not confirmed, so it has no attributes yet`,
        ),
      ];
    }
    return [r.identity, match.SubscriptionArn];
  });
}

export const subscriptionRedrivePolicy: Kind<SubscriptionRedrivePolicySpec, SubscriptionRedrivePolicyActual> =
  {
    kind: "SubscriptionRedrivePolicy",
    specSchema: subscriptionRedrivePolicySpecSchema,

    identity(spec, region) {
      return spec.subscriptionArn !== undefined
        ? `${region}/${spec.subscriptionArn}`
        : `${region}/${spec.topicArn}/${spec.endpoint}`;
    },

    ownAccount(spec) {
      // The topic's account is the subscription's: another account's is refused before any call.
      const field = spec.subscriptionArn !== undefined ? "subscriptionArn" : "topicArn";
      const account = parseArn(topicOf(spec) ?? "")?.account;
      return account ? { account, field } : undefined;
    },

    resolvedIdentity(actual) {
      return actual.subscriptionArn;
    },

    peerScope(spec, region) {
      // By ARN or by topic and endpoint, a manifest names its topic.
      return `${region}/${topicOf(spec)}`;
    },

    readGroup(spec, region) {
      // One ListSubscriptionsByTopic serves every subscription of a topic named by endpoint.
      return spec.topicArn !== undefined ? `${region}/${spec.topicArn}` : `${region}/${spec.subscriptionArn}`;
    },

    failureDestinations(spec) {
      return present([spec.deadLetterQueue]);
    },

    scope(spec) {
      return scopeOf({ refs: [topicOf(spec), spec.endpoint, spec.deadLetterQueue] });
    },

    lint(spec) {
      const warnings: LintWarning[] = [];
      if (typeof spec.deadLetterQueue !== "string") {
        warnings.push({
          code: "SubscriptionNoDlq",
          message:
            "the subscription has no deadLetterQueue: a message SNS cannot deliver after its delivery retries is dropped",
          path: ["deadLetterQueue"],
        });
      }
      return warnings;
    },

    async read(ctx, resources) {
      const result: ReadResult<SubscriptionRedrivePolicyActual> = new Map();
      const arns = new Map<string, string>();
      const topics = Map.groupBy(
        resources.filter((r) => r.spec.topicArn !== undefined),
        (r) => `${r.region}/${r.spec.topicArn}`,
      );
      await readEach(topics.values(), async (group) => {
        for (const [identity, found] of await readTopic(ctx, group)) {
          if (found instanceof ResourceError) result.set(identity, found);
          else arns.set(identity, found);
        }
      });
      for (const r of resources)
        if (r.spec.subscriptionArn !== undefined) arns.set(r.identity, r.spec.subscriptionArn);
      const byIdentity = new Map(resources.map((r) => [r.identity, r]));
      await readEach(arns, async ([identity, arn]) => {
        const region = byIdentity.get(identity)?.region ?? "";
        result.set(identity, await readAttributes(ctx, region, arn));
      });
      return result;
    },

    diff(spec, actual) {
      return diffManagedFields(spec, { deadLetterQueue: actual.deadLetterQueue }, MANAGED);
    },

    creates() {
      return false;
    },

    async apply(ctx, resource, actual, changes) {
      const change = changes.find((c) => c.field === "deadLetterQueue");
      if (!change) return;
      const arn = change.desired as string | null;
      // Only deadLetterTargetArn: SNS rejects the maxReceiveCount an SQS redrive policy has.
      const value = arn === null ? "" : JSON.stringify({ deadLetterTargetArn: arn });
      try {
        await ctx.aws.sns(resource.region).send(
          new SetSubscriptionAttributesCommand({
            SubscriptionArn: actual.subscriptionArn,
            AttributeName: "RedrivePolicy",
            AttributeValue: value,
          }),
        );
      } catch (err) {
        if (isNotFound(err)) {
          throw new ResourceError(
            "SubscriptionNotFound",
            `subscription ${actual.subscriptionArn} no longer exists`,
            "terminal",
            { cause: err },
          );
        }
        throw classifyAwsError(err, `setting the RedrivePolicy of ${actual.subscriptionArn}`);
      }
    },
  };
