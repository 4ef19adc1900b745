import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Sweeper, sweepOffsets } from "../../../src/controller/sweep.js";

describe("sweepOffsets", () => {
  it("puts one key in each slot of the interval", () => {
    expect(sweepOffsets(4, 1000, () => 0)).toEqual([0, 250, 500, 750]);
    expect(sweepOffsets(4, 1000, () => 0.999)).toEqual([249, 499, 749, 999]);
  });

  it("spreads keys over the whole interval instead of a burst", () => {
    const offsets = sweepOffsets(100, 60_000);
    expect(Math.max(...offsets)).toBeGreaterThan(50_000);
    const firstSecond = offsets.filter((o) => o < 1000).length;
    expect(firstSecond).toBeLessThanOrEqual(2);
  });
});

describe("Sweeper", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("starts one interval after start, re-reads every key once per interval, spread out", () => {
    const due: { key: string; at: number }[] = [];
    const rounds: string[][] = [];
    const start = Date.now();
    const sweeper = new Sweeper({
      intervalMs: 1000,
      keys: () => ["c", "a", "b", "a"],
      onDue: (key) => due.push({ key, at: Date.now() - start }),
      onRoundStart: (keys) => rounds.push(keys),
      random: () => 0.5,
    });
    sweeper.start();
    vi.advanceTimersByTime(999);
    expect(due).toEqual([]);
    vi.advanceTimersByTime(2000);
    sweeper.stop();
    expect(rounds).toEqual([
      ["a", "b", "c"],
      ["a", "b", "c"],
    ]);
    expect(due).toEqual([
      { key: "a", at: 1166 },
      { key: "b", at: 1500 },
      { key: "c", at: 1833 },
      { key: "a", at: 2166 },
      { key: "b", at: 2500 },
      { key: "c", at: 2833 },
    ]);
  });

  it("picks up the key set afresh each round and fires nothing after stop", () => {
    let keys = ["a"];
    const due: string[] = [];
    const sweeper = new Sweeper({ intervalMs: 100, keys: () => keys, onDue: (k) => due.push(k), random: () => 0 });
    sweeper.start();
    vi.advanceTimersByTime(150);
    keys = ["b"];
    vi.advanceTimersByTime(100);
    sweeper.stop();
    vi.advanceTimersByTime(1000);
    expect(due).toEqual(["a", "b"]);
  });

  it("rejects a non-positive interval", () => {
    expect(() => new Sweeper({ intervalMs: 0, keys: () => [], onDue: () => undefined })).toThrow(/intervalMs/);
  });
});
