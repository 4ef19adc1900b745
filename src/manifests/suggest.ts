import { distance } from "fastest-levenshtein";

/**
 * The known name closest to `input`, when it is close enough to be a typo
 * (`maxRetryAttempts` → `maximumRetryAttempts`, `MaximumRetryAttempts` → `maximumRetryAttempts`).
 */
export function closest(input: string, known: readonly string[]): string | undefined {
  const wanted = input.toLowerCase();
  let best: string | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const score = distance(wanted, candidate.toLowerCase());
    if (score < bestScore) {
      best = candidate;
      bestScore = score;
    }
  }
  if (best === undefined) return undefined;
  // Abbreviations (`max` for `maximum`) cost a few edits on a long name; unrelated short names must not match.
  const allowed = Math.max(2, Math.ceil(Math.max(wanted.length, best.length) * 0.3));
  if (bestScore <= allowed) return best;
  // A shortened name (`retryAttempts`) is still recognisable as the tail or head of a long one.
  if (wanted.length >= 5) {
    const contained = known.filter((k) => k.toLowerCase().includes(wanted));
    if (contained.length === 1) return contained[0];
  }
  return undefined;
}
