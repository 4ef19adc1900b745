import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readdir, readlink, rename, rm, symlink, writeFile } from "node:fs/promises";
import { delimiter, dirname, join, relative } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

// A fixed identity and no user or system config, so the tests run the same on any machine.
const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: "retryctl tests",
  GIT_AUTHOR_EMAIL: "tests@retryctl.invalid",
  GIT_COMMITTER_NAME: "retryctl tests",
  GIT_COMMITTER_EMAIL: "tests@retryctl.invalid",
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
};

export async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await run("git", args, { cwd, env: GIT_ENV });
  return stdout.trim();
}

/** The upstream repository the tests commit manifests to. */
export class Upstream {
  constructor(readonly dir: string) {}

  static async create(dir: string): Promise<Upstream> {
    await mkdir(dir, { recursive: true });
    await git(dir, "init", "-q", "-b", "main");
    return new Upstream(dir);
  }

  get url(): string {
    return `file://${this.dir}`;
  }

  /** Writes (or, with `null`, deletes) files and commits them; returns the commit SHA. */
  async commit(files: Record<string, string | null>, message = "update manifests"): Promise<string> {
    for (const [name, text] of Object.entries(files)) {
      const path = join(this.dir, name);
      if (text === null) {
        await rm(path, { force: true });
      } else {
        await mkdir(dirname(path), { recursive: true });
        await writeFile(path, text);
      }
    }
    await git(this.dir, "add", "-A");
    await git(this.dir, "commit", "-q", "--allow-empty", "-m", message);
    return git(this.dir, "rev-parse", "HEAD");
  }
}

/** Something that keeps `<root>/<link>` pointing at the upstream's current commit. */
export interface Publisher {
  readonly name: string;
  /** The path the controller is given (`--dir`). */
  readonly link: string;
  /** Brings the link to the upstream's HEAD; resolves once it points there. */
  sync(expectedSha: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * git-sync's sync step reproduced exactly (kubernetes/git-sync main.go,
 * SyncRepo/createWorktree/configureWorktree/publishSymlink/cleanup): fetch into
 * the root repo, a detached worktree at `<root>/.worktrees/<sha>` with a
 * relative `.git` file, a relative symlink created as `tmp-link` and renamed
 * over the link, then the old worktree removed and pruned.
 */
export class GitSyncPublishStep implements Publisher {
  readonly name = "git-sync publish step (reproduced)";
  readonly link: string;

  constructor(
    readonly upstream: Upstream,
    readonly root: string,
    linkName = "current",
  ) {
    this.link = join(root, linkName);
  }

  async sync(expectedSha: string): Promise<void> {
    const root = this.root;
    if (!existsSync(join(root, ".git"))) {
      await mkdir(root, { recursive: true });
      await git(root, "init", "-q", "-b", "git-sync");
    }
    const current = await readlink(this.link).catch(() => undefined);
    await git(root, "fetch", "-q", this.upstream.url, "HEAD", "--prune", "--no-auto-gc");
    const sha = await git(root, "rev-parse", "FETCH_HEAD^{}");
    if (sha !== expectedSha) throw new Error(`fetched ${sha}, expected ${expectedSha}`);
    await git(root, "reset", "-q", "--soft", sha, "--");

    const worktree = join(root, ".worktrees", sha);
    await rm(worktree, { recursive: true, force: true });
    await git(root, "worktree", "add", "-q", "--force", "--detach", worktree, sha, "--no-checkout");
    const gitDir = join(relative(worktree, root), ".git", "worktrees", sha);
    await writeFile(join(worktree, ".git"), `gitdir: ${gitDir}\n`);
    await git(worktree, "reset", "-q", "--hard", sha, "--");

    const tmp = join(dirname(this.link), "tmp-link");
    await symlink(relative(dirname(this.link), worktree), tmp);
    await rename(tmp, this.link);

    // git-sync's cleanup (stale-worktree-timeout 0): every worktree but the current one goes.
    if (current) {
      for (const entry of await readdir(join(root, ".worktrees"))) {
        if (entry !== sha) await rm(join(root, ".worktrees", entry), { recursive: true, force: true });
      }
      await git(root, "worktree", "prune");
    }
  }

  async stop(): Promise<void> {}
}

/** The real git-sync binary, where it could be installed (`go install k8s.io/git-sync@…`). */
export function gitSyncBinary(): string | undefined {
  const gopath = process.env.GOPATH ?? join(process.env.HOME ?? "/root", "go");
  const dirs = [...(process.env.PATH ?? "").split(delimiter), join(gopath, "bin")];
  return dirs.map((d) => join(d, "git-sync")).find((p) => existsSync(p));
}

/** Runs the real git-sync against the upstream, polling it every 200 ms. */
export class RealGitSync implements Publisher {
  readonly name = "git-sync binary";
  readonly link: string;
  #child: ChildProcess | undefined;

  constructor(
    readonly binary: string,
    readonly upstream: Upstream,
    readonly root: string,
  ) {
    this.link = join(root, "current");
  }

  async sync(expectedSha: string): Promise<void> {
    this.#child ??= spawn(
      this.binary,
      [
        `--repo=${this.upstream.url}`,
        `--root=${this.root}`,
        "--link=current",
        "--period=200ms",
        "--ref=HEAD",
      ],
      { stdio: "ignore", env: GIT_ENV },
    );
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const target = await readlink(this.link).catch(() => "");
      if (target.endsWith(expectedSha)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`git-sync did not publish ${expectedSha} within 30 s`);
  }

  async stop(): Promise<void> {
    this.#child?.kill("SIGTERM");
    this.#child = undefined;
  }
}
