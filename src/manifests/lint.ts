import type { ManifestWarning } from "./manifest.js";
import { formatPath } from "./path.js";
import type { Candidate } from "./validate.js";
import { lineAt } from "./yaml-position.js";

/** Warning code used when a kind's lint itself fails: the manifest stays valid, the gap is visible. */
export const LINT_FAILED = "LintFailed";

/** The kind's AWS-guidance warnings, each pointed at the line of the field it names. */
export function lintCandidate(candidate: Candidate): ManifestWarning[] {
  const { manifest, document } = candidate;
  const base = { file: manifest.source.file, kind: manifest.kind.kind, name: manifest.name };
  try {
    return manifest.kind.lint(manifest.spec).map((warning) => {
      const path = ["spec", ...warning.path];
      return {
        ...base,
        line: lineAt(document, path),
        path: formatPath(path),
        code: warning.code,
        message: warning.message,
      };
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return [
      { ...base, line: manifest.source.line, path: "", code: LINT_FAILED, message: `lint failed: ${reason}` },
    ];
  }
}
