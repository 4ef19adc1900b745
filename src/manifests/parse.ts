import { isScalar, LineCounter, parseAllDocuments, type YAMLError } from "yaml";
import { formatPath } from "./path.js";
import { describeYamlError } from "./yaml-errors.js";
import { complexKeyLine, documentLine, keyPathAt, lineAt, type PositionedDocument } from "./yaml-position.js";

/** References to one anchor that a document may expand; beyond it a document is treated as an alias bomb. */
export const MAX_ALIAS_COUNT = 100;

/** A non-empty YAML document, converted to plain data, that still knows its lines. */
export interface YamlDocument extends PositionedDocument {
  value: unknown;
  /** Line where the document's content starts. */
  line: number;
}

export interface YamlProblem {
  line: number;
  /** 1-based column of the offending token, where the parser names one. */
  column?: number;
  path: string;
  message: string;
}

export interface ParsedFile {
  documents: YamlDocument[];
  errors: YamlProblem[];
  warnings: YamlProblem[];
}

function isEmpty(contents: unknown): boolean {
  return contents === null || (isScalar(contents) && contents.value === null);
}

function syntaxError(
  positioned: PositionedDocument,
  text: string,
  error: YAMLError,
  next?: YAMLError,
): YamlProblem {
  const offset = error.pos[0];
  const { line, col: column } = positioned.lineCounter.linePos(offset);
  if (error.code === "DUPLICATE_KEY") {
    const path = keyPathAt(positioned.doc, offset);
    if (path !== undefined) {
      const first = lineAt(positioned, path);
      const key = String(path[path.length - 1]);
      return {
        line,
        column,
        path: formatPath(path),
        message: `duplicate key "${key}" (first set on line ${first}); keys must be unique`,
      };
    }
  }
  if (error.code === "RESOURCE_EXHAUSTION" && /call stack/i.test(error.message)) {
    // The parser recurses per nesting level; the library catches the RangeError and reports it here.
    return { line, path: "", message: TOO_DEEP };
  }
  const described = describeYamlError({ text, lineCounter: positioned.lineCounter }, error, next);
  return { ...described, path: "" };
}

/** The message for YAML nested deeper than the parser's stack allows (thousands of `[` or `- `). */
export const TOO_DEEP =
  "YAML nested too deep: the parser ran out of stack (a manifest nests a few levels, not thousands); refusing the document";

/**
 * Parses every document of a file. A document with a syntax error is reported
 * (its first error, the rest are usually consequences) and dropped; the other
 * documents of the file still count.
 */
export function parseManifestYaml(text: string): ParsedFile {
  const lineCounter = new LineCounter();
  const result: ParsedFile = { documents: [], errors: [], warnings: [] };
  // Merge keys (`<<: *defaults`) as kubectl's YAML reader accepts them; they count towards the alias limit.
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: true });
  for (const doc of docs) {
    const positioned = { doc, lineCounter };
    for (const warning of doc.warnings) {
      result.warnings.push({ ...syntaxError(positioned, text, warning), message: warning.message });
    }
    const [firstError, secondError] = doc.errors;
    if (firstError !== undefined) {
      result.errors.push(syntaxError(positioned, text, firstError, secondError));
      continue;
    }
    if (isEmpty(doc.contents)) continue;
    const line = documentLine(positioned);
    const complexKey = complexKeyLine(positioned);
    if (complexKey !== undefined) {
      result.errors.push({
        line: complexKey,
        path: "",
        message: "mapping keys must be plain scalars, not lists or mappings",
      });
      continue;
    }
    try {
      result.documents.push({ ...positioned, line, value: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) });
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      const message = /alias count/i.test(text)
        ? `YAML aliases expand too much (more than ${MAX_ALIAS_COUNT} references); refusing a possible alias bomb`
        : `YAML error: ${text}`;
      result.errors.push({ line, path: "", message });
    }
  }
  return result;
}
