import type { LineCounter, YAMLError } from "yaml";

/** Where a YAML syntax error is, and what it means in a manifest author's words. */
export interface YamlSyntaxProblem {
  /** 1-based line of the offending token. */
  line: number;
  /** 1-based column of the offending token. */
  column: number;
  message: string;
}

interface Source {
  text: string;
  lineCounter: LineCounter;
}

const INDENT_RULE = "entries of one mapping must start at the same column";

function lineBounds(text: string, offset: number): { start: number; end: number } {
  const start = text.lastIndexOf("\n", offset - 1) + 1;
  const newline = text.indexOf("\n", offset);
  return { start, end: newline === -1 ? text.length : newline };
}

/** The first non-blank character of the line holding `offset` (the parser often points at the line start). */
function firstTokenOfLine(text: string, offset: number): number {
  const { start, end } = lineBounds(text, offset);
  const indent = /^[ \t]*/.exec(text.slice(start, end))?.[0].length ?? 0;
  return Math.min(start + indent, end);
}

function at(source: Source, offset: number, message: string): YamlSyntaxProblem {
  const { line, col } = source.lineCounter.linePos(offset);
  return { line, column: col, message };
}

/** `"functionName a"`: the start of a line, quoted and cut short, to name what the parser tripped on. */
function quoted(text: string, from: number): string {
  const { end } = lineBounds(text, from);
  const shown = text.slice(from, end).trimEnd();
  return JSON.stringify(shown.length > 40 ? `${shown.slice(0, 40)}…` : shown);
}

/** A `:` that should start a value but sits inside a compact mapping's value or deeper than its siblings. */
function nestedMapping(source: Source, error: YAMLError, next: YAMLError | undefined): YamlSyntaxProblem {
  const { text } = source;
  // With a following multi-line key error, that error's end is the colon; otherwise the colon follows the value.
  const fromNext = next?.code === "MULTILINE_IMPLICIT_KEY" && next.pos[0] === error.pos[0] ? next.pos[1] : -1;
  const colon = text[fromNext] === ":" ? fromNext : text.indexOf(":", error.pos[1]);
  if (colon === -1) return at(source, error.pos[0], `a value cannot hold a nested mapping here`);
  const sameLine = lineBounds(text, error.pos[0]).start === lineBounds(text, colon).start;
  if (sameLine) {
    return at(
      source,
      colon,
      'unexpected ":" inside a value; put the value in quotes if it contains ": " (e.g. "a: b")',
    );
  }
  const key = firstTokenOfLine(text, colon);
  return at(
    source,
    key,
    `bad indentation of a mapping entry: ${quoted(text, key)} is indented more than the entry above it; ${INDENT_RULE}`,
  );
}

/** A plain scalar where `key: value` was expected (no colon, or no space after it). */
function keyWithoutValue(source: Source, error: YAMLError): YamlSyntaxProblem {
  const { text } = source;
  const start = firstTokenOfLine(text, error.pos[0]);
  const { end } = lineBounds(text, start);
  const glued = /[^\s:]:[^\s:/]/.exec(text.slice(start, end));
  if (glued) {
    return at(
      source,
      start + glued.index + 1,
      `unexpected ":" in ${quoted(text, start)}: did you forget a space after the colon?`,
    );
  }
  return at(source, start, `${quoted(text, start)} is not a "key: value" entry: is a ":" missing?`);
}

function badIndent(source: Source, error: YAMLError): YamlSyntaxProblem {
  const { text } = source;
  const flow = /^Flow (map|sequence)/.exec(error.message);
  if (flow) {
    const [open, close] = flow[1] === "map" ? ["{", "}"] : ["[", "]"];
    const opened = text.lastIndexOf(open, error.pos[0]);
    return at(
      source,
      opened === -1 ? error.pos[0] : opened,
      `this "${open}" is never closed: add "${close}" (a flow ${flow[1] === "map" ? "mapping" : "list"} on several lines must be indented more than its key)`,
    );
  }
  const token = firstTokenOfLine(text, error.pos[0]);
  if (/^-[^\s-]/.test(text.slice(token, token + 2))) {
    return at(source, token, `${quoted(text, token)} is not a list item: put a space after the "-"`);
  }
  if (/same column/.test(error.message)) {
    return at(source, token, `bad indentation of a mapping entry: ${INDENT_RULE}`);
  }
  return at(source, token, `bad indentation: ${lowerFirst(error.message)}`);
}

function flowContext(message: string): string {
  const flow = / in flow (map|sequence)/.exec(message)?.[1];
  if (flow === undefined) return "";
  return flow === "map" ? " in a {…} mapping" : " in a […] list";
}

function lowerFirst(message: string): string {
  const first = message.split("\n")[0] ?? message;
  return first.charAt(0).toLowerCase() + first.slice(1);
}

/**
 * Turns the YAML library's error into the line and column of the token that
 * is wrong, in plain words. The library reports some mistakes where it gave
 * up rather than where the author went wrong (a too-deep key on the line
 * after a value is reported at that value), so the common codes are mapped
 * here; the others keep the library's own words.
 */
export function describeYamlError(source: Source, error: YAMLError, next?: YAMLError): YamlSyntaxProblem {
  const { text } = source;
  const [offset] = error.pos;
  switch (error.code) {
    case "TAB_AS_INDENT":
      return at(source, offset, "a tab is used for indentation: YAML indents with spaces only");
    case "BAD_INDENT":
      return badIndent(source, error);
    case "BLOCK_AS_IMPLICIT_KEY":
      if (/^Nested mappings/.test(error.message)) return nestedMapping(source, error, next);
      if (/block sequence/.test(error.message)) {
        return at(
          source,
          firstTokenOfLine(text, offset),
          'a list item ("- …") cannot stand between the entries of a mapping: put it under a key of its own, indented',
        );
      }
      break;
    case "MULTILINE_IMPLICIT_KEY":
      return keyWithoutValue(source, error);
    case "MISSING_CHAR": {
      const quote = /^Missing closing (["'])/.exec(error.message)?.[1];
      if (quote) {
        const opened = text.lastIndexOf(quote, offset - 1);
        return at(
          source,
          opened === -1 ? offset : opened,
          `this quoted value is never closed: add the closing ${quote}`,
        );
      }
      if (/followed by map values/.test(error.message)) return keyWithoutValue(source, error);
      break;
    }
    case "BAD_SCALAR_START": {
      const char = text[offset] ?? "";
      return at(source, offset, `a value cannot start with "${char}" unless it is in quotes`);
    }
    case "UNEXPECTED_TOKEN":
      if (/scalar at node end/.test(error.message)) {
        return at(source, offset, "unexpected text after the value: quote the whole value");
      }
      return at(source, offset, `unexpected "${text[offset] ?? ""}"${flowContext(error.message)}`);
  }
  return at(source, offset, `YAML syntax error: ${lowerFirst(error.message)}`);
}
