import type { Dirent } from "node:fs";
import { readdir, readlink, realpath, stat } from "node:fs/promises";
import { join, sep } from "node:path";

/** A manifest file found below a root. */
export interface FoundFile {
  /** Path below the root as the user sees it (through symlinks, `/`-separated). */
  rel: string;
  /** Resolved path to read; always inside the root's real path. */
  real: string;
}

/** A problem with a path below the root (`rel` is "" for the root itself). */
export interface WalkProblem {
  rel: string;
  message: string;
}

export interface WalkResult {
  /** The root's real path (a symlinked root resolved once), undefined when it could not be resolved. */
  root?: string;
  /** True when the argument was a single file rather than a directory. */
  single: boolean;
  files: FoundFile[];
  problems: WalkProblem[];
  /** Something listed vanished while walking: the tree may have been swapped under us. */
  vanished: boolean;
}

const MANIFEST_FILE = /\.ya?ml$/i;

export function isManifestName(name: string): boolean {
  return MANIFEST_FILE.test(name);
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** What a missing path is reported as. */
export const NOT_FOUND = "no such file or directory";

function describeFsError(error: unknown): string {
  switch (errorCode(error)) {
    case "ENOENT":
      return NOT_FOUND;
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "ENOTDIR":
      return "not a directory";
    case "ELOOP":
      return "too many levels of symbolic links";
    default:
      return error instanceof Error ? error.message : String(error);
  }
}

function isInside(root: string, path: string): boolean {
  const prefix = root.endsWith(sep) ? root : root + sep;
  return path === root || path.startsWith(prefix);
}

const byName = (a: Dirent, b: Dirent) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * Finds every `*.yaml`/`*.yml` below `dir`. `dir` itself may be a symlink (git-sync
 * publishes one): it is resolved once and the whole tree is read through that one
 * resolution. Hidden names are skipped at every level. Symlinks below the root are
 * followed only while they stay inside the root's real path; a directory reached
 * twice (a loop, or two links to one folder) is read once.
 */
export async function walkManifestDir(dir: string): Promise<WalkResult> {
  const result: WalkResult = { single: false, files: [], problems: [], vanished: false };
  let root: string;
  try {
    root = await realpath(dir);
    const info = await stat(root);
    if (info.isFile()) {
      return { ...result, root, single: true, files: [{ rel: "", real: root }] };
    }
    if (!info.isDirectory()) {
      result.problems.push({ rel: "", message: "neither a directory nor a file" });
      return result;
    }
  } catch (error) {
    result.problems.push({ rel: "", message: describeFsError(error) });
    return result;
  }
  result.root = root;
  const visited = new Set<string>([root]);

  const visitLink = async (path: string, rel: string, name: string): Promise<void> => {
    let target: string;
    try {
      target = await realpath(path);
    } catch (error) {
      if (isManifestName(name))
        result.problems.push({ rel, message: `broken symbolic link: ${describeFsError(error)}` });
      return;
    }
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(target);
    } catch (error) {
      if (isManifestName(name)) result.problems.push({ rel, message: describeFsError(error) });
      return;
    }
    if (!isInside(root, target)) {
      if (info.isDirectory() || isManifestName(name)) {
        const link = await readlink(path).catch(() => target);
        result.problems.push({
          rel,
          message: `symbolic link to "${link}" points outside the manifest directory; not followed`,
        });
      }
      return;
    }
    if (info.isDirectory()) {
      if (visited.has(target)) return;
      visited.add(target);
      await visitDir(target, rel);
    } else if (isManifestName(name)) {
      if (info.isFile()) result.files.push({ rel, real: target });
      else result.problems.push({ rel, message: "not a regular file; skipped" });
    }
  };

  const visitDir = async (realDir: string, relDir: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(realDir, { withFileTypes: true });
    } catch (error) {
      if (errorCode(error) === "ENOENT") result.vanished = true;
      result.problems.push({ rel: relDir, message: `cannot read directory: ${describeFsError(error)}` });
      return;
    }
    for (const entry of entries.sort(byName)) {
      // Hidden entries hold VCS data and git-sync's worktrees, never manifests of this revision.
      if (entry.name.startsWith(".")) continue;
      const rel = relDir === "" ? entry.name : `${relDir}/${entry.name}`;
      const path = join(realDir, entry.name);
      if (entry.isDirectory()) {
        if (visited.has(path)) continue;
        visited.add(path);
        await visitDir(path, rel);
      } else if (entry.isSymbolicLink()) {
        await visitLink(path, rel, entry.name);
      } else if (isManifestName(entry.name)) {
        if (entry.isFile()) result.files.push({ rel, real: path });
        else result.problems.push({ rel, message: "not a regular file; skipped" });
      }
    }
  };

  await visitDir(root, "");
  return result;
}
