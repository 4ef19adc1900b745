import { readFileSync } from "node:fs";
import { join } from "node:path";
import { lineOf, proseLines, ROOT, sourceFiles } from "./markdown.js";

/** A stable code the program can report, and where it is defined. */
export interface CodeSite {
  code: string;
  /** `file:line` in src/. */
  at: string;
}

const CODE = "([A-Z][A-Za-z0-9]+)";

/**
 * How src/ spells the codes it reports (design §2, §13): the first argument of a
 * `ResourceError` (per-resource error codes), a `code:` property (lint warnings,
 * credential failures, the controller's `InternalError`), a `code:` property or
 * `code =` variable set from a constant, and a fallback in a `code =` assignment
 * (`?? "PutTargetsFailed"`). zod's own `code: "custom"` is lower-case and not one.
 */
const PATTERNS = [
  new RegExp(`new ResourceError\\(\\s*"${CODE}"`, "g"),
  new RegExp(`\\bcode:\\s*"${CODE}"`, "g"),
  new RegExp(`\\bcode\\s*=(?!=)[^;\\n]*?"${CODE}"`, "g"),
];
const FROM_CONSTANT = /\bcode:\s*([A-Z][A-Z0-9_]+)\b/g;
const CONSTANT = /\bconst ([A-Z][A-Z0-9_]+)\s*=\s*"([A-Z][A-Za-z0-9]+)"/g;

/** Every code in src/, each with the first place that defines it. */
export function sourceCodes(): Map<string, CodeSite> {
  const found = new Map<string, CodeSite>();
  const constants = new Map<string, CodeSite>();
  const viaConstant: string[] = [];
  for (const file of sourceFiles()) {
    const text = readFileSync(join(ROOT, file), "utf8");
    const add = (code: string, index: number, into = found) => {
      if (!into.has(code)) into.set(code, { code, at: `${file}:${lineOf(text, index)}` });
    };
    for (const pattern of PATTERNS) for (const m of text.matchAll(pattern)) add(m[1] as string, m.index);
    for (const m of text.matchAll(CONSTANT)) {
      constants.set(m[1] as string, { code: m[2] as string, at: `${file}:${lineOf(text, m.index)}` });
    }
    for (const m of text.matchAll(FROM_CONSTANT)) viaConstant.push(m[1] as string);
  }
  for (const name of viaConstant) {
    const site = constants.get(name);
    if (site && !found.has(site.code)) found.set(site.code, site);
  }
  return found;
}

/** The `reason` values of `/status` entries that are not codes (`InSync`, `Applied`, …). */
export function statusReasons(): Set<string> {
  const text = readFileSync(join(ROOT, "src/controller/status.ts"), "utf8");
  return new Set([...text.matchAll(/\breason:\s*"([A-Z][A-Za-z]+)"/g)].map((m) => m[1] as string));
}

/** The codes a troubleshooting page documents: one heading per code, `` ### `Code` ``. */
export function documentedCodes(file: string, text?: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const l of proseLines(file, text)) {
    const m = /^#{2,4}\s+`([A-Za-z0-9]+)`\s*$/.exec(l.text);
    if (m) out.set(m[1] as string, l.line);
  }
  return out;
}

/** Codes named in running text as "code `X`", "error `X`", "reason `X`" or "warning `X`". */
export function mentionedCodes(file: string, text?: string): { code: string; line: number }[] {
  const out: { code: string; line: number }[] = [];
  for (const l of proseLines(file, text)) {
    for (const m of l.text.matchAll(/\b(?:code|error|reason|warning)s?\s+`([A-Z][A-Za-z0-9]+)`/g)) {
      out.push({ code: m[1] as string, line: l.line });
    }
  }
  return out;
}
