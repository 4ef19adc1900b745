import * as fs from "node:fs";
import { readFile, realpath, stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";

const SHA_RE = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/**
 * The commit SHA of the tree at `dir` when it is a git checkout or a git-sync
 * worktree, read from the repository files (no `git` binary needed in the
 * container); undefined otherwise.
 */
export async function gitRevision(dir: string): Promise<string | undefined> {
  let real: string;
  try {
    real = await realpath(dir);
  } catch {
    return undefined;
  }
  // git-sync publishes each commit as a worktree named after its SHA (`.worktrees/<sha>`).
  if (SHA_RE.test(basename(real))) return basename(real);
  for (let current = real; ; current = dirname(current)) {
    const dotGit = join(current, ".git");
    const info = await stat(dotGit).catch(() => undefined);
    if (info?.isDirectory()) {
      return resolveRef({ dir: current, ref: "HEAD" });
    }
    if (info?.isFile()) return worktreeHead(dotGit);
    if (dirname(current) === current) return undefined;
  }
}

/** A linked worktree's `.git` is a file `gitdir: <path>`; its HEAD is detached at a SHA or names a ref. */
async function worktreeHead(dotGitFile: string): Promise<string | undefined> {
  const text = await readFile(dotGitFile, "utf8").catch(() => "");
  const m = /^gitdir:\s*(.+)$/m.exec(text);
  if (!m) return undefined;
  const gitdir = resolve(dirname(dotGitFile), m[1]!.trim());
  const head = (await readFile(join(gitdir, "HEAD"), "utf8").catch(() => "")).trim();
  if (SHA_RE.test(head)) return head;
  const ref = /^ref:\s*(.+)$/.exec(head)?.[1];
  if (!ref) return undefined;
  const common = (await readFile(join(gitdir, "commondir"), "utf8").catch(() => "")).trim();
  const commonDir = common ? resolve(gitdir, common) : gitdir;
  return resolveRef({ gitdir: commonDir, ref });
}

/**
 * A ref through isomorphic-git, loaded on first use: a git-sync worktree is named
 * after its SHA and needs no ref lookup, and the library is a sizeable part of
 * an idle controller's memory.
 */
async function resolveRef(
  where: ({ dir: string } | { gitdir: string }) & { ref: string },
): Promise<string | undefined> {
  const { default: git } = await import("isomorphic-git");
  return git.resolveRef({ fs, ...where }).catch(() => undefined);
}

/** The revision the contract asks for: the commit SHA where there is one, else the manifests' content hash. */
export async function revisionOf(dir: string, contentHash: string): Promise<string> {
  return (await gitRevision(dir)) ?? contentHash;
}
