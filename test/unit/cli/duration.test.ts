import { describe, expect, it } from "vitest";
import { formatDuration, parseDuration } from "../../../src/cli/duration.js";

// The controller's `--resync-interval` and `--debounce` flags go through this parser.
describe("parseDuration", () => {
  it("reads the units the run flags document", () => {
    expect(parseDuration("500ms")).toBe(500);
    expect(parseDuration("30s")).toBe(30_000);
    expect(parseDuration("5m")).toBe(300_000);
    expect(parseDuration("1h")).toBe(3_600_000);
    expect(parseDuration("1m30s")).toBe(90_000);
    expect(parseDuration("1.5s")).toBe(1500);
  });

  it("rejects a number without a unit and other garbage, saying what it expects", () => {
    for (const bad of ["", "5", "5 m", "m", "5d", "-1s", "1s2"]) {
      expect(() => parseDuration(bad), bad).toThrow(/invalid duration .*e\.g\. 500ms, 30s, 5m, 1h/);
    }
  });
});

describe("formatDuration", () => {
  it("writes whole seconds in the form parseDuration reads back", () => {
    const cases: [number, string][] = [
      [0, "0s"],
      [400, "0s"],
      [45_000, "45s"],
      [60_000, "1m"],
      [112_000, "1m52s"],
      [3_900_000, "1h5m"],
      [-5_000, "0s"],
    ];
    for (const [ms, text] of cases) {
      expect(formatDuration(ms), String(ms)).toBe(text);
      expect(parseDuration(text), text).toBe(Math.max(0, Math.round(ms / 1000)) * 1000);
    }
  });
});
