import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../../../src/cli/program.js";

/** What the CLI says about the folders and files it is given (the tests run from the repo root). */
async function run(...args: string[]) {
  let out = "";
  let err = "";
  const code = await runCli(args, { stdout: (t) => (out += t), stderr: (t) => (err += t) });
  return { code, out, err };
}

const REAL = "test/fixtures/manifests/real";

describe("folders given to the CLI", () => {
  let empty: string;
  beforeEach(async () => {
    empty = await mkdtemp(join(tmpdir(), "retryctl-empty-"));
  });
  afterEach(() => rm(empty, { recursive: true, force: true }));

  it("validate names a folder that does not exist, as a CLI error rather than a file position", async () => {
    const { code, out, err } = await run("validate", "manifests2");
    expect(code).toBe(1);
    expect(err).toBe("retryctl: folder manifests2 does not exist\n");
    expect(out).not.toContain("manifests2:0");
  });

  it("diff and apply stop on a folder that does not exist before any AWS call", async () => {
    for (const command of ["diff", "apply"]) {
      // An endpoint nothing listens on: reaching AWS would fail differently and slowly.
      const { code, out, err } = await run("--endpoint-url", "http://127.0.0.1:9", command, "manifests2");
      expect(code, command).toBe(1);
      expect(err, command).toBe("retryctl: folder manifests2 does not exist\n");
      expect(out, command).toBe("");
    }
  });

  it("validate passes an empty folder but says that nothing was found, and where it looked", async () => {
    await writeFile(join(empty, "README.md"), "no manifests here\n");
    const { code, out } = await run("validate", empty);
    expect(code).toBe(0);
    expect(out).toContain(
      `warning NoManifestFiles: no manifests found in ${empty} (looked for *.yaml, *.yml)\n`,
    );
    expect(out).not.toContain(":0:");
  });

  it("names files relative to the current directory, with one folder as with several", async () => {
    const one = await run("validate", REAL);
    const several = await run("validate", "manifests", REAL);
    for (const { out } of [one, several]) {
      expect(out).toMatch(new RegExp(`^error: ${REAL}/invalid\\.yaml:\\d+: `, "m"));
      expect(out).not.toMatch(/^error: invalid\.yaml/m);
      expect(out).not.toContain(process.cwd());
    }
  });

  it("validate --output json gives the column of a YAML syntax error, keeping the other keys", async () => {
    await writeFile(join(empty, "broken.yaml"), "spec:\n  functionName: a\n  maximumRetryAttempts:2\n");
    const { code, out } = await run("--output", "json", "validate", empty);
    expect(code).toBe(1);
    expect(JSON.parse(out).errors).toEqual([
      {
        file: join(empty, "broken.yaml"),
        line: 3,
        column: 23,
        path: "",
        message: 'unexpected ":" in "maximumRetryAttempts:2": did you forget a space after the colon?',
      },
    ]);
  });
});
