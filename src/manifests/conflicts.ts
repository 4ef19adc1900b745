import type { ManifestError } from "./manifest.js";
import type { Candidate } from "./validate.js";
import { lineAt } from "./yaml-position.js";

/** The groups of more than one candidate sharing a key. */
function sharing(candidates: readonly Candidate[], key: (c: Candidate) => string): Candidate[][] {
  return [...Map.groupBy(candidates, key).values()].filter((g) => g.length > 1);
}

function where(c: Candidate, line = c.manifest.source.line): string {
  return `${c.manifest.source.file}:${line}`;
}

function othersOf(group: readonly Candidate[], self: Candidate, describe: (c: Candidate) => string): string {
  return group
    .filter((c) => c !== self)
    .map(describe)
    .join(", ");
}

/**
 * Two manifests that manage one AWS object, or share a name within a kind, would
 * fight each other: every one involved gets an error naming the others, and none
 * of them is kept (design §1).
 */
export function findConflicts(candidates: readonly Candidate[]): {
  kept: Candidate[];
  errors: ManifestError[];
} {
  const errors: ManifestError[] = [];
  const conflicted = new Set<Candidate>();
  const base = (c: Candidate) => ({
    file: c.manifest.source.file,
    kind: c.manifest.kind.kind,
    name: c.manifest.name,
  });
  const none = (group: readonly Candidate[]) =>
    group.length > 2 ? "none of them is applied" : "neither is applied";

  for (const group of sharing(candidates, (c) => c.manifest.key)) {
    for (const c of group) {
      conflicted.add(c);
      const others = othersOf(group, c, (o) => `${o.manifest.name} (${where(o)})`);
      errors.push({
        ...base(c),
        line: c.manifest.source.line,
        path: "",
        message: `${c.manifest.kind.kind} ${c.identity} is also managed by ${others}; ${none(group)}`,
      });
    }
  }
  for (const group of sharing(candidates, (c) => `${c.manifest.kind.kind}/${c.manifest.name}`)) {
    for (const c of group) {
      conflicted.add(c);
      const others = othersOf(group, c, (o) => where(o, lineAt(o.document, ["metadata", "name"])));
      errors.push({
        ...base(c),
        line: lineAt(c.document, ["metadata", "name"]),
        path: "metadata.name",
        message: `"${c.manifest.name}" is also the name of the ${c.manifest.kind.kind} at ${others} (names are unique per kind); ${none(group)}`,
      });
    }
  }
  return { kept: candidates.filter((c) => !conflicted.has(c)), errors };
}
