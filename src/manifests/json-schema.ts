import { z } from "zod";
import { RETRY_POLICY_KIND, retryPolicySpecSchema } from "../fleet/schema.js";
import type { AnyKind } from "../kinds/kind.js";
import { KINDS } from "../kinds/registry.js";
import { envelopeSchema, MODE_ANNOTATION, metadataSchema, SUSPEND_ANNOTATION } from "./envelope.js";

export const MANIFEST_SCHEMA_ID = "https://retryctl.dev/schemas/v1alpha1/manifest.json";

const ANNOTATION_PROPERTIES: Record<string, z.core.JSONSchema.JSONSchema> = {
  [SUSPEND_ANNOTATION]: {
    type: "string",
    enum: ["true", "false"],
    description: "Skip this resource (Suspended).",
  },
  [MODE_ANNOTATION]: {
    type: "string",
    enum: ["enforce", "observe"],
    description: "observe: report drift on this resource, never change it.",
  },
};

/** The zod schema of a whole manifest: the envelope with `kind` pinned and `spec` from each kind. */
export function manifestSchema(kinds: readonly AnyKind[] = KINDS) {
  const options = [
    ...kinds.map((k) => envelopeSchema.extend({ kind: z.literal(k.kind), spec: k.specSchema })),
    // Fleet policies (design §7) sit in the same files, with the same envelope.
    envelopeSchema.extend({ kind: z.literal(RETRY_POLICY_KIND), spec: retryPolicySpecSchema }),
  ];
  const [first, ...rest] = options;
  if (first === undefined) throw new TypeError("manifestSchema: expected at least one kind, got none");
  return z.discriminatedUnion("kind", [first, ...rest]);
}

/**
 * JSON Schema (draft 2020-12) of the manifests, generated from the zod schemas, for
 * editors (`retryctl schema`). Cross-field rules (refinements) cannot be expressed and
 * are left to `retryctl validate`; the schema describes what a user types (`io: "input"`).
 */
export function manifestJsonSchema(kinds: readonly AnyKind[] = KINDS): Record<string, unknown> {
  const generated = z.toJSONSchema(manifestSchema(kinds), {
    target: "draft-2020-12",
    io: "input",
    unrepresentable: "any",
    override: ({ zodSchema, jsonSchema }) => {
      // The annotation rules are a refinement, invisible to the generator; editors should still offer them.
      if (zodSchema === metadataSchema.shape.annotations) jsonSchema.properties = ANNOTATION_PROPERTIES;
    },
  }) as Record<string, unknown>;
  const { $schema, ...body } = generated;
  return {
    $schema,
    $id: MANIFEST_SCHEMA_ID,
    title: "retryctl manifest",
    description: `A retryctl manifest: one of ${[...kinds.map((k) => k.kind), RETRY_POLICY_KIND].join(", ")}.`,
    ...body,
  };
}
