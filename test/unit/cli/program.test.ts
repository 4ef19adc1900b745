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
