import {
  ASYNC_DEFAULTS,
  type AwsDefault,
  EVENTBRIDGE_DEFAULTS,
  SCHEDULER_DEFAULTS,
  SNS_LAMBDA_DELIVERY,
  SQS_DEFAULTS,
} from "./aws-defaults.js";
import type { ExplainPath, Fact, Terminal } from "./model.js";

/**
 * The path arithmetic of design §9, pure: settings as read from AWS in,
 * attempts, time budget, blocking time and terminal out, with the facts that
 * make each number. A setting AWS left out is `undefined` here and becomes its
 * documented default, named as such.
 */

/** A value read from AWS, or the default that applies where AWS left it out. */
export function setting(field: string, read: number | undefined, fallback: AwsDefault, of: string) {
  const fact: Fact =
    read === undefined
      ? { field, value: fallback.value, source: "aws-default", of, reference: fallback.reference }
      : { field, value: read, source: "aws", of };
  return { value: read ?? fallback.value, fact };
}

export function awsFact(field: string, value: Fact["value"], of: string): Fact {
  return { field, value, source: "aws", of };
}

export function defaultFact(field: string, fallback: AwsDefault, of: string): Fact {
  return { field, value: fallback.value, source: "aws-default", of, reference: fallback.reference };
}

const dropped: Terminal = { type: "dropped", arn: null };

export interface AsyncSettings {
  /** The function's ARN with the qualifier the config belongs to (`…:function:f:$LATEST`). */
  source: string;
  /** From the qualifier's event invoke config; undefined when AWS has none (or leaves the field out). */
  maximumRetryAttempts?: number | undefined;
  maximumEventAgeInSeconds?: number | undefined;
  onFailure?: string | undefined;
  /** The function's DeadLetterConfig.TargetArn. */
  deadLetterQueue?: string | undefined;
  /** The ARN the DLQ was read from. */
  deadLetterOf: string;
}

/** Asynchronous invocation: attempts and age of the invoke config, then onFailure, the function's DLQ, or dropped. */
export function asyncPath(s: AsyncSettings): ExplainPath {
  const retries = setting(
    "MaximumRetryAttempts",
    s.maximumRetryAttempts,
    ASYNC_DEFAULTS.maximumRetryAttempts,
    s.source,
  );
  const age = setting(
    "MaximumEventAgeInSeconds",
    s.maximumEventAgeInSeconds,
    ASYNC_DEFAULTS.maximumEventAgeInSeconds,
    s.source,
  );
  const facts: Fact[] = [
    retries.fact,
    age.fact,
    defaultFact("delay before the 2nd attempt (s)", ASYNC_DEFAULTS.firstRetryDelaySeconds, s.source),
    defaultFact("delay before the 3rd attempt (s)", ASYNC_DEFAULTS.secondRetryDelaySeconds, s.source),
    awsFact("DestinationConfig.OnFailure.Destination", s.onFailure ?? null, s.source),
    awsFact("DeadLetterConfig.TargetArn", s.deadLetterQueue ?? null, s.deadLetterOf),
  ];
  const notes = [
    "throttles and system errors are retried with backoff (1 s up to 5 min) until the event's age runs out, whatever the retry count",
  ];
  const delays = [ASYNC_DEFAULTS.firstRetryDelaySeconds.value, ASYNC_DEFAULTS.secondRetryDelaySeconds.value];
  const needed = delays.slice(0, retries.value).reduce((a, b) => a + b, 0);
  if (needed > age.value) {
    notes.push(
      `the retries need about ${needed} s but the event may only be ${age.value} s old: the last attempt may not happen`,
    );
  }
  let terminal: Terminal = dropped;
  if (s.onFailure) terminal = { type: "destination", arn: s.onFailure };
  else if (s.deadLetterQueue) terminal = { type: "dlq", arn: s.deadLetterQueue };
  if (s.onFailure && s.deadLetterQueue) {
    notes.push(
      `the onFailure destination takes failed events; the function's DLQ ${s.deadLetterQueue} is not used`,
    );
  }
  return {
    trigger: "async",
    source: s.source,
    attempts: retries.value + 1,
    maxAgeSeconds: age.value,
    blockingSeconds: null,
    terminal,
    facts,
    notes,
  };
}

export interface DeliverySettings {
  trigger: "eventbridge" | "schedule";
  /** The rule's target (`<rule ARN>#<target id>`) or the schedule's ARN. */
  source: string;
  maximumRetryAttempts?: number | undefined;
  maximumEventAgeInSeconds?: number | undefined;
  deadLetterQueue?: string | undefined;
}

/**
 * EventBridge rule targets and Scheduler schedules: delivery retries and age,
 * then the target's DLQ or dropped. They deliver to Lambda's asynchronous
 * queue, so a function error after delivery follows the function's async path.
 */
