import { performance } from "node:perf_hooks";
import type { Logger } from "pino";
import { decide, firstRecord, leaseValid, type Observed, released } from "./decide.js";
import { type LeaseClient, LeaseConflict } from "./lease-client.js";
import {
  checkTimings,
  DEFAULT_TIMINGS,
  type ElectionTimings,
  JITTER_FACTOR,
  type LeaseRecord,
} from "./record.js";

/**
 * How long before the renew deadline the leader stops writing: room for the
 * clocks of two replicas running at slightly different rates, and for a write
 * that passed the gate to reach AWS.
 */
export const WRITE_MARGIN_MS = 2_000;

export interface ElectorOptions {
  lease: LeaseClient;
  /** This replica's holderIdentity: unique per process (see `holderIdentity`). */
  identity: string;
  log: Logger;
  timings?: Partial<ElectionTimings>;
  /** Monotonic milliseconds. @default performance.now */
  now?: () => number;
  /** The time written into the Lease. @default () => new Date() */
  wallClock?: () => Date;
  /** @default Math.random */
  random?: () => number;
}

export interface ElectorStatus {
  /** `namespace/name` of the Lease. */
  lease: string;
  identity: string;
  leading: boolean;
  /** The holder this replica last read or wrote; null when the lease is free or not read yet. */
  holder: string | null;
  leaseTransitions: number | null;
}

type Attempt = "ok" | "held" | "failed";

/**
 * Leader election on a Lease, following client-go's leaderelection: a candidate
 * takes the lease when it is free, expired (unchanged for the lease duration
 * since this replica last saw it change) or already its own; the leader renews
 * it every retry period and gives up leading when it could not renew within the
 * renew deadline; every write names the resourceVersion it read, so two
 * candidates never both win. `mayWrite` says whether writes may go out now.
 */
export class LeaderElector {
  readonly #o: ElectorOptions;
  readonly #t: ElectionTimings;
  readonly #now: () => number;
  readonly #wall: () => Date;
  #observed: (Observed & { version: string }) | undefined;
  #leading = false;
  /** When the last successful acquire or renew started (monotonic): the lease was ours at least until then. */
  #renewedAt: number | undefined;
  #deadline: NodeJS.Timeout | undefined;
  #loop: Promise<void> | undefined;
  #stopped = false;
  #wake: (() => void) | undefined;
  #failing = false;
  #announcedHolder: string | undefined;
  readonly #listeners: ((leading: boolean, reason: string) => void)[] = [];

