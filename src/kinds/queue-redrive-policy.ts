import {
  GetQueueAttributesCommand,
  type QueueAttributeName,
  SetQueueAttributesCommand,
} from "@aws-sdk/client-sqs";
import { z } from "zod";
import { parseArn, queueName, sqsQueueArn } from "../aws/arn.js";
import { classifyAwsError, isNotFound, ResourceError } from "../aws/errors.js";
import { baseSpecShape, intRange, managed } from "../manifests/fields.js";
import { identityPlace, type NamedAccount, specAccount } from "./account.js";
import { diffManagedFields } from "./fields.js";
import type { DesiredResource, FieldChange, Kind, KindContext, LintWarning } from "./kind.js";
import { readEachResource } from "./read-each.js";
import { present, scopeOf } from "./scope.js";
import {
  forgetQueueUrl,
  isFifo,
  type ParsedPolicy,
  parseQueueRef,
  parseRedrivePolicy,
  queueUrl,
} from "./sqs-queue.js";

const queueSchema = z.string().refine((v) => parseQueueRef(v) !== undefined, {
  message: "must be an SQS queue name, queue URL or queue ARN",
});

const deadLetterQueueSchema = z
  .string()
  .refine((v) => parseQueueRef(v) !== undefined && !/^https?:/.test(v), {
    message: "must be an SQS queue name or queue ARN",
  });

export const queueRedrivePolicySpecSchema = z
  .strictObject({
    ...baseSpecShape,
    queue: queueSchema,
    deadLetterQueue: managed(deadLetterQueueSchema),
    maxReceiveCount: managed(intRange(1, 1000)),
    visibilityTimeoutSeconds: managed(intRange(0, 43200)),
  })
  .superRefine((spec, ctx) => {
    const queue = parseQueueRef(spec.queue);
    if (!queue) return;
    if (spec.region && queue.region && queue.region !== spec.region) {
      ctx.addIssue({
        code: "custom",
        path: ["queue"],
        message: `is in region ${queue.region}, but the manifest's region is ${spec.region}`,
      });
    }
    if (spec.deadLetterQueue === null && typeof spec.maxReceiveCount === "number") {
      ctx.addIssue({
        code: "custom",
        path: ["maxReceiveCount"],
        message:
          "cannot be set when deadLetterQueue is null (removing the redrive policy removes maxReceiveCount too)",
      });
    }
    if (spec.maxReceiveCount === null && spec.deadLetterQueue !== null) {
      ctx.addIssue({
        code: "custom",
        path: ["maxReceiveCount"],
        message:
          "may be null only together with deadLetterQueue: null (a redrive policy always has a maxReceiveCount)",
      });
    }
    if (typeof spec.deadLetterQueue !== "string") return;
    const dlq = parseQueueRef(spec.deadLetterQueue);
    if (!dlq) return;
    const queueRegion = spec.region ?? queue.region;
    if (dlq.region && queueRegion && dlq.region !== queueRegion) {
      ctx.addIssue({
        code: "custom",
        path: ["deadLetterQueue"],
        message: `is in region ${dlq.region}, but the queue is in region ${queueRegion}; a dead-letter queue must be in the queue's region`,
      });
    }
    if (isFifo(queue.name) !== isFifo(dlq.name)) {
      ctx.addIssue({
        code: "custom",
        path: ["deadLetterQueue"],
        message: isFifo(queue.name)
          ? "must be a FIFO queue (name ending in .fifo) because the queue is FIFO"
          : "must be a standard queue (not .fifo) because the queue is standard",
      });
    }
    const sameAccount = !dlq.account || !queue.account || dlq.account === queue.account;
    if (dlq.name === queue.name && sameAccount) {
      ctx.addIssue({ code: "custom", path: ["deadLetterQueue"], message: "must not be the queue itself" });
    }
  });

export type QueueRedrivePolicySpec = z.infer<typeof queueRedrivePolicySpecSchema>;

/** A queue URL or ARN names the queue's account. */
function ownAccount(spec: QueueRedrivePolicySpec): NamedAccount | undefined {
  const account = parseQueueRef(spec.queue)?.account;
  return account ? { account, field: "queue" } : undefined;
}

/** The queue's retry settings as read, already in manifest terms. */
export interface QueueRedrivePolicyActual {
  queueUrl: string;
  queueArn: string;
  /** `deadLetterTargetArn` of the RedrivePolicy; null when there is no policy. */
  deadLetterQueue: string | null;
  /** Always a number, whether SQS stored `5` or `"5"`. */
  maxReceiveCount: number | null;
  visibilityTimeoutSeconds: number;
  /** Keys of the RedrivePolicy other than the two managed ones, written back unchanged. */
  otherPolicyKeys: Record<string, unknown>;
}

