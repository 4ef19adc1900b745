import { type Envelope, envelopeSchema } from "../manifests/envelope.js";
import { documentHash } from "../manifests/hash.js";
import { describeIssues, type FieldIssue, PARSE_OPTIONS } from "../manifests/issues.js";
import type { ManifestError } from "../manifests/manifest.js";
import type { YamlDocument } from "../manifests/parse.js";
import { formatPath } from "../manifests/path.js";
import { knownKeys } from "../manifests/schema-walk.js";
import { lineAt, type PathSegment } from "../manifests/yaml-position.js";
import {
  RETRY_POLICY_KIND,
  type RetryPolicy,
  type RetryPolicySpec,
  retryPolicySpecSchema,
} from "./schema.js";

/** True for a document that says `kind: RetryPolicy` (the loader hands it here, not to a per-resource kind). */
export function isRetryPolicyDocument(document: YamlDocument): boolean {
  const value = document.value;
  return (
    value !== null &&
    typeof value === "object" &&
    !Array.isArray(value) &&
    (value as Record<string, unknown>).kind === RETRY_POLICY_KIND
  );
}

export interface PolicyOutcome {
  policy?: RetryPolicy;
  errors: ManifestError[];
}

/** Validates a RetryPolicy document: the envelope every kind shares, then the policy's strict spec. */
export function validatePolicyDocument(document: YamlDocument, file: string): PolicyOutcome {
  const value = document.value as Record<string, unknown>;
  const metadata = value.metadata;
  const name =
    metadata !== null &&
    typeof metadata === "object" &&
    typeof (metadata as { name?: unknown }).name === "string"
      ? ((metadata as { name: string }).name as string)
      : undefined;
  const errors: ManifestError[] = [];
  const report = (issue: FieldIssue, prefix: PathSegment[] = []) => {
    const path = [...prefix, ...issue.path];
    errors.push({
      file,
      line: lineAt(document, path),
      path: formatPath(path),
      message: issue.message,
      kind: RETRY_POLICY_KIND,
      ...(name === undefined ? {} : { name }),
    });
  };
  const envelope = envelopeSchema.safeParse(value, PARSE_OPTIONS);
  if (!envelope.success) {
    const specFields = knownKeys(retryPolicySpecSchema);
    const unknownFieldHint = (path: PathSegment[], key: string) =>
      path.length === 0 && specFields.includes(key) ? `"${key}" belongs under spec` : undefined;
    for (const issue of describeIssues(envelope.error.issues, {
      schema: envelopeSchema,
      data: value,
      unknownFieldHint,
    })) {
      report(issue);
    }
  }
  const rawSpec = value.spec;
  if (rawSpec === null || typeof rawSpec !== "object" || Array.isArray(rawSpec)) return { errors };
  const parsed = retryPolicySpecSchema.safeParse(rawSpec, PARSE_OPTIONS);
  if (!parsed.success) {
    for (const issue of describeIssues(parsed.error.issues, { schema: retryPolicySpecSchema, data: rawSpec }))
      report(issue, ["spec"]);
  }
  if (!parsed.success || !envelope.success || errors.length > 0) return { errors };
  return { policy: toPolicy(envelope.data, parsed.data, file, document, value), errors };
}

function toPolicy(
  envelope: Envelope,
  spec: RetryPolicySpec,
  file: string,
  document: YamlDocument,
  value: unknown,
): RetryPolicy {
  return {
    name: envelope.metadata.name,
    spec,
    labels: envelope.metadata.labels ?? {},
    annotations: envelope.metadata.annotations ?? {},
    source: { file, line: document.line },
    hash: documentHash(value),
  };
}
