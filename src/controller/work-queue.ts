/**
 * Entries caused by a manifest change (or a retry) go ahead of the periodic
 * resync sweep, so a commit is never stuck behind a full re-read.
 */
export type Priority = "change" | "sweep";

export interface WorkQueueOptions {
  /**
   * Processing slots. A batch holds as many as it was given (see `takeBatch`)
   * while at least that many of its keys are processing, fewer as its last keys
   * are released. It bounds when a batch may start (at least one free slot),
   * not how large it is: a batch that shares one planned read may hold more keys
   * than slots, and the caller runs at most its slots at once.
   */
  concurrency: number;
  /**
   * Most slots one batch holds, so a large batch (one planned read of a whole
   * region) leaves slots for other groups and for changes.
   * @default the concurrency
   */
  maxBatchSlots?: number;
  /**
   * Most keys `take` hands out in one batch of one group (beyond the free slots,
   * see `concurrency`).
   * @default the free slots: a batch never goes beyond the concurrency
   */
  maxBatch?: number;
  /**
   * Delay before the first retry of a failing key; each further consecutive failure doubles it.
   * @default 1000
   */
  backoffBaseMs?: number;
  /**
   * Cap of the per-key backoff.
   * @default 300000
   */
  backoffMaxMs?: number;
  /**
   * Share of each delay that is randomised (0–1), so keys that failed together do not retry in lockstep.
   * @default 0.2
   */
  jitter?: number;
  random?: () => number;
  /** Called (once per microtask) when `take` may have work to hand out. */
  onReady?: () => void;
  /** Called with the new depth whenever it changes. */
  onDepth?: (depth: number) => void;
}

/**
 * A keyed work queue in the manner of client-go's rate-limited queue: one entry
 * per key, merged while waiting; a key is never handed out twice at once; a key
 * added while it is being processed runs once more afterwards; failing keys come
 * back after a per-key exponential backoff and never fall out of the queue.
 */
export class WorkQueue {
  readonly #concurrency: number;
  readonly #maxBatch: number | undefined;
  readonly #maxBatchSlots: number;
  readonly #baseMs: number;
  readonly #maxMs: number;
  readonly #jitter: number;
  readonly #random: () => number;
  readonly #onReady: (() => void) | undefined;
  readonly #onDepth: ((depth: number) => void) | undefined;

  // Sets keep insertion order, so each priority is served first in, first out.
  readonly #change = new Set<string>();
  readonly #sweep = new Set<string>();
  readonly #delayed = new Map<string, NodeJS.Timeout>();
  /** When each delayed key is due (epoch ms). */
  readonly #dueAt = new Map<string, number>();
  /** Processing keys, each with the batch it was handed out in. */
  readonly #processing = new Map<string, Batch>();
  /** Slots the processing batches hold. */
  #held = 0;
  /** Keys added (as changes) while they were processing: they run again once released. */
  readonly #dirty = new Set<string>();
  /** Keys removed while processing: not requeued when released. */
  readonly #dropped = new Set<string>();
  readonly #failures = new Map<string, number>();
  #shutDown = false;
  #notifyScheduled = false;
  #lastDepth = -1;

  constructor(options: WorkQueueOptions) {
    const { concurrency } = options;
    if (!(Number.isInteger(concurrency) && concurrency >= 1)) {
      throw new TypeError(`concurrency must be an integer of at least 1, got ${String(concurrency)}`);
    }
    this.#concurrency = concurrency;
    const { maxBatch } = options;
    if (maxBatch !== undefined && !(Number.isInteger(maxBatch) && maxBatch >= 1)) {
      throw new TypeError(`maxBatch must be an integer of at least 1, got ${String(maxBatch)}`);
    }
    this.#maxBatch = maxBatch;
    const maxBatchSlots = options.maxBatchSlots ?? concurrency;
    if (!(Number.isInteger(maxBatchSlots) && maxBatchSlots >= 1)) {
      throw new TypeError(`maxBatchSlots must be an integer of at least 1, got ${String(maxBatchSlots)}`);
    }
    this.#maxBatchSlots = maxBatchSlots;
    this.#baseMs = positive("backoffBaseMs", options.backoffBaseMs ?? 1000);
    this.#maxMs = positive("backoffMaxMs", options.backoffMaxMs ?? 300_000);
    const jitter = options.jitter ?? 0.2;
    if (!(jitter >= 0 && jitter <= 1))
      throw new TypeError(`jitter must be between 0 and 1, got ${String(jitter)}`);
    this.#jitter = jitter;
    this.#random = options.random ?? Math.random;
    this.#onReady = options.onReady;
    this.#onDepth = options.onDepth;
  }

