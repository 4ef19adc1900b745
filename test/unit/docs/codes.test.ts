import { describe, expect, it } from "vitest";
import { documentedCodes, mentionedCodes, sourceCodes, statusReasons } from "./codes.js";
import { docFiles } from "./markdown.js";

const TROUBLESHOOTING = "docs/troubleshooting.md";

describe("error and warning codes", () => {
  const codes = sourceCodes();
  const documented = documentedCodes(TROUBLESHOOTING);

  it(`every code src/ can report has its own heading in ${TROUBLESHOOTING}`, () => {
    const missing = [...codes.values()]
      .filter((site) => !documented.has(site.code))
      .map((site) => `${site.code} (defined at ${site.at})`);
    expect(
      missing,
      `add a heading "### \`Code\`" for each, under "## Errors" or "## Warnings" of ${TROUBLESHOOTING}, with its class, cause and what to do`,
    ).toEqual([]);
  });

  it(`every code ${TROUBLESHOOTING} documents is one src/ can report`, () => {
    const stale = [...documented]
      .filter(([code]) => !codes.has(code))
      .map(([code, line]) => `${TROUBLESHOOTING}:${line}: ${code}`);
    expect(stale, "remove the heading, or fix the spelling to the code in src/").toEqual([]);
  });

  it("every code the docs name in running text (code/error/reason/warning `X`) exists", () => {
    const reasons = statusReasons();
    const unknown = docFiles().flatMap((doc) =>
      mentionedCodes(doc)
        .filter((m) => !codes.has(m.code) && !reasons.has(m.code))
        .map((m) => `${doc}:${m.line}: ${m.code}`),
    );
    expect(unknown, "no such code in src/: fix the name").toEqual([]);
  });

  it("the extraction itself finds codes of every shape src/ uses", () => {
    // One of each: a ResourceError literal, a lint `code:`, a credential code, a constant, a `??` fallback.
    for (const code of [
      "MappingNotFound",
      "PipeNoDlq",
      "ExpiredToken",
      "NoManifestFiles",
      "PutTargetsFailed",
    ]) {
      expect(codes.has(code), code).toBe(true);
    }
    expect([...codes.keys()].filter((c) => /Exception$|^E[A-Z]+$/.test(c))).toEqual([]);
    const text = ["## Errors", "", "### `Throttled`", "", "The code `Throtled` is wrong."].join("\n");
    expect([...documentedCodes("x.md", text)]).toEqual([["Throttled", 3]]);
    expect(mentionedCodes("x.md", text)).toEqual([{ code: "Throtled", line: 5 }]);
  });
});
