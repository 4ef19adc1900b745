import type { ManifestError } from "../manifests/manifest.js";
import type { ExplainDocument, ExplainPath, FunctionExplanation } from "./model.js";

/** A path whose failing record holds others up (a shard, a message group). */
export const isBlocking = (p: ExplainPath) => p.blockingSeconds !== null && p.blockingSeconds > 0;
export const isDropped = (p: ExplainPath) => p.terminal.type === "dropped";
/** A path that blocks until its record leaves the stream or queue by expiry: nothing else ends the retries. */
export const blocksUntilExpiry = (p: ExplainPath) =>
  isBlocking(p) && isDropped(p) && p.attempts === null && p.blockingSeconds === p.maxAgeSeconds;

export function explainDocument(
  functions: FunctionExplanation[],
  manifestErrors: readonly ManifestError[],
): ExplainDocument {
  const paths = functions.flatMap((f) => f.paths);
  const uninspected = functions.flatMap((f) => f.uninspected);
  return {
    functions,
    manifestErrors: manifestErrors.map(({ file, line, path, message }) => ({ file, line, path, message })),
    summary: {
      functions: functions.length,
      paths: paths.length,
      dropped: paths.filter(isDropped).length,
      blocking: paths.filter(isBlocking).length,
      uninspected: uninspected.length,
      errors:
        manifestErrors.length +
        functions.filter((f) => f.error).length +
        uninspected.filter((u) => u.error).length,
    },
  };
}

/** Design §9: 1 on any error (a manifest, a function or a trigger that could not be read), else 2 when a path drops, else 0. */
export function explainExitCode(doc: ExplainDocument): number {
  if (doc.summary.errors > 0) return 1;
  return doc.summary.dropped > 0 ? 2 : 0;
}

/** `90061 s` as `1d 1h 1m 1s`, most significant parts first; `0s` for zero. */
export function humanSeconds(seconds: number): string {
  if (seconds === 0) return "0s";
  const parts: string[] = [];
  let left = Math.round(seconds);
  for (const [unit, size] of [
    ["d", 86400],
    ["h", 3600],
    ["m", 60],
    ["s", 1],
  ] as const) {
    const n = Math.floor(left / size);
    if (n > 0) parts.push(`${n}${unit}`);
    left -= n * size;
  }
  return parts.join(" ");
}

/** `1 attempt`, `186 attempts`, `100,016 attempts`, `unlimited attempts`. */
export function attemptsText(attempts: number | null): string {
  if (attempts === null) return "unlimited attempts";
  return `${attempts.toLocaleString("en-US")} attempt${attempts === 1 ? "" : "s"}`;
}
