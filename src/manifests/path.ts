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

/** `path: message`, or the bare message for errors about a whole file or document. */
export function withPath(path: readonly PathSegment[], message: string): string {
  const name = formatPath(path);
  return name === "" ? message : `${name}: ${message}`;
}
