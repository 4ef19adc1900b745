export interface SweeperOptions {
  /** One full round over every key takes this long (`--resync-interval`). */
  intervalMs: number;
  /** The keys to re-read, taken afresh at the start of each round. */
  keys: () => string[];
  /** Every key of a unit that is due, at once (one planned read serves them all). */
  onDue: (keys: string[]) => void;
  /** A round begins with these keys (for "every resource was re-read" bookkeeping). */
  onRoundStart?: (keys: string[]) => void;
  /**
   * The group of a key (its kind). Each group is spread evenly over the round
   * instead of the round visiting one group after the other. Without it every
   * key is its own group.
   */
  groupOf?: (key: string) => string;
  /**
   * The unit of a key: keys served by one planned read (a kind's `readGroup`),
   * due together. The round orders and spreads units, not keys. Without it
   * every key is its own unit. Keys of one unit must share a group.
   */
  unitOf?: (key: string) => string;
  random?: () => number;
}

/**
 * The keys of one round in visiting order: every group spread evenly over the
 * round (the i-th of n keys of a group sits at (i + ½)/n of it), keys sorted
 * inside their group, ties broken by group name. Kinds draw on different AWS
 * rate buckets (most on Lambda's 15/s): visiting all mappings, then all async
 * configs, would ask one bucket for a stretch of the round at a rate far above
 * the round's average, queueing every other call, a commit's among them,
 * behind it.
 */
export function sweepOrder(keys: Iterable<string>, groupOf: (key: string) => string = (k) => k): string[] {
  const groups = new Map<string, string[]>();
  for (const key of new Set(keys)) {
    const group = groupOf(key);
    const list = groups.get(group);
    if (list) list.push(key);
    else groups.set(group, [key]);
  }
  const placed: { key: string; group: string; at: number }[] = [];
  for (const [group, list] of groups) {
    list.sort();
    list.forEach((key, i) => {
      placed.push({ key, group, at: (i + 0.5) / list.length });
    });
  }
  placed.sort((a, b) => a.at - b.at || (a.group < b.group ? -1 : a.group > b.group ? 1 : 0));
  return placed.map((p) => p.key);
}

/**
 * Offsets (ms from the round's start) that spread `count` keys over the
 * interval: one slot per key, each at its own point (`jitter(i)`, 0–1) inside
 * its slot, so the API sees a steady trickle instead of a burst.
 */
export function sweepOffsets(count: number, intervalMs: number, jitter: (i: number) => number): number[] {
  const slot = intervalMs / Math.max(count, 1);
  return Array.from({ length: count }, (_, i) => Math.floor(i * slot + jitter(i) * slot));
}

/** The units of one round in visiting order (see `sweepOrder`), each with its keys sorted. */
export function sweepUnits(
  keys: Iterable<string>,
  groupOf: (key: string) => string = (k) => k,
  unitOf: (key: string) => string = (k) => k,
): { unit: string; keys: string[] }[] {
  const units = new Map<string, string[]>();
  for (const key of new Set(keys)) {
    const unit = unitOf(key);
    const list = units.get(unit);
    if (list) list.push(key);
    else units.set(unit, [key]);
  }
  for (const list of units.values()) list.sort();
  return sweepOrder(units.keys(), (unit) => groupOf((units.get(unit) as string[])[0] as string)).map(
    (unit) => ({ unit, keys: units.get(unit) as string[] }),
  );
}

/**
 * The periodic resync: every interval, each unit (the keys of one planned
 * read) is handed to `onDue` once, spread over the interval. A unit keeps its
 * order and its point in its slot from round to round, so it is re-read once
 * per interval, not up to two intervals apart.
 */
export class Sweeper {
  readonly #options: SweeperOptions;
  readonly #random: () => number;
  readonly #jitter = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #stopped = true;

  constructor(options: SweeperOptions) {
    if (!(Number.isFinite(options.intervalMs) && options.intervalMs > 0)) {
      throw new TypeError(`intervalMs must be a positive number, got ${String(options.intervalMs)}`);
    }
    this.#options = options;
    this.#random = options.random ?? Math.random;
  }

  /** Starts the first round now; a key is due at its point of the interval, never all at once. */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#round(Date.now());
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #round(startedAt: number): void {
    const { intervalMs, keys, onDue, onRoundStart } = this.#options;
    const round = sweepUnits(keys(), this.#options.groupOf, this.#options.unitOf);
    onRoundStart?.(round.flatMap((u) => u.keys));
    const current = new Set(round.map((u) => u.unit));
    for (const unit of this.#jitter.keys()) if (!current.has(unit)) this.#jitter.delete(unit);
    const offsets = sweepOffsets(round.length, intervalMs, (i) => this.#jitterOf(round[i]?.unit as string));
    const next = (i: number): void => {
      if (i >= round.length) {
        // Never catch up with a burst when the process was paused past a round's end.
        const nextStart = Math.max(startedAt + intervalMs, Date.now());
        this.#at(nextStart, () => this.#round(nextStart));
        return;
      }
      this.#at(startedAt + (offsets[i] ?? 0), () => {
        onDue(round[i]?.keys as string[]);
        next(i + 1);
      });
    };
    next(0);
  }

  #jitterOf(unit: string): number {
    let jitter = this.#jitter.get(unit);
    if (jitter === undefined) {
      jitter = this.#random();
      this.#jitter.set(unit, jitter);
    }
    return jitter;
  }

  #at(time: number, fn: () => void): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(fn, Math.max(0, time - Date.now()));
  }
}
