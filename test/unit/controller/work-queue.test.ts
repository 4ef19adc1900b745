import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { WorkQueue, type WorkQueueOptions } from "../../../src/controller/work-queue.js";

function queue(options: Partial<WorkQueueOptions> = {}): WorkQueue {
  return new WorkQueue({ concurrency: 8, random: () => 0, ...options });
}

/** Takes everything the queue hands out right now, one key at a time. */
function drain(q: WorkQueue): string[] {
  const out: string[] = [];
  for (let batch = q.take(); batch.length > 0; batch = q.take()) out.push(...batch);
  return out;
}

describe("WorkQueue", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("keeps one entry per key while it waits", () => {
    const q = queue();
    q.add("a");
    q.add("b");
    q.add("a");
    q.add("a", "sweep");
    expect(q.depth).toBe(2);
    expect(drain(q)).toEqual(["a", "b"]);
    expect(q.depth).toBe(0);
  });

  it("never hands out a key that is processing, and runs it once more when it changed meanwhile", () => {
    const q = queue();
    q.add("a");
    expect(q.take()).toEqual(["a"]);
    q.add("a");
    q.add("a");
    expect(q.take()).toEqual([]);
    expect(q.depth).toBe(0);
    q.done("a");
    expect(q.take()).toEqual(["a"]);
    q.done("a");
    expect(q.take()).toEqual([]);
  });

  it("ignores a sweep entry for a key that is processing (it is being read anyway)", () => {
    const q = queue();
    q.add("a");
    q.take();
    q.add("a", "sweep");
    q.done("a");
    expect(q.take()).toEqual([]);
  });

  it("hands out change entries before sweep entries and promotes a swept key that changes", () => {
    const q = queue();
    q.add("s1", "sweep");
    q.add("s2", "sweep");
    q.add("c1");
    q.add("s2", "change");
    expect(drain(q)).toEqual(["c1", "s2", "s1"]);
  });

  it("never has more keys processing than its concurrency", () => {
    const q = queue({ concurrency: 3 });
    for (const k of ["a", "b", "c", "d", "e"]) q.add(k);
    expect(drain(q)).toEqual(["a", "b", "c"]);
    expect(q.processing).toBe(3);
    q.done("b");
    expect(drain(q)).toEqual(["d"]);
    expect(q.processing).toBe(3);
  });

  it("batches ready keys of one group, within the free slots", () => {
    const q = queue({ concurrency: 3 });
    for (const k of ["Fn/1", "Q/1", "Fn/2", "Fn/3", "Fn/4"]) q.add(k);
    const group = (k: string) => k.split("/")[0] as string;
    expect(q.take(group)).toEqual(["Fn/1", "Fn/2", "Fn/3"]);
    expect(q.take(group)).toEqual([]);
    q.done("Fn/1");
    expect(q.take(group)).toEqual(["Q/1"]);
    q.done("Fn/2");
    q.done("Fn/3");
    expect(q.take(group, 1)).toEqual(["Fn/4"]);
  });

  it("lets a batch of one group go beyond the free slots up to maxBatch, while one slot is free", () => {
    const q = queue({ concurrency: 2, maxBatch: 5 });
    const group = (k: string) => k.split("/")[0] as string;
    for (let i = 1; i <= 7; i++) q.add(`Fn/${i}`, "sweep");
    q.add("Q/1", "sweep");
    expect(q.take(group)).toEqual(["Fn/1", "Fn/2", "Fn/3", "Fn/4", "Fn/5"]);
    // Five keys processing with two slots: nothing starts until one is free again.
    expect(q.take(group)).toEqual([]);
    for (const k of ["Fn/1", "Fn/2", "Fn/3", "Fn/4"]) q.done(k);
    expect(q.processing).toBe(1);
    expect(q.take(group)).toEqual(["Fn/6", "Fn/7"]);
    expect(q.take(group)).toEqual([]);
    q.done("Fn/5");
    q.done("Fn/6");
    expect(q.take(group, 1)).toEqual(["Q/1"]);
  });

  it("lets a batch beyond its slots hold only maxBatchSlots, so another group starts beside it", () => {
    const q = queue({ concurrency: 4, maxBatch: 100, maxBatchSlots: 2 });
    const group = (k: string) => k.split("/")[0] as string;
    for (let i = 1; i <= 50; i++) q.add(`Fn/${i}`, "sweep");
    q.add("Q/1", "sweep");
    q.add("Q/2", "sweep");
    const big = q.takeBatch(group);
    expect(big.keys).toHaveLength(50);
    expect(big.slots).toBe(2);
    expect(q.takeBatch(group)).toEqual({ keys: ["Q/1", "Q/2"], slots: 2 });
    expect(q.held).toBe(4);
    expect(q.take(group)).toEqual([]);
    // The big batch gives its slots back only as its last keys finish.
    for (let i = 1; i <= 48; i++) q.done(`Fn/${i}`);
    expect(q.held).toBe(4);
    q.done("Fn/49");
    expect(q.held).toBe(3);
    q.done("Fn/50");
    q.done("Q/1");
    expect(q.held).toBe(1);
    expect(q.processing).toBe(1);
  });

  it("says where a key is", () => {
    const q = queue({ concurrency: 1 });
    q.add("a");
    q.add("b");
    expect(q.stateOf("a")).toBe("waiting");
    q.take();
    expect(q.stateOf("a")).toBe("processing");
    q.retry("a");
    expect(q.stateOf("a")).toBe("backoff");
    expect(q.stateOf("c")).toBeUndefined();
  });

  it("rejects a maxBatchSlots below 1", () => {
    expect(() => queue({ maxBatchSlots: 0 })).toThrow(/maxBatchSlots/);
  });

  it("keeps a change ahead of a large sweep batch", () => {
    const q = queue({ concurrency: 1, maxBatch: 100 });
    const group = (k: string) => k.split("/")[0] as string;
    for (let i = 1; i <= 50; i++) q.add(`Fn/s${String(i).padStart(2, "0")}`, "sweep");
    q.add("Q/changed", "change");
    q.add("Fn/changed", "change");
    expect(q.take(group)).toEqual(["Q/changed"]);
    q.done("Q/changed");
    // The change's batch takes no sweep partners, though they share its group.
    expect(q.take(group)).toEqual(["Fn/changed"]);
    q.done("Fn/changed");
    expect(q.take(group)).toHaveLength(50);
  });

  it("rejects a maxBatch below 1", () => {
    expect(() => queue({ maxBatch: 0 })).toThrow(/maxBatch/);
  });

  it("batches only within the first key's priority", () => {
    const q = queue();
    q.add("Fn/swept", "sweep");
    q.add("Fn/changed");
    q.add("Q/changed");
    const group = (k: string) => k.split("/")[0] as string;
    expect(q.take(group)).toEqual(["Fn/changed"]);
    expect(q.take(group)).toEqual(["Q/changed"]);
    expect(q.take(group)).toEqual(["Fn/swept"]);
  });

  it("backs a failing key off exponentially up to the cap, and forgets on success", () => {
    const q = queue({ backoffBaseMs: 100, backoffMaxMs: 1000 });
    const delays: (number | undefined)[] = [];
    q.add("a");
    for (let i = 0; i < 6; i++) {
      expect(q.take()).toEqual(["a"]);
      const delay = q.retry("a");
      delays.push(delay);
      vi.advanceTimersByTime((delay ?? 0) - 1);
      expect(q.take()).toEqual([]);
      vi.advanceTimersByTime(1);
    }
    expect(delays).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(q.failures("a")).toBe(6);
    expect(q.take()).toEqual(["a"]);
    q.done("a");
    expect(q.failures("a")).toBe(0);
    q.add("a");
    q.take();
    expect(q.retry("a")).toBe(100);
  });

  it("backs a key off from the base again once its backoff is reset (its manifest changed)", () => {
    const q = queue({ backoffBaseMs: 100, backoffMaxMs: 10_000 });
    q.add("a");
    for (let i = 0; i < 5; i++) {
      q.take();
      q.retry("a");
      vi.runOnlyPendingTimers();
    }
    expect(q.failures("a")).toBe(5);
    q.resetBackoff("a");
    expect(q.failures("a")).toBe(0);
    expect(q.take()).toEqual(["a"]);
    expect(q.retry("a")).toBe(100);
  });

  it("keeps a failing key queued (backing off) and counts it in the depth", () => {
    const q = queue({ backoffBaseMs: 100 });
    q.add("a");
    q.take();
    q.retry("a");
    expect(q.has("a")).toBe(true);
    expect(q.depth).toBe(1);
  });

  it("jitters the backoff downwards only, within the configured share", () => {
    const q = queue({ backoffBaseMs: 1000, jitter: 0.5, random: () => 1 });
    expect(q.backoff(1)).toBe(500);
    expect(q.backoff(3)).toBe(2000);
  });

  it("cuts a backoff short when the key changes, but not for a sweep", () => {
    const q = queue({ backoffBaseMs: 10_000 });
    q.add("a");
    q.take();
    q.retry("a");
    q.add("a", "sweep");
    expect(q.take()).toEqual([]);
    q.add("a", "change");
    expect(q.take()).toEqual(["a"]);
    expect(q.failures("a")).toBe(1);
  });

  it("requeues at once a key that failed after it changed during processing", () => {
    const q = queue({ backoffBaseMs: 10_000 });
    q.add("a");
    q.take();
    q.add("a");
    expect(q.retry("a")).toBe(0);
    expect(q.take()).toEqual(["a"]);
  });

  it("forgets a removed key, even one that is processing", () => {
    const q = queue({ backoffBaseMs: 100 });
    q.add("a");
    q.add("b");
    q.take();
    q.add("a");
    q.remove("a");
    q.remove("b");
    expect(q.retry("a")).toBeUndefined();
    vi.advanceTimersByTime(1000);
    expect(q.take()).toEqual([]);
    expect(q.depth).toBe(0);
  });

  it("wakes its consumer once per burst of adds", async () => {
    const onReady = vi.fn();
    const q = queue({ onReady });
    q.add("a");
    q.add("b");
    q.add("c");
    await Promise.resolve();
    expect(onReady).toHaveBeenCalledTimes(1);
  });

  it("reports depth changes", () => {
    const depths: number[] = [];
    const q = queue({ onDepth: (d) => depths.push(d) });
    q.add("a");
    q.add("b");
    q.take();
    expect(depths).toEqual([1, 2, 1]);
  });

  it("stops handing out work once shut down, and drops waiting entries", () => {
    const q = queue();
    q.add("a");
    q.add("b");
    expect(q.take()).toEqual(["a"]);
    q.shutDown();
    q.add("c");
    expect(q.take()).toEqual([]);
    expect(q.retry("a")).toBeUndefined();
    expect(q.depth).toBe(0);
  });

  it("rejects a concurrency below one", () => {
    expect(() => new WorkQueue({ concurrency: 0 })).toThrow(
      /concurrency must be an integer of at least 1, got 0/,
    );
  });
});