  constructor(options: ElectorOptions) {
    this.#o = options;
    this.#t = { ...DEFAULT_TIMINGS, ...options.timings };
    checkTimings(this.#t);
    this.#now = options.now ?? (() => performance.now());
    this.#wall = options.wallClock ?? (() => new Date());
  }

  get timings(): Readonly<ElectionTimings> {
    return this.#t;
  }

  get leading(): boolean {
    return this.#leading;
  }

  status(): ElectorStatus {
    const record = this.#observed?.record;
    return {
      lease: this.#o.lease.name,
      identity: this.#o.identity,
      leading: this.#leading,
      holder: record?.holderIdentity || null,
      leaseTransitions: record?.leaseTransitions ?? null,
    };
  }

  /**
   * True while this replica leads and renewed recently enough that no other
   * replica can have taken the lease: until `renewDeadline − WRITE_MARGIN_MS`
   * after the last successful renewal began. Another replica waits the whole
   * lease duration after it saw that renewal, so the leader stops writing well
   * before anyone else may start.
   */
  mayWrite(now: number = this.#now()): boolean {
    return (
      this.#leading &&
      this.#renewedAt !== undefined &&
      now < this.#renewedAt + this.#t.renewDeadlineMs - WRITE_MARGIN_MS
    );
  }

  /** Tells `listener` each time this replica starts (true) or stops (false) leading, shutdown included. */
  onLeading(listener: (leading: boolean, reason: string) => void): void {
    this.#listeners.push(listener);
  }

  /** Starts trying to acquire the lease (and, once leading, to renew it). */
  start(): void {
    this.#loop ??= this.#run();
  }

  /**
   * Stops the loop and, when this replica holds the lease, releases it so
   * another replica takes over at its next attempt. Call it after the writes of
   * the term have ended. Never throws: a failed release only means the others
   * wait for the lease to expire.
   */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#wake?.();
    await this.#loop;
    const wasLeading = this.#leading;
    this.#setLeading(false, "shutting down");
    if (this.#observed?.record.holderIdentity === this.#o.identity) await this.#release(wasLeading);
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      await this.#attempt();
      if (this.#stopped) return;
      // Candidates spread their attempts out (client-go's JitterUntil); the leader renews on time.
      const wait = this.#leading
        ? this.#t.retryPeriodMs
        : this.#t.retryPeriodMs * (1 + (JITTER_FACTOR - 1) * (this.#o.random ?? Math.random)());
      await this.#sleep(wait);
    }
  }

  async #attempt(): Promise<void> {
    const startedAt = this.#now();
    let result: Attempt;
    try {
      result = await this.#tryAcquireOrRenew(startedAt, this.#wall());
      if (this.#failing) {
        this.#failing = false;
        this.#o.log.info({ lease: this.#o.lease.name }, "leader lease reachable again");
      }
    } catch (err) {
      result = "failed";
      this.#o.log[this.#failing ? "debug" : "warn"](
        { lease: this.#o.lease.name, err: describe(err), leading: this.#leading },
        "cannot read or write the leader lease; trying again",
      );
      this.#failing = true;
    }
    // stop() releases whatever this attempt took.
    if (this.#stopped) return;
    if (result === "ok") {
      this.#renewed(startedAt);
      if (!this.#leading) this.#setLeading(true, "acquired the lease");
      return;
    }
    this.#announceHolder();
    if (!this.#leading) return;
    if (result === "held") this.#setLeading(false, `the lease is held by ${this.status().holder}`);
    else if (this.#now() - (this.#renewedAt ?? startedAt) >= this.#t.renewDeadlineMs) this.#lostDeadline();
  }

  /** client-go's tryAcquireOrRenew: "ok" when the lease is ours now, "held" when another replica holds it. */
  async #tryAcquireOrRenew(now: number, wall: Date): Promise<Attempt> {
    const { lease, identity } = this.#o;
    const seconds = this.#t.leaseDurationMs / 1000;
    const observed = this.#observed;
    // The leader's fast path: renew on top of the version it wrote last, without reading first.
    if (this.#leading && observed?.record.holderIdentity === identity && leaseValid(observed, now)) {
      const renewal = decide(observed, identity, now, wall, seconds);
      if (renewal.action === "update") {
        try {
          this.#observe(renewal.record, await lease.update(renewal.record, observed.version), now);
          return "ok";
        } catch (err) {
          if (!(err instanceof LeaseConflict)) throw err;
        }
      }
    }
    const current = await lease.get();
    if (!current) {
      const created = firstRecord(identity, wall, seconds);
      try {
        this.#observe(created, await lease.create(created), now);
        return "ok";
      } catch (err) {
        if (err instanceof LeaseConflict) return "failed";
        throw err;
      }
    }
    if (current.version !== this.#observed?.version) {
      this.#observed = { record: current.record, version: current.version, observedAt: now };
    }
    const decision = decide(this.#observed, identity, now, wall, seconds);
    if (decision.action === "wait") return "held";
    try {
      this.#observe(decision.record, await lease.update(decision.record, current.version), now);
      return "ok";
    } catch (err) {
      // Someone wrote it first: the next attempt reads who.
      if (err instanceof LeaseConflict) return "failed";
      throw err;
    }
  }

  #observe(record: LeaseRecord, version: string, now: number): void {
    this.#observed = { record, version, observedAt: now };
  }

  #renewed(at: number): void {
    this.#renewedAt = at;
    clearTimeout(this.#deadline);
    // A renewal stuck on an API server that does not answer must not keep this replica leading.
    const left = at + this.#t.renewDeadlineMs - this.#now();
    this.#deadline = setTimeout(() => this.#lostDeadline(), Math.max(0, left));
    this.#deadline.unref();
  }

  #lostDeadline(): void {
    if (!this.#leading || this.#stopped) return;
    if (this.#now() - (this.#renewedAt ?? 0) < this.#t.renewDeadlineMs) return;
    this.#setLeading(
      false,
      `could not renew the lease within the renew deadline (${this.#t.renewDeadlineMs} ms)`,
    );
  }

  #setLeading(leading: boolean, reason: string): void {
    if (this.#leading === leading) return;
    this.#leading = leading;
    if (!leading) clearTimeout(this.#deadline);
    const record = this.#observed?.record;
    const fields = {
      lease: this.#o.lease.name,
      identity: this.#o.identity,
      leaseTransitions: record?.leaseTransitions ?? null,
      reason,
    };
    if (leading) this.#o.log.info(fields, "became leader");
    else this.#o.log[reason === "shutting down" ? "info" : "warn"](fields, "stopped leading");
    this.#announcedHolder = leading ? this.#o.identity : undefined;
    for (const listener of this.#listeners) listener(leading, reason);
  }

  /** One line each time a standby sees the lease pass to another holder. */
  #announceHolder(): void {
    const holder = this.#observed?.record.holderIdentity;
    if (!holder || holder === this.#o.identity || holder === this.#announcedHolder) return;
    this.#announcedHolder = holder;
    this.#o.log.info(
      { lease: this.#o.lease.name, holder, identity: this.#o.identity },
      "another replica leads",
    );
  }

  async #release(wasLeading: boolean): Promise<void> {
    const { lease, log } = this.#o;
    for (let attempt = 0; attempt < 2; attempt++) {
      const observed = this.#observed;
      if (observed?.record.holderIdentity !== this.#o.identity) return;
      const record = released(observed.record, this.#wall());
      try {
        this.#observe(record, await lease.update(record, observed.version), this.#now());
        log.info({ lease: lease.name, identity: this.#o.identity, wasLeading }, "released the leader lease");
        return;
      } catch (err) {
        if (!(err instanceof LeaseConflict) || attempt > 0) {
          log.warn(
            { lease: lease.name, err: describe(err) },
            "could not release the leader lease; another replica takes over once it expires",
          );
          return;
        }
      }
      try {
        const current = await lease.get();
        if (!current) return;
        this.#observe(current.record, current.version, this.#now());
      } catch (err) {
        log.warn({ lease: lease.name, err: describe(err) }, "could not release the leader lease");
        return;
      }
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wake = undefined;
        resolve();
      }, ms);
      this.#wake = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
    });
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
