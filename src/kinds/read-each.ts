import pMap from "p-map";
import type { ResourceError } from "../aws/errors.js";
import type { ReadResult } from "./kind.js";

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

/** A read of each resource on its own (bounded as `readEach`), keyed by identity as `Kind.read` returns it. */
export async function readEachResource<R extends { identity: string }, A>(
  resources: readonly R[],
  readOne: (resource: R) => Promise<A | ResourceError>,
): Promise<ReadResult<A>> {
  const result: ReadResult<A> = new Map();
  await readEach(resources, async (r) => {
    result.set(r.identity, await readOne(r));
  });
  return result;
}
