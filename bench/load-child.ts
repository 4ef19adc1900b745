import { writeFileSync } from "node:fs";
import { loadManifests } from "../src/manifests/load.js";
import { procMemory } from "./proc-memory.js";
import { median } from "./stats.js";

/**
 * Part 5, run in a child process of its own so that its peak RSS is the
 * loader's alone: loads and validates the tree `repeats` times (the first
 * load is the one a fresh controller pays, JIT warm-up included).
 * Usage: node load-child.js <dir> <repeats> <result.json>
 */
const [dir, repeatsArg, out] = process.argv.slice(2);
if (!dir || !out) throw new Error("usage: load-child <dir> <repeats> <result.json>");
const repeats = Math.max(1, Number(repeatsArg ?? 5));
const times: number[] = [];
let counts = { manifests: 0, errors: 0, warnings: 0 };
for (let i = 0; i < repeats; i++) {
  const started = performance.now();
  const result = await loadManifests([dir], { defaultRegion: "us-east-1" });
  times.push(performance.now() - started);
  counts = { manifests: result.manifests.length, errors: result.errors.length, warnings: result.warnings.length };
}
const memory = procMemory();
writeFileSync(
  out,
  JSON.stringify({
    ...counts,
    timesMs: times,
    firstMs: times[0],
    warmMedianMs: median(times.slice(1)),
    maxRssKiB: process.resourceUsage().maxRSS,
    vmHwmKiB: memory.hwmKiB,
    rssAfterKiB: memory.rssKiB,
    heapUsedKiB: Math.round(process.memoryUsage().heapUsed / 1024),
  }),
);
