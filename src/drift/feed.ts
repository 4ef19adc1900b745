import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
} from "@aws-sdk/client-sqs";
import type { Logger } from "pino";
import type { AwsClients } from "../aws/clients.js";
import { classifyAwsError } from "../aws/errors.js";
import type { DriftCall } from "../controller/controller.js";
import type { DriftEventResult } from "../controller/gauges.js";
import { backoffDelay, sleep } from "../engine/backoff.js";
import { parseQueueRef } from "../kinds/sqs-queue.js";
import type { Metrics } from "../metrics/metrics.js";
import { changedBy } from "./changed-by.js";
import { type DriftEvent, parseDriftMessage } from "./cloudtrail-event.js";
import { linesFor } from "./event-objects.js";

export interface DriftFeedOptions {
  queueUrl: string;
  /** Region of the queue when its URL does not say (a custom endpoint). */
  region: string;
  aws: AwsClients;
  log: Logger;
  metrics: Metrics;
  /** The user agent of retryctl's own writes (`retryctl/<version>`, clients.ts). */
  ownAgent: string;
  /** The account of manifests that name none (the hub's). */
  hubAccount: () => Promise<string>;
  /** Queues what an event may have changed; returns the keys it matched. */
  onEvent: (call: DriftCall, hubAccount: string | undefined) => string[];
  /** Long-poll wait (SQS allows at most 20 s). @default 20 */
  waitSeconds?: number;
  /** Backoff (full jitter) after the queue could not be read: first ceiling and cap. @default 1000 / 60000 */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
}

/** `/status` `driftEvents`: whether the feed queue can be read. */
export interface DriftFeedStatus {
  queueUrl: string;
  state: "starting" | "ok" | "error";
  message: string;
  /** When `state` last changed (ISO 8601). */
  lastTransitionTime: string;
  /** When a receive last succeeded, null before the first. */
  lastReceiveTime: string | null;
}

/**
 * The CloudTrail event feed (design §10): long-polls the queue an EventBridge
 * rule fills with "AWS API Call via CloudTrail" events, hands each write to the
 * controller's work queue and deletes the message once that is done. A message
 * never stops the loop; a queue that cannot be read is an error in the status
 * and is tried again with backoff. Delivery is best effort: the resync stays.
 */
export class DriftFeed {
  readonly #o: DriftFeedOptions;
  readonly #abort = new AbortController();
  readonly #region: string;
  /** Problems already logged at warn; later messages with the same one go to debug. */
  readonly #warned = new Set<string>();
  #status: DriftFeedStatus;
  #loop: Promise<void> | undefined;
  #failures = 0;
  #verified = false;

