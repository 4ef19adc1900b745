import {
  DescribePipeCommand,
  type DescribePipeCommandOutput,
  type PipeSourceDynamoDBStreamParameters,
  type PipeSourceKinesisStreamParameters,
  UpdatePipeCommand,
  type UpdatePipeSourceParameters,
} from "@aws-sdk/client-pipes";
import { z } from "zod";
import { parseArn } from "../aws/arn.js";
import { classifyAwsError, isNotFound, ResourceError } from "../aws/errors.js";
import { arnOf, baseSpecShape, checkArnRegion, intRange, managed } from "../manifests/fields.js";
import { diffManagedFields } from "./fields.js";
import type { DesiredResource, FieldChange, Kind, KindContext, LintWarning } from "./kind.js";
import { readEachResource } from "./read-each.js";
import { present, scopeOf } from "./scope.js";

const PIPE_NAME_RE = /^[.\-_A-Za-z0-9]{1,64}$/;

/** The stream sources whose pipes have retry settings; an SQS (or broker) source has none. */
type StreamSource = "kinesis" | "dynamodb";
const PARAMETERS_KEY = { kinesis: "KinesisStreamParameters", dynamodb: "DynamoDBStreamParameters" } as const;

/** Which stream a source ARN is: a Kinesis stream, or a DynamoDB table's stream; undefined for any other source. */
export function streamSourceOf(arn: string): StreamSource | undefined {
  const parsed = parseArn(arn);
  if (parsed?.service === "kinesis" && parsed.resource.startsWith("stream/")) return "kinesis";
  if (parsed?.service === "dynamodb" && /^table\/[^/]+\/stream\//.test(parsed.resource)) return "dynamodb";
  return undefined;
}

const MANAGED = [
  "maximumRetryAttempts",
  "maximumRecordAgeInSeconds",
  "onPartialBatchItemFailure",
  "deadLetterQueue",
] as const;
// -1 is "infinite", the Pipes default for both (Pipes API reference, PipeSourceKinesisStreamParameters).
const DEFAULTS = { maximumRetryAttempts: -1, maximumRecordAgeInSeconds: -1 };

const recordAgeSchema = z.int().refine((v) => v === -1 || (v >= 60 && v <= 604800), {
  message: "must be -1 (infinite) or 60-604800 seconds",
});

export const pipeRetryPolicySpecSchema = z
  .strictObject({
    ...baseSpecShape,
    pipeName: z
      .string()
      .regex(PIPE_NAME_RE, "must be a pipe name: 1-64 characters of letters, digits, '.', '-' and '_'"),
    /** The pipe's source, optional: when named, the fields are checked against it offline and at read time. */
    sourceArn: z
      .string()
      .refine((v) => parseArn(v) !== undefined, { message: "must be an ARN" })
      .optional(),
    maximumRetryAttempts: managed(intRange(-1, 10000)),
    maximumRecordAgeInSeconds: managed(recordAgeSchema),
    onPartialBatchItemFailure: managed(z.literal("AUTOMATIC_BISECT")),
    deadLetterQueue: managed(arnOf(["sqs", "sns"], "an SQS queue or SNS topic")),
  })
  .superRefine((spec, ctx) => {
    checkArnRegion(ctx, spec.region, spec.sourceArn, ["sourceArn"]);
    checkArnRegion(ctx, spec.region, spec.deadLetterQueue, ["deadLetterQueue"]);
    if (spec.sourceArn !== undefined && streamSourceOf(spec.sourceArn) === undefined) {
      for (const field of MANAGED) {
        if (spec[field] === undefined) continue;
        ctx.addIssue({ code: "custom", path: [field], message: notForSource(spec.sourceArn) });
      }
    }
  });

export type PipeRetryPolicySpec = z.infer<typeof pipeRetryPolicySpecSchema>;

/** Why a stream-only field cannot be set on this pipe; `field` leads the sentence where no path names it. */
function notForSource(source: string, field?: string): string {
  const service = parseArn(source)?.service ?? "this";
  const hint =
    service === "sqs"
      ? "; an SQS source retries by the queue's redrive policy (kind QueueRedrivePolicy: deadLetterQueue, maxReceiveCount)"
      : "";
  return `${field ? `${field} ` : ""}applies only to pipes with a Kinesis or DynamoDB stream source, but the pipe's source is ${service} (${source})${hint}`;
}

type StreamParameters = PipeSourceKinesisStreamParameters | PipeSourceDynamoDBStreamParameters;

/** The pipe as DescribePipe returned it, with the stream parameters it will send back. */
export interface PipeRetryPolicyActual {
  pipe: DescribePipeCommandOutput;
  source: StreamSource;
  parameters: StreamParameters;
}

// While a pipe is in one of these states, UpdatePipe answers ConflictException: wait it out.
const IN_MOTION = new Set(["CREATING", "UPDATING", "DELETING", "STARTING", "STOPPING"]);

function view(p: StreamParameters): Record<string, unknown> {
  return {
    maximumRetryAttempts: p.MaximumRetryAttempts ?? DEFAULTS.maximumRetryAttempts,
    maximumRecordAgeInSeconds: p.MaximumRecordAgeInSeconds ?? DEFAULTS.maximumRecordAgeInSeconds,
    onPartialBatchItemFailure: p.OnPartialBatchItemFailure ?? null,
    deadLetterQueue: p.DeadLetterConfig?.Arn ?? null,
  };
}

async function readOne(
  ctx: KindContext,
  resource: DesiredResource<PipeRetryPolicySpec>,
): Promise<PipeRetryPolicyActual | ResourceError> {
  const { spec, region } = resource;
  let pipe: DescribePipeCommandOutput;
  try {
    pipe = await ctx.aws.pipes(region).send(new DescribePipeCommand({ Name: spec.pipeName }));
  } catch (err) {
    if (isNotFound(err)) {
      return new ResourceError(
        "PipeNotFound",
        `pipe ${spec.pipeName} does not exist in ${region}`,
        "terminal",
        {
          cause: err,
        },
      );
    }
    return classifyAwsError(err, `reading pipe ${spec.pipeName}`);
  }
  const sourceArn = pipe.Source ?? "";
  if (spec.sourceArn !== undefined && spec.sourceArn !== sourceArn) {
    return new ResourceError(
      "SourceMismatch",
      `pipe ${spec.pipeName} reads from ${sourceArn}, but the manifest names sourceArn ${spec.sourceArn}`,
    );
  }
  const source = streamSourceOf(sourceArn);
  if (source === undefined) {
    const named = MANAGED.filter((f) => spec[f] !== undefined);
    return new ResourceError(
      "InvalidForSource",
      `pipe ${spec.pipeName}: ${named.map((f) => notForSource(sourceArn, f)).join("; ") || notForSource(sourceArn, "retry policy")}`,
    );
  }
  const parameters = pipe.SourceParameters?.[PARAMETERS_KEY[source]] ?? ({} as StreamParameters);
  return { pipe, source, parameters };
}

/**
 * UpdatePipe's SourceParameters: Pipes replaces the stream parameters object as one
 * ("if you don't specify an optional field … that field will be set to its
 * system-default value"), so every updatable member goes back as read, changed
 * only where the manifest says. StartingPosition cannot be updated and is left out.
 */
export function sourceParametersFor(
  actual: PipeRetryPolicyActual,
  changes: FieldChange[],
): UpdatePipeSourceParameters {
  const desired = new Map(changes.map((c) => [c.field, c.desired]));
  const p = actual.parameters;
  const pick = <T>(field: string, current: T): T =>
    desired.has(field) ? (desired.get(field) as T) : current;
  const next: Record<string, unknown> = {
    BatchSize: p.BatchSize,
    MaximumBatchingWindowInSeconds: p.MaximumBatchingWindowInSeconds,
    ParallelizationFactor: p.ParallelizationFactor,
    MaximumRetryAttempts: pick("maximumRetryAttempts", p.MaximumRetryAttempts),
    MaximumRecordAgeInSeconds: pick("maximumRecordAgeInSeconds", p.MaximumRecordAgeInSeconds),
    OnPartialBatchItemFailure:
      pick("onPartialBatchItemFailure", p.OnPartialBatchItemFailure ?? null) ?? undefined,
  };
  const dlq = pick("deadLetterQueue", p.DeadLetterConfig?.Arn ?? null);
  if (dlq !== null) next.DeadLetterConfig = { Arn: dlq };
  // Zero is a value, never "unset": only undefined members are left out.
  for (const key of Object.keys(next)) if (next[key] === undefined) delete next[key];
  const parameters: UpdatePipeSourceParameters = { [PARAMETERS_KEY[actual.source]]: next };
  const filter = actual.pipe.SourceParameters?.FilterCriteria;
  if (filter !== undefined) parameters.FilterCriteria = filter;
  return parameters;
}

export const pipeRetryPolicy: Kind<PipeRetryPolicySpec, PipeRetryPolicyActual> = {
  kind: "PipeRetryPolicy",
  specSchema: pipeRetryPolicySpecSchema,

  identity(spec, region) {
    return `${region}/${spec.pipeName}`;
  },

  failureDestinations(spec) {
    return present([spec.deadLetterQueue]);
  },

  scope(spec) {
    return scopeOf({ refs: [spec.sourceArn, spec.deadLetterQueue] });
  },

  lint(spec) {
    const warnings: LintWarning[] = [];
    if (typeof spec.deadLetterQueue !== "string") {
      warnings.push({
        code: "PipeNoDlq",
        message:
          "the pipe has no deadLetterQueue: a record that exhausts its retries or maximum age is discarded without a trace",
        path: ["deadLetterQueue"],
      });
    }
    const unlimited = (v: number | null | undefined) => v === -1 || v === null;
    if (unlimited(spec.maximumRetryAttempts) && unlimited(spec.maximumRecordAgeInSeconds)) {
      warnings.push({
        code: "PipeUnboundedRetries",
        message:
          "maximumRetryAttempts and maximumRecordAgeInSeconds are both -1 (infinite): one failing record blocks its shard until it expires from the stream, and the dead-letter queue is never used",
        path: ["maximumRetryAttempts"],
      });
    }
    return warnings;
  },

  read(ctx, resources) {
    return readEachResource(resources, (r) => readOne(ctx, r));
  },

  diff(spec, actual) {
    return diffManagedFields(spec, view(actual.parameters), MANAGED, DEFAULTS);
  },

  creates() {
    return false;
  },

  async apply(ctx, resource, actual, changes) {
    if (changes.length === 0) return;
    const name = resource.spec.pipeName;
    const state = actual.pipe.CurrentState ?? "";
    if (IN_MOTION.has(state)) throw new ResourceError("ResourceInUse", `pipe ${name} is ${state}`, "waiting");
    if (!actual.pipe.RoleArn)
      throw new ResourceError("PipeRoleMissing", `pipe ${name} has no RoleArn to send back`);
    try {
      await ctx.aws.pipes(resource.region).send(
        new UpdatePipeCommand({
          Name: name,
          // Required by UpdatePipe: the pipe's own role, unchanged.
          RoleArn: actual.pipe.RoleArn,
          SourceParameters: sourceParametersFor(actual, changes),
        }),
      );
    } catch (err) {
      if (isNotFound(err)) {
        throw new ResourceError("PipeNotFound", `pipe ${name} no longer exists`, "terminal", { cause: err });
      }
      if ((err as { name?: string }).name === "ConflictException") {
        throw new ResourceError(
          "ResourceInUse",
          `pipe ${name} is changing: ${(err as Error).message}`,
          "waiting",
          {
            cause: err,
          },
        );
      }
      throw classifyAwsError(err, `updating pipe ${name}`);
    }
  },
};
