/** Chunks are gathered up to about this many characters before they are handed out. */
const CHUNK_CHARS = 64 * 1024;

/**
 * The text of `JSON.stringify(doc, null, 2)` followed by a newline, in chunks:
 * the elements of top-level arrays are serialised one at a time. `/status`
 * lists every resource, and building its whole document as one string (then
 * scrubbed, then encoded) held several copies of it at once, which for
 * thousands of resources was a large share of the controller's peak memory.
 */
export function* jsonChunks(doc: Record<string, unknown>): Generator<string> {
  let buffer = "";
  const emit = function* (text: string): Generator<string> {
    buffer += text;
    if (buffer.length >= CHUNK_CHARS) {
      yield buffer;
      buffer = "";
    }
  };
  const entries = Object.entries(doc).filter(
    ([, value]) => value !== undefined && typeof value !== "function",
  );
  if (entries.length === 0) {
    yield "{}\n";
    return;
  }
  yield* emit("{");
  for (const [i, [key, value]] of entries.entries()) {
    yield* emit(`${i === 0 ? "" : ","}\n  ${JSON.stringify(key)}: `);
    if (Array.isArray(value) && value.length > 0) {
      yield* emit("[");
      for (const [j, item] of value.entries()) {
        yield* emit(`${j === 0 ? "" : ","}\n    ${indent(JSON.stringify(item ?? null, null, 2), "    ")}`);
      }
      yield* emit("\n  ]");
    } else {
      yield* emit(indent(JSON.stringify(value, null, 2), "  "));
    }
  }
  yield* emit("\n}\n");
  if (buffer.length > 0) yield buffer;
}

/** JSON text never holds a raw newline inside a string, so every newline starts a line of structure. */
function indent(json: string, by: string): string {
  return json.replaceAll("\n", `\n${by}`);
}