const MANAGED = ["deadLetterQueue", "maxReceiveCount", "visibilityTimeoutSeconds"] as const;
const DEFAULTS = { visibilityTimeoutSeconds: 30 };
const ATTRIBUTES: QueueAttributeName[] = ["RedrivePolicy", "VisibilityTimeout", "QueueArn"];

/** The DLQ as an ARN: a bare name lives in the queue's own account and region. */
function dlqArn(value: string, queueArn: string): string {
  if (parseArn(value)) return value;
  const queue = parseArn(queueArn);
  if (!queue) return value;
  return sqsQueueArn(queue.region, queue.account, value, queue.partition);
}

async function readOne(
  ctx: KindContext,
  resource: DesiredResource<QueueRedrivePolicySpec>,
): Promise<QueueRedrivePolicyActual | ResourceError> {
  const { spec, region } = resource;
  const ref = parseQueueRef(spec.queue);
  if (!ref)
    return new ResourceError("InvalidSpec", `queue ${spec.queue} is not an SQS queue name, URL or ARN`);
  if (ref.region && ref.region !== region) {
    return new ResourceError(
      "RegionMismatch",
      `queue ${spec.queue} is in region ${ref.region}, but the manifest resolves to region ${region}; set spec.region`,
    );
  }
  let url: string;
  let attributes: Record<string, string>;
  try {
    url = await queueUrl(ctx.aws, region, ref);
    const out = await ctx.aws
      .sqs(region)
      .send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ATTRIBUTES }));
    attributes = out.Attributes ?? {};
  } catch (err) {
    if (isNotFound(err)) {
      forgetQueueUrl(ctx.aws, region, ref);
      return new ResourceError("QueueNotFound", `queue ${ref.name} does not exist in ${region}`, "terminal", {
        cause: err,
      });
    }
    return classifyAwsError(err, `reading queue ${ref.name}`);
  }
  let policy: ParsedPolicy;
  try {
    policy = parseRedrivePolicy(attributes.RedrivePolicy);
  } catch (err) {
    return new ResourceError(
      "InvalidRedrivePolicy",
      `queue ${ref.name} has an unreadable RedrivePolicy: ${String(err)}`,
    );
  }
  const queueArn = attributes.QueueArn ?? sqsQueueArn(region, ref.account ?? "", ref.name);
  const actual: QueueRedrivePolicyActual = {
    queueUrl: url,
    queueArn,
    deadLetterQueue: policy.deadLetterQueue,
    maxReceiveCount: policy.maxReceiveCount,
    visibilityTimeoutSeconds: Number(attributes.VisibilityTimeout ?? DEFAULTS.visibilityTimeoutSeconds),
    otherPolicyKeys: policy.other,
  };
  return checkAgainstQueue(spec, actual) ?? actual;
}

/** What validation cannot know without the queue: its region, and whether it already has a policy. */
function checkAgainstQueue(
  spec: QueueRedrivePolicySpec,
  actual: QueueRedrivePolicyActual,
): ResourceError | undefined {
  if (typeof spec.deadLetterQueue === "string") {
    const dlq = parseArn(dlqArn(spec.deadLetterQueue, actual.queueArn));
    const queue = parseArn(actual.queueArn);
    if (dlq && queue && dlq.region !== queue.region) {
      return new ResourceError(
        "RegionMismatch",
        `deadLetterQueue ${spec.deadLetterQueue} is in region ${dlq.region}, but the queue is in ${queue.region}`,
      );
    }
  }
  const noPolicy = actual.deadLetterQueue === null;
  if (noPolicy && typeof spec.maxReceiveCount === "number" && spec.deadLetterQueue === undefined) {
    return new ResourceError(
      "RedrivePolicyIncomplete",
      "the queue has no redrive policy, so maxReceiveCount needs a deadLetterQueue in the manifest",
    );
  }
  const noCount = actual.maxReceiveCount === null;
  if (noCount && typeof spec.deadLetterQueue === "string" && spec.maxReceiveCount === undefined) {
    return new ResourceError(
      "RedrivePolicyIncomplete",
      "the queue has no redrive policy, so deadLetterQueue needs a maxReceiveCount in the manifest",
    );
  }
  return undefined;
}

async function verifyDlqExists(ctx: KindContext, region: string, arn: string): Promise<void> {
  const ref = parseQueueRef(arn);
  if (!ref) throw new ResourceError("InvalidSpec", `deadLetterQueue ${arn} is not an SQS queue ARN`);
  try {
    await queueUrl(ctx.aws, region, ref);
  } catch (err) {
    if (isNotFound(err)) {
      throw new ResourceError(
        "DeadLetterQueueNotFound",
        `dead-letter queue ${arn} does not exist`,
        "terminal",
        {
          cause: err,
        },
      );
    }
    throw classifyAwsError(err, `checking dead-letter queue ${ref.name}`);
  }
}

