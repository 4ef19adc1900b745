import { fileURLToPath } from "node:url";
import { loadManifestsWith } from "../../../src/manifests/loader.js";
import type { LoadResult, ManifestError, ManifestWarning } from "../../../src/manifests/manifest.js";
import { FAKE_KINDS } from "./fake-kind.js";

export const FIXTURES = fileURLToPath(new URL("../../fixtures/manifests/", import.meta.url));

export function fixture(name: string): string {
  return `${FIXTURES}${name}`;
}

/**
 * Loads with the test-only kinds and the default region us-east-1. Files are named
 * relative to `cwd`: by default the one folder loaded, as if the command ran in it.
 */
export function loadFake(dirs: string[], cwd = dirs.length === 1 ? dirs[0] : undefined): Promise<LoadResult> {
  return loadManifestsWith(dirs, { defaultRegion: "us-east-1", kinds: FAKE_KINDS, ...(cwd ? { cwd } : {}) });
}

export function errorsIn(result: LoadResult, file: string): ManifestError[] {
  return result.errors.filter((e) => e.file === file);
}

export function warningsIn(result: LoadResult, file: string): ManifestWarning[] {
  return result.warnings.filter((w) => w.file === file);
}

/** The fields a report shows, without kind/name noise, for whole-object comparisons. */
export function brief(e: ManifestError): { file: string; line: number; path: string; message: string } {
  return { file: e.file, line: e.line, path: e.path, message: e.message };
}
