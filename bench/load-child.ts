import { writeFileSync } from "node:fs";
import { loadManifests } from "../src/manifests/load.js";
import { procMemory } from "./proc-memory.js";
import { median } from "./stats.js";

/**
 * Part 5, run in a child process of its own so that its peak RSS is the
 * loader's alone. The first load is the one a fresh controller pays (JIT
 * warm-up included) and the peak RSS is taken right after it; the further
 * loads are what each commit costs a running controller (timed only: their
 * garbage would add to the peak of the first).
 * Usage: node load-child.js <dir> <repeats> <result.json>
 */
const [dir, repeatsArg, out] = process.argv.slice(2);
if (!dir || !out) throw new Error("usage: load-child <dir> <repeats> <result.json>");
const repeats = Math.max(1, Number(repeatsArg ?? 5));
const times: number[] = [];
const before = procMemory();
let counts = { manifests: 0, errors: 0, warnings: 0 };
let afterFirst = before;
for (let i = 0; i < repeats; i++) {
  const started = performance.now();
  const result = await loadManifests([dir], { defaultRegion: "us-east-1" });
  times.push(performance.now() - started);
  if (i === 0) afterFirst = procMemory();
  counts = {
    manifests: result.manifests.length,
    errors: result.errors.length,
    warnings: result.warnings.length,
  };
}
writeFileSync(
  out,
  JSON.stringify({
    ...counts,
    timesMs: times,
    firstMs: times[0],
    warmMedianMs: median(times.slice(1)),
    rssBeforeKiB: before.rssKiB,
    vmHwmKiB: afterFirst.hwmKiB,
    vmHwmAllLoadsKiB: procMemory().hwmKiB,
    maxRssKiB: process.resourceUsage().maxRSS,
  }),
);
