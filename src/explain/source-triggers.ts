import type { EventSourceMappingConfiguration } from "@aws-sdk/client-lambda";
import { parseArn } from "../aws/arn.js";
import { sourceTypeOf } from "../kinds/event-source-mapping-model.js";
import { parseRedrivePolicy } from "../kinds/sqs-queue.js";
import { PIPE_DEFAULTS, STREAM_DEFAULTS } from "./aws-defaults.js";
import type { ExplainPath, Fact } from "./model.js";
import { awsFact, defaultFact, queuePath, setting, streamPath } from "./paths.js";
import type { RegionReads } from "./reads.js";
import { each, type FunctionContext, failed, isFunction, type Part, timeoutOf } from "./trigger-part.js";

/** Triggers that poll a source and invoke the function with batches: event source mappings and pipes. */

/** A stream's retention: Kinesis read with DescribeStreamSummary, DynamoDB Streams' fixed 24 h. */
async function retentionOf(ctx: FunctionContext, sourceArn: string): Promise<{ value: number; fact: Fact }> {
  if (parseArn(sourceArn)?.service === "dynamodb") {
    const d = STREAM_DEFAULTS.dynamodbRetentionSeconds;
    return { value: d.value, fact: defaultFact("retention (s)", d, sourceArn) };
  }
  const hours = await ctx.reads.streamRetentionHours(sourceArn);
  if (hours === undefined)
    throw new Error(`DescribeStreamSummary returned no RetentionPeriodHours for ${sourceArn}`);
  return { value: hours * 3600, fact: awsFact("RetentionPeriodHours × 3600 (s)", hours * 3600, sourceArn) };
}

/** The source queue's retry attributes, as `queuePath` takes them. */
async function queueSettings(ctx: FunctionContext, queueArn: string) {
  const attributes = await ctx.reads.queue(queueArn);
  const number = (v: string | undefined) => (v === undefined || v === "" ? undefined : Number(v));
  const policy = parseRedrivePolicy(attributes.RedrivePolicy);
  return {
    queueArn,
    visibilityTimeoutSeconds: number(attributes.VisibilityTimeout),
    messageRetentionPeriodSeconds: number(attributes.MessageRetentionPeriod),
    redrive:
      policy.deadLetterQueue !== null && policy.maxReceiveCount !== null
        ? { deadLetterQueue: policy.deadLetterQueue, maxReceiveCount: policy.maxReceiveCount }
        : undefined,
  };
}

export async function mappingPart(ctx: FunctionContext): Promise<Part> {
  const { reads, target, functionArn } = ctx;
  let mappings: EventSourceMappingConfiguration[];
  try {
    mappings = await reads.mappings(target.address);
  } catch (err) {
    return failed("stream", `event source mappings of ${functionArn}`, "ListEventSourceMappings", err);
  }
  return each(mappings, async (m): Promise<Part> => {
    const source = m.EventSourceArn ?? `mapping ${m.UUID}`;
    const of = m.EventSourceMappingArn ?? `event source mapping ${m.UUID}`;
    const type = sourceTypeOf(m.EventSourceArn);
    try {
      if (type === "kinesis" || type === "dynamodb") {
        const path = streamPath({
          trigger: "stream",
          source,
          maximumRetryAttempts: setting(
            "MaximumRetryAttempts",
            m.MaximumRetryAttempts,
            STREAM_DEFAULTS.maximumRetryAttempts,
            of,
          ),
          maximumRecordAgeInSeconds: setting(
            "MaximumRecordAgeInSeconds",
            m.MaximumRecordAgeInSeconds,
            STREAM_DEFAULTS.maximumRecordAgeInSeconds,
            of,
          ),
          bisect: {
            value: m.BisectBatchOnFunctionError === true,
            fact: awsFact("BisectBatchOnFunctionError", m.BisectBatchOnFunctionError ?? false, of),
          },
          batchSize: setting("BatchSize", m.BatchSize, STREAM_DEFAULTS.batchSize, of),
          retentionSeconds: await retentionOf(ctx, source),
          functionTimeoutSeconds: timeoutOf(ctx),
          failure: {
            arn: m.DestinationConfig?.OnFailure?.Destination || undefined,
            fact: awsFact(
              "DestinationConfig.OnFailure.Destination",
              m.DestinationConfig?.OnFailure?.Destination || null,
              of,
            ),
          },
          failureType: "destination",
          state: m.State,
        });
        return { paths: [path], uninspected: [] };
      }
      if (type === "sqs" || type === "sqs-fifo") {
        const path = queuePath({
          trigger: "sqs",
          source,
          ...(await queueSettings(ctx, source)),
          reportBatchItemFailures: {
            value: (m.FunctionResponseTypes ?? []).includes("ReportBatchItemFailures"),
            of,
          },
        });
        return { paths: [path], uninspected: [] };
      }
    } catch (err) {
      return failed(
        type === "kinesis" || type === "dynamodb" ? "stream" : "sqs",
        source,
        `reading ${source}`,
        err,
      );
    }
    return {
      paths: [],
      uninspected: [
        {
          trigger: "stream",
          source,
          reason:
            "explain models Kinesis, DynamoDB stream and SQS mappings only (Kafka, MQ and DocumentDB are not)",
        },
      ],
    };
  });
}

