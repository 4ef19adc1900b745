import type { AnyKind } from "../kinds/kind.js";
import { KINDS } from "../kinds/registry.js";
import { loadManifestsWith } from "./loader.js";
import type { LoadResult } from "./manifest.js";

export interface LoadOptions {
  /**
   * Region of manifests without `spec.region` (the controller's `--region`);
   * undefined only for `validate` without a region (see ValidateContext).
   */
  defaultRegion: string | undefined;
  /** The kinds manifests may name; every registered kind by default. */
  kinds?: readonly AnyKind[];
  /** Directory that file paths are shown relative to; the current directory by default. */
  cwd?: string;
}

/**
 * Turns directories (or single files) into validated manifests, with errors and lint
 * warnings that name file, line and field. Never throws on input.
 */
export function loadManifests(dirs: readonly string[], options: LoadOptions): Promise<LoadResult> {
  return loadManifestsWith(dirs, { ...options, kinds: options.kinds ?? KINDS });
}
