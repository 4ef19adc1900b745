import type { RetryClass } from "../aws/errors.js";
import type { FieldChange } from "../kinds/kind.js";
import type { SourceRef } from "../manifests/manifest.js";

export type Action = "create" | "update" | "none" | "error" | "suspended" | "observed";

/** What happened to one resource in a plan or an apply (the JSON output of `diff`/`apply`). */
export interface ResourceResult {
  kind: string;
  name: string;
  region: string;
  /** The AWS account of the resource (design §6); null when it is the hub's and its account was never learnt. */
  account: string | null;
  key: string;
  action: Action;
  changes: FieldChange[];
  /** True once the changes were written (apply, not dry-run). */
  applied: boolean;
  error?: { code: string; message: string; retry: RetryClass };
  /** The RetryPolicy the resource was expanded from (design §7). */
  policy?: string;
  source: SourceRef;
}
