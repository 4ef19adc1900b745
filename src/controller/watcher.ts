import { lstat } from "node:fs/promises";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { type FSWatcher, watch } from "chokidar";
import type { Logger } from "pino";

export interface TreeWatcherOptions {
  /** `--dir` as given: may be, or sit below, a symlink that git-sync swaps. */
  dir: string;
  debounceMs: number;
  /** Called once things have been quiet for `debounceMs` after a change. */
  onChange: () => void;
  log: Logger;
}

/**
 * Every symlink on the way from `/` to `dir` (usually none, or the git-sync
 * link). A swap replaces the link itself, which a watch on its old target never
 * sees: each link's parent folder is watched instead.
 */
export async function symlinksOnPath(dir: string): Promise<string[]> {
  const links: string[] = [];
  for (let current = resolve(dir); ; current = dirname(current)) {
    const info = await lstat(current).catch(() => undefined);
    if (info?.isSymbolicLink()) links.push(current);
    if (dirname(current) === current) return links.reverse();
  }
}

/** Hidden files and folders (`.git`, `.worktrees`, editor swap files) are never manifests. */
export function isHiddenBelow(root: string, path: string): boolean {
  const rel = relative(root, path);
  if (rel === "" || rel.startsWith("..")) return false;
  return rel.split(sep).some((part) => part.startsWith("."));
}

/**
 * Watches the manifest tree: recursively at its current real location (edits
 * in place), and non-recursively at the parent of each symlink on the way
 * (atomic swaps). Events are debounced into one `onChange`; reading is the
 * caller's, which resolves the link once per load and then calls `retarget`.
 */
export class TreeWatcher {
  readonly #options: TreeWatcherOptions;
  #links: FSWatcher | undefined;
  #tree: FSWatcher | undefined;
  #target: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: TreeWatcherOptions) {
    this.#options = options;
  }

  /** Watches the symlinks' parents; call `retarget` with the resolved tree to watch its contents. */
  async start(): Promise<void> {
    if (this.#links || this.#closed) return;
    const links = await symlinksOnPath(this.#options.dir);
    if (links.length === 0 || this.#links) return;
    const names = new Set(links);
    const parents = [...new Set(links.map((l) => dirname(l)))];
    this.#links = await ready(
      watch(parents, {
        ignoreInitial: true,
        depth: 0,
        followSymlinks: false,
        // git-sync's root also holds `.git` and `.worktrees`, whose churn says nothing about the link.
        ignored: (path) => !parents.includes(path) && !names.has(path) && basename(path).startsWith("."),
      }),
      this.#options.log,
    );
    this.#links.on("all", (event, path) => this.#changed(event, path));
    this.#options.log.debug({ links }, "watching symlinks on the manifest path for swaps");
  }

  /** Points the recursive watch at the tree that was just read (no-op when it did not move). */
  async retarget(realDir: string): Promise<void> {
    if (this.#closed || realDir === this.#target) return;
    // The link may not have existed at start (git-sync publishes after the controller starts).
    await this.start();
    const previous = this.#tree;
    this.#target = realDir;
    this.#tree = await ready(
      watch(realDir, {
        ignoreInitial: true,
        // The loader refuses links that leave the tree; following one (`x -> /usr`) would watch
        // a whole file system (621 MB, 6.7 s to be ready). Links inside the tree point at
        // folders and files that are watched where they are.
        followSymlinks: false,
        ignored: (path) => isHiddenBelow(realDir, path),
      }),
      this.#options.log,
    );
    this.#tree.on("all", (event, path) => this.#changed(event, path));
    await previous?.close();
    if (this.#closed) await this.#tree.close();
  }

  /** Every path the watchers hold (folders and their entries): the watch's footprint, for diagnostics. */
  watched(): string[] {
    const paths = new Set<string>();
    for (const w of [this.#links, this.#tree]) {
      for (const [dir, names] of Object.entries(w?.getWatched() ?? {})) {
        paths.add(dir);
        for (const name of names) paths.add(join(dir, name));
      }
    }
    return [...paths].sort();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    await Promise.all([this.#links?.close(), this.#tree?.close()]);
  }

  #changed(event: string, path: string): void {
    if (this.#closed) return;
    this.#options.log.trace({ event, path }, "manifest tree event");
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (!this.#closed) this.#options.onChange();
    }, this.#options.debounceMs);
  }
}

function ready(watcher: FSWatcher, log: Logger): Promise<FSWatcher> {
  watcher.on("error", (err) => log.warn({ err }, "file watcher error"));
  return new Promise((resolvePromise) => watcher.once("ready", () => resolvePromise(watcher)));
}
