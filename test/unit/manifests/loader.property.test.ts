import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { KINDS } from "../../../src/kinds/registry.js";
import { loadManifests } from "../../../src/manifests/load.js";
import type { LoadResult } from "../../../src/manifests/manifest.js";
import { deadLetterSpec, invokeConfigSpec, redriveSpec, targetSpec } from "../kinds/arbitraries.js";

/**
 * Whatever lands in the manifest folder (random YAML documents, random field
 * names, values and nesting, YAML oddities, random bytes), the loader resolves
 * and every problem it reports says where: file, line, field path, message.
 */

const RUNS = Number(process.env.PROPERTY_RUNS ?? 250);

const KIND_NAMES = [...KINDS.map((k) => k.kind), "Unknown", "functioneventinvokeconfig", ""];
// Every field the kinds know, a few near misses, and names that are special in JavaScript or YAML.
const FIELD_NAMES = [
  "region",
  "functionName",
  "qualifier",
  "maximumRetryAttempts",
  "maxRetryAttempts",
  "maximumEventAgeInSeconds",
  "onSuccess",
  "onFailure",
  "targetArn",
  "eventSourceArn",
  "uuid",
  "batchSize",
  "maximumBatchingWindowInSeconds",
  "maximumRecordAgeInSeconds",
  "bisectBatchOnFunctionError",
  "parallelizationFactor",
  "functionResponseTypes",
  "maximumConcurrency",
  "queue",
  "deadLetterQueue",
  "maxReceiveCount",
  "visibilityTimeoutSeconds",
  "eventBusName",
  "rule",
  "targetId",
  "__proto__",
  "constructor",
  "toString",
  "<<",
  "",
];

const fieldName = fc.oneof(fc.constantFrom(...FIELD_NAMES), fc.string({ maxLength: 12 }));

const scalar = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.string({ maxLength: 30 }),
  fc.string({ unit: "binary", maxLength: 10 }),
  fc.constantFrom(
    "arn:aws:sqs:us-east-1:123456789012:q",
    "arn:aws:lambda:us-east-1:123456789012:function:f",
    "-1",
    "1e309",
    "0x1F",
    "~",
    "$LATEST",
    "us-east-1",
  ),
);

const { value } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    scalar,
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(fieldName, tie("value"), { maxKeys: 5 }),
  ),
}));

/** Something shaped like a manifest, every part of it possibly wrong. */
const manifestLike = fc.record(
  {
    apiVersion: fc.oneof(fc.constant("retryctl.dev/v1alpha1"), fc.string({ maxLength: 20 }), value),
    kind: fc.oneof(fc.constantFrom(...KIND_NAMES), value),
    metadata: fc.oneof(
      fc.record(
        {
          name: fc.oneof(fc.stringMatching(/^[a-z0-9]([-a-z0-9.]{0,20}[a-z0-9])?$/), value),
          labels: value,
          annotations: fc.oneof(
            value,
            fc.constant({ "retryctl.dev/suspend": "true" }),
            fc.constant({ "retryctl.dev/mode": "observe" }),
          ),
        },
        { requiredKeys: [] },
      ),
      value,
    ),
    spec: fc.oneof(fc.dictionary(fieldName, value, { maxKeys: 8 }), value),
  },
  { requiredKeys: [] },
);

/** Valid manifests of every kind, so the loader's happy path is in the mix too. */
const validManifest = fc
  .oneof(
    invokeConfigSpec.map((spec) => ["FunctionEventInvokeConfig", spec] as const),
    deadLetterSpec.map((spec) => ["FunctionDeadLetterConfig", spec] as const),
    redriveSpec.map((spec) => ["QueueRedrivePolicy", spec] as const),
    targetSpec.map((spec) => ["EventTargetRetryPolicy", spec] as const),
  )
  .chain(([kind, spec]) =>
    fc.stringMatching(/^[a-z0-9]{1,12}$/).map((name) => ({
      apiVersion: "retryctl.dev/v1alpha1",
      kind,
      metadata: { name },
      spec,
    })),
  );

/** YAML that parsers stumble on: anchors, aliases, merge keys, tags, odd indentation, directives. */
const yamlOddity = fc.constantFrom(
  "a: &x [1, 2]\nb: *x\n",
  "a: *undefined\n",
  "<<: {spec: {}}\nkind: QueueRedrivePolicy\n",
  "spec: !!binary aGVsbG8=\n",
  "spec: !custom {a: 1}\n",
  "? [complex, key]\n: value\n",
  "? {a: 1}\n: b\n",
  "kind: QueueRedrivePolicy\nkind: QueueRedrivePolicy\n",
  "\tspec: tab\n",
  "%YAML 1.2\n---\nkind: x\n",
  "--- !!set\n? a\n",
  "spec: {\n",
  "]\n",
  "'unterminated\n",
  "spec:\n  - a\n - b\n",
  "\uFEFFkind: FunctionDeadLetterConfig\n",
  "a: 1\r\nb: 2\r\n",
  "...\n",
  "--- |\n  block\n",
);

