import type { ManifestWarning } from "./manifest.js";
import { formatPath } from "./path.js";
import type { Candidate } from "./validate.js";
import { lineAt } from "./yaml-position.js";

/** Warning code used when a kind's lint itself fails: the manifest stays valid, the gap is visible. */
export const LINT_FAILED = "LintFailed";

/** Every fact the manifests provide to each other's lint (`Kind.provides`). */
export function providedFacts(candidates: readonly Candidate[]): Set<string> {
  const facts = new Set<string>();
  for (const { manifest } of candidates) {
    try {
      for (const fact of manifest.kind.provides?.(manifest.spec, manifest.region) ?? []) facts.add(fact);
    } catch {
      // A kind that cannot say what it provides only makes lint more cautious.
    }
  }
  return facts;
}

/** The kind's AWS-guidance warnings, each pointed at the line of the field it names. */
export function lintCandidate(candidate: Candidate, provided: ReadonlySet<string>): ManifestWarning[] {
  const { manifest, document } = candidate;
  const base = { file: manifest.source.file, kind: manifest.kind.kind, name: manifest.name };
  try {
    const context = { region: manifest.region, provided: (fact: string) => provided.has(fact) };
    return manifest.kind.lint(manifest.spec, context).map((warning) => {
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
