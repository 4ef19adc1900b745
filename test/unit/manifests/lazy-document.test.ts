import { describe, expect, it } from "vitest";
import { reparser, withoutTree } from "../../../src/manifests/lazy-document.js";
import { parseManifestYaml } from "../../../src/manifests/parse.js";
import { lineAt } from "../../../src/manifests/yaml-position.js";

const TEXT = `# two manifests
kind: A
spec:
  first: 1
---

kind: B
base: &base
  x: 1
spec:
  <<: *base
  second:
    - a
    - b
`;

describe("a document without its YAML tree", () => {
  it("answers every line lookup exactly as the parsed document did", () => {
    const parsed = parseManifestYaml(TEXT).documents;
    const reparse = reparser();
    const paths = [
      [],
      ["kind"],
      ["spec"],
      ["spec", "first"],
      ["spec", "second", 1],
      ["spec", "missing"],
      ["base", "x"],
    ];
    parsed.forEach((document, index) => {
      const light = withoutTree(document, TEXT, index, reparse);
      expect(light.line).toBe(document.line);
      expect(light.value).toEqual(document.value);
      for (const path of paths) expect(lineAt(light, path)).toBe(lineAt(document, path));
    });
  });

  it("does not hold the tree: each lookup parses again, and only the last file parsed is kept", () => {
    let parses = 0;
    const reparse = reparser();
    const counting = (text: string, index: number) => {
      parses++;
      return reparse(text, index);
    };
    const [document] = parseManifestYaml(TEXT).documents;
    if (!document) throw new Error("no document");
    const light = withoutTree(document, TEXT, 0, counting);
    expect(Object.getOwnPropertyDescriptor(light, "doc")?.get).toBeTypeOf("function");
    expect(lineAt(light, ["spec", "first"])).toBe(4);
    expect(parses).toBeGreaterThan(0);
    // The same file again is served from the one-entry cache: same tree object.
    expect(reparse(TEXT, 0).doc).toBe(reparse(TEXT, 0).doc);
    expect(reparse(`${TEXT}\n`, 0).doc).not.toBe(reparse(TEXT, 0).doc);
  });
});