  /** Entries waiting to run: ready now or waiting out a backoff (processing keys not included). */
  get depth(): number {
    return this.#change.size + this.#sweep.size + this.#delayed.size;
  }

  get processing(): number {
    return this.#processing.size;
  }

  /** Slots the processing batches hold (at most the concurrency). */
  get held(): number {
    return this.#held;
  }

  /** Where a key is: waiting to run, waiting out a backoff, processing, or not queued at all. */
  stateOf(key: string): "waiting" | "backoff" | "processing" | undefined {
    if (this.#processing.has(key)) return "processing";
    if (this.#change.has(key) || this.#sweep.has(key)) return "waiting";
    if (this.#delayed.has(key)) return "backoff";
    return undefined;
  }

  /** Consecutive failures of a key since its last success. */
  failures(key: string): number {
    return this.#failures.get(key) ?? 0;
  }

  /** True while the key is waiting, backing off or processing. */
  has(key: string): boolean {
    return (
      this.#change.has(key) || this.#sweep.has(key) || this.#delayed.has(key) || this.#processing.has(key)
    );
  }

  /**
   * Queues a key. A change goes ahead of sweep entries, cuts a running backoff
   * short (the desired state moved) and, for a key being processed, runs it once
   * more afterwards. A sweep entry for a key that is already queued, backing off
   * or processing adds nothing: that key will be read anyway.
   */
  add(key: string, priority: Priority = "change"): void {
    if (this.#shutDown) return;
    this.#dropped.delete(key);
    if (this.#processing.has(key)) {
      if (priority === "change") this.#dirty.add(key);
      return;
    }
    if (this.#change.has(key)) return;
    if (this.#sweep.has(key)) {
      if (priority === "sweep") return;
      this.#sweep.delete(key);
    }
    const timer = this.#delayed.get(key);
    if (timer) {
      if (priority === "sweep") return;
      clearTimeout(timer);
      this.#delayed.delete(key);
      this.#dueAt.delete(key);
    }
    (priority === "change" ? this.#change : this.#sweep).add(key);
    this.#changed();
  }

  /**
   * Queues a key as a change after `delayMs` (an AWS write seen in the CloudTrail
   * feed settles first). A key already waiting as a change, or due sooner, is
   * left as it is; one in the sweep or in a longer backoff moves to the delay;
   * one being processed runs once more afterwards, since its read may predate the write.
   */
  addAfter(key: string, delayMs: number): void {
    if (this.#shutDown || this.#change.has(key)) return;
    this.#dropped.delete(key);
    if (this.#processing.has(key)) {
      this.#dirty.add(key);
      return;
    }
    const due = Date.now() + delayMs;
    const timer = this.#delayed.get(key);
    if (timer) {
      if ((this.#dueAt.get(key) ?? Number.POSITIVE_INFINITY) <= due) return;
      clearTimeout(timer);
    }
    this.#sweep.delete(key);
    this.#delay(key, delayMs);
    this.#changed();
  }

  /** The keys of `takeBatch`. */
  take(groupOf?: (key: string) => string, max = Number.POSITIVE_INFINITY): string[] {
    return this.takeBatch(groupOf, max).keys;
  }

  /**
   * Hands out ready keys and marks them processing: the first in priority order,
   * then, when `groupOf` is given, more ready keys of the same group and priority
   * (so a caller can share reads). Nothing while no slot is free; otherwise up to
   * `maxBatch` keys (the free slots without it), never more than `max`. The batch
   * holds `slots` of the free slots (at most `maxBatchSlots`): the caller runs at
   * most that many of its keys at once.
   */
  takeBatch(groupOf?: (key: string) => string, max = Number.POSITIVE_INFINITY): TakenBatch {
    const freeSlots = this.#concurrency - this.#held;
    if (this.#shutDown || freeSlots < 1 || max < 1) return { keys: [], slots: 0 };
    const free = Math.min(this.#maxBatch ?? freeSlots, max);
    // Partners come from the first key's priority only: a sweep entry never rides ahead of a change.
    const source = this.#change.size > 0 ? this.#change : this.#sweep;
    const first = firstOf(source);
    if (first === undefined) return { keys: [], slots: 0 };
    const batch = [first];
    if (groupOf) {
      const group = groupOf(first);
      for (const key of source) {
        if (batch.length >= free) break;
        if (key !== first && groupOf(key) === group) batch.push(key);
      }
    }
    const held: Batch = {
      slots: Math.min(batch.length, freeSlots, this.#maxBatchSlots),
      remaining: batch.length,
    };
    this.#held += held.slots;
    for (const key of batch) {
      this.#change.delete(key);
      this.#sweep.delete(key);
      this.#processing.set(key, held);
    }
    this.#changed();
    return { keys: batch, slots: held.slots };
  }

  /** Releases a key that converged: its backoff is forgotten. */
  done(key: string): void {
    if (!this.#unmark(key)) return;
    this.#failures.delete(key);
    this.#release(key, undefined);
  }

  /**
   * Releases a key that failed: it comes back after its backoff (sooner if it
   * changed meanwhile). Returns the delay in milliseconds, or undefined when the
   * key is not requeued (removed or shut down).
   */
  retry(key: string): number | undefined {
    if (!this.#unmark(key)) return undefined;
    const failures = (this.#failures.get(key) ?? 0) + 1;
    this.#failures.set(key, failures);
    return this.#release(key, this.backoff(failures));
  }

  /** The delay after the n-th consecutive failure (n ≥ 1), jitter included. */
  backoff(failures: number): number {
    const ceiling = Math.min(this.#maxMs, this.#baseMs * 2 ** Math.min(Math.max(failures, 1) - 1, 40));
    return Math.round(ceiling * (1 - this.#jitter * this.#random()));
  }

  /**
   * Forgets a key's failures: its desired state changed, so the next failure is
   * a new problem and backs off from the base again, not from the old streak.
   */
  resetBackoff(key: string): void {
    this.#failures.delete(key);
  }

  /** Forgets a key (its manifest went away); a processing key is not requeued when released. */
  remove(key: string): void {
    this.#change.delete(key);
    this.#sweep.delete(key);
    this.#dirty.delete(key);
    this.#failures.delete(key);
    const timer = this.#delayed.get(key);
    if (timer) clearTimeout(timer);
    this.#delayed.delete(key);
    this.#dueAt.delete(key);
    if (this.#processing.has(key)) this.#dropped.add(key);
    this.#changed();
  }

  /** Stops handing out work and drops every waiting entry; processing keys may still be released. */
  shutDown(): void {
    this.#shutDown = true;
    for (const timer of this.#delayed.values()) clearTimeout(timer);
    this.#delayed.clear();
    this.#dueAt.clear();
    this.#change.clear();
    this.#sweep.clear();
    this.#dirty.clear();
    this.#changed();
  }

  /** Ends a key's processing; its batch gives a slot back once fewer of its keys are left than it holds. */
  #unmark(key: string): boolean {
    const batch = this.#processing.get(key);
    if (!batch) return false;
    this.#processing.delete(key);
    const before = Math.min(batch.slots, batch.remaining);
    batch.remaining--;
    this.#held -= before - Math.min(batch.slots, batch.remaining);
    return true;
  }

  #release(key: string, delay: number | undefined): number | undefined {
    let requeuedIn: number | undefined;
    if (this.#shutDown || this.#dropped.delete(key)) {
      this.#failures.delete(key);
      this.#dirty.delete(key);
    } else if (this.#dirty.delete(key)) {
      this.#change.add(key);
      requeuedIn = 0;
    } else if (delay !== undefined) {
      this.#delay(key, delay);
      requeuedIn = delay;
    }
    this.#changed();
    return requeuedIn;
  }

  /** Puts the key back as a change after `ms`: a retry, or a write seen elsewhere, goes ahead of the sweep. */
  #delay(key: string, ms: number): void {
    this.#dueAt.set(key, Date.now() + ms);
    this.#delayed.set(
      key,
      setTimeout(() => {
        this.#delayed.delete(key);
        this.#dueAt.delete(key);
        this.#change.add(key);
        this.#changed();
      }, ms),
    );
  }

  #changed(): void {
    const depth = this.depth;
    if (depth !== this.#lastDepth) {
      this.#lastDepth = depth;
      this.#onDepth?.(depth);
    }
    if (!this.#onReady || this.#notifyScheduled) return;
    this.#notifyScheduled = true;
    // Deferred so that a caller adding many keys wakes the consumer once, and never re-entrantly.
    queueMicrotask(() => {
      this.#notifyScheduled = false;
      this.#onReady?.();
    });
  }
}

/** What `takeBatch` hands out. */
export interface TakenBatch {
  keys: string[];
  /** Slots the batch holds: how many of its keys may run at once. */
  slots: number;
}

interface Batch {
  slots: number;
  /** Keys of the batch still processing. */
  remaining: number;
}

function firstOf(set: Set<string>): string | undefined {
  for (const key of set) return key;
  return undefined;
}

function positive(name: string, value: number): number {
  if (!(Number.isFinite(value) && value > 0)) {
    throw new TypeError(`${name} must be a positive number of milliseconds, got ${String(value)}`);
  }
  return value;
}
