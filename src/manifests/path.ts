import type { PathSegment } from "./yaml-position.js";

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/**
 * `spec.maximumRetryAttempts`, `spec.functionResponseTypes[0]`,
 * `metadata.annotations["retryctl.dev/mode"]`: the kubectl way of naming a field.
 */
export function formatPath(path: readonly PathSegment[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (IDENTIFIER.test(segment)) out += out === "" ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}
