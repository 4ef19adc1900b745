import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Sweeper, sweepOffsets, sweepOrder, sweepUnits } from "../../../src/controller/sweep.js";

describe("sweepOffsets", () => {
  it("puts one key in each slot of the interval, at its own point of the slot", () => {
    expect(sweepOffsets(4, 1000, () => 0)).toEqual([0, 250, 500, 750]);
    expect(sweepOffsets(4, 1000, () => 0.999)).toEqual([249, 499, 749, 999]);
    expect(sweepOffsets(2, 1000, (i) => (i === 0 ? 0.5 : 0))).toEqual([250, 500]);
  });

  it("spreads keys over the whole interval instead of a burst", () => {
    const offsets = sweepOffsets(100, 60_000, Math.random);
    expect(Math.max(...offsets)).toBeGreaterThan(50_000);
    expect(offsets.filter((o) => o < 1000).length).toBeLessThanOrEqual(2);
  });
});

describe("sweepOrder", () => {
  const kind = (key: string) => key.split("/")[0] as string;

  it("spreads every group over the whole round instead of visiting one group after the other", () => {
    const keys = ["ESM/m3", "ESM/m1", "Async/a2", "ESM/m4", "Async/a1", "ESM/m2"];
    expect(sweepOrder(keys, kind)).toEqual(["ESM/m1", "Async/a1", "ESM/m2", "ESM/m3", "Async/a2", "ESM/m4"]);
  });

  it("keeps each group's share of every stretch of the round close to its share of the whole", () => {
    const keys = [
      ...Array.from({ length: 300 }, (_, i) => `EventSourceMapping/${i}`),
      ...Array.from({ length: 100 }, (_, i) => `EventTargetRetryPolicy/${i}`),
      ...Array.from({ length: 250 }, (_, i) => `QueueRedrivePolicy/${i}`),
    ];
    const order = sweepOrder(keys, kind);
    expect(new Set(order).size).toBe(keys.length);
    for (let start = 0; start + 65 <= order.length; start += 5) {
      const mappings = order.slice(start, start + 65).filter((k) => kind(k) === "EventSourceMapping").length;
      // 300 of 650 keys: 30 in any 65, give or take rounding at the edges.
      expect(Math.abs(mappings - 30)).toBeLessThanOrEqual(2);
    }
  });

  it("is the sorted, de-duplicated key set when every key is its own group", () => {
    expect(sweepOrder(["c", "a", "b", "a"])).toEqual(["a", "b", "c"]);
  });
});

describe("Sweeper", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("re-reads every key exactly once per interval, spread over it", () => {
    const due: { key: string; at: number }[] = [];
    const rounds: string[][] = [];
    const start = Date.now();
    let r = 0;
    const jitters = [0.5, 0.1, 0.9];
    const sweeper = new Sweeper({
      intervalMs: 900,
      keys: () => ["c", "a", "b", "a"],
      onDue: (keys) => due.push({ key: keys.join(","), at: Date.now() - start }),
      onRoundStart: (keys) => rounds.push(keys),
      // Drawn once per key: a key keeps its point in its slot from round to round.
      random: () => jitters[r++] ?? 0,
    });
    sweeper.start();
    vi.advanceTimersByTime(1799);
    sweeper.stop();
    expect(rounds).toEqual([
      ["a", "b", "c"],
      ["a", "b", "c"],
    ]);
    expect(due).toEqual([
      { key: "a", at: 150 },
      { key: "b", at: 330 },
      { key: "c", at: 870 },
      { key: "a", at: 1050 },
      { key: "b", at: 1230 },
      { key: "c", at: 1770 },
    ]);
  });

  it("picks up the key set afresh each round and fires nothing after stop", () => {
    let keys = ["a"];
    const due: string[] = [];
    const sweeper = new Sweeper({
      intervalMs: 100,
      keys: () => keys,
      onDue: (k) => due.push(...k),
      random: () => 0,
    });
    sweeper.start();
    vi.advanceTimersByTime(50);
    keys = ["b"];
    vi.advanceTimersByTime(100);
    sweeper.stop();
    vi.advanceTimersByTime(1000);
    expect(due).toEqual(["a", "b"]);
  });

  it("hands every key of a unit to onDue at once and spreads units, not keys, over the round", () => {
    const due: { keys: string[]; at: number }[] = [];
    const rounds: string[][] = [];
    const start = Date.now();
    let r = 0;
    const jitters = [0.5, 0.25, 0];
    const unit: Record<string, string> = {
      "ESM/m1": "ESM@r",
      "ESM/m2": "ESM@r",
      "ESM/m3": "ESM@r",
      "Async/f/1": "Async@f",
      "Async/f/2": "Async@f",
      "Queue/q": "Queue/q",
    };
    const sweeper = new Sweeper({
      intervalMs: 900,
      keys: () => Object.keys(unit),
      onDue: (keys) => due.push({ keys, at: Date.now() - start }),
      onRoundStart: (keys) => rounds.push(keys),
      groupOf: (k) => k.slice(0, k.indexOf("/")),
      unitOf: (k) => unit[k] ?? k,
      // Drawn once per unit, in visiting order: Async@f, ESM@r, Queue/q.
      random: () => jitters[r++] ?? 0,
    });
    sweeper.start();
    vi.advanceTimersByTime(1799);
    sweeper.stop();
    const round = [
      { keys: ["Async/f/1", "Async/f/2"], at: 150 },
      { keys: ["ESM/m1", "ESM/m2", "ESM/m3"], at: 375 },
      { keys: ["Queue/q"], at: 600 },
    ];
    expect(due).toEqual([...round, ...round.map((u) => ({ ...u, at: u.at + 900 }))]);
    expect(rounds[0]).toEqual(["Async/f/1", "Async/f/2", "ESM/m1", "ESM/m2", "ESM/m3", "Queue/q"]);
  });

  it("keeps the per-kind spreading for units", () => {
    const kind = (k: string) => k.slice(0, k.indexOf("/"));
    const keys = ["A/1", "A/2", "A/3", "A/4", "B/1", "B/2"];
    // Units: A/1+A/2, A/3, A/4 (three A units), B/1, B/2 (two B units).
    const units = sweepUnits(keys, kind, (k) => (k === "A/2" ? "A/1" : k));
    expect(units.map((u) => u.unit)).toEqual(["A/1", "B/1", "A/3", "B/2", "A/4"]);
    expect(units[0]?.keys).toEqual(["A/1", "A/2"]);
  });

  it("rejects a non-positive interval", () => {
    expect(() => new Sweeper({ intervalMs: 0, keys: () => [], onDue: () => undefined })).toThrow(
      /intervalMs/,
    );
  });
});
