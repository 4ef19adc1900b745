import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import type { Logger } from "pino";
import { type AwsClients, inBucket } from "../aws/clients.js";
import { classifyAwsError, isNotFound, ResourceError } from "../aws/errors.js";
import type { RateBucket } from "../aws/rate-limiter.js";
import { readEach } from "../kinds/read-each.js";
import { forgetQueueUrl, type QueueRef, queueUrl } from "../kinds/sqs-queue.js";
import { scrubSecrets } from "../log/secrets.js";
import type { Metrics } from "../metrics/metrics.js";
import type { FailureQueue } from "./failure-queues.js";

/** The depth reads' own limiter bucket: they never wait behind, or delay, the kinds' SQS calls. */
export const DEAD_LETTER_BUCKET: RateBucket = "deadLetterQueues";

/** One failure queue in `/status` (design §11). */
export interface DeadLetterQueueStatus {
  /** The queue's ARN. */
  queue: string;
  account: string;
  region: string;
  name: string;
  /** ApproximateNumberOfMessages at the last read; null while unknown (not read yet, or the read failed). */
  messages: number | null;
  /** `ok`: read at the last resync; `unknown`: that read failed; `pending`: named since, not read yet. */
  state: "ok" | "unknown" | "pending";
  /** Error code of the failed read (`QueueNotFound`, `AccessDenied`, …); "" otherwise. */
  reason: string;
  message: string;
  /** When the last read (successful or not) finished; null before the first. */
  lastReadTime: string | null;
  /** `<Kind>/<name>` of the resources that send failed events to it. */
  resources: string[];
}

/** What a resource's `/status` entry shows of each failure queue it names. */
export interface ResourceDeadLetterQueue {
  queue: string;
  messages: number | null;
}

/** Reads one queue's ApproximateNumberOfMessages; throws a ResourceError when it cannot. */
export type ReadDepth = (queue: FailureQueue) => Promise<number>;

/**
 * `GetQueueAttributes(ApproximateNumberOfMessages)` on the clients of the
 * queue's account, from the depth reads' bucket; the URL comes from the
 * shared cache (one GetQueueUrl per queue and process). A deleted queue's URL
 * is forgotten, so a queue made again under the name is found again.
 */
export function sqsDepthReader(clientsFor: (account: string) => AwsClients): ReadDepth {
  return async (queue) => {
    const aws = clientsFor(queue.account);
    const ref: QueueRef = { name: queue.name, ...(queue.account && { account: queue.account }) };
    try {
      const url = await queueUrl(aws, queue.region, ref, DEAD_LETTER_BUCKET);
      const command = new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ["ApproximateNumberOfMessages"],
      });
      const out = await aws.sqs(queue.region).send(inBucket(command, DEAD_LETTER_BUCKET));
      const raw = out.Attributes?.ApproximateNumberOfMessages;
      const messages = raw === undefined ? Number.NaN : Number(raw);
      if (!(Number.isInteger(messages) && messages >= 0)) {
        throw new ResourceError(
          "InvalidResponse",
          `GetQueueAttributes returned ApproximateNumberOfMessages ${JSON.stringify(raw ?? null)} for ${queue.arn}`,
          "transient",
        );
      }
      return messages;
    } catch (err) {
      if (isNotFound(err)) {
        forgetQueueUrl(aws, queue.region, ref);
        throw new ResourceError("QueueNotFound", `queue ${queue.arn} does not exist`, "terminal", {
          cause: err,
        });
      }
      throw classifyAwsError(err, `reading the depth of ${queue.arn}`);
    }
  };
}

interface Entry {
  queue: FailureQueue;
  status: DeadLetterQueueStatus;
}

export interface DeadLetterQueuesOptions {
  metrics: Metrics;
  log: Logger;
  read: ReadDepth;
  now?: () => Date;
}

/**
 * The failure queues the managed resources name, their last depth, the
 * `retryctl_dead_letter_messages` series and the log lines about them. A queue
 * whose read fails has no series and no depth (an old value would be a lie),
 * and is logged once when its state changes, not at every resync.
 */
export class DeadLetterQueues {
  readonly #o: DeadLetterQueuesOptions;
  readonly #now: () => Date;
  #entries = new Map<string, Entry>();
  /** Resource (`<Kind>/<name>`) → the ARNs of the failure queues it names. */
  #byResource = new Map<string, string[]>();

