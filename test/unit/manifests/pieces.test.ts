import { describe, expect, it } from "vitest";
import { z } from "zod";
import { canonicalJson, documentHash } from "../../../src/manifests/hash.js";
import { describeIssues, PARSE_OPTIONS } from "../../../src/manifests/issues.js";
import { parseManifestYaml } from "../../../src/manifests/parse.js";
import { formatPath } from "../../../src/manifests/path.js";
import { knownKeys, numberBounds } from "../../../src/manifests/schema-walk.js";
import { closest } from "../../../src/manifests/suggest.js";

describe("closest", () => {
  it.each([
    ["maxRetryAttempts", "maximumRetryAttempts"],
    ["MaximumRetryAttempts", "maximumRetryAttempts"],
    ["onfailure", "onFailure"],
    ["batch", "batchSize"],
    ["maxRecieveCount", "maxReceiveCount"],
  ])("suggests %s → %s", (input, expected) => {
    expect(
      closest(input, ["maximumRetryAttempts", "onFailure", "batchSize", "maxReceiveCount", "region"]),
    ).toBe(expected);
  });

  it("suggests nothing for an unrelated name", () => {
    expect(closest("colour", ["functionName", "qualifier", "region"])).toBeUndefined();
    expect(closest("x", [])).toBeUndefined();
  });
});

describe("formatPath", () => {
  it("writes paths the kubectl way", () => {
    expect(formatPath(["spec", "maximumRetryAttempts"])).toBe("spec.maximumRetryAttempts");
    expect(formatPath(["spec", "functionResponseTypes", 0])).toBe("spec.functionResponseTypes[0]");
    expect(formatPath(["metadata", "annotations", "retryctl.dev/mode"])).toBe(
      'metadata.annotations["retryctl.dev/mode"]',
    );
    expect(formatPath([])).toBe("");
  });
});

describe("canonical hashing", () => {
  it("ignores key order at every level and sees every value", () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[2,{"e":0,"f":1}]},"b":1}',
    );
    expect(documentHash({ a: 1, b: 2 })).toBe(documentHash({ b: 2, a: 1 }));
    expect(documentHash({ a: 1 })).not.toBe(documentHash({ a: 2 }));
  });
});

describe("schema introspection", () => {
  it("sees through optional, nullable, default, refinements and pipes", () => {
    const inner = z.strictObject({ a: z.string(), b: z.number() });
    expect(knownKeys(inner.optional().nullable())).toEqual(["a", "b"]);
    expect(knownKeys(inner.superRefine(() => {}))).toEqual(["a", "b"]);
    expect(knownKeys(inner.transform((v) => v.a))).toEqual(["a", "b"]);
    expect(knownKeys(z.union([inner, z.strictObject({ c: z.string() })]))).toEqual(["a", "b", "c"]);
    expect(numberBounds(z.int().min(0).max(2).nullable().optional())).toEqual({ min: 0, max: 2 });
    expect(numberBounds(z.int().max(5))).toEqual({ max: 5 });
  });
});

