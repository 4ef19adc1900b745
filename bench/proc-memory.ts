import { readFileSync } from "node:fs";

/** Current and peak resident set size of this process, in KiB, from /proc (Linux). */
export function procMemory(): { rssKiB: number; hwmKiB: number } {
  const status = readFileSync("/proc/self/status", "utf8");
  const field = (name: string) =>
    Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN);
  return { rssKiB: field("VmRSS"), hwmKiB: field("VmHWM") };
}
