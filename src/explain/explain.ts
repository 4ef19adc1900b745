import type { EventSourceMappingConfiguration, FunctionConfiguration } from "@aws-sdk/client-lambda";
import { type FunctionRef, parseArn, parseFunctionRef } from "../aws/arn.js";
import { classifyAwsError, isNotFound } from "../aws/errors.js";
import { sourceTypeOf } from "../kinds/event-source-mapping-model.js";
import { toState } from "../kinds/function-event-invoke-config.js";
import { parseRedrivePolicy } from "../kinds/sqs-queue.js";
import { scrubSecrets } from "../log/secrets.js";
import { PIPE_DEFAULTS, STREAM_DEFAULTS } from "./aws-defaults.js";
import type { ExplainPath, Fact, FunctionExplanation, Uninspected } from "./model.js";
import {
  asyncPath,
  awsFact,
  defaultFact,
  deliveryPath,
  queuePath,
  setting,
  snsPath,
  streamPath,
} from "./paths.js";
import type { RegionReads } from "./reads.js";
import type { ExplainTarget } from "./targets.js";

const LATEST = "$LATEST";

/** What one kind of trigger contributed: its paths and what could not be inspected. */
interface Part {
  paths: ExplainPath[];
  uninspected: Uninspected[];
  /** Triggers found that invoke the function asynchronously (a pipe's FIRE_AND_FORGET). */
  asyncInvokers?: number;
}

/** Triggers that hand their events to Lambda's asynchronous queue. */
const ASYNC_TRIGGERS = new Set(["sns", "eventbridge", "schedule"]);

function failed(trigger: string, source: string, what: string, err: unknown): Part {
  const e = classifyAwsError(err);
  return {
    paths: [],
    uninspected: [
      {
        trigger,
        source,
        reason: `${what} failed`,
        error: { code: e.code, message: scrubSecrets(e.message) },
      },
    ],
  };
}

/** Paths of one trigger kind, each trigger read on its own: one failed read costs only its trigger. */
async function each<T>(items: readonly T[], explain: (item: T) => Promise<Part>): Promise<Part> {
  const parts = await Promise.all(items.map(explain));
  return {
    paths: parts.flatMap((p) => p.paths),
    uninspected: parts.flatMap((p) => p.uninspected),
    asyncInvokers: parts.reduce((n, p) => n + (p.asyncInvokers ?? 0), 0),
  };
}

/** The function an ARN names, whatever qualifier it carries. */
function isFunction(
  fn: Required<Pick<FunctionRef, "name" | "region" | "account">>,
  arn: string | undefined,
): boolean {
  const ref = parseFunctionRef(arn ?? "");
  return ref?.name === fn.name && ref.region === fn.region && ref.account === fn.account;
}

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

interface FunctionContext {
  reads: RegionReads;
  target: ExplainTarget;
  /** GetFunction's configuration of the unqualified function ($LATEST). */
  config: FunctionConfiguration;
  fn: { name: string; region: string; account: string };
  /** Unqualified. */
  functionArn: string;
}

function timeoutOf(ctx: FunctionContext) {
  return setting("Timeout", ctx.config.Timeout, STREAM_DEFAULTS.functionTimeoutSeconds, ctx.functionArn);
}

/** One async path per qualifier with an invoke config, and $LATEST's always (AWS's defaults when it has none). */
async function asyncPart(ctx: FunctionContext): Promise<Part> {
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

async function snsPart(ctx: FunctionContext): Promise<Part> {
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
async function eventBridgePart(ctx: FunctionContext): Promise<Part> {
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

async function schedulePart(ctx: FunctionContext): Promise<Part> {
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

async function mappingPart(ctx: FunctionContext): Promise<Part> {
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

async function pipePart(ctx: FunctionContext): Promise<Part> {
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
