import { describe, expect, it } from "vitest";
import { formatManifestError } from "../../../src/cli/output.js";
import { parseManifestYaml } from "../../../src/manifests/parse.js";
import { errorsIn, fixture, loadFake } from "./helpers.js";

/** The one error of a YAML text, as line, column and message. */
function problem(text: string): { line: number; column?: number; message: string } {
  const { errors } = parseManifestYaml(text);
  expect(errors).toHaveLength(1);
  const [{ line, column, message }] = errors as [(typeof errors)[number]];
  return { line, column, message };
}

describe("YAML syntax errors point at the offending token, in plain words", () => {
  it("a key indented deeper than its siblings: on that key's line, not on the value before it", () => {
    expect(problem("spec:\n  functionName: a\n   onFailure: b\n")).toEqual({
      line: 3,
      column: 4,
      message:
        'bad indentation of a mapping entry: "onFailure: b" is indented more than the entry above it; entries of one mapping must start at the same column',
    });
  });

  it("a key indented less than its siblings", () => {
    expect(problem("spec:\n    functionName: a\n  onFailure: b\n")).toEqual({
      line: 3,
      column: 3,
      message: "bad indentation of a mapping entry: entries of one mapping must start at the same column",
    });
  });

  it("a colon without a space after it, at the colon", () => {
    const expected = {
      line: 3,
      column: 23,
      message: 'unexpected ":" in "maximumRetryAttempts:2": did you forget a space after the colon?',
    };
    expect(problem("spec:\n  functionName: a\n  maximumRetryAttempts:2\n  onFailure: b\n")).toEqual(expected);
    expect(problem("spec:\n  functionName: a\n  maximumRetryAttempts:2\n")).toEqual(expected);
  });

  it("a line without a colon", () => {
    expect(problem("spec:\n  functionName a\n  onFailure: b\n")).toEqual({
      line: 2,
      column: 3,
      message: '"functionName a" is not a "key: value" entry: is a ":" missing?',
    });
  });

  it('": " inside a plain value, at its colon', () => {
    expect(problem("spec:\n  functionName: a: b\n")).toEqual({
      line: 2,
      column: 18,
      message: 'unexpected ":" inside a value; put the value in quotes if it contains ": " (e.g. "a: b")',
    });
  });

  it("an unclosed quote or bracket, at the opening one", () => {
    expect(problem('spec:\n  functionName: "abc\n  onFailure: b\n')).toEqual({
      line: 2,
      column: 17,
      message: 'this quoted value is never closed: add the closing "',
    });
    expect(problem("spec: {functionName: a\nkind: x\n")).toMatchObject({ line: 1, column: 7 });
    expect(problem("spec: {functionName: a\nkind: x\n").message).toMatch(
      /^this "\{" is never closed: add "\}"/,
    );
    expect(problem("spec:\n  functionResponseTypes: [a, b\n  x: 1\n")).toMatchObject({ line: 2, column: 26 });
  });

  it("a list item without a space after the dash, and a list item among mapping entries", () => {
    expect(problem("a:\n  - 1\n  -2\n")).toEqual({
      line: 3,
      column: 3,
      message: '"-2" is not a list item: put a space after the "-"',
    });
    expect(problem("spec:\n  a: 1\n  - b\n")).toMatchObject({ line: 3, column: 3 });
  });

  it("a tab used for indentation, and a reserved first character, at that character", () => {
    expect(problem("spec:\n  a: 1\n\tb: 2\n")).toEqual({
      line: 3,
      column: 1,
      message: "a tab is used for indentation: YAML indents with spaces only",
    });
    expect(problem("spec:\n  functionName: @fn\n")).toEqual({
      line: 2,
      column: 17,
      message: 'a value cannot start with "@" unless it is in quotes',
    });
  });

  it("keeps the library's words, with line and column, for a mistake not mapped", () => {
    expect(problem("spec: &\n")).toEqual({
      line: 1,
      column: 7,
      message: "YAML syntax error: anchor cannot be an empty string",
    });
  });

  it("reports file:line:column in the loader's error and its text form", async () => {
    const result = await loadFake([fixture("errors")]);
    const [error] = errorsIn(result, "syntax.yaml");
    expect(error).toMatchObject({ file: "syntax.yaml", line: 7, column: 1 });
    expect(formatManifestError(error!)).toBe(
      "syntax.yaml:7:1: a tab is used for indentation: YAML indents with spaces only",
    );
  });
});
