import { describe, expect, it } from "vitest";
import { KINDS } from "../../../src/kinds/registry.js";
import { MODE_ANNOTATION, SUSPEND_ANNOTATION } from "../../../src/manifests/envelope.js";
import {
  MANIFEST_SCHEMA_ID,
  manifestJsonSchema,
  manifestSchema,
} from "../../../src/manifests/json-schema.js";
import { knownKeys } from "../../../src/manifests/schema-walk.js";
import { FAKE_KINDS } from "./fake-kind.js";

// biome-ignore lint/suspicious/noExplicitAny: assertions walk generated JSON Schema of no static type.
type Json = Record<string, any>;

function branch(schema: Json, kind: string): Json {
  const found = (schema.oneOf as Json[]).find((b) => b.properties.kind.const === kind);
  if (!found) throw new Error(`no branch for ${kind}`);
  return found;
}

describe("manifestJsonSchema", () => {
  it("is a draft 2020-12 schema with one branch per registered kind, discriminated by kind", () => {
    const schema = manifestJsonSchema();
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(schema.$id).toBe(MANIFEST_SCHEMA_ID);
    const kinds = (schema.oneOf as Json[]).map((b) => b.properties.kind.const);
    expect(kinds).toEqual([...KINDS.map((k) => k.kind), "RetryPolicy"]);
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema);
  });

  it("describes each kind's spec strictly, with the fields and ranges of its zod schema", () => {
    const schema = manifestJsonSchema();
    for (const kind of KINDS) {
      const spec = branch(schema, kind.kind).properties.spec;
      expect(spec.additionalProperties).toBe(false);
      expect(Object.keys(spec.properties)).toEqual(knownKeys(kind.specSchema));
    }
    const invoke = branch(schema, "FunctionEventInvokeConfig").properties.spec.properties;
    expect(invoke.maximumRetryAttempts.anyOf).toContainEqual({ type: "integer", minimum: 0, maximum: 2 });
    expect(invoke.maximumRetryAttempts.anyOf).toContainEqual({ type: "null" });
  });

  it("requires the envelope and offers the known annotations to editors", () => {
    const manifest = branch(manifestJsonSchema(), "EventSourceMapping");
    expect(manifest.required).toEqual(["apiVersion", "kind", "metadata", "spec"]);
    expect(manifest.additionalProperties).toBe(false);
    expect(manifest.properties.apiVersion.const).toBe("retryctl.dev/v1alpha1");
    const metadata = manifest.properties.metadata;
    expect(metadata.required).toEqual(["name"]);
    expect(metadata.properties.name.pattern).toBe("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$");
    const annotations = metadata.properties.annotations.properties;
    expect(annotations[SUSPEND_ANNOTATION].enum).toEqual(["true", "false"]);
    expect(annotations[MODE_ANNOTATION].enum).toEqual(["enforce", "observe"]);
  });

  it("is generated from whatever kinds it is given", () => {
    const schema = manifestJsonSchema(FAKE_KINDS);
    expect((schema.oneOf as Json[]).map((b) => b.properties.kind.const)).toEqual([
      "Widget",
      "Gadget",
      "RetryPolicy",
    ]);
    const batching = branch(schema, "Widget").properties.spec.properties.batching;
    expect(batching.properties.size).toEqual({ type: "integer", minimum: 1, maximum: 10 });
  });

  it("matches the zod schema it is made from on a real manifest", () => {
    const manifest = {
      apiVersion: "retryctl.dev/v1alpha1",
      kind: "QueueRedrivePolicy",
      metadata: { name: "orders-work" },
      spec: { queue: "orders-work", deadLetterQueue: "orders-work-dlq", maxReceiveCount: 5 },
    };
    expect(manifestSchema().safeParse(manifest).success).toBe(true);
    expect(manifestSchema().safeParse({ ...manifest, kind: "Nope" }).success).toBe(false);
  });
});
