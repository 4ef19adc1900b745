import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { proseLines, ROOT } from "./markdown.js";

const DOC = "docs/controller.md";
const SECTION = "### `/status`";

/** The member names of `interface NAME { … }` in a src/ file (two-space indented members, as Biome lays them out). */
function interfaceFields(file: string, name: string): string[] {
  const text = readFileSync(join(ROOT, file), "utf8");
  const body = new RegExp(`interface ${name} \\{\\n([\\s\\S]*?)\\n\\}`).exec(text)?.[1];
  if (body === undefined) throw new Error(`${file} has no interface ${name}`);
  return [...body.matchAll(/^ {2}(?:readonly )?(\w+)\??:/gm)].map((m) => m[1] as string);
}

/** The `/status` section: the backticked names of each table row's first cell, and the whole rows. */
function statusSection(): { line: number; names: string[]; row: string }[] {
  const lines = proseLines(DOC);
  const start = lines.findIndex((l) => l.text.trim() === SECTION);
  if (start < 0) return [];
  const end = lines.findIndex((l, i) => i > start && /^#{1,3}\s/.test(l.text));
  return lines.slice(start, end < 0 ? undefined : end).flatMap((l) => {
    const first = /^\|([^|]*)\|/.exec(l.text)?.[1] ?? "";
    const names = [...first.matchAll(/`(\w+)`/g)].map((m) => m[1] as string);
    return names.length > 0 ? [{ line: l.line, names, row: l.text }] : [];
  });
}

describe(`the /status reference in ${DOC}`, () => {
  const rows = statusSection();
  const top = (field: string) => rows.find((r) => r.names.includes(field));
  const where = `a row "| \`field\` | what |" in the ${SECTION} section of ${DOC}`;

  it("has a row for every field of the status document and of a resource entry", () => {
    const fields = [
      ...interfaceFields("src/controller/controller.ts", "StatusDocument"),
      ...interfaceFields("src/controller/status.ts", "ResourceStatusEntry"),
    ];
    expect(fields.length).toBeGreaterThan(10);
    expect(
      fields.filter((f) => !top(f)),
      `add ${where}`,
    ).toEqual([]);
  });

  it("names the members of the nested objects in their parent's row", () => {
    const nested = {
      lastDrift: interfaceFields("src/controller/status.ts", "LastDrift"),
      driftEvents: interfaceFields("src/drift/feed.ts", "DriftFeedStatus"),
      accounts: interfaceFields("src/aws/accounts.ts", "AccountStatus"),
    };
    const missing = Object.entries(nested).flatMap(([parent, members]) =>
      members.filter((m) => !top(parent)?.row.includes(`\`${m}\``)).map((m) => `${parent}.${m}`),
    );
    expect(missing, `name each member in backticks in its parent's row of ${DOC}`).toEqual([]);
  });
});
