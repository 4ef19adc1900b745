import { readdir } from "node:fs/promises";
import { join } from "node:path";

/** One Dockerfile instruction, continuation lines joined, comments dropped. */
export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

export interface Stage {
  /** The image or stage the stage starts from. */
  from: string;
  name?: string;
  instructions: Instruction[];
}

/** Splits a Dockerfile into stages of instructions, the way BuildKit reads it (without variable expansion). */
export function parseDockerfile(text: string): Stage[] {
  const instructions: Instruction[] = [];
  let pending: { text: string; line: number } | undefined;
  text.split("\n").forEach((raw, i) => {
    const trimmed = raw.trim();
    // Comment lines are dropped even inside a continued instruction.
    if (trimmed.startsWith("#") || (trimmed === "" && !pending)) return;
    const continued = trimmed.endsWith("\\");
    const body = continued ? trimmed.slice(0, -1) : trimmed;
    pending = pending ? { text: `${pending.text} ${body}`, line: pending.line } : { text: body, line: i + 1 };
    if (continued) return;
    const m = /^(\S+)\s*(.*)$/.exec(pending.text.trim());
    if (m) instructions.push({ keyword: m[1]!.toUpperCase(), args: m[2]!.trim(), line: pending.line });
    pending = undefined;
  });

  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === "FROM") {
      const words = ins.args.split(/\s+/).filter((w) => !w.startsWith("--"));
      const stage: Stage = { from: words[0] ?? "", instructions: [] };
      if (words[1]?.toUpperCase() === "AS" && words[2]) stage.name = words[2];
      stages.push(stage);
    } else if (stages.length > 0) {
      stages.at(-1)!.instructions.push(ins);
    }
  }
  return stages;
}

/** The JSON array of an exec-form instruction, or undefined for the shell form. */
export function execForm(args: string): string[] | undefined {
  if (!args.startsWith("[")) return undefined;
  try {
    const parsed: unknown = JSON.parse(args);
    return Array.isArray(parsed) && parsed.every((a) => typeof a === "string") ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** `COPY [--from=…] [--chown=…] src… dest`: flags, sources and destination. */
export function copyArgs(args: string): { from?: string; sources: string[]; dest: string } {
  const words = args.split(/\s+/);
  const flags = words.filter((w) => w.startsWith("--"));
  const paths = words.filter((w) => !w.startsWith("--"));
  const from = flags.find((f) => f.startsWith("--from="))?.slice("--from=".length);
  const dest = paths.pop() ?? "";
  return { ...(from !== undefined && { from }), sources: paths, dest };
}

export interface IgnorePattern {
  negated: boolean;
  re: RegExp;
  /** The pattern up to its first wildcard, to know which folders it could reach. */
  prefix: string;
}

/** `.dockerignore` patterns with the Go filepath.Match syntax plus `**`, as moby/patternmatcher reads them. */
export function parseDockerignore(text: string): IgnorePattern[] {
  const patterns: IgnorePattern[] = [];
  for (const raw of text.split("\n")) {
    let p = raw.trim();
    if (p === "" || p.startsWith("#")) continue;
    const negated = p.startsWith("!");
    if (negated) p = p.slice(1).trim();
    p = p.replace(/^\/+/, "").replace(/\/+$/, "").replace(/^\.\//, "");
    if (p === "") continue;
    const wildcard = p.search(/[*?[]/);
    patterns.push({ negated, re: globToRegExp(p), prefix: wildcard === -1 ? p : p.slice(0, wildcard) });
  }
  return patterns;
}

function globToRegExp(glob: string): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*" && glob[i + 1] === "*") {
      i++;
      if (glob[i + 1] === "/") {
        i++;
        re += "(?:.*/)?";
      } else re += ".*";
    } else if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else re += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

/** Whether a context path (relative, `/`-separated) is left out: the last pattern matching it or a parent folder wins. */
export function isIgnored(patterns: readonly IgnorePattern[], path: string): boolean {
  const parts = path.split("/");
  const candidates = parts.map((_, i) => parts.slice(0, i + 1).join("/"));
  let ignored = false;
  for (const p of patterns) {
    if (candidates.some((c) => p.re.test(c))) ignored = !p.negated;
  }
  return ignored;
}

/** Every file of the build context rooted at `root` (relative paths), skipping folders no exception can reach. */
export async function contextFiles(root: string, patterns: readonly IgnorePattern[]): Promise<string[]> {
  const exceptions = patterns.filter((p) => p.negated);
  const reachable = (dir: string) =>
    exceptions.some(
      (e) => e.prefix === "" || e.prefix.startsWith(`${dir}/`) || `${dir}/`.startsWith(e.prefix),
    );
  const out: string[] = [];
  async function walk(rel: string): Promise<void> {
    const entries = await readdir(join(root, rel), { withFileTypes: true });
    for (const entry of entries) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!isIgnored(patterns, path) || reachable(path)) await walk(path);
      } else if (!isIgnored(patterns, path)) {
        out.push(path);
      }
    }
  }
  await walk("");
  return out.sort();
}
