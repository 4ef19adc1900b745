import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { KINDS } from "../../../src/kinds/registry.js";
import { baseSpecShape } from "../../../src/manifests/fields.js";
import { fences, proseLines } from "./markdown.js";

const DOC = "docs/manifests.md";
const COMMON = "Fields every kind has";
const BASE_FIELDS = Object.keys(baseSpecShape);

interface Row {
  line: number;
  field: string;
  value: string;
}

/** The `## Heading` sections of the doc: heading text → its lines. */
function sections(): Map<string, { line: number; text: string }[]> {
  const out = new Map<string, { line: number; text: string }[]>();
  let current: { line: number; text: string }[] | undefined;
  for (const l of proseLines(DOC)) {
    const h = /^##\s+(.*?)\s*$/.exec(l.text);
    if (h) {
      current = [];
      out.set(h[1] as string, current);
    } else current?.push(l);
  }
  return out;
}

/** Rows of the section's field tables: `| \`field\` | value | …`. */
function fieldRows(lines: readonly { line: number; text: string }[]): Row[] {
  return lines.flatMap((l) => {
    const cells = l.text.split("|").map((c) => c.trim());
    const field = /^`([A-Za-z.]+)`$/.exec(cells[1] ?? "")?.[1];
    return field ? [{ line: l.line, field: field.replace(/^spec\./, ""), value: cells[2] ?? "" }] : [];
  });
}

/** The integer ranges a value cell states: "0–2", "−1, or 60–604800", "1–10000 (SQS FIFO: 1–10)". */
function statedRanges(value: string): [number, number][] {
  const text = value.replaceAll("−", "-").replace(/(\d),(\d{3})/g, "$1$2");
  const ranges: [number, number][] = [];
  const rest = text.replace(/(-?\d+)\s*–\s*(-?\d+)/g, (_, lo: string, hi: string) => {
    ranges.push([Number(lo), Number(hi)]);
    return " ";
  });
  if (ranges.length === 0) return [];
  for (const m of rest.matchAll(/(?<![\w.])(-?\d+)(?![\w.])/g)) ranges.push([Number(m[1]), Number(m[1])]);
  return ranges;
}

/** What is wrong with a stated range against the field's zod schema (the bounds in, their neighbours out). */
function rangeProblems(schema: z.ZodType, ranges: readonly [number, number][]): string[] {
  const inside = (n: number) => ranges.some(([lo, hi]) => lo <= n && n <= hi);
  const problems: string[] = [];
  for (const [lo, hi] of ranges) {
    for (const n of [lo, hi]) if (!schema.safeParse(n).success) problems.push(`${n} is refused`);
    for (const n of [lo - 1, hi + 1])
      if (!inside(n) && schema.safeParse(n).success) problems.push(`${n} is accepted`);
  }
  return problems;
}

function shapeOf(kind: (typeof KINDS)[number]): Record<string, z.ZodType> {
  return (kind.specSchema as unknown as z.ZodObject).shape;
}

describe(`${DOC}: one section per kind that matches its zod schema`, () => {
  const doc = sections();

  it(`has a section "${COMMON}" with ${BASE_FIELDS.map((f) => `spec.${f}`).join(" and ")}`, () => {
    const rows = fieldRows(doc.get(COMMON) ?? []).map((r) => r.field);
    expect(
      BASE_FIELDS.filter((f) => !rows.includes(f)),
      `add a row per field to "## ${COMMON}"`,
    ).toEqual([]);
  });

  for (const kind of KINDS) {
    describe(kind.kind, () => {
      const lines = doc.get(kind.kind) ?? [];
      const shape = shapeOf(kind);
      const fields = Object.keys(shape).filter((f) => !BASE_FIELDS.includes(f));

      it(`has a section "## ${kind.kind}" whose table lists exactly the spec fields`, () => {
        expect(lines.length, `add a section "## ${kind.kind}" to ${DOC}`).toBeGreaterThan(0);
        const rows = fieldRows(lines).map((r) => r.field);
        expect(
          {
            missing: fields.filter((f) => !rows.includes(f)),
            unknown: rows.filter((f) => !fields.includes(f)),
          },
          `the field table of "## ${kind.kind}" must list every field of its spec schema and no other`,
        ).toEqual({ missing: [], unknown: [] });
      });

      it("states each range as the schema has it", () => {
        const problems = fieldRows(lines).flatMap((row) => {
          const schema = shape[row.field];
          if (!schema) return [];
          return rangeProblems(schema, statedRanges(row.value)).map(
            (p) => `${DOC}:${row.line}: ${row.field} "${row.value}": ${p} by the schema`,
          );
        });
        expect(problems, `fix the value column to what src/kinds/ accepts`).toEqual([]);
      });

      it("has a YAML example of the kind", () => {
        const first = lines[0]?.line ?? 0;
        const last = lines.at(-1)?.line ?? 0;
        const example = fences(DOC).find(
          (f) => f.line > first && f.line < last && f.body.some((l) => l.trim() === `kind: ${kind.kind}`),
        );
        expect(example, `add a \`\`\`yaml example with "kind: ${kind.kind}" to its section`).toBeDefined();
      });
    });
  }

  it("the checker itself: ranges are read from the text and held to the schema", async () => {
    expect(statedRanges("−1, or 60–604800")).toEqual([
      [60, 604800],
      [-1, -1],
    ]);
    expect(statedRanges("1–10000 (SQS FIFO: 1–10)")).toEqual([
      [1, 10000],
      [1, 10],
    ]);
    expect(statedRanges("ARN or null")).toEqual([]);
    const { z } = await import("zod");
    expect(rangeProblems(z.int().min(0).max(2), [[0, 2]])).toEqual([]);
    expect(rangeProblems(z.int().min(0).max(2), [[0, 3]])).toEqual(["3 is refused"]);
    expect(rangeProblems(z.int().min(0).max(3), [[0, 2]])).toEqual(["3 is accepted"]);
  });
});
