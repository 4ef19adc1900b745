import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jsonChunks } from "../../../src/server/json-chunks.js";

const text = (doc: Record<string, unknown>) => [...jsonChunks(doc)].join("");

describe("jsonChunks", () => {
  it("writes exactly what JSON.stringify(doc, null, 2) writes, plus a newline", () => {
    const resource = (i: number) => ({
      kind: "FunctionEventInvokeConfig",
      name: `fn-${i}`,
      status: "Synced",
      source: { file: `async/fn-${i}.yaml`, line: 1 },
      message: 'quotes " and \\ and\nnewlines',
      observedRevision: null,
    });
    const doc = {
      revision: "sha256:abc",
      mode: "enforce",
      lastSyncTime: null,
      ready: true,
      resources: Array.from({ length: 3000 }, (_, i) => resource(i)),
      manifestErrors: [],
      nested: { a: [1, { b: [] }], c: {} },
      skipped: undefined,
    };
    expect(text(doc)).toBe(`${JSON.stringify(doc, null, 2)}\n`);
  });

  it("agrees with JSON.stringify on any JSON document", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (doc) => {
        expect(text(doc)).toBe(`${JSON.stringify(doc, null, 2)}\n`);
      }),
    );
  });

  it("hands a long list out in several chunks, each holding whole entries", () => {
    const resources = Array.from({ length: 5000 }, (_, i) => ({ name: `r-${i}`, message: "x".repeat(100) }));
    const chunks = [...jsonChunks({ resources })];
    expect(chunks.length).toBeGreaterThan(5);
    // A chunk never ends inside an entry: every "name" it holds is followed by that entry's message.
    for (const chunk of chunks) {
      expect(chunk.match(/"name"/g)?.length ?? 0).toBe(chunk.match(/"message"/g)?.length ?? 0);
    }
    expect(JSON.parse(chunks.join(""))).toEqual({ resources });
  });
});
