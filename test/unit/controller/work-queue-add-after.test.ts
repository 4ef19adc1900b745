import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { WorkQueue } from "../../../src/controller/work-queue.js";

function queue(): WorkQueue {
  return new WorkQueue({ concurrency: 8, random: () => 0, backoffBaseMs: 10_000 });
}

// A write seen in the CloudTrail feed queues its resources after a settle delay (addAfter).
describe("WorkQueue.addAfter", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("hands the key out as a change once the delay has passed, ahead of the sweep", () => {
    const q = queue();
    q.add("swept", "sweep");
    q.addAfter("event", 500);
    expect(q.stateOf("event")).toBe("backoff");
    expect(q.take()).toEqual(["swept"]);
    vi.advanceTimersByTime(499);
    expect(q.take()).toEqual([]);
    q.add("later", "sweep");
    vi.advanceTimersByTime(1);
    expect(q.take()).toEqual(["event"]);
  });

  it("takes a sweep entry out of the sweep, and leaves a waiting change alone", () => {
    const q = queue();
    q.add("s", "sweep");
    q.addAfter("s", 100);
    expect(q.take()).toEqual([]);
    vi.advanceTimersByTime(100);
    expect(q.take()).toEqual(["s"]);
    q.add("c");
    q.addAfter("c", 100);
    expect(q.take()).toEqual(["c"]);
    vi.advanceTimersByTime(100);
    expect(q.take()).toEqual([]);
  });

  it("shortens a longer backoff, keeps a shorter one", () => {
    const q = queue();
    q.add("k");
    q.take();
    q.retry("k"); // due in 10 s
    q.addAfter("k", 200);
    vi.advanceTimersByTime(200);
    expect(q.take()).toEqual(["k"]);
    q.retry("k"); // due in 20 s
    q.addAfter("k", 30_000);
    vi.advanceTimersByTime(20_000);
    expect(q.take()).toEqual(["k"]);
  });

  it("runs a key being processed once more afterwards: its read may predate the write", () => {
    const q = queue();
    q.add("k");
    expect(q.take()).toEqual(["k"]);
    q.addAfter("k", 1_000);
    q.done("k");
    expect(q.take()).toEqual(["k"]);
  });
});
