import { isDeepStrictEqual } from "node:util";
import type { FieldChange } from "./kind.js";

/**
 * Server-side-apply style comparison shared by every kind.
 *
 * `view` is the AWS object already normalised into manifest terms (absent = undefined/null).
 * `defaults` holds the value AWS uses when a field is absent; `null` in the
 * manifest means "back to that default" (or absent where there is none).
 * Fields the manifest omits are not managed and never reported.
 */
export function diffManagedFields(
  spec: Record<string, unknown>,
  view: Record<string, unknown>,
  managed: readonly string[],
  defaults: Record<string, unknown> = {},
): FieldChange[] {
  const changes: FieldChange[] = [];
  for (const field of managed) {
    const wanted = spec[field];
    if (wanted === undefined) continue;
    const fallback = defaults[field] ?? null;
    const desired = wanted === null ? fallback : wanted;
    const actual = view[field] ?? fallback;
    if (!isDeepStrictEqual(actual, desired)) changes.push({ field, actual, desired });
  }
  return changes;
}