  constructor(options: DriftFeedOptions) {
    this.#o = options;
    this.#region = parseQueueRef(options.queueUrl)?.region ?? options.region;
    this.#status = {
      queueUrl: options.queueUrl,
      state: "starting",
      message: "not read yet",
      lastTransitionTime: new Date().toISOString(),
      lastReceiveTime: null,
    };
  }

  status(): DriftFeedStatus {
    return { ...this.#status };
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** Ends the long poll at once (an unread message stays in the queue for the next start). */
  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#loop;
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      try {
        await this.#pollOnce();
        this.#failures = 0;
      } catch (err) {
        if (signal.aborted) break;
        this.#failures++;
        const error = classifyAwsError(err, `reading the drift events queue ${this.#o.queueUrl}`);
        const delay = backoffDelay(
          this.#failures - 1,
          this.#o.backoffBaseMs ?? 1_000,
          this.#o.backoffMaxMs ?? 60_000,
        );
        const message = `${error.code}: ${error.message}; retrying in ${Math.round(delay / 100) / 10}s`;
        const wasError = this.#status.state === "error";
        this.#setState("error", message);
        this.#verified = false;
        this.#o.log[wasError ? "debug" : "error"](
          { queueUrl: this.#o.queueUrl, code: error.code, retryInMs: delay },
          `drift events queue cannot be read: ${error.message}`,
        );
        await sleep(delay, signal);
      }
    }
  }

  async #pollOnce(): Promise<void> {
    const sqs = this.#o.aws.sqs(this.#region);
    const signal = this.#abort.signal;
    if (!this.#verified) {
      // One cheap call says at once whether the queue exists and may be read (a long poll would wait first).
      await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: this.#o.queueUrl, AttributeNames: ["QueueArn"] }),
        { abortSignal: signal },
      );
      this.#verified = true;
      this.#readable();
    }
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: this.#o.queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: this.#o.waitSeconds ?? 20,
      }),
      { abortSignal: signal },
    );
    this.#readable();
    this.#status.lastReceiveTime = new Date().toISOString();
    const messages = out.Messages ?? [];
    if (messages.length === 0) return;
    let hub: string | undefined;
    try {
      hub = await this.#o.hubAccount();
    } catch {
      // Without it, manifests naming no account are matched in any account: an extra read at worst.
      hub = undefined;
    }
    const done: Message[] = [];
    for (const message of messages) {
      this.#o.metrics.driftEvents.inc({ result: this.#handle(message, hub) });
      done.push(message);
    }
    await this.#delete(done);
  }

  /** What one message leads to; its re-reads are queued before it is deleted. */
  #handle(message: Message, hub: string | undefined): DriftEventResult {
    const parsed = parseDriftMessage(message.Body);
    if (!parsed.ok) {
      this.#warnOnce(parsed.problem, { messageId: message.MessageId, bytes: message.Body?.length ?? 0 });
      return "malformed";
    }
    const { event } = parsed;
    const { detail } = event;
    const base = {
      eventId: detail.eventID ?? event.id,
      eventName: detail.eventName,
      account: event.account,
      region: event.region,
    };
    if (detail.userAgent?.includes(this.#o.ownAgent)) {
      this.#o.log.debug(base, "drift event of retryctl's own write; nothing to re-read");
      return "own";
    }
    if (detail.errorCode !== undefined || detail.readOnly === true) {
      this.#o.log.debug(
        { ...base, errorCode: detail.errorCode },
        "drift event of a failed or read-only call; nothing changed",
      );
      return "unmatched";
    }
    if (linesFor(detail.eventSource, detail.eventName).length === 0) {
      this.#o.log.debug(base, "drift event of a call that changes no managed kind");
      return "unmatched";
    }
    const by = changedBy(detail.userIdentity);
    const keys = this.#o.onEvent(toCall(event, by), hub);
    if (keys.length === 0) {
      this.#o.log.debug({ ...base, changedBy: by }, "drift event names no managed resource");
      return "unmatched";
    }
    this.#o.log.info(
      { ...base, changedBy: by, keys },
      "drift event: re-reading the resources it may have changed",
    );
    return "matched";
  }

  async #delete(messages: Message[]): Promise<void> {
    const entries = messages
      .filter((m) => m.ReceiptHandle !== undefined)
      .map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle as string }));
    if (entries.length === 0) return;
    const out = await this.#o.aws
      .sqs(this.#region)
      .send(new DeleteMessageBatchCommand({ QueueUrl: this.#o.queueUrl, Entries: entries }));
    // A message that stays comes back after its visibility timeout: queued once more, which is harmless.
    for (const f of out.Failed ?? []) {
      this.#o.log.warn(
        { code: f.Code, message: f.Message },
        "a drift event could not be deleted; it will be read again",
      );
    }
  }

  #readable(): void {
    if (this.#status.state === "ok") return;
    if (this.#status.state === "error")
      this.#o.log.info({ queueUrl: this.#o.queueUrl }, "drift events queue readable again");
    this.#setState("ok", "long-polling for CloudTrail events");
  }

  #warnOnce(problem: string, fields: Record<string, unknown>): void {
    const first = !this.#warned.has(problem);
    this.#warned.add(problem);
    this.#o.log[first ? "warn" : "debug"](
      { ...fields, queueUrl: this.#o.queueUrl },
      `drift events queue: message ignored and deleted (${problem})${first ? '; further ones are counted in retryctl_drift_events_total{result="malformed"}' : ""}`,
    );
  }

  #setState(state: DriftFeedStatus["state"], message: string): void {
    if (state !== this.#status.state) this.#status.lastTransitionTime = new Date().toISOString();
    this.#status.state = state;
    this.#status.message = message;
  }
}

function toCall(event: DriftEvent, by: string): DriftCall {
  const { detail } = event;
  return {
    account: event.account,
    region: event.region,
    source: detail.eventSource,
    eventName: detail.eventName,
    requestParameters: detail.requestParameters ?? {},
    responseElements: detail.responseElements ?? {},
    drift: {
      time: event.time,
      changedBy: by,
      eventName: detail.eventName,
      eventId: detail.eventID ?? event.id,
    },
  };
}
