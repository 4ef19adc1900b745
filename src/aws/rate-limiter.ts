import PQueue from "p-queue";

/**
 * Requests per second granted to each AWS rate bucket. The Lambda figures sit
 * just below the account quotas (15/s shared control plane, 100/s GetFunction)
 * so retryctl is never itself the cause of throttling; the others have no
 * published TPS for these calls and get conservative values.
 * `deadLetterQueues` paces the per-resync depth reads of the failure queues
 * (design §11): SQS calls too, but apart from the `sqs` bucket, so a sweep
 * over many DLQs never delays a QueueRedrivePolicy read or write.
 */
export interface RateLimits {
  lambda: number;
  lambdaGetFunction: number;
  sqs: number;
  events: number;
  sts: number;
  sns: number;
  scheduler: number;
  pipes: number;
  deadLetterQueues: number;
  kinesis: number;
  /** The Resource Groups Tagging API (fleet discovery's bulk tag read). */
  tagging: number;
}

export const DEFAULT_RATE_LIMITS: RateLimits = {
  lambda: 14,
  lambdaGetFunction: 90,
  sqs: 50,
  events: 20,
  sts: 10,
  sns: 20,
  scheduler: 20,
  pipes: 5,
  deadLetterQueues: 10,
  // DescribeStreamSummary: 20/s per account (Kinesis quotas).
  kinesis: 10,
  // No published TPS for GetResources; one to a few pages per account and region per sweep.
  tagging: 5,
};

export type RateBucket = keyof RateLimits;

/** Which bucket an operation draws from: Lambda's GetFunction has a quota of its own. */
export function bucketFor(service: string, operation: string): RateBucket {
  if (service === "lambda") return operation === "GetFunction" ? "lambdaGetFunction" : "lambda";
  if (
    service === "sqs" ||
    service === "events" ||
    service === "sts" ||
    service === "sns" ||
    service === "scheduler" ||
    service === "pipes" ||
    service === "kinesis" ||
    service === "tagging"
  )
    return service;
  return "sts";
}

/**
 * One smooth limiter per (bucket, account, region). Each slot is spaced by
 * 1/rate seconds (interval = spacing, one request per interval), so no sliding
 * second ever sees more than `rate` + 1 requests, even right after an idle spell.
 */
export class RateLimiter {
  readonly #queues = new Map<string, PQueue>();
  readonly #limits: RateLimits;

  constructor(limits: Partial<RateLimits> = {}) {
    this.#limits = { ...DEFAULT_RATE_LIMITS, ...limits };
    for (const [bucket, rate] of Object.entries(this.#limits)) {
      if (!(Number.isFinite(rate) && rate > 0)) {
        throw new TypeError(`rate limit for ${bucket} must be a positive number, got ${String(rate)}`);
      }
    }
  }

  get limits(): Readonly<RateLimits> {
    return this.#limits;
  }

  /** Resolves when a request in this bucket may be sent. */
  acquire(bucket: RateBucket, region: string, account = "default"): Promise<void> {
    const key = `${bucket}/${account}/${region}`;
    let queue = this.#queues.get(key);
    if (!queue) {
      const spacing = Math.ceil(1000 / this.#limits[bucket]);
      queue = new PQueue({ interval: spacing, intervalCap: 1 });
      this.#queues.set(key, queue);
    }
    return queue.add(() => undefined);
  }

  /** Requests waiting for a slot, over all buckets. */
  get pending(): number {
    let n = 0;
    for (const q of this.#queues.values()) n += q.size + q.pending;
    return n;
  }
}
