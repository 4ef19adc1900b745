import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root: every path a docs test reports is relative to it, as a user would open it. */
export const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** The documentation the tests hold to account: the README, docs/ (recursively) and manifests/README.md. */
export function docFiles(): string[] {
  const files = ["README.md", "manifests/README.md"].filter((f) => existsSync(join(ROOT, f)));
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".md")) files.push(path);
    }
  };
  walk("docs");
  return files.sort();
}

export function readDoc(file: string): string {
  return readFileSync(join(ROOT, file), "utf8");
}

export interface Fence {
  file: string;
  /** The info string's first word, lower-cased (`yaml`, `sh`, …; "" when none). */
  lang: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The lines between the fences; body line i is file line `line + 1 + i`. */
  body: string[];
  /** The text of a `<!-- invalid: … -->` comment on the line before the fence (blank lines allowed between). */
  invalid?: string;
}

const FENCE_OPEN = /^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)/;
const INVALID_MARK = /^\s*<!--\s*invalid:\s*(.*?)\s*-->\s*$/;

/** The fenced code blocks of a Markdown text (CommonMark fences: ``` or ~~~, indented up to three spaces). */
export function fences(file: string, text = readDoc(file)): Fence[] {
  const lines = text.split("\n");
  const out: Fence[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE_OPEN.exec(lines[i] ?? "");
    if (!open) continue;
    const marker = open[1] ?? "```";
    const close = new RegExp(`^ {0,3}${marker[0] === "`" ? "`" : "~"}{${marker.length},}\\s*$`);
    let end = i + 1;
    while (end < lines.length && !close.test(lines[end] ?? "")) end++;
    let before = i - 1;
    while (before >= 0 && (lines[before] ?? "").trim() === "") before--;
    const invalid = before >= 0 ? INVALID_MARK.exec(lines[before] ?? "")?.[1] : undefined;
    out.push({
      file,
      lang: (open[2] ?? "").toLowerCase(),
      line: i + 1,
      body: lines.slice(i + 1, end),
      ...(invalid === undefined ? {} : { invalid }),
    });
    i = end;
  }
  return out;
}

export interface Located {
  file: string;
  line: number;
  text: string;
}

/** The lines of a Markdown text outside fenced code blocks, each with its 1-based number. */
export function proseLines(file: string, text = readDoc(file)): Located[] {
  const inFence = new Set<number>();
  for (const f of fences(file, text)) {
    for (let n = f.line; n <= f.line + f.body.length + 1; n++) inFence.add(n);
  }
  return text
    .split("\n")
    .map((line, i) => ({ file, line: i + 1, text: line }))
    .filter((l) => !inFence.has(l.line));
}

/** Inline code spans outside fences; a span may run over a line break inside a paragraph, as in CommonMark. */
export function inlineCode(file: string, text = readDoc(file)): Located[] {
  const out: Located[] = [];
  const paragraphs: Located[][] = [];
  let previous = -1;
  for (const l of proseLines(file, text)) {
    if (l.text.trim() === "") previous = -1;
    else if (l.line === previous + 1) {
      paragraphs.at(-1)?.push(l);
      previous = l.line;
    } else {
      paragraphs.push([l]);
      previous = l.line;
    }
  }
  for (const lines of paragraphs) {
    const joined = lines.map((l) => l.text).join("\n");
    for (const m of joined.matchAll(/(`+)([^`][\s\S]*?)\1(?!`)/g)) {
      const line = (lines[0]?.line ?? 0) + (joined.slice(0, m.index).match(/\n/g)?.length ?? 0);
      out.push({ file, line, text: (m[2] ?? "").replace(/\s*\n\s*/g, " ").trim() });
    }
  }
  return out;
}

/** Markdown links and images `[text](target)` outside fences and inline code. */
export function links(file: string, text = readDoc(file)): Located[] {
  const out: Located[] = [];
  for (const l of proseLines(file, text)) {
    const prose = l.text.replace(/(`+).+?\1(?!`)/g, "");
    for (const m of prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      out.push({ ...l, text: m[1] ?? "" });
    }
  }
  return out;
}

/** GitHub's anchor of a heading: lower-cased, punctuation dropped, spaces to '-'; repeats get -1, -2, … */
export function headingAnchors(file: string, text = readDoc(file)): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const l of proseLines(file, text)) {
    const heading = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(l.text);
    if (!heading) continue;
    const slug = (heading[1] ?? "")
      .toLowerCase()
      .replace(/<[^>]*>/g, "")
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return anchors;
}

/** Every `*.ts` file below src/, relative to the root. */
export function sourceFiles(dir = "src"): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (entry.name.endsWith(".ts")) out.push(path);
  }
  return out.sort();
}

/** 1-based line of an offset in a text. */
export function lineOf(text: string, offset: number): number {
  return text.slice(0, offset).split("\n").length;
}

export function rel(path: string): string {
  return relative(ROOT, path);
}