/** The SetQueueAttributes map for the changes: only changed attributes, the policy merged with its current half. */
export function attributesFor(
  actual: QueueRedrivePolicyActual,
  changes: FieldChange[],
): Record<string, string> {
  const desired = new Map(changes.map((c) => [c.field, c.desired]));
  const attributes: Record<string, string> = {};
  if (desired.has("visibilityTimeoutSeconds")) {
    attributes.VisibilityTimeout = String(desired.get("visibilityTimeoutSeconds"));
  }
  if (desired.has("deadLetterQueue") || desired.has("maxReceiveCount")) {
    const dlq = desired.has("deadLetterQueue")
      ? (desired.get("deadLetterQueue") as string | null)
      : actual.deadLetterQueue;
    const count = desired.has("maxReceiveCount")
      ? (desired.get("maxReceiveCount") as number | null)
      : actual.maxReceiveCount;
    if (dlq === null) {
      // An empty string is how SQS removes the attribute (aws-reference §4.3).
      attributes.RedrivePolicy = "";
    } else {
      if (count === null) {
        throw new ResourceError("RedrivePolicyIncomplete", "a redrive policy needs a maxReceiveCount");
      }
      attributes.RedrivePolicy = JSON.stringify({
        ...actual.otherPolicyKeys,
        deadLetterTargetArn: dlq,
        maxReceiveCount: count,
      });
    }
  }
  return attributes;
}

export const queueRedrivePolicy: Kind<QueueRedrivePolicySpec, QueueRedrivePolicyActual> = {
  kind: "QueueRedrivePolicy",
  specSchema: queueRedrivePolicySpecSchema,

  identity(spec, region) {
    return `${identityPlace(region, specAccount({ ownAccount }, spec))}/${queueName(spec.queue)}`;
  },

  ownAccount,

  resolvedIdentity(actual) {
    return actual.queueArn;
  },

  peerScope(spec, region) {
    // A queue's name, URL and ARN all name it by name (another account's is refused before the read).
    return `${region}/${queueName(spec.queue)}`;
  },

  failureDestinations(spec) {
    // A bare name is a queue in the source queue's account and region, as SQS resolves it.
    return present([spec.deadLetterQueue]);
  },

  scope(spec) {
    return scopeOf({ queues: [spec.queue, spec.deadLetterQueue] });
  },

  lint(spec) {
    const warnings: LintWarning[] = [];
    if (typeof spec.maxReceiveCount === "number" && spec.maxReceiveCount < 5) {
      warnings.push({
        code: "SqsLowMaxReceiveCount",
        message: `maxReceiveCount ${spec.maxReceiveCount} leaves little room to retry; the Lambda SQS guidance is at least 5 so throttled or failed batches are not sent to the dead-letter queue too early`,
        path: ["maxReceiveCount"],
      });
    }
    return warnings;
  },

  async read(ctx, resources) {
    return readEachResource(resources, (r) => readOne(ctx, r));
  },

  diff(spec, actual) {
    const wanted: Record<string, unknown> = { ...spec };
    if (typeof spec.deadLetterQueue === "string")
      wanted.deadLetterQueue = dlqArn(spec.deadLetterQueue, actual.queueArn);
    const view = {
      deadLetterQueue: actual.deadLetterQueue,
      maxReceiveCount: actual.maxReceiveCount,
      visibilityTimeoutSeconds: actual.visibilityTimeoutSeconds,
    };
    return diffManagedFields(wanted, view, MANAGED, DEFAULTS);
  },

  creates() {
    return false;
  },

  async apply(ctx, resource, actual, changes) {
    const attributes = attributesFor(actual, changes);
    if (Object.keys(attributes).length === 0) return;
    const policy = attributes.RedrivePolicy ? parseRedrivePolicy(attributes.RedrivePolicy) : undefined;
    if (policy?.deadLetterQueue && policy.deadLetterQueue !== actual.deadLetterQueue) {
      await verifyDlqExists(ctx, resource.region, policy.deadLetterQueue);
    }
    try {
      await ctx.aws
        .sqs(resource.region)
        .send(new SetQueueAttributesCommand({ QueueUrl: actual.queueUrl, Attributes: attributes }));
    } catch (err) {
      if (isNotFound(err)) {
        throw new ResourceError(
          "QueueNotFound",
          `setting attributes of ${actual.queueArn}: ${(err as Error).message}`,
          "terminal",
          {
            cause: err,
          },
        );
      }
      throw classifyAwsError(err, `setting attributes of ${actual.queueArn}`);
    }
  },
};
