import { isAbsolute, relative, resolve, sep } from "node:path";
import type { LoadResult, Manifest, ManifestError } from "../manifests/manifest.js";

/** What a newly loaded tree means for the set of managed resources. */
export interface RevisionPlan {
  /** Every managed resource by key: the new valid manifests plus the retained ones. */
  desired: Map<string, Manifest>;
  /** Keys that are new. */
  added: string[];
  /** Keys whose manifest changed (`Manifest.hash`). */
  changed: string[];
  /** Resources whose manifest is gone: they stop being managed, AWS is left as it is. */
  removed: Manifest[];
  /**
   * Resources whose manifest became invalid: they keep their last valid manifest
   * (AWS is not changed because of a broken file) and show these errors.
   */
  retained: Map<string, ManifestError[]>;
}

/**
 * Compares a newly loaded tree with the managed set. A manifest that fails
 * validation is matched to the resource it used to describe by kind and name
 * (unique per kind), or by file for an error that names no resource (a YAML
 * syntax error takes the whole file down); such a resource is retained, not removed.
 */
export function planRevision(previous: ReadonlyMap<string, Manifest>, loaded: LoadResult): RevisionPlan {
  const desired = new Map<string, Manifest>();
  const added: string[] = [];
  const changed: string[] = [];
  for (const m of loaded.manifests) {
    desired.set(m.key, m);
    const before = previous.get(m.key);
    if (!before) added.push(m.key);
    else if (before.hash !== m.hash) changed.push(m.key);
  }

  const removed: Manifest[] = [];
  const retained = new Map<string, ManifestError[]>();
  for (const [key, m] of previous) {
    if (desired.has(key)) continue;
    const errors = loaded.errors.filter((e) => describes(e, m));
    if (errors.length > 0) {
      desired.set(key, m);
      retained.set(key, errors);
    } else {
      removed.push(m);
    }
  }
  return { desired, added, changed, removed, retained };
}

function describes(error: ManifestError, m: Manifest): boolean {
  if (error.kind !== undefined && error.name !== undefined)
    return error.kind === m.kind.kind && error.name === m.name;
  if (error.file !== m.source.file) return false;
  // An error that names only the kind (bad metadata) can still rule out the other kinds in the file.
  return error.kind === undefined || error.kind === m.kind.kind;
}

/**
 * Makes file paths relative to the tree's root. Each git-sync commit lives in
 * its own worktree, so paths through it (absolute, or relative to the current
 * directory) would differ between revisions and a broken file could not be
 * matched to the resource it described.
 */
export function relativeToRoot(loaded: LoadResult, root: string): LoadResult {
  const rel = (file: string) => {
    const below = relative(root, resolve(file));
    return below === "" || below === ".." || below.startsWith(`..${sep}`) || isAbsolute(below) ? file : below;
  };
  return {
    ...loaded,
    manifests: loaded.manifests.map((m) => ({ ...m, source: { ...m.source, file: rel(m.source.file) } })),
    errors: loaded.errors.map((e) => ({ ...e, file: rel(e.file) })),
    warnings: loaded.warnings.map((w) => ({ ...w, file: rel(w.file) })),
  };
}
