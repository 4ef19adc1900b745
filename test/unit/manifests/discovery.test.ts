import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MAX_FILE_BYTES } from "../../../src/manifests/read-file.js";
import { brief, errorsIn, FIXTURES, fixture, loadFake } from "./helpers.js";

const WIDGET = (name: string) => `apiVersion: retryctl.dev/v1alpha1
kind: Widget
metadata:
  name: ${name}
spec:
  functionName: ${name}
  onFailure: arn:aws:sqs:us-east-1:123456789012:${name}-failed
`;

describe("discovery in the fixture tree", () => {
  it("finds every *.yaml and *.yml below the folder, recursively, in sorted order", async () => {
    const result = await loadFake([fixture("tree")]);
    expect(result.errors).toEqual([]);
    expect(result.manifests.map((m) => [m.source.file, m.source.line, m.name])).toEqual([
      ["a.yaml", 1, "alpha"],
      ["nested/E.YAML", 1, "epsilon"],
      ["nested/b.yml", 1, "beta"],
      ["nested/deeper/c.yaml", 5, "gamma"],
      ["nested/deeper/c.yaml", 16, "delta"],
    ]);
  });

  it("skips hidden files and folders and files of other types", async () => {
    // .hidden/, .worktrees/ and nested/.secret.yaml hold YAML syntax errors: reading one would report it.
    const result = await loadFake([fixture("tree")]);
    const files = new Set(result.manifests.map((m) => m.source.file));
    expect([...files].some((f) => f.split("/").some((part) => part.startsWith(".")))).toBe(false);
    expect(files.has("notes.txt")).toBe(false);
    expect(result.errors).toEqual([]);
  });

  it("reads several documents of one file and ignores the empty ones, each manifest keeping its own line", async () => {
    const result = await loadFake([fixture("tree/nested/deeper")]);
    expect(result.errors).toEqual([]);
    expect(result.manifests.map((m) => ({ file: m.source.file, line: m.source.line, name: m.name }))).toEqual(
      [
        { file: "c.yaml", line: 5, name: "gamma" },
        { file: "c.yaml", line: 16, name: "delta" },
      ],
    );
  });

  it("gives the same content hash on every load and a different one when a byte changes", async () => {
    const first = await loadFake([fixture("tree")]);
    const second = await loadFake([fixture("tree")]);
    expect(first.contentHash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(second.contentHash).toBe(first.contentHash);
    const other = await loadFake([fixture("lint")]);
    expect(other.contentHash).not.toBe(first.contentHash);
  });

  it("accepts a single file as argument, named from the current directory", async () => {
    const result = await loadFake([fixture("tree/a.yaml")], FIXTURES);
    expect(result.manifests.map((m) => [m.source.file, m.source.line, m.name])).toEqual([
      ["tree/a.yaml", 1, "alpha"],
    ]);
  });

  it("names files relative to the current directory, with one folder as with several", async () => {
    const one = await loadFake([fixture("tree/nested/deeper")], FIXTURES);
    expect([...new Set(one.manifests.map((m) => m.source.file))]).toEqual(["tree/nested/deeper/c.yaml"]);
    const several = await loadFake([fixture("tree/nested/deeper"), fixture("lint")], FIXTURES);
    expect([...new Set(several.manifests.map((m) => m.source.file))]).toEqual([
      "tree/nested/deeper/c.yaml",
      "lint/warn.yaml",
    ]);
  });

  it("names files outside the current directory by their absolute path, through the path given", async () => {
    const cwd = fixture("tree/nested");
    const result = await loadFake([fixture("tree/nested/../../lint"), fixture("tree/nested/deeper")], cwd);
    expect([...new Set(result.manifests.map((m) => m.source.file))]).toEqual([
      `${FIXTURES}lint/warn.yaml`,
      "deeper/c.yaml",
    ]);
  });

  it("reports a folder that does not exist, naming it, and still loads the others", async () => {
    const result = await loadFake([fixture("does-not-exist"), fixture("tree/nested/deeper")], FIXTURES);
    expect(result.errors.map(brief)).toEqual([
      { file: "does-not-exist", line: 0, path: "", message: "folder does-not-exist does not exist" },
    ]);
    expect(result.manifests.map((m) => m.name)).toEqual(["gamma", "delta"]);
  });
});

describe("discovery on the file system", () => {
  let base: string;

  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), "retryctl-manifests-"));
  });

  afterEach(() => {
    rmSync(base, { recursive: true, force: true });
  });

  it("does not follow a symlink that leads out of the folder, and names it", async () => {
    const root = join(base, "root");
    const outside = join(base, "outside");
    mkdirSync(root);
    mkdirSync(outside);
    writeFileSync(join(outside, "secret.yaml"), WIDGET("secret"));
    writeFileSync(join(root, "ok.yaml"), WIDGET("ok"));
    symlinkSync(join(outside, "secret.yaml"), join(root, "leak.yaml"));
    symlinkSync("../outside", join(root, "escape"));

    const result = await loadFake([root]);
    expect(result.manifests.map((m) => m.name)).toEqual(["ok"]);
    expect(result.errors.map(brief)).toEqual([
      {
        file: "escape",
        line: 1,
        path: "",
        message: 'symbolic link to "../outside" points outside the manifest directory; not followed',
      },
      {
        file: "leak.yaml",
        line: 1,
        path: "",
        message: `symbolic link to "${join(outside, "secret.yaml")}" points outside the manifest directory; not followed`,
      },
    ]);
  });

  it("follows symlinks that stay inside the folder, reading a target once, and survives a loop", async () => {
    const root = join(base, "root");
    mkdirSync(join(root, "real"), { recursive: true });
    writeFileSync(join(root, "real", "one.yaml"), WIDGET("one"));
    symlinkSync("real", join(root, "alias"));
    symlinkSync("..", join(root, "real", "loop"));
    symlinkSync("real/one.yaml", join(root, "same.yaml"));

    const result = await loadFake([root]);
    expect(result.errors).toEqual([]);
    // `alias` sorts before `real`: the directory is read once, through the first name reached.
    expect(result.manifests.map((m) => [m.source.file, m.name])).toEqual([["alias/one.yaml", "one"]]);
  });

  it("resolves a folder that is itself a symlink (git-sync) once and names files relative to it", async () => {
    const worktree = join(base, ".worktrees", "abc123");
    mkdirSync(join(worktree, "team"), { recursive: true });
    writeFileSync(join(worktree, "team", "orders.yaml"), WIDGET("orders"));
    const link = join(base, "current");
    symlinkSync(".worktrees/abc123", link);

    const result = await loadFake([link]);
    expect(result.errors).toEqual([]);
    expect(result.manifests.map((m) => [m.source.file, m.source.line, m.name])).toEqual([
      ["team/orders.yaml", 1, "orders"],
    ]);

    // The next commit: same content in a new worktree, published by swapping the link.
    const next = join(base, ".worktrees", "def456");
    cpSync(worktree, next, { recursive: true });
    rmSync(link);
    symlinkSync(".worktrees/def456", link);
    const again = await loadFake([link]);
    expect(again.manifests.map((m) => m.source.file)).toEqual(["team/orders.yaml"]);
    expect(again.contentHash).toBe(result.contentHash);
  });

  it("reports a binary file, invalid UTF-8 and an oversized file by name, and loads the rest", async () => {
    writeFileSync(join(base, "binary.yaml"), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x0d, 0x0a]));
    writeFileSync(join(base, "latin1.yaml"), Buffer.from("name: caf\xe9\n", "latin1"));
    writeFileSync(join(base, "huge.yaml"), `# ${"x".repeat(MAX_FILE_BYTES)}\n`);
    writeFileSync(join(base, "ok.yaml"), WIDGET("ok"));

    const result = await loadFake([base]);
    expect(result.manifests.map((m) => m.name)).toEqual(["ok"]);
    expect(result.errors.map(brief)).toEqual([
      {
        file: "binary.yaml",
        line: 1,
        path: "",
        message: "binary file (it contains NUL bytes); manifests must be UTF-8 text",
      },
      {
        file: "huge.yaml",
        line: 1,
        path: "",
        message: `file is ${MAX_FILE_BYTES + 3} bytes; manifest files are limited to ${MAX_FILE_BYTES} bytes (1 MiB)`,
      },
      { file: "latin1.yaml", line: 1, path: "", message: "not valid UTF-8 text; manifests must be UTF-8" },
    ]);
  });

  it("strips a UTF-8 byte order mark without shifting lines, and treats an empty file as no manifests", async () => {
    writeFileSync(join(base, "bom.yaml"), `\ufeff# comment\n${WIDGET("bom")}`);
    writeFileSync(join(base, "empty.yaml"), "");
    const result = await loadFake([base]);
    expect(result.errors).toEqual([]);
    expect(result.manifests.map((m) => [m.source.file, m.source.line, m.name])).toEqual([
      ["bom.yaml", 2, "bom"],
    ]);
  });

  it("reports a broken symlink and a FIFO named *.yaml without hanging", async () => {
    symlinkSync("nowhere.yaml", join(base, "dangling.yaml"));
    execFileSync("mkfifo", [join(base, "pipe.yaml")]);
    writeFileSync(join(base, "ok.yaml"), WIDGET("ok"));

    const result = await loadFake([base]);
    expect(result.manifests.map((m) => m.name)).toEqual(["ok"]);
    expect(result.errors.map(brief)).toEqual([
      {
        file: "dangling.yaml",
        line: 1,
        path: "",
        message: "broken symbolic link: no such file or directory",
      },
      { file: "pipe.yaml", line: 1, path: "", message: "not a regular file; skipped" },
    ]);
  });

  it("warns about a folder without manifest files, saying that nothing was found in it", async () => {
    writeFileSync(join(base, "README.md"), "nothing here\n");
    const result = await loadFake([base], tmpdir());
    expect(result.errors).toEqual([]);
    const name = base.slice(tmpdir().length + 1);
    expect(result.warnings).toEqual([
      {
        file: name,
        line: 0,
        code: "NoManifestFiles",
        message: `no manifests found in ${name} (looked for *.yaml, *.yml)`,
      },
    ]);
  });

  it("skips a .git folder inside the tree", async () => {
    mkdirSync(join(base, ".git", "refs"), { recursive: true });
    writeFileSync(join(base, ".git", "refs", "broken.yaml"), "a: [\n");
    writeFileSync(join(base, "ok.yaml"), WIDGET("ok"));
    const result = await loadFake([base]);
    expect(errorsIn(result, ".git/refs/broken.yaml")).toEqual([]);
    expect(result.errors).toEqual([]);
    expect(result.manifests.map((m) => m.name)).toEqual(["ok"]);
  });
});
