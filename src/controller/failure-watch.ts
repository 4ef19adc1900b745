import type { Logger } from "pino";
import type { Accounts } from "../aws/accounts.js";
import type { AwsClients } from "../aws/clients.js";
import { ResourceError } from "../aws/errors.js";
import type { Manifest } from "../manifests/manifest.js";
import type { Metrics } from "../metrics/metrics.js";
import type { Guard } from "../policy/guard.js";
import {
  type DeadLetterQueueStatus,
  DeadLetterQueues,
  type ReadDepth,
  type ResourceDeadLetterQueue,
  sqsDepthReader,
} from "./dead-letters.js";
import { type FailureQueue, failureQueues, senderKey } from "./failure-queues.js";

/** The guard's refusals (policy/guard.ts, policy/account.ts): no AWS call at all for the resource. */
const REFUSED = new Set(["DeniedByPolicy", "AccountNotConfigured", "AccountMismatch"]);

export interface FailureWatchOptions {
  /** The hub's clients. */
  aws: AwsClients;
  /** Member accounts: a queue in one of them is read with its clients (`AwsClients.member`). */
  accounts?: Accounts | undefined;
  /** The hub's account (sts:GetCallerIdentity, memoised), asked only when a bare queue name needs it. */
  hubAccount?: (() => Promise<string>) | undefined;
  /** The engine's guard: a resource it refuses gets no AWS call, not even for its queues' depth. */
  guard?: Guard | undefined;
  metrics: Metrics;
  log: Logger;
  /** The managed manifests, taken afresh at each update. */
  manifests: () => Iterable<Manifest>;
  /** Replaces the SQS read (tests of the scheduling). */
  read?: ReadDepth;
}

/**
 * Failure-path health in the controller (design §11): keeps the failure queues
 * in line with the manifests and reads their depth when a resync starts.
 * Updates and reads run one after the other; a read already waiting to start
 * serves a second request, so a slow round never piles reads up.
 */
export class FailureWatch {
  readonly #o: FailureWatchOptions;
  readonly #queues: DeadLetterQueues;
  #work: Promise<void> = Promise.resolve();
  #readQueued = false;
  #stopped = false;

  constructor(options: FailureWatchOptions) {
    this.#o = options;
    this.#queues = new DeadLetterQueues({
      metrics: options.metrics,
      log: options.log,
      read: options.read ?? sqsDepthReader((account) => this.#clientsFor(account)),
    });
  }

  /**
   * Follows the manifests' failure queues and, with `read`, reads each one's
   * depth once. Returns the work (already chained), undefined when nothing was
   * queued; it never rejects.
   */
  refresh(read: boolean): Promise<void> | undefined {
    if (this.#stopped) return undefined;
    if (read) {
      if (this.#readQueued) return undefined;
      this.#readQueued = true;
    }
    const work = this.#work
      .then(async () => {
        if (read) this.#readQueued = false;
        this.#queues.track(await this.#failureQueues());
        if (!read || this.#stopped || this.#queues.size === 0) return;
        const startedAt = Date.now();
        await this.#queues.readAll();
        this.#o.log.debug(
          { queues: this.#queues.size, durationMs: Date.now() - startedAt },
          "failure queues read",
        );
      })
      .catch((err: unknown) => this.#o.log.error({ err }, "updating the failure queues failed; will retry"));
    this.#work = work;
    return work;
  }

  /** No reads start after this; one under way finishes (its promise is the one `refresh` returned). */
  stop(): void {
    this.#stopped = true;
  }

  /** `/status` `deadLetterQueues`. */
  status(): DeadLetterQueueStatus[] {
    return this.#queues.list();
  }

  /** The failure queues a resource names, with their depth, for its `/status` entry. */
  ofResource(kind: string, name: string): ResourceDeadLetterQueue[] | undefined {
    return this.#queues.ofResource(senderKey(kind, name));
  }

  async #failureQueues(): Promise<FailureQueue[]> {
    const { aws, hubAccount, log } = this.#o;
    const manifests = await this.#allowed([...this.#o.manifests()]);
    const queues = failureQueues(manifests, aws.account);
    if (aws.account !== undefined || !hubAccount || !queues.some((q) => q.account === "")) return queues;
    try {
      return failureQueues(manifests, await hubAccount());
    } catch (err) {
      log.debug({ err }, 'the hub\'s account is not known; failure queues named by name are labelled ""');
      return queues;
    }
  }

  /**
   * The senders the guard lets through, as the engine asks it before a read: a
   * resource outside the allow-list or in an account retryctl may not touch
   * (design §6) names queues that are no more read than the resource itself.
   * Other failures of the check (STS unreachable, a role not assumed) leave
   * the queue in, to show as unknown with that reason.
   */
  async #allowed(manifests: Manifest[]): Promise<Manifest[]> {
    const senders = manifests.filter((m) => (m.kind.failureDestinations?.(m.spec).length ?? 0) > 0);
    const guard = this.#o.guard;
    if (!guard) return senders;
    const placed = await Promise.all(senders.map((m) => guard.place(m)));
    return senders.filter((_, i) => {
      const placement = placed[i];
      return !(placement instanceof ResourceError && REFUSED.has(placement.code));
    });
  }

  #clientsFor(account: string): AwsClients {
    const { accounts, aws } = this.#o;
    if (account === "" || !accounts?.configured(account)) return aws;
    return accounts.clients(account) ?? aws;
  }
}