describe("zod issues in English", () => {
  const messages = (schema: z.ZodType, data: unknown) => {
    const parsed = schema.safeParse(data, PARSE_OPTIONS);
    if (parsed.success) throw new Error("expected the data to be invalid");
    return describeIssues(parsed.error.issues, { schema, data }).map(
      (i) => `${formatPath(i.path)}: ${i.message}`,
    );
  };

  it("explains types, bounds, enums, lists and empties", () => {
    const schema = z.strictObject({
      name: z.string().min(1),
      flag: z.boolean().optional(),
      mode: z.enum(["enforce", "observe"]).optional(),
      types: z
        .array(z.enum(["ReportBatchItemFailures"]))
        .max(1)
        .optional(),
      age: z.int().min(60).optional(),
      size: z.number().positive().optional(),
      step: z.number().multipleOf(5).optional(),
      either: z.union([z.string(), z.int()]).optional(),
    });
    expect(
      messages(schema, {
        name: "",
        flag: "yes",
        mode: "enforced",
        types: ["ReportBatchItemFailures", "ReportBatchItemFailures"],
        age: 30,
        size: 0,
        step: 7,
        either: true,
      }),
    ).toEqual([
      "name: must not be empty",
      'flag: must be true or false, got "yes"',
      'mode: must be one of enforce, observe, got "enforced"',
      "types: must have at most 1 items, got 2",
      "age: must be at least 60, got 30",
      "size: must be greater than 0, got 0",
      "step: must be a multiple of 5, got 7",
      "either: must be a string or an integer, got true",
    ]);
  });

  it("keeps a schema's own message and adds the value it got", () => {
    const schema = z.strictObject({
      region: z.string().regex(/^[a-z]+-[a-z]+-\d$/, "must be an AWS region"),
    });
    expect(messages(schema, { region: "mars" })).toEqual(['region: must be an AWS region, got "mars"']);
    expect(messages(schema, {})).toEqual(["region: is required"]);
  });

  it("points at the bad item of a list", () => {
    const schema = z.strictObject({ types: z.array(z.enum(["ReportBatchItemFailures"])) });
    expect(messages(schema, { types: ["ReportBatchItemFailures", "Other"] })).toEqual([
      'types[1]: must be ReportBatchItemFailures, got "Other"',
    ]);
  });

  it("explains a bad key of a mapping such as labels", () => {
    const schema = z.strictObject({ labels: z.record(z.string().max(5), z.string()) });
    expect(messages(schema, { labels: { "far-too-long": "x" } })).toEqual([
      'labels.far-too-long: key "far-too-long" must be at most 5 characters long, got 12',
    ]);
  });

  it("names an unknown discriminator value with the allowed ones", () => {
    const schema = z.discriminatedUnion("type", [
      z.strictObject({ type: z.literal("a"), x: z.string() }),
      z.strictObject({ type: z.literal("b"), y: z.string() }),
    ]);
    expect(messages(schema, { type: "c" })).toEqual(['type: must be one of a, b, got "c"']);
  });
});

describe("parseManifestYaml", () => {
  it("refuses keys that are lists or mappings, on their line", () => {
    const parsed = parseManifestYaml("a: 1\n? [x, y]\n: 2\n");
    expect(parsed.documents).toEqual([]);
    expect(parsed.errors).toEqual([
      { line: 2, path: "", message: "mapping keys must be plain scalars, not lists or mappings" },
    ]);
  });

  it("reports an alias to an anchor that does not exist", () => {
    const parsed = parseManifestYaml("a: 1\nb: *nowhere\n");
    expect(parsed.documents).toEqual([]);
    expect(parsed.errors).toHaveLength(1);
    expect(parsed.errors[0]?.line).toBe(1);
    expect(parsed.errors[0]?.message).toMatch(/^YAML error: .*nowhere/);
  });

  it("starts a document at its first content line, after comments and blank lines", () => {
    const parsed = parseManifestYaml("# header\n\napiVersion: x\nkind: y\n");
    expect(parsed.documents.map((d) => d.line)).toEqual([3]);
  });

  it("turns an unknown tag into a warning with its line", () => {
    const parsed = parseManifestYaml("a: 1\nb: !custom 2\n");
    expect(parsed.errors).toEqual([]);
    expect(parsed.warnings.map((w) => w.line)).toEqual([2]);
    expect(parsed.warnings[0]?.message).toContain("!custom");
  });

  it("applies merge keys as kubectl does, explicit keys winning", () => {
    const parsed = parseManifestYaml("base: &base { a: 1, b: 2 }\nspec:\n  <<: *base\n  b: 3\n");
    expect(parsed.errors).toEqual([]);
    expect(parsed.documents[0]?.value).toEqual({ base: { a: 1, b: 2 }, spec: { a: 1, b: 3 } });
  });

  it("survives absurdly deep nesting without throwing", () => {
    const deep = `a: ${"[".repeat(20000)}${"]".repeat(20000)}\n`;
    expect(() => parseManifestYaml(deep)).not.toThrow();
  });
});
