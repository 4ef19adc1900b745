import { execFile } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { isHiddenBelow, symlinksOnPath, TreeWatcher } from "../../../src/controller/watcher.js";

/** git-sync's publish step: a relative symlink made under a temp name, renamed over the link. */
function publish(root: string, worktree: string): void {
  symlinkSync(join(".worktrees", worktree), join(root, "tmp-link"));
  renameSync(join(root, "tmp-link"), join(root, "current"));
}

function worktree(root: string, name: string, content: string): string {
  const dir = join(root, ".worktrees", name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "a.yaml"), content);
  return dir;
}

const CHILD = fileURLToPath(new URL("./watcher-child.ts", import.meta.url));

/** What watcher-child.ts reports: a TreeWatcher's cost of becoming ready, in a fresh process. */
interface ReadyCost {
  readyMs: number;
  rssBefore: number;
  rssAfter: number;
  watched: number;
}

async function readyCost(dir: string): Promise<ReadyCost> {
  const { stdout } = await promisify(execFile)(process.execPath, [CHILD, dir], { timeout: 60_000 });
  return JSON.parse(stdout) as ReadyCost;
}

/** A git-sync-style tree whose worktree holds a committed link out of the tree (`x -> /usr`) when asked. */
function treeWithLink(root: string, link: boolean): string {
  const dir = worktree(root, "one", "a: 1\n");
  mkdirSync(join(dir, "team"));
  writeFileSync(join(dir, "team", "b.yaml"), "b: 1\n");
  if (link) symlinkSync("/usr", join(dir, "x"));
  publish(root, "one");
  return dir;
}

const MiB = 1024 * 1024;

describe("TreeWatcher", () => {
  let root: string;
  let watcher: TreeWatcher | undefined;

  beforeEach(() => {
    root = realpathSync(mkdtempSync(join(tmpdir(), "retryctl-watch-")));
  });
  afterEach(async () => {
    await watcher?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it("finds the symlinks on the way to a directory", async () => {
    worktree(root, "one", "x");
    publish(root, "one");
    mkdirSync(join(root, ".worktrees/one/sub"));
    expect(await symlinksOnPath(join(root, "current"))).toEqual([join(root, "current")]);
    expect(await symlinksOnPath(join(root, "current/sub"))).toEqual([join(root, "current")]);
    expect(await symlinksOnPath(join(root, ".worktrees/one"))).toEqual([]);
  });

  it("sees an atomic swap of the link as one change, and edits in the new tree after a retarget", async () => {
    const first = worktree(root, "one", "a: 1\n");
    publish(root, "one");
    const onChange = vi.fn();
    watcher = new TreeWatcher({
      dir: join(root, "current"),
      debounceMs: 100,
      onChange,
      log: pino({ level: "silent" }),
    });
    await watcher.start();
    await watcher.retarget(first);

    const second = worktree(root, "two", "a: 2\n");
    publish(root, "two");
    await vi.waitFor(() => expect(onChange).toHaveBeenCalledTimes(1), { timeout: 3000 });
    await new Promise((r) => setTimeout(r, 300));
    expect(onChange).toHaveBeenCalledTimes(1);

    await watcher.retarget(second);
    // git-sync deletes the old worktree; a later edit in the new tree is still seen.
    rmSync(first, { recursive: true });
    await new Promise((r) => setTimeout(r, 300));
    onChange.mockClear();
    writeFileSync(join(second, "b.yaml"), "b: 1\n");
    await vi.waitFor(() => expect(onChange).toHaveBeenCalledTimes(1), { timeout: 3000 });
  });

  it("watches nothing outside the tree when the tree holds a link that leaves it", {
    timeout: 60_000,
  }, async () => {
    const first = treeWithLink(root, true);
    watcher = new TreeWatcher({
      dir: join(root, "current"),
      debounceMs: 100,
      onChange: vi.fn(),
      log: pino({ level: "silent" }),
    });
    await watcher.start();
    await watcher.retarget(first);
    const watched = watcher.watched();
    // chokidar lists each watched folder's parent too: those are the only paths above the tree.
    const outside = watched.filter((p) => !(p === root || p.startsWith(root + sep) || root.startsWith(p)));
    expect(outside).toEqual([]);
    expect(watched).toContain(join(first, "team", "b.yaml"));
    // The link itself is an entry of the tree (its swap or removal is a change); its target is not.
    expect(watched).toContain(join(first, "x"));
    expect(watched.filter((p) => p.startsWith(join(first, "x") + sep))).toEqual([]);
  });

  it("costs no more memory to become ready with a link out of the tree than without", {
    timeout: 120_000,
  }, async () => {
    const plainRoot = join(root, "plain");
    const linkedRoot = join(root, "linked");
    mkdirSync(plainRoot);
    mkdirSync(linkedRoot);
    treeWithLink(plainRoot, false);
    treeWithLink(linkedRoot, true);
    const plain = await readyCost(join(plainRoot, "current"));
    const linked = await readyCost(join(linkedRoot, "current"));
    const grew = (c: ReadyCost) => (c.rssAfter - c.rssBefore) / MiB;
    console.info(
      `[watcher] ready without the link: ${plain.readyMs.toFixed(0)} ms, RSS +${grew(plain).toFixed(1)} MiB; ` +
        `with x -> /usr: ${linked.readyMs.toFixed(0)} ms, RSS +${grew(linked).toFixed(1)} MiB`,
    );
    // Exactly one more entry: the link, not what it points at.
    expect(linked.watched).toBe(plain.watched + 1);
    // Following /usr cost hundreds of MiB; noise between two fresh processes is a few.
    expect(grew(linked)).toBeLessThan(grew(plain) + 32);
  });

  it("debounces a burst of in-place edits in a plain folder into one change, ignoring hidden files", async () => {
    const plain = join(root, "plain");
    mkdirSync(plain);
    const onChange = vi.fn();
    watcher = new TreeWatcher({ dir: plain, debounceMs: 200, onChange, log: pino({ level: "silent" }) });
    await watcher.start();
    await watcher.retarget(plain);

    writeFileSync(join(plain, ".a.yaml.swp"), "x");
    await new Promise((r) => setTimeout(r, 400));
    expect(onChange).not.toHaveBeenCalled();

    for (let i = 0; i < 5; i++) writeFileSync(join(plain, `f${i}.yaml`), `n: ${i}\n`);
    await vi.waitFor(() => expect(onChange).toHaveBeenCalledTimes(1), { timeout: 3000 });
    await new Promise((r) => setTimeout(r, 300));
    expect(onChange).toHaveBeenCalledTimes(1);
  });
});

describe("isHiddenBelow", () => {
  it("flags dot-names below the root only", () => {
    expect(isHiddenBelow("/r", "/r/.git/HEAD")).toBe(true);
    expect(isHiddenBelow("/r", "/r/a/.b.yaml")).toBe(true);
    expect(isHiddenBelow("/r", "/r/a/b.yaml")).toBe(false);
    expect(isHiddenBelow("/x/.worktrees/abc", "/x/.worktrees/abc")).toBe(false);
    expect(isHiddenBelow("/x/.worktrees/abc", "/x/.worktrees/abc/m.yaml")).toBe(false);
  });
});