export function deliveryPath(s: DeliverySettings): ExplainPath {
  const defaults = s.trigger === "eventbridge" ? EVENTBRIDGE_DEFAULTS : SCHEDULER_DEFAULTS;
  const retries = setting(
    "RetryPolicy.MaximumRetryAttempts",
    s.maximumRetryAttempts,
    defaults.maximumRetryAttempts,
    s.source,
  );
  const age = setting(
    "RetryPolicy.MaximumEventAgeInSeconds",
    s.maximumEventAgeInSeconds,
    defaults.maximumEventAgeInSeconds,
    s.source,
  );
  const who = s.trigger === "eventbridge" ? "EventBridge" : "Scheduler";
  return {
    trigger: s.trigger,
    source: s.source,
    attempts: retries.value + 1,
    maxAgeSeconds: age.value,
    blockingSeconds: null,
    terminal: s.deadLetterQueue ? { type: "dlq", arn: s.deadLetterQueue } : dropped,
    facts: [retries.fact, age.fact, awsFact("DeadLetterConfig.Arn", s.deadLetterQueue ?? null, s.source)],
    notes: [
      `${who} retries delivery until Lambda accepts the event; a function error after that follows the async path`,
    ],
  };
}

export interface SnsSettings {
  subscriptionArn: string;
  deadLetterQueue?: string | undefined;
}

/** SNS delivery to a Lambda endpoint: SNS's fixed delivery policy, then the subscription's DLQ or dropped. */
export function snsPath(s: SnsSettings): ExplainPath {
  const d = SNS_LAMBDA_DELIVERY;
  const of = s.subscriptionArn;
  const retries =
    d.immediateRetries.value +
    d.preBackoffRetries.value +
    d.backoffRetries.value +
    d.postBackoffRetries.value;
  return {
    trigger: "sns",
    source: s.subscriptionArn,
    attempts: retries + 1,
    maxAgeSeconds: d.deliveryWindowSeconds.value,
    blockingSeconds: null,
    terminal: s.deadLetterQueue ? { type: "dlq", arn: s.deadLetterQueue } : dropped,
    facts: [
      defaultFact("immediate retries", d.immediateRetries, of),
      defaultFact("pre-backoff retries (1 s apart)", d.preBackoffRetries, of),
      defaultFact("backoff retries (1 s to 20 s)", d.backoffRetries, of),
      defaultFact("post-backoff retries (20 s apart)", d.postBackoffRetries, of),
      defaultFact("delivery window (s)", d.deliveryWindowSeconds, of),
      awsFact("RedrivePolicy.deadLetterTargetArn", s.deadLetterQueue ?? null, of),
    ],
    notes: [
      "the delivery policy of Lambda endpoints is fixed by SNS (only HTTP/S policies can change)",
      "SNS retries only deliveries Lambda does not accept; a function error after that follows the async path",
    ],
  };
}

export interface StreamSettings {
  trigger: "stream" | "pipe";
  /** The mapping's (`<stream ARN> -> mapping <uuid>`) or pipe's ARN. */
  source: string;
  /** Retries: -1 unlimited; undefined = the default (-1). */
  maximumRetryAttempts: { value: number; fact: Fact };
  maximumRecordAgeInSeconds: { value: number; fact: Fact };
  bisect: { value: boolean; fact: Fact };
  batchSize: { value: number; fact: Fact };
  retentionSeconds: { value: number; fact: Fact };
  functionTimeoutSeconds: { value: number; fact: Fact };
  /** The mapping's onFailure destination or the pipe's DLQ. */
  failure?: { arn: string | undefined; fact: Fact };
  /** How the failure target counts: an ESM's on-failure destination or a pipe's dead-letter queue. */
  failureType: "destination" | "dlq";
  /** The mapping's `State` (a disabled mapping does not poll). */
  state?: string | undefined;
}

/**
 * Stream mappings and pipes: a failing batch is retried in order, so one
 * poison record holds its shard until the retries, the record age or the
 * stream's retention end it. With unlimited retries and no age limit below the
 * retention the record expires from the stream: dropped, whatever onFailure says.
 */
