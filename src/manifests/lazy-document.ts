import type { Manifest } from "./manifest.js";
import { parseManifestYaml, type YamlDocument } from "./parse.js";

/** Parses a file again, keeping only the last file parsed (lint and conflicts visit candidates file by file). */
export type Reparse = (text: string, index: number) => YamlDocument;

export function reparser(): Reparse {
  let lastText: string | undefined;
  let last: YamlDocument[] = [];
  return (text, index) => {
    if (text !== lastText) {
      last = parseManifestYaml(text).documents;
      lastText = text;
    }
    const document = last[index];
    if (!document) throw new Error(`document ${index} of the file is gone on a second parse`);
    return document;
  };
}

/**
 * The same document without its YAML tree: `doc` and `lineCounter` come from
 * parsing the text again, on demand. A parsed tree weighs far more than its
 * text, and once a document is validated only lint and conflict messages need
 * lines, for the few manifests they report on. Keeping every tree until the
 * whole set was checked made them most of a large load's peak memory.
 */
export function withoutTree(
  document: YamlDocument,
  text: string,
  index: number,
  reparse: Reparse,
): YamlDocument {
  const { line, value } = document;
  return {
    line,
    value,
    get doc() {
      return reparse(text, index).doc;
    },
    get lineCounter() {
      return reparse(text, index).lineCounter;
    },
  };
}

/**
 * Whether lint may want a line of this manifest: it warns when no other
 * manifest provides anything (facts only ever silence a warning). Such a
 * manifest keeps its tree, so reporting its warnings costs no second parse;
 * the others drop it. A lint that throws counts as a warning.
 */
export function mayWarn(manifest: Manifest): boolean {
  try {
    return manifest.kind.lint(manifest.spec, { region: manifest.region, provided: () => false }).length > 0;
  } catch {
    return true;
  }
}
