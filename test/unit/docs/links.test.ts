import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { describe, expect, it } from "vitest";
import { docFiles, headingAnchors, lineOf, links, proseLines, ROOT, sourceFiles } from "./markdown.js";

const INDEX = "docs/README.md";
const README_LIMIT = 12 * 1024;

/** What is wrong with a relative link, or undefined when it resolves (file, folder and, for Markdown, anchor). */
function brokenLink(from: string, target: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return undefined; // https:, mailto:
  const [path = "", anchor] = target.split("#", 2);
  const file = path === "" ? from : normalize(join(dirname(from), decodeURIComponent(path)));
  if (file.startsWith("..")) return `${target}: leads out of the repository`;
  if (!existsSync(join(ROOT, file))) return `${target}: ${file} does not exist`;
  if (anchor === undefined || !file.endsWith(".md") || statSync(join(ROOT, file)).isDirectory())
    return undefined;
  if (!headingAnchors(file).has(anchor.toLowerCase()))
    return `${target}: ${file} has no heading with the anchor #${anchor}`;
  return undefined;
}

describe("links in the docs", () => {
  for (const doc of docFiles()) {
    it(`${doc}: every relative link and anchor resolves`, () => {
      const broken = links(doc).flatMap((l) => {
        const problem = brokenLink(doc, l.text);
        return problem ? [`${doc}:${l.line}: ${problem}`] : [];
      });
      expect(
        broken,
        "fix the path (relative to the linking file) or the anchor (GitHub's heading slug)",
      ).toEqual([]);
    });
  }

  it(`every page of docs/ is linked from the index ${INDEX}`, () => {
    const linked = new Set(links(INDEX).map((l) => normalize(join("docs", l.text.split("#")[0] ?? ""))));
    const orphans = docFiles().filter((f) => f.startsWith("docs/") && f !== INDEX && !linked.has(f));
    expect(orphans, `add a line "- [Title](${"<file>"}) — what it covers" to ${INDEX} for each`).toEqual([]);
  });

  it("the README is the short entry: under 12 KB, linking to the docs index", () => {
    const size = statSync(join(ROOT, "README.md")).size;
    expect(size, `README.md is ${size} bytes; move detail into docs/`).toBeLessThan(README_LIMIT);
    expect(links("README.md").map((l) => l.text)).toContain(INDEX);
  });

  it("the checker itself: a missing file and a missing anchor are reported", () => {
    expect(brokenLink("README.md", "docs/nope.md")).toMatch(/does not exist/);
    expect(brokenLink("README.md", "#no-such-heading")).toMatch(/no heading with the anchor/);
    expect(brokenLink("README.md", "https://example.com/x")).toBeUndefined();
    expect(brokenLink("docs/benchmarks.md", "../README.md")).toBeUndefined();
  });
});

describe("pointers into the docs from src/", () => {
  /** Messages send users to a page and a section: `(docs/deploying.md, "The IAM role")`. */
  const POINTER = /\(((?:README|docs\/[\w/-]+)(?:\.md)?), "([^"]+)"\)/g;

  it("every page and section a message in src/ names exists", () => {
    const broken: string[] = [];
    for (const file of sourceFiles()) {
      const text = readFileSync(join(ROOT, file), "utf8");
      for (const m of text.matchAll(POINTER)) {
        const page = (m[1] as string).endsWith(".md") ? (m[1] as string) : `${m[1]}.md`;
        const section = m[2] as string;
        const at = `${file}:${lineOf(text, m.index)}`;
        if (!existsSync(join(ROOT, page))) broken.push(`${at}: ${page} does not exist`);
        else if (!proseLines(page).some((l) => /^#{1,6}\s/.test(l.text) && l.text.includes(section))) {
          broken.push(`${at}: ${page} has no heading containing "${section}"`);
        }
      }
    }
    expect(broken, "point the message at the page and heading where the topic now lives").toEqual([]);
  });
});
