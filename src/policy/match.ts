/**
 * Glob patterns of the allow-list: `*` is any run of characters (none included),
 * `?` exactly one, everything else itself. A pattern matches the whole name,
 * case-sensitively, as AWS names are.
 *
 * Greedy matching with one backtrack point (the last `*`) runs in
 * O(name × pattern), unlike a regular expression built from the pattern, which
 * can backtrack exponentially on patterns such as `*a*a*a*b`.
 */
export function globMatch(pattern: string, value: string): boolean {
  let p = 0;
  let v = 0;
  let star = -1;
  let resume = 0;
  while (v < value.length) {
    const c = pattern[p];
    if (c === "*") {
      star = p++;
      resume = v;
    } else if (c !== undefined && (c === "?" || c === value[v])) {
      p++;
      v++;
    } else if (star >= 0) {
      p = star + 1;
      v = ++resume;
    } else {
      return false;
    }
  }
  while (pattern[p] === "*") p++;
  return p === pattern.length;
}

/** True when `value` matches one of the patterns. */
export function matchesAny(value: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) => globMatch(pattern, value));
}
