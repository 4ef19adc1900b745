import { realpath } from "node:fs/promises";
import { basename, posix, sep } from "node:path";
import pMap from "p-map";
import type { AnyKind } from "../kinds/kind.js";
import { findConflicts } from "./conflicts.js";
import { contentHash, type HashedFile } from "./hash.js";
import { mayWarn, type Reparse, reparser, withoutTree } from "./lazy-document.js";
import { lintCandidate, providedFacts } from "./lint.js";
import type { LoadResult, ManifestError, ManifestWarning } from "./manifest.js";
import { parseManifestYaml, TOO_DEEP } from "./parse.js";
import { type FileContent, readManifestFile } from "./read-file.js";
import { type Candidate, validateDocument } from "./validate.js";
import { type WalkResult, walkManifestDir } from "./walk.js";

/** Warning code for a directory without any manifest file (often a wrong path). */
export const NO_MANIFEST_FILES = "NoManifestFiles";
/** Warning code for what the YAML parser flags without failing (e.g. an unknown tag). */
export const YAML_WARNING = "YamlWarning";

/** Attempts at reading a tree that is swapped (git-sync) while it is read. */
const TREE_ATTEMPTS = 3;
const READ_CONCURRENCY = 16;

interface SourceFile {
  display: string;
  real: string;
  content: FileContent;
}

interface Tree {
  walk: WalkResult;
  files: SourceFile[];
}

function toPosix(path: string): string {
  return path.split(sep).join("/");
}

/**
 * Walks and reads one tree. If something vanished and the root now resolves
 * elsewhere, the tree was swapped mid-read (git-sync): read the new one whole
 * rather than report a half-old, half-new set.
 */
async function readTree(dir: string, display: (rel: string, single: boolean) => string): Promise<Tree> {
  let tree: Tree | undefined;
  for (let attempt = 0; attempt < TREE_ATTEMPTS; attempt++) {
    const walk = await walkManifestDir(dir);
    const files = await pMap(
      walk.files,
      async (f) => ({
        display: display(f.rel, walk.single),
        real: f.real,
        content: await readManifestFile(f.real),
      }),
      { concurrency: READ_CONCURRENCY },
    );
    tree = { walk, files };
    const torn = walk.vanished || files.some((f) => !f.content.ok && f.content.vanished);
    if (!torn || walk.root === undefined) break;
    const now = await realpath(dir).catch(() => undefined);
    if (now === walk.root) break;
  }
  return tree as Tree;
}

export interface LoadWithOptions {
  /** Region of manifests without `spec.region` (the controller's region); see ValidateContext. */
  defaultRegion: string | undefined;
  /** The kinds manifests may name. */
  kinds: readonly AnyKind[];
}

/**
 * Reads, validates and lints every manifest below `dirs`. Never throws on input:
 * a bad file or document is reported (file, line, field path) and the others load.
 */
export async function loadManifestsWith(
  dirs: readonly string[],
  options: LoadWithOptions,
): Promise<LoadResult> {
  const errors: ManifestError[] = [];
  const warnings: ManifestWarning[] = [];
  const hashed: HashedFile[] = [];
  const candidates: Candidate[] = [];
  const order = new Map<string, number>();
  const seen = new Set<string>();
  const several = dirs.length > 1;
  const reparse = reparser();

  for (const dir of dirs) {
    const given = toPosix(dir);
    const display = (rel: string, single: boolean) => {
      if (single) return several ? given : basename(dir);
      return several ? posix.join(given, rel) : rel;
    };
    const { walk, files } = await readTree(dir, display);
    for (const problem of walk.problems) {
      const isRoot = problem.rel === "";
      const file = isRoot ? given : display(problem.rel, false);
      order.set(file, order.size);
      errors.push({ file, line: isRoot ? 0 : 1, path: "", message: problem.message });
    }
    if (!walk.single && walk.root !== undefined && walk.files.length === 0 && walk.problems.length === 0) {
      warnings.push({
        file: given,
        line: 0,
        code: NO_MANIFEST_FILES,
        message: "no *.yaml or *.yml files found",
      });
    }
    for (const file of files) {
      // One file reached twice (a symlink, or overlapping arguments) is one set of manifests, not a conflict.
      if (seen.has(file.real)) continue;
      seen.add(file.real);
      if (!order.has(file.display)) order.set(file.display, order.size);
      candidates.push(...loadFile(file, options, errors, warnings, hashed, reparse));
    }
  }

  const { kept, errors: conflictErrors } = findConflicts(candidates);
  errors.push(...conflictErrors);
  const provided = providedFacts(candidates);
  for (const candidate of candidates) warnings.push(...lintCandidate(candidate, provided));

  const position = (e: { file: string; line: number }) => [order.get(e.file) ?? order.size, e.line] as const;
  const byPosition = (a: { file: string; line: number }, b: { file: string; line: number }) => {
    const [fa, la] = position(a);
    const [fb, lb] = position(b);
    return fa - fb || la - lb;
  };
  return {
    manifests: kept.map((c) => c.manifest),
    errors: errors.sort(byPosition),
    warnings: warnings.sort(byPosition),
    contentHash: contentHash(hashed),
  };
}

function loadFile(
  file: SourceFile,
  options: LoadWithOptions,
  errors: ManifestError[],
  warnings: ManifestWarning[],
  hashed: HashedFile[],
  reparse: Reparse,
): Candidate[] {
  const { content, display } = file;
  if (!content.ok) {
    hashed.push({ path: display, content: content.bytes ?? `unreadable:${content.size ?? ""}` });
    errors.push({ file: display, line: 1, path: "", message: content.message });
    return [];
  }
  hashed.push({ path: display, content: content.bytes });
  const candidates: Candidate[] = [];
  try {
    const parsed = parseManifestYaml(content.text);
    for (const e of parsed.errors) errors.push({ file: display, ...e });
    for (const w of parsed.warnings)
      warnings.push({ file: display, line: w.line, code: YAML_WARNING, message: w.message });
    const ctx = { file: display, defaultRegion: options.defaultRegion, kinds: options.kinds };
    for (const [index, document] of parsed.documents.entries()) {
      const outcome = validateDocument(document, ctx);
      errors.push(...outcome.errors);
      const candidate = outcome.candidate;
      if (!candidate) continue;
      // The parsed tree is most of a large load's memory; only lint and conflict messages need it later.
      if (mayWarn(candidate.manifest)) candidates.push(candidate);
      else candidates.push({ ...candidate, document: withoutTree(document, content.text, index, reparse) });
    }
  } catch (error) {
    // The YAML library can still fail on pathological input (e.g. nesting deep enough to overflow the stack).
    const reason = error instanceof Error ? error.message : String(error);
    const message =
      error instanceof RangeError && /call stack/i.test(reason)
        ? TOO_DEEP
        : `cannot parse the file: ${reason}`;
    errors.push({ file: display, line: 1, path: "", message });
    return [];
  }
  return candidates;
}
