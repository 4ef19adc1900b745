import type { ManifestError } from "../manifests/manifest.js";
import type { YamlDocument } from "../manifests/parse.js";
import { lineAt } from "../manifests/yaml-position.js";
import { RETRY_POLICY_KIND, type RetryPolicy } from "./schema.js";

/** A valid policy with its document, so that set-wide errors and lint can point at its lines. */
export interface PolicyCandidate {
  policy: RetryPolicy;
  document: YamlDocument;
}

/**
 * Two RetryPolicies with one name would both expand to `<policy>/<function>`:
 * like two manifests of one kind and name, each is reported and neither is kept.
 */
export function policyConflicts(candidates: readonly PolicyCandidate[]): {
  kept: PolicyCandidate[];
  errors: ManifestError[];
} {
  const errors: ManifestError[] = [];
  const kept: PolicyCandidate[] = [];
  for (const group of Map.groupBy(candidates, (c) => c.policy.name).values()) {
    if (group.length === 1) {
      kept.push(...group);
      continue;
    }
    const none = group.length > 2 ? "none of them is applied" : "neither is applied";
    for (const c of group) {
      const others = group
        .filter((o) => o !== c)
        .map((o) => `${o.policy.source.file}:${lineAt(o.document, ["metadata", "name"])}`)
        .join(", ");
      errors.push({
        file: c.policy.source.file,
        line: lineAt(c.document, ["metadata", "name"]),
        path: "metadata.name",
        message: `"${c.policy.name}" is also the name of the ${RETRY_POLICY_KIND} at ${others} (names are unique per kind); ${none}`,
        kind: RETRY_POLICY_KIND,
        name: c.policy.name,
      });
    }
  }
  return { kept, errors };
}