  constructor(options: DeadLetterQueuesOptions) {
    this.#o = options;
    this.#now = options.now ?? (() => new Date());
  }

  /** How many failure queues are tracked. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Follows the queues named now: a new one is pending until its first read, one
   * no resource names any more is forgotten and its series removed.
   */
  track(queues: readonly FailureQueue[]): void {
    const next = new Map<string, Entry>();
    for (const queue of queues) {
      const existing = this.#entries.get(queue.arn);
      const status: DeadLetterQueueStatus = existing?.status ?? {
        queue: queue.arn,
        account: queue.account,
        region: queue.region,
        name: queue.name,
        messages: null,
        state: "pending",
        reason: "",
        message: "not read yet: read at the next resync",
        lastReadTime: null,
        resources: [],
      };
      status.resources = [...queue.senders];
      next.set(queue.arn, { queue, status });
    }
    for (const [arn, old] of this.#entries) {
      if (next.has(arn)) continue;
      this.#o.metrics.deadLetterMessages.remove(labelsOf(old.queue));
      this.#o.log.info(
        { queue: arn, account: old.queue.account, region: old.queue.region },
        "no managed resource names this failure queue any more; its depth is no longer read",
      );
    }
    this.#entries = next;
    const byResource = new Map<string, string[]>();
    for (const queue of queues) {
      for (const sender of queue.senders)
        byResource.set(sender, [...(byResource.get(sender) ?? []), queue.arn]);
    }
    this.#byResource = byResource;
  }

  /** Reads every tracked queue once (the rate limiter's bucket sets the pace). */
  async readAll(): Promise<void> {
    await readEach([...this.#entries.values()], (entry) => this.#readOne(entry));
  }

  /** Every tracked queue, sorted by ARN. */
  list(): DeadLetterQueueStatus[] {
    return [...this.#entries.values()].map((e) => ({ ...e.status, resources: [...e.status.resources] }));
  }

  /** The failure queues a resource (`<Kind>/<name>`) names, with their depth; undefined when it names none. */
  ofResource(resource: string): ResourceDeadLetterQueue[] | undefined {
    const arns = this.#byResource.get(resource);
    if (!arns) return undefined;
    return arns.map((arn) => ({ queue: arn, messages: this.#entries.get(arn)?.status.messages ?? null }));
  }

  async #readOne(entry: Entry): Promise<void> {
    let outcome: { messages: number } | { error: ResourceError };
    try {
      outcome = { messages: await this.#o.read(entry.queue) };
    } catch (err) {
      outcome = { error: classifyAwsError(err) };
    }
    // Forgotten meanwhile (no resource names it any more): its result must not bring it back.
    if (this.#entries.get(entry.queue.arn) !== entry) return;
    const before = { ...entry.status };
    const status = entry.status;
    status.lastReadTime = this.#now().toISOString();
    const labels = labelsOf(entry.queue);
    const where = { queue: entry.queue.arn, account: entry.queue.account, region: entry.queue.region };
    if ("error" in outcome) {
      const { code, message } = outcome.error;
      Object.assign(status, {
        messages: null,
        state: "unknown",
        reason: code,
        message: `depth unknown: ${scrubSecrets(message)}`,
      });
      this.#o.metrics.deadLetterMessages.remove(labels);
      if (before.state !== "unknown" || before.reason !== code) {
        this.#o.log.warn(
          { ...where, code, resources: status.resources, err: scrubSecrets(message) },
          "cannot read the depth of a failure queue; its depth is unknown until a read succeeds",
        );
      }
      return;
    }
    const { messages } = outcome;
    Object.assign(status, {
      messages,
      state: "ok",
      reason: "",
      message: messages === 0 ? "empty" : `${messages} messages waiting`,
    });
    this.#o.metrics.deadLetterMessages.set(labels, messages);
    if (before.state === "unknown") {
      this.#o.log.info({ ...where, messages }, "failure queue readable again");
    }
    const had = (before.messages ?? 0) > 0;
    if (messages > 0 && !had) {
      this.#o.log.info(
        { ...where, messages, resources: status.resources },
        "messages waiting in a failure queue: events failed for good and were kept there",
      );
    } else if (messages === 0 && had) {
      this.#o.log.info({ ...where }, "failure queue empty again");
    }
  }
}

function labelsOf(queue: FailureQueue): { account: string; region: string; queue: string } {
  return { account: queue.account, region: queue.region, queue: queue.name };
}
