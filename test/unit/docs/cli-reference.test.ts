import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLI_DOC, REGENERATE, renderCliReference } from "../../../scripts/docs/cli-reference.js";
import { buildProgram } from "../../../src/cli/program.js";
import { ROOT } from "./markdown.js";

describe(`the generated CLI reference (${CLI_DOC})`, () => {
  it(`is what the generator writes from the commander definitions (else: run \`${REGENERATE}\`)`, () => {
    const committed = readFileSync(join(ROOT, CLI_DOC), "utf8");
    // Line by line, so a failure shows the lines that differ rather than one long string.
    expect(committed.split("\n"), `${CLI_DOC} is stale: run \`${REGENERATE}\` and commit the result`).toEqual(
      renderCliReference().split("\n"),
    );
  });

  it("lists every command and every visible flag of the definition", () => {
    const text = renderCliReference();
    const program = buildProgram({ stdout: () => {}, stderr: () => {} }, () => {});
    for (const command of program.commands) {
      expect(text).toContain(`## \`retryctl ${command.name()}\``);
      for (const option of command.options) {
        if (option.hidden) expect(text).not.toContain(option.long);
        else expect(text).toContain(`\`${option.flags}\``);
      }
    }
    for (const option of program.options)
      if (option.long !== "--version") expect(text).toContain(option.flags);
  });
});
