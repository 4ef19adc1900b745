import type { RetryPolicy } from "../fleet/schema.js";
import type { AnyKind } from "../kinds/kind.js";
import type { Mode } from "./envelope.js";

export interface SourceRef {
  /**
   * Display path, as a compiler names files: relative to the current directory when
   * below it, absolute otherwise; through the path given (a symlinked root stays the
   * link, never the resolved worktree).
   */
  file: string;
  /**
   * 1-based line of the document's start (or of the field an issue is about); 1 for a
   * problem with a whole file (binary, too large), 0 for one with a directory.
   */
  line: number;
}

/** A manifest that passed validation, ready for the engine. */
export interface Manifest {
  kind: AnyKind;
  name: string;
  /** `spec.region`, or the controller's default region. */
  region: string;
  /** `<Kind>/<kind identity>`: unique across the whole set. */
  key: string;
  spec: Record<string, unknown>;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  suspended: boolean;
  /** Per-resource mode from the annotation; wins over the global mode. */
  mode?: Mode;
  source: SourceRef;
  /** Hash of the parsed document, so a controller can tell a changed manifest from an unchanged one. */
  hash: string;
  /** The RetryPolicy this resource was expanded from (design §7); its `source` is the policy's. */
  policy?: string;
  /**
   * What expansion found wrong with this resource (`PolicyConflict`, a value that
   * fails the kind's schema after substitution): reported as its error. A
   * blocking issue stops the resource before any AWS call; the others leave the
   * remaining fields to be applied.
   */
  issues?: ResourceIssue[];
}

export interface ResourceIssue {
  code: string;
  message: string;
  blocking: boolean;
}

export interface ManifestError extends SourceRef {
  /** Stable code of an error found beyond validation (`TooManyMatches`, `DiscoveryFailed`). */
  code?: string;
  /** 1-based column of the offending token, where known (YAML syntax errors). */
  column?: number;
  /** Field path such as `spec.maximumRetryAttempts` (empty for file-level errors). */
  path: string;
  message: string;
  kind?: string;
  name?: string;
}

export interface ManifestWarning extends SourceRef {
  code: string;
  message: string;
  /** Field path the warning is about, such as `spec.onFailure` (empty when about no field). */
  path?: string;
  kind?: string;
  name?: string;
}

export interface LoadResult {
  manifests: Manifest[];
  /** Valid RetryPolicy documents (design §7): expanded against AWS at reconcile time, not by the loader. */
  policies?: RetryPolicy[];
  errors: ManifestError[];
  warnings: ManifestWarning[];
  /** `sha256:` over the manifest files read (path and bytes), for folders that are not git checkouts. */
  contentHash: string;
}

/** A problem with a folder argument itself (missing, unreadable), as opposed to one inside a file. */
export function isFolderProblem(ref: SourceRef): boolean {
  return ref.line === 0;
}
