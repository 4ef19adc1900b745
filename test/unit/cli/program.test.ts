import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../../../src/cli/program.js";

async function run(...args: string[]) {
  let out = "";
  let err = "";
  const code = await runCli(args, { stdout: (t) => (out += t), stderr: (t) => (err += t) });
  return { code, out, err };
}

describe("the CLI surface", () => {
  it("subcommand help goes to the given output and exits 0, without exiting the process", async () => {
    const { code, out } = await run("run", "--help");
    expect(code).toBe(0);
    for (const flag of ["--dir", "--resync-interval", "--mode", "--listen", "--concurrency", "--debounce"]) {
      expect(out).toContain(flag);
    }
  });

  const GLOBAL_FLAGS = ["--region", "--endpoint-url", "--log-level", "--log-format", "--policy", "--output"];
  for (const command of ["validate", "diff", "apply", "run", "schema"]) {
    it(`\`${command} --help\` lists the global flags too`, async () => {
      const { code, out } = await run(command, "--help");
      expect(code).toBe(0);
      expect(out).toContain("Global Options:");
      const global = out.slice(out.indexOf("Global Options:"));
      for (const flag of GLOBAL_FLAGS) expect(global, flag).toContain(flag);
    });
  }

  it("a bad flag value is a usage error with exit 1", async () => {
    const { code, err } = await run("run", "--dir", ".", "--resync-interval", "soon");
    expect(code).toBe(1);
    expect(err).toContain('invalid duration "soon"');
  });

  it("an unknown command is a usage error with exit 1", async () => {
    const { code, err } = await run("deploy");
    expect(code).toBe(1);
    expect(err).toContain("unknown command");
  });
});

describe("global flags from RETRYCTL_* environment variables", () => {
  it("RETRYCTL_OUTPUT=json switches validate to JSON, as --output json does", async () => {
    process.env.RETRYCTL_OUTPUT = "json";
    try {
      const { code, out } = await run("validate", "manifests");
      expect(code).toBe(0);
      expect(JSON.parse(out)).toMatchObject({ valid: true, errors: [], warnings: [] });
    } finally {
      delete process.env.RETRYCTL_OUTPUT;
    }
  });
});

describe("exit codes without AWS", () => {
  it("diff exits 1 when a manifest is invalid (no resource left to read)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "retryctl-cli-"));
    await writeFile(
      join(dir, "bad.yaml"),
      "apiVersion: retryctl.dev/v1alpha1\nkind: Nope\nmetadata:\n  name: x\nspec: {}\n",
    );
    const { code, out } = await run("diff", dir, "--output", "json");
    expect(code).toBe(1);
    // Outside the current directory: named by its absolute path, so it can be opened from here.
    expect(JSON.parse(out).manifestErrors[0]).toMatchObject({
      file: join(dir, "bad.yaml"),
      line: 2,
      path: "kind",
    });
  });
});
