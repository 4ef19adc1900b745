import { beforeAll, describe, expect, it } from "vitest";
import type { LoadResult } from "../../../src/manifests/manifest.js";
import { brief, errorsIn, fixture, loadFake } from "./helpers.js";

/** Every file in fixtures/manifests/errors is one error case; good.yaml must load next to them. */
let result: LoadResult;

beforeAll(async () => {
  result = await loadFake([fixture("errors")]);
});

describe("one bad manifest never stops the others", () => {
  it("loads the valid manifests of the folder, including a valid document after a broken one in the same file", () => {
    expect(result.manifests.map((m) => [m.source.file, m.source.line, m.name])).toEqual([
      ["good.yaml", 1, "good"],
      ["syntax.yaml", 10, "syntax-sibling"],
    ]);
  });

  it("orders the errors by file, then line", () => {
    const positions = result.errors.map((e) => `${e.file}:${String(e.line).padStart(3, "0")}`);
    expect(positions).toEqual([...positions].sort());
  });
});

describe("YAML problems", () => {
  it("reports a syntax error with its line", () => {
    expect(errorsIn(result, "syntax.yaml").map(brief)).toEqual([
      {
        file: "syntax.yaml",
        line: 7,
        path: "",
        message: "a tab is used for indentation: YAML indents with spaces only",
      },
    ]);
  });

  it("makes a duplicate key an error at the second key, naming the first one's line", () => {
    expect(errorsIn(result, "duplicate-key.yaml").map(brief)).toEqual([
      {
        file: "duplicate-key.yaml",
        line: 8,
        path: "spec.maximumRetryAttempts",
        message: 'duplicate key "maximumRetryAttempts" (first set on line 7); keys must be unique',
      },
    ]);
  });

  it("refuses an alias bomb with a clear error instead of expanding it", () => {
    expect(errorsIn(result, "alias-bomb.yaml").map(brief)).toEqual([
      {
        file: "alias-bomb.yaml",
        line: 1,
        path: "",
        message: "YAML aliases expand too much (more than 100 references); refusing a possible alias bomb",
      },
    ]);
  });

  it("rejects a document that is not a mapping", () => {
    expect(errorsIn(result, "not-a-mapping.yaml").map(brief)).toEqual([
      {
        file: "not-a-mapping.yaml",
        line: 1,
        path: "",
        message: "a manifest must be a mapping with apiVersion, kind, metadata and spec",
      },
    ]);
  });
});

describe("envelope", () => {
  it("rejects a wrong apiVersion on its line, showing the value found", () => {
    expect(errorsIn(result, "api-version.yaml").map(brief)).toEqual([
      {
        file: "api-version.yaml",
        line: 2,
        path: "apiVersion",
        message: 'must be retryctl.dev/v1alpha1, got "retryctl.dev/v1"',
      },
    ]);
  });

  it("rejects an unknown kind, suggesting the close one and listing the known kinds", () => {
    expect(errorsIn(result, "unknown-kind.yaml").map(brief)).toEqual([
      {
        file: "unknown-kind.yaml",
        line: 2,
        path: "kind",
        message: 'unknown kind "Widgit"; did you mean "Widget"? Known kinds: Widget, Gadget, RetryPolicy',
      },
      {
        file: "unknown-kind.yaml",
        line: 9,
        path: "kind",
        message: 'unknown kind "Sprocket"; known kinds: Widget, Gadget, RetryPolicy',
      },
    ]);
  });

  it("rejects a bad metadata.name and a bad annotation value on their lines", () => {
    expect(errorsIn(result, "bad-name.yaml").map(brief)).toEqual([
      {
        file: "bad-name.yaml",
        line: 4,
        path: "metadata.name",
        message:
          "must consist of lower-case letters, digits, '-' and '.', and start and end with a letter or digit, " +
          'got "Orders_Stream"',
      },
      {
        file: "bad-name.yaml",
        line: 6,
        path: 'metadata.annotations["retryctl.dev/mode"]',
        message: 'must be "enforce" or "observe", got "enforced"',
      },
    ]);
  });

  it("reports missing fields on the line of their parent, with the kind and name when known", () => {
    expect(errorsIn(result, "missing.yaml")).toEqual([
      {
        file: "missing.yaml",
        line: 5,
        path: "spec.functionName",
        message: "is required",
        kind: "Widget",
        name: "missing-function",
      },
      {
        file: "missing.yaml",
        line: 8,
        path: "apiVersion",
        message: "is required; must be retryctl.dev/v1alpha1",
        kind: "Widget",
      },
      { file: "missing.yaml", line: 8, path: "metadata", message: "is required", kind: "Widget" },
    ]);
  });
});

describe("strict spec", () => {
  it("names an unknown field and suggests the close known one, on the field's line, nested too", () => {
    expect(errorsIn(result, "unknown-field.yaml").map(brief)).toEqual([
      {
        file: "unknown-field.yaml",
        line: 8,
        path: "spec.maxRetryAttempts",
        message: 'unknown field "maxRetryAttempts"; did you mean "maximumRetryAttempts"?',
      },
      {
        file: "unknown-field.yaml",
        line: 11,
        path: "spec.batching.windowSecs",
        message: 'unknown field "windowSecs"; did you mean "windowSeconds"?',
      },
      {
        file: "unknown-field.yaml",
        line: 12,
        path: "spec.colour",
        message:
          'unknown field "colour"; known fields: region, functionName, qualifier, maximumRetryAttempts, onFailure, batching, tags',
      },
    ]);
  });

  it("says where a spec field placed at the top belongs, and suggests for metadata typos", () => {
    expect(errorsIn(result, "misplaced.yaml").map(brief)).toEqual([
      {
        file: "misplaced.yaml",
        line: 5,
        path: "metadata.namme",
        message: 'unknown field "namme"; did you mean "name"?',
      },
      {
        file: "misplaced.yaml",
        line: 6,
        path: "maximumRetryAttempts",
        message: 'unknown field "maximumRetryAttempts"; "maximumRetryAttempts" belongs under spec',
      },
    ]);
  });

  it("reports out-of-range values and wrong types on their lines with the value found", () => {
    expect(errorsIn(result, "out-of-range.yaml").map(brief)).toEqual([
      {
        file: "out-of-range.yaml",
        line: 7,
        path: "spec.maximumRetryAttempts",
        message: "must be between 0 and 2, got 5",
      },
      {
        file: "out-of-range.yaml",
        line: 9,
        path: "spec.batching.size",
        message: 'must be an integer, got "3"',
      },
      { file: "out-of-range.yaml", line: 10, path: "spec.tags[1]", message: "must be a string, got 7" },
    ]);
  });

  it("puts a cross-field rule (superRefine with a path) on the line of the field it names", () => {
    expect(errorsIn(result, "cross-field.yaml").map(brief)).toEqual([
      {
        file: "cross-field.yaml",
        line: 7,
        path: "spec.qualifier",
        message: 'must not be set when functionName has one, got "blue"',
      },
    ]);
  });
});
