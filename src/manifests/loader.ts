import { realpath } from "node:fs/promises";
import { basename, join } from "node:path";
import pMap from "p-map";
import { lintPolicy } from "../fleet/lint-policy.js";
import type { PolicyCandidate } from "../fleet/policy-conflicts.js";
import { policyConflicts } from "../fleet/policy-conflicts.js";
import { isRetryPolicyDocument, validatePolicyDocument } from "../fleet/validate-policy.js";
import type { AnyKind } from "../kinds/kind.js";
import { findConflicts } from "./conflicts.js";
import { displayPath } from "./display-path.js";
import { contentHash, type HashedFile } from "./hash.js";
import { mayWarn, type Reparse, reparser, withoutTree } from "./lazy-document.js";
import { lintCandidate, providedFacts } from "./lint.js";
import type { LoadResult, ManifestError, ManifestWarning } from "./manifest.js";
import { parseManifestYaml, TOO_DEEP } from "./parse.js";
import { type FileContent, readManifestFile } from "./read-file.js";
import { type Candidate, validateDocument } from "./validate.js";
import { NOT_FOUND, type WalkResult, walkManifestDir } from "./walk.js";

/** Warning code for a directory without any manifest file (often a wrong path). */
export const NO_MANIFEST_FILES = "NoManifestFiles";
/** Warning code for what the YAML parser flags without failing (e.g. an unknown tag). */
export const YAML_WARNING = "YamlWarning";

/** Attempts at reading a tree that is swapped (git-sync) while it is read. */
const TREE_ATTEMPTS = 3;
const READ_CONCURRENCY = 16;

interface SourceFile {
  display: string;
  /** Path below the folder given (its name for a single file): what the content hash covers. */
  rel: string;
  real: string;
  content: FileContent;
}

interface Tree {
  walk: WalkResult;
  files: SourceFile[];
}

/**
 * Walks and reads one tree. If something vanished and the root now resolves
 * elsewhere, the tree was swapped mid-read (git-sync): read the new one whole
 * rather than report a half-old, half-new set.
 */
async function readTree(dir: string, display: (rel: string) => string): Promise<Tree> {
  let tree: Tree | undefined;
  for (let attempt = 0; attempt < TREE_ATTEMPTS; attempt++) {
    const walk = await walkManifestDir(dir);
    const files = await pMap(
      walk.files,
      async (f) => ({
        display: display(f.rel),
        rel: walk.single ? basename(dir) : f.rel,
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
  /** Directory that file paths are shown relative to; the current directory by default. */
  cwd?: string;
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
  const policies: PolicyCandidate[] = [];
  const order = new Map<string, number>();
  const seen = new Set<string>();
  const reparse = reparser();
  const cwd = options.cwd ?? process.cwd();

  for (const [index, dir] of dirs.entries()) {
    const display = (rel: string) => displayPath(join(dir, rel), cwd);
    const { walk, files } = await readTree(dir, display);
    for (const problem of walk.problems) {
      const isRoot = problem.rel === "";
      const file = display(problem.rel);
      order.set(file, order.size);
      const message = isRoot ? rootProblem(file, problem.message) : problem.message;
      errors.push({ file, line: isRoot ? 0 : 1, path: "", message });
    }
    if (!walk.single && walk.root !== undefined && walk.files.length === 0 && walk.problems.length === 0) {
      const file = display("");
      warnings.push({
        file,
        line: 0,
        code: NO_MANIFEST_FILES,
        message: `no manifests found in ${file} (looked for *.yaml, *.yml)`,
      });
    }
    for (const file of files) {
      // One file reached twice (a symlink, or overlapping arguments) is one set of manifests, not a conflict.
      if (seen.has(file.real)) continue;
      seen.add(file.real);
      if (!order.has(file.display)) order.set(file.display, order.size);
      // Several folders may hold the same relative path; the folder's position keeps them apart.
      const hashPath = dirs.length > 1 ? `${index}/${file.rel}` : file.rel;
      candidates.push(...loadFile(file, hashPath, options, errors, warnings, hashed, reparse, policies));
    }
  }

  const { kept, errors: conflictErrors } = findConflicts(candidates);
  errors.push(...conflictErrors);
  const provided = providedFacts(candidates);
  for (const candidate of candidates) warnings.push(...lintCandidate(candidate, provided));
  const keptPolicies = policyConflicts(policies);
  errors.push(...keptPolicies.errors);
  for (const policy of keptPolicies.kept) warnings.push(...lintPolicy(policy, options.defaultRegion));

  const position = (e: { file: string; line: number }) => [order.get(e.file) ?? order.size, e.line] as const;
  const byPosition = (a: { file: string; line: number }, b: { file: string; line: number }) => {
    const [fa, la] = position(a);
    const [fb, lb] = position(b);
    return fa - fb || la - lb;
  };
  return {
    manifests: kept.map((c) => c.manifest),
    policies: keptPolicies.kept.map((p) => p.policy),
    errors: errors.sort(byPosition),
    warnings: warnings.sort(byPosition),
    contentHash: contentHash(hashed),
  };
}

/** A folder argument that cannot be read, said of the folder (the line is 0: no file to point into). */
function rootProblem(file: string, problem: string): string {
  if (problem === NOT_FOUND) return `folder ${file} does not exist`;
  return `cannot read folder ${file}: ${problem.replace(/^cannot read directory: /, "")}`;
}

function loadFile(
  file: SourceFile,
  hashPath: string,
  options: LoadWithOptions,
  errors: ManifestError[],
  warnings: ManifestWarning[],
  hashed: HashedFile[],
  reparse: Reparse,
  policies: PolicyCandidate[],
): Candidate[] {
  const { content, display } = file;
  if (!content.ok) {
    hashed.push({ path: hashPath, content: content.bytes ?? `unreadable:${content.size ?? ""}` });
    errors.push({ file: display, line: 1, path: "", message: content.message });
    return [];
  }
  hashed.push({ path: hashPath, content: content.bytes });
  const candidates: Candidate[] = [];
  try {
    const parsed = parseManifestYaml(content.text);
    for (const e of parsed.errors) errors.push({ file: display, ...e });
    for (const w of parsed.warnings)
      warnings.push({ file: display, line: w.line, code: YAML_WARNING, message: w.message });
    const ctx = { file: display, defaultRegion: options.defaultRegion, kinds: options.kinds };
    for (const [index, document] of parsed.documents.entries()) {
      if (isRetryPolicyDocument(document)) {
        const policy = validatePolicyDocument(document, display);
        errors.push(...policy.errors);
        if (policy.policy) policies.push({ policy: policy.policy, document });
        continue;
      }
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
