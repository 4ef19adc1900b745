import type { AnyKind, LintContext } from "../kinds/kind.js";
import type { ManifestWarning } from "./manifest.js";
import { formatPath } from "./path.js";
import type { Candidate } from "./validate.js";
import { lineAt, type PositionedDocument } from "./yaml-position.js";

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
  const context = { region: manifest.region, provided: (fact: string) => provided.has(fact) };
  return kindWarnings(manifest.kind, manifest.spec, context, {
    base: { file: manifest.source.file, kind: manifest.kind.kind, name: manifest.name },
    document,
    prefix: ["spec"],
    line: manifest.source.line,
  });
}

/** Where a spec's warnings are shown: its document, the path to the spec in it, the line of a failed lint. */
export interface WarningPlace {
  base: Pick<ManifestWarning, "file" | "kind" | "name">;
  document: PositionedDocument;
  prefix: (string | number)[];
  line: number;
}

/**
 * One kind's lint of one spec as manifest warnings, each at the line of its
 * field; a lint that throws is one LintFailed warning, so the manifest stays
 * valid and the gap is visible. Shared by manifests and fleet policy sections.
 */
export function kindWarnings(
  kind: AnyKind,
  spec: unknown,
  context: LintContext,
  place: WarningPlace,
): ManifestWarning[] {
  const { base, document, prefix, line } = place;
  try {
    return kind.lint(spec, context).map((warning) => {
      const path = [...prefix, ...warning.path];
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
    return [{ ...base, line, path: "", code: LINT_FAILED, message: `lint failed: ${reason}` }];
  }
}
