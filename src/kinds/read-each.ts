import pMap from "p-map";

/**
 * Reads of one kind in flight at once. The rate limiter sets the pace, so more
 * would not be faster; without a bound a large batch (a starting controller
 * reads thousands of resources at once) builds every SDK call up front, each
 * holding its own middleware stack and request while it waits for its turn.
 */
export const READ_CONCURRENCY = 16;

/** Runs `read` for every item, at most READ_CONCURRENCY at a time. */
export async function readEach<T>(items: Iterable<T>, read: (item: T) => Promise<void>): Promise<void> {
  await pMap(items, read, { concurrency: READ_CONCURRENCY });
}