export async function pipePart(ctx: FunctionContext): Promise<Part> {
  const { reads } = ctx;
  let pipes: Awaited<ReturnType<RegionReads["pipes"]>>;
  try {
    pipes = await reads.pipes();
  } catch (err) {
    return failed("pipe", `pipes in ${reads.region}`, "ListPipes", err);
  }
  const mine = pipes.filter((p) => isFunction(ctx.fn, p.Target));
  return each(mine, async (p): Promise<Part> => {
    const name = p.Name ?? "";
    try {
      const pipe = await reads.pipe(name);
      const source = pipe.Arn ?? p.Arn ?? name;
      const from = pipe.Source ?? "";
      const sourceFact = awsFact("Source", from, source);
      const service = parseArn(from)?.service;
      const params =
        service === "kinesis"
          ? pipe.SourceParameters?.KinesisStreamParameters
          : service === "dynamodb"
            ? pipe.SourceParameters?.DynamoDBStreamParameters
            : undefined;
      if (params) {
        const path = streamPath({
          trigger: "pipe",
          source,
          maximumRetryAttempts: setting(
            "MaximumRetryAttempts",
            params.MaximumRetryAttempts,
            PIPE_DEFAULTS.maximumRetryAttempts,
            source,
          ),
          maximumRecordAgeInSeconds: setting(
            "MaximumRecordAgeInSeconds",
            params.MaximumRecordAgeInSeconds,
            PIPE_DEFAULTS.maximumRecordAgeInSeconds,
            source,
          ),
          bisect: {
            value: params.OnPartialBatchItemFailure === "AUTOMATIC_BISECT",
            fact: awsFact("OnPartialBatchItemFailure", params.OnPartialBatchItemFailure ?? null, source),
          },
          batchSize: setting("BatchSize", params.BatchSize, PIPE_DEFAULTS.batchSize, source),
          retentionSeconds: await retentionOf(ctx, from),
          functionTimeoutSeconds: timeoutOf(ctx),
          failure: {
            arn: params.DeadLetterConfig?.Arn || undefined,
            fact: awsFact("DeadLetterConfig.Arn", params.DeadLetterConfig?.Arn || null, source),
          },
          failureType: "dlq",
          state: pipe.CurrentState,
        });
        path.facts.unshift(sourceFact);
        return withInvocation(path, pipe);
      }
      if (service === "sqs") {
        const path = queuePath({ trigger: "pipe", source, ...(await queueSettings(ctx, from)) });
        path.facts.unshift(sourceFact);
        return withInvocation(path, pipe);
      }
      return {
        paths: [],
        uninspected: [
          {
            trigger: "pipe",
            source,
            reason: `explain models pipes from Kinesis, DynamoDB streams and SQS only, not ${from}`,
          },
        ],
      };
    } catch (err) {
      return failed("pipe", p.Arn ?? name, `reading pipe ${name}`, err);
    }
  });
}

/** A pipe that invokes FIRE_AND_FORGET hands the event to the function's async queue: its retries are the async path's. */
function withInvocation(path: ExplainPath, pipe: Awaited<ReturnType<RegionReads["pipe"]>>): Part {
  const invocation = pipe.TargetParameters?.LambdaFunctionParameters?.InvocationType;
  if (invocation !== "FIRE_AND_FORGET") return { paths: [path], uninspected: [] };
  path.facts.push(
    awsFact("TargetParameters.LambdaFunctionParameters.InvocationType", invocation, path.source),
  );
  path.notes.push("the pipe invokes the function asynchronously: a function error follows the async path");
  return { paths: [path], uninspected: [], asyncInvokers: 1 };
}
