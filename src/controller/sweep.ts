export interface SweeperOptions {
  /** One full round over every key takes this long (`--resync-interval`). */
  intervalMs: number;
  /** The keys to re-read, taken afresh at the start of each round. */
  keys: () => string[];
  onDue: (key: string) => void;
  /** A round begins with these keys (for "every resource was re-read" bookkeeping). */
  onRoundStart?: (keys: string[]) => void;
  random?: () => number;
}

/**
 * Offsets (ms from the round's start) that spread `count` keys over the
 * interval: one slot per key, each at a random point inside its own slot. The
 * order is stable between rounds, so one key is re-read about once per interval
 * while the API sees a steady trickle instead of a burst.
 */
export function sweepOffsets(
  count: number,
  intervalMs: number,
  random: () => number = Math.random,
): number[] {
  const slot = intervalMs / Math.max(count, 1);
  return Array.from({ length: count }, (_, i) => Math.floor(i * slot + random() * slot));
}

/** The periodic resync: every interval, each key is handed to `onDue` once, spread over the interval. */
export class Sweeper {
  readonly #options: SweeperOptions;
  readonly #random: () => number;
  #timer: NodeJS.Timeout | undefined;
  #stopped = true;

  constructor(options: SweeperOptions) {
    if (!(Number.isFinite(options.intervalMs) && options.intervalMs > 0)) {
      throw new TypeError(`intervalMs must be a positive number, got ${String(options.intervalMs)}`);
    }
    this.#options = options;
    this.#random = options.random ?? Math.random;
  }

  /** The first round begins one interval from now: the initial load already reconciles everything. */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#at(Date.now() + this.#options.intervalMs, () => this.#round(Date.now()));
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #round(startedAt: number): void {
    const { intervalMs, keys, onDue, onRoundStart } = this.#options;
    const round = [...new Set(keys())].sort();
    onRoundStart?.(round);
    const offsets = sweepOffsets(round.length, intervalMs, this.#random);
    const next = (i: number): void => {
      if (i >= round.length) {
        // Never catch up with a burst when the process was paused past a round's end.
        const nextStart = Math.max(startedAt + intervalMs, Date.now());
        this.#at(nextStart, () => this.#round(nextStart));
        return;
      }
      this.#at(startedAt + (offsets[i] ?? 0), () => {
        onDue(round[i] as string);
        next(i + 1);
      });
    };
    next(0);
  }

  #at(time: number, fn: () => void): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(fn, Math.max(0, time - Date.now()));
  }
}
