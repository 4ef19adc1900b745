/**
 * The numbers AWS sets itself where nothing is configured, each with where it
 * is documented, so explain can name them as AWS defaults in its output.
 */

export interface AwsDefault {
  value: number;
  reference: string;
}

// Public AWS documentation, so a user can check each number where AWS states it.
const ASYNC_API = "Lambda API reference, PutFunctionEventInvokeConfig";
const ASYNC_GUIDE = 'Lambda Developer Guide, "Handling errors and retries with asynchronous invocation"';
const EVENTBRIDGE_API = "EventBridge API reference, RetryPolicy";
const MAPPING_API = "Lambda API reference, CreateEventSourceMapping";
const SQS_API = "SQS API reference, SetQueueAttributes";

export const ASYNC_DEFAULTS = {
  maximumRetryAttempts: { value: 2, reference: ASYNC_API },
  maximumEventAgeInSeconds: { value: 21600, reference: ASYNC_API },
  /** About 1 minute before the second attempt and 2 minutes before the third (function errors). */
  firstRetryDelaySeconds: { value: 60, reference: ASYNC_GUIDE },
  secondRetryDelaySeconds: { value: 120, reference: ASYNC_GUIDE },
  /** Throttles and 5xx: backoff from 1 s up to 5 minutes, until the event's age runs out. */
  throttleBackoffMaxSeconds: { value: 300, reference: ASYNC_GUIDE },
} satisfies Record<string, AwsDefault>;

export const EVENTBRIDGE_DEFAULTS = {
  maximumRetryAttempts: { value: 185, reference: EVENTBRIDGE_API },
  maximumEventAgeInSeconds: { value: 86400, reference: EVENTBRIDGE_API },
} satisfies Record<string, AwsDefault>;

/** Scheduler applies the same 185 / 24 h when a target has no RetryPolicy. */
export const SCHEDULER_DEFAULTS = {
  maximumRetryAttempts: {
    value: 185,
    reference: "EventBridge Scheduler API reference, RetryPolicy",
  },
  maximumEventAgeInSeconds: {
    value: 86400,
    reference: "EventBridge Scheduler API reference, RetryPolicy",
  },
} satisfies Record<string, AwsDefault>;

const SNS_RETRIES_DOC = 'SNS Developer Guide, "Amazon SNS message delivery retries"';

/**
 * SNS's delivery policy for Lambda endpoints cannot be changed (only HTTP/S
 * policies can): 3 immediate retries, 2 one second apart, 10 with backoff from
 * 1 to 20 s, then 100,000 twenty seconds apart: 100,015 retries over 23 days.
 */
export const SNS_LAMBDA_DELIVERY = {
  immediateRetries: { value: 3, reference: SNS_RETRIES_DOC },
  preBackoffRetries: { value: 2, reference: SNS_RETRIES_DOC },
  backoffRetries: { value: 10, reference: SNS_RETRIES_DOC },
  postBackoffRetries: { value: 100_000, reference: SNS_RETRIES_DOC },
  deliveryWindowSeconds: { value: 23 * 86400, reference: SNS_RETRIES_DOC },
} satisfies Record<string, AwsDefault>;

export const STREAM_DEFAULTS = {
  /** -1: retry until the record expires from the stream. */
  maximumRetryAttempts: { value: -1, reference: MAPPING_API },
  maximumRecordAgeInSeconds: { value: -1, reference: MAPPING_API },
  batchSize: { value: 100, reference: MAPPING_API },
  /** DynamoDB Streams keep records 24 h, not configurable. */
  dynamodbRetentionSeconds: {
    value: 86400,
    reference: 'DynamoDB Developer Guide, "Change data capture for DynamoDB Streams" (24 hours)',
  },
  /** Lambda's function timeout when the function leaves it unset. */
  functionTimeoutSeconds: { value: 3, reference: "Lambda API reference, CreateFunction Timeout (default 3)" },
} satisfies Record<string, AwsDefault>;

/** Pipes stream sources: -1 / -1 are infinite and the defaults. */
export const PIPE_DEFAULTS = {
  maximumRetryAttempts: {
    value: -1,
    reference: "EventBridge Pipes API reference, PipeSourceKinesisStreamParameters",
  },
  maximumRecordAgeInSeconds: {
    value: -1,
    reference: "EventBridge Pipes API reference, PipeSourceKinesisStreamParameters",
  },
  batchSize: { value: 100, reference: "Pipes API reference, PipeSourceKinesisStreamParameters BatchSize" },
} satisfies Record<string, AwsDefault>;

export const SQS_DEFAULTS = {
  visibilityTimeoutSeconds: { value: 30, reference: SQS_API },
  messageRetentionPeriodSeconds: { value: 345600, reference: SQS_API },
} satisfies Record<string, AwsDefault>;
