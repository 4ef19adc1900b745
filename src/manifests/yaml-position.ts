import { type Document, isAlias, isMap, isScalar, isSeq, type LineCounter, type Node, type Pair } from "yaml";

export type PathSegment = string | number;

/** One parsed YAML document and what is needed to turn a field path into a line. */
export interface PositionedDocument {
  doc: Document.Parsed;
  lineCounter: LineCounter;
}

function lineOf(lineCounter: LineCounter, node: Node | null | undefined): number | undefined {
  const offset = node?.range?.[0];
  return offset === undefined ? undefined : lineCounter.linePos(offset).line;
}

function resolve(doc: Document.Parsed, node: unknown): unknown {
  return isAlias(node) ? node.resolve(doc) : node;
}

function keyMatches(pair: Pair<unknown, unknown>, segment: PathSegment): boolean {
  return isScalar(pair.key) && String(pair.key.value) === String(segment);
}

/** 1-based line where the document's content starts (after `---` and leading comments). */
export function documentLine({ doc, lineCounter }: PositionedDocument): number {
  return lineOf(lineCounter, doc.contents) ?? lineCounter.linePos(doc.range[0]).line;
}

/**
 * The line of the field at `path`: the line of its key in a mapping, of the item in a
 * list; where the path does not exist (a missing field), the line of its nearest
 * existing parent, so "spec.functionName: is required" points at `spec:`.
 */
export function lineAt(positioned: PositionedDocument, path: readonly PathSegment[]): number {
  const { doc, lineCounter } = positioned;
  let line = documentLine(positioned);
  let node = resolve(doc, doc.contents);
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => keyMatches(p, segment));
      if (pair === undefined) break;
      line = lineOf(lineCounter, pair.key as Node) ?? line;
      node = resolve(doc, pair.value);
    } else if (isSeq(node) && typeof segment === "number") {
      const item = node.items[segment];
      if (item === undefined) break;
      line = lineOf(lineCounter, item as Node) ?? line;
      node = resolve(doc, item);
    } else {
      break;
    }
  }
  return line;
}

/** The path of the mapping key that starts at `offset` (for YAML errors such as duplicate keys). */
export function keyPathAt(doc: Document.Parsed, offset: number): PathSegment[] | undefined {
  const search = (node: unknown, path: PathSegment[]): PathSegment[] | undefined => {
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isScalar(pair.key)) continue;
        const keyPath = [...path, String(pair.key.value)];
        if (pair.key.range?.[0] === offset) return keyPath;
        const found = search(pair.value, keyPath);
        if (found) return found;
      }
    } else if (isSeq(node)) {
      for (const [index, item] of node.items.entries()) {
        const found = search(item, [...path, index]);
        if (found) return found;
      }
    }
    return undefined;
  };
  return search(doc.contents, []);
}

/** The first mapping key that is not a scalar (`? [a, b]`): JSON cannot represent it. */
export function complexKeyLine(positioned: PositionedDocument): number | undefined {
  const visit = (node: unknown, depth: number): number | undefined => {
    if (depth > 256) return undefined;
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isScalar(pair.key))
          return lineOf(positioned.lineCounter, pair.key as Node) ?? documentLine(positioned);
        const found = visit(pair.value, depth + 1);
        if (found !== undefined) return found;
      }
    } else if (isSeq(node)) {
      for (const item of node.items) {
        const found = visit(item, depth + 1);
        if (found !== undefined) return found;
      }
    }
    return undefined;
  };
  return visit(positioned.doc.contents, 0);
}