export function streamPath(s: StreamSettings): ExplainPath {
  const retries = s.maximumRetryAttempts.value;
  const age = s.maximumRecordAgeInSeconds.value;
  const retention = s.retentionSeconds.value;
  const unlimitedRetries = retries < 0;
  const ageBound = age < 0 ? Number.POSITIVE_INFINITY : age;
  // Each attempt may run up to the function's timeout; with bisect every split adds one more invocation.
  const splits = s.bisect.value ? Math.ceil(Math.log2(Math.max(1, s.batchSize.value))) : 0;
  const attemptBound = unlimitedRetries
    ? Number.POSITIVE_INFINITY
    : (retries + 1 + splits) * s.functionTimeoutSeconds.value;
  const blocking = Math.min(retention, ageBound, attemptBound);
  const notes: string[] = [];
  const expires = unlimitedRetries && ageBound >= retention;
  let terminal: Terminal = dropped;
  const failure = s.failure?.arn;
  if (expires) {
    notes.push(
      `retries and record age do not end before the stream's retention (${retention} s): a poison record blocks its shard until it expires from the stream`,
    );
    if (failure)
      notes.push(
        `the ${s.failureType === "dlq" ? "DLQ" : "onFailure destination"} ${failure} is never reached`,
      );
  } else if (failure) {
    terminal = { type: s.failureType, arn: failure };
  }
  if (!unlimitedRetries) {
    notes.push(
      `blocking is at most (${retries + 1} attempts${splits ? ` + ${splits} splits` : ""}) × the function timeout (${s.functionTimeoutSeconds.value} s), capped by the record age and the retention`,
    );
  }
  if (s.state && s.state !== "Enabled" && s.state !== "RUNNING")
    notes.push(`the ${s.trigger === "pipe" ? "pipe" : "mapping"} is ${s.state}`);
  const facts = [
    s.maximumRetryAttempts.fact,
    s.maximumRecordAgeInSeconds.fact,
    s.bisect.fact,
    s.batchSize.fact,
    s.retentionSeconds.fact,
    s.functionTimeoutSeconds.fact,
  ];
  if (s.failure) facts.push(s.failure.fact);
  return {
    trigger: s.trigger,
    source: s.source,
    attempts: unlimitedRetries ? null : retries + 1,
    maxAgeSeconds: Math.min(ageBound, retention),
    blockingSeconds: blocking,
    terminal,
    bisect: s.bisect.value,
    facts,
    notes,
  };
}

export interface QueueSettings {
  trigger: "sqs" | "pipe";
  source: string;
  queueArn: string;
  visibilityTimeoutSeconds?: number | undefined;
  messageRetentionPeriodSeconds?: number | undefined;
  /** The queue's RedrivePolicy; undefined when it has none. */
  redrive?: { deadLetterQueue: string; maxReceiveCount: number } | undefined;
  /** Whether the mapping (`of`) reports failed items (`ReportBatchItemFailures`); undefined for pipes. */
  reportBatchItemFailures?: { value: boolean; of: string } | undefined;
}

/**
 * SQS sources: a failed message is received again after the visibility
 * timeout, until the redrive policy moves it (maxReceiveCount receives) or the
 * queue's retention deletes it. Standard queues go on with other messages; a
 * FIFO queue holds the message's group.
 */
export function queuePath(s: QueueSettings): ExplainPath {
  const of = s.queueArn;
  const visibility = setting(
    "VisibilityTimeout",
    s.visibilityTimeoutSeconds,
    SQS_DEFAULTS.visibilityTimeoutSeconds,
    of,
  );
  const retention = setting(
    "MessageRetentionPeriod",
    s.messageRetentionPeriodSeconds,
    SQS_DEFAULTS.messageRetentionPeriodSeconds,
    of,
  );
  const facts: Fact[] = [
    visibility.fact,
    retention.fact,
    awsFact("RedrivePolicy.maxReceiveCount", s.redrive?.maxReceiveCount ?? null, of),
    awsFact("RedrivePolicy.deadLetterTargetArn", s.redrive?.deadLetterQueue ?? null, of),
  ];
  const notes: string[] = [];
  let attempts: number | null = null;
  let maxAge = retention.value;
  let terminal: Terminal = dropped;
  if (s.redrive) {
    attempts = s.redrive.maxReceiveCount;
    const untilRedrive = s.redrive.maxReceiveCount * visibility.value;
    if (untilRedrive > retention.value) {
      notes.push(
        `${s.redrive.maxReceiveCount} receives × ${visibility.value} s visibility outlast the ${retention.value} s retention: the message is deleted before it reaches the DLQ`,
      );
    } else {
      maxAge = untilRedrive;
      terminal = { type: "redrive", arn: s.redrive.deadLetterQueue };
    }
  } else {
    notes.push(
      "no redrive policy: a failing message is received again until the queue's retention deletes it",
    );
  }
  const fifo = s.queueArn.endsWith(".fifo");
  if (fifo) notes.push("FIFO queue: the failing message holds its message group until it leaves the queue");
  if (s.reportBatchItemFailures !== undefined) {
    const { value, of: mapping } = s.reportBatchItemFailures;
    facts.push(awsFact("FunctionResponseTypes includes ReportBatchItemFailures", value, mapping));
    if (!value) {
      notes.push(
        "without ReportBatchItemFailures the whole batch is received again with the failing message",
      );
    }
  }
  return {
    trigger: s.trigger,
    source: s.source,
    attempts,
    maxAgeSeconds: maxAge,
    blockingSeconds: fifo ? maxAge : null,
    terminal,
    facts,
    notes,
  };
}
