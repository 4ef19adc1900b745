import { parseArn } from "../aws/arn.js";
import { RETRY_POLICY_KIND } from "../fleet/schema.js";
import type { AnyKind } from "../kinds/kind.js";
import { arnPartProblem } from "./arn-parts.js";
import { envelopeSchema, MODE_ANNOTATION, type Mode, SUSPEND_ANNOTATION } from "./envelope.js";
import { documentHash } from "./hash.js";
import { describeIssues, type FieldIssue, PARSE_OPTIONS } from "./issues.js";
import type { Manifest, ManifestError } from "./manifest.js";
import type { YamlDocument } from "./parse.js";
import { formatPath } from "./path.js";
import { knownKeys } from "./schema-walk.js";
import { closest } from "./suggest.js";
import { lineAt, type PathSegment } from "./yaml-position.js";

/** A schema-valid manifest before set-wide checks (conflicts), with what those checks need. */
export interface Candidate {
  manifest: Manifest;
  document: YamlDocument;
  identity: string;
}

export interface DocumentOutcome {
  candidate?: Candidate;
  errors: ManifestError[];
}

/** The region of a manifest without `spec.region` when no default region is known (`validate` only). */
export const UNRESOLVED_REGION = "(no region)";

export interface ValidateContext {
  file: string;
  /**
   * Region of manifests without `spec.region`. Undefined when none is configured,
   * which only `validate` accepts (it needs a region only to check ARNs against it):
   * such manifests get UNRESOLVED_REGION and no ARN-region check.
   */
  defaultRegion: string | undefined;
  kinds: readonly AnyKind[];
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return (
    value !== null && typeof value === "object" && !Array.isArray(value) && !(value instanceof Uint8Array)
  );
}

function stringField(value: Record<string, unknown>, key: string): string | undefined {
  const field = value[key];
  return typeof field === "string" ? field : undefined;
}

function describeThrown(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Every string below `value` that is written as an ARN, with its path. */
function arnsIn(value: unknown, path: PathSegment[]): { path: PathSegment[]; value: string }[] {
  if (typeof value === "string") return value.startsWith("arn:") ? [{ path, value }] : [];
  if (Array.isArray(value)) return value.flatMap((item, index) => arnsIn(item, [...path, index]));
  if (isMapping(value)) return Object.entries(value).flatMap(([key, item]) => arnsIn(item, [...path, key]));
  return [];
}

/** Validates one document: envelope, kind, the kind's strict spec schema, region and identity. */
export function validateDocument(document: YamlDocument, ctx: ValidateContext): DocumentOutcome {
  const { value } = document;
  if (!isMapping(value)) {
    return {
      errors: [
        {
          file: ctx.file,
          line: document.line,
          path: "",
          message: "a manifest must be a mapping with apiVersion, kind, metadata and spec",
        },
      ],
    };
  }
  const kindName = stringField(value, "kind");
  const metadata = isMapping(value.metadata) ? value.metadata : {};
  const name = stringField(metadata, "name");
  const kind = kindName === undefined ? undefined : ctx.kinds.find((k) => k.kind === kindName);
  const errors: ManifestError[] = [];
  const report = (issue: FieldIssue, prefix: PathSegment[] = []) => {
    const path = [...prefix, ...issue.path];
    errors.push({
      file: ctx.file,
      line: lineAt(document, path),
      path: formatPath(path),
      message: issue.message,
      ...(kindName === undefined ? {} : { kind: kindName }),
      ...(name === undefined ? {} : { name }),
    });
  };

  const envelope = envelopeSchema.safeParse(value, PARSE_OPTIONS);
  if (!envelope.success) {
    const specFields = knownKeys(kind?.specSchema);
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
  if (kindName !== undefined && kind === undefined) {
    // RetryPolicy documents are validated by src/fleet, but a typo of one should still be told.
    const known = [...ctx.kinds.map((k) => k.kind), RETRY_POLICY_KIND];
    const suggestion = closest(kindName, known);
    const advice =
      suggestion === undefined ? "; known kinds: " : `; did you mean "${suggestion}"? Known kinds: `;
    report({ path: ["kind"], message: `unknown kind "${kindName}"${advice}${known.join(", ")}` });
  }
  if (kind === undefined || !isMapping(value.spec)) return { errors };

  let spec: Record<string, unknown> | undefined;
  try {
    const parsed = kind.specSchema.safeParse(value.spec, PARSE_OPTIONS);
    if (parsed.success) spec = parsed.data as Record<string, unknown>;
    else {
      const issues = describeIssues(parsed.error.issues, { schema: kind.specSchema, data: value.spec });
      for (const issue of issues) report(issue, ["spec"]);
    }
  } catch (error) {
    report({ path: [], message: `spec could not be validated: ${describeThrown(error)}` }, ["spec"]);
  }
  // Kinds parse ARNs leniently to pick out their parts; a malformed part is an error in every field alike.
  const reported = new Set(errors.map((e) => e.path));
  for (const arn of arnsIn(value.spec, ["spec"])) {
    const part = arnPartProblem(arn.value);
    if (part !== undefined && !reported.has(formatPath(arn.path)))
      report({ path: arn.path, message: `is not a valid ARN: ${part}` });
  }
  if (spec === undefined || errors.length > 0 || !envelope.success) return { errors };

  const region = typeof spec.region === "string" ? spec.region : (ctx.defaultRegion ?? UNRESOLVED_REGION);
  if (region === "") {
    report({ path: ["spec", "region"], message: "is required: no default region is configured (--region)" });
    return { errors };
  }
  if (spec.region === undefined && ctx.defaultRegion !== undefined) {
    // The kinds compare ARNs with spec.region; without it the default region applies, known only here.
    for (const [field, value] of Object.entries(spec)) {
      const arnRegion = typeof value === "string" ? parseArn(value)?.region : undefined;
      if (arnRegion && arnRegion !== region) {
        report({
          path: ["spec", field],
          message: `is in region ${arnRegion}, but the manifest's region is ${region} (the default: spec.region is not set)`,
        });
      }
    }
    if (errors.length > 0) return { errors };
  }
  let identity: string;
  try {
    identity = kind.identity(spec, region);
  } catch (error) {
    report({ path: ["spec"], message: `cannot compute the resource identity: ${describeThrown(error)}` });
    return { errors };
  }
  const { labels = {}, annotations = {} } = envelope.data.metadata;
  const mode = annotations[MODE_ANNOTATION] as Mode | undefined;
  const manifest: Manifest = {
    kind,
    name: envelope.data.metadata.name,
    region,
    key: `${kind.kind}/${identity}`,
    spec,
    labels,
    annotations,
    suspended: annotations[SUSPEND_ANNOTATION] === "true",
    ...(mode === undefined ? {} : { mode }),
    source: { file: ctx.file, line: document.line },
    hash: documentHash(value),
  };
  return { candidate: { manifest, document, identity }, errors };
}