const deep = fc.oneof(
  fc.integer({ min: 1, max: 20_000 }).map((n) => `spec: ${"[".repeat(n)}${"]".repeat(n)}\n`),
  fc
    .integer({ min: 1, max: 3_000 })
    .map((n) => `spec:\n${Array.from({ length: n }, (_, i) => `${" ".repeat(i)}- `).join("\n")}x\n`),
);

/** Random edits (insert, delete, replace) applied to a text, to make near-valid YAML. */
function mutated(text: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc
    .tuple(
      text,
      fc.array(fc.tuple(fc.nat(), fc.nat({ max: 3 }), fc.string({ maxLength: 3 })), { maxLength: 4 }),
    )
    .map(([t, edits]) =>
      edits.reduce((acc, [at, remove, insert]) => {
        const i = acc.length === 0 ? 0 : at % acc.length;
        return acc.slice(0, i) + insert + acc.slice(i + remove);
      }, t),
    );
}

const document = fc.oneof(
  manifestLike.map((d) => stringify(d)),
  manifestLike.map((d) => JSON.stringify(d) ?? "null"),
  validManifest.map((d) => stringify(d)),
  mutated(fc.oneof(manifestLike, validManifest).map((d) => stringify(d))),
  yamlOddity,
  fc.string({ maxLength: 200 }),
  fc.string({ unit: "binary", maxLength: 200 }),
);

const separator = fc.constantFrom("---\n", "\n---\n", "...\n---\n", "--- # next\n");

/** A file's content: documents joined by separators, deep nesting, or raw bytes. */
const fileContent: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(fc.array(document, { minLength: 1, maxLength: 4 }), separator)
      .map(([docs, sep]) => docs.join(sep)),
  },
  { weight: 1, arbitrary: deep },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }) },
);

const FILE_NAMES = [
  "a.yaml",
  "b.yml",
  "nested/c.yaml",
  "nested/deeper/D.YAML",
  ".hidden.yaml",
  ".git/e.yaml",
  "notes.txt",
];
const files = fc.dictionary(fc.constantFrom(...FILE_NAMES), fileContent, { minKeys: 1, maxKeys: 4 });

function checkReport(result: LoadResult, names: Set<string>): void {
  for (const e of result.errors) {
    const where = JSON.stringify(e);
    expect(typeof e.file, where).toBe("string");
    expect(e.file.length, where).toBeGreaterThan(0);
    expect(names.has(e.file), where).toBe(true);
    expect(Number.isInteger(e.line), where).toBe(true);
    expect(e.line, where).toBeGreaterThanOrEqual(0);
    expect(typeof e.path, where).toBe("string");
    expect(typeof e.message, where).toBe("string");
    expect(e.message.trim().length, where).toBeGreaterThan(0);
  }
  for (const w of result.warnings) {
    const where = JSON.stringify(w);
    expect(typeof w.file, where).toBe("string");
    expect(Number.isInteger(w.line) && w.line >= 0, where).toBe(true);
    expect(w.code, where).toMatch(/^[A-Za-z]+$/);
    expect(w.message.trim().length, where).toBeGreaterThan(0);
  }
  for (const m of result.manifests) {
    expect(m.kind.specSchema.safeParse(m.spec).success, m.key).toBe(true);
    expect(names.has(m.source.file), m.key).toBe(true);
    expect(m.source.line, m.key).toBeGreaterThanOrEqual(1);
  }
  expect(result.contentHash).toMatch(/^sha256:[0-9a-f]{64}$/);
}

describe("the manifest loader on random input", () => {
  let root: string;
  let run = 0;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "retryctl-loader-property-"));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("always resolves, and every error has a file, a line ≥ 0, a path and a message", async () => {
    let reported = 0;
    let loaded = 0;
    await fc.assert(
      fc.asyncProperty(files, async (tree) => {
        const dir = join(root, String(run++));
        for (const [name, content] of Object.entries(tree)) {
          await mkdir(dirname(join(dir, name)), { recursive: true });
          await writeFile(join(dir, name), content);
        }
        const result = await loadManifests([dir], { defaultRegion: "us-east-1", cwd: dir });
        checkReport(result, new Set([...Object.keys(tree), "."]));
        reported += result.errors.length;
        loaded += result.manifests.length;
        await rm(dir, { recursive: true, force: true });
      }),
      { numRuns: RUNS },
    );
    // Both paths were exercised: plenty of errors, and some manifests that loaded.
    expect(reported).toBeGreaterThan(RUNS);
    expect(loaded).toBeGreaterThan(RUNS / 10);
  }, 120_000);
});
