import { execFile } from "node:child_process";
import { availableParallelism, cpus, freemem, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { REPO_ROOT } from "../test/support/moto-server.js";
import { AWS_CLI } from "./baseline-cli.js";

const run = promisify(execFile);

async function output(cmd: string, args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run(cmd, args, { cwd: REPO_ROOT });
    return (stdout || stderr).trim();
  } catch (err) {
    return `unavailable (${(err as Error).message.split("\n")[0]})`;
  }
}

export interface MachineInfo {
  nproc: number;
  cpuModel: string;
  memoryTotalMiB: number;
  memoryFreeMiB: number;
  loadAverage: number[];
  node: string;
  moto: string;
  awsCli: string;
  commit: string;
  dirtyFiles: number;
  date: string;
}

/** What the figures were taken on (the machine is shared: the load average is part of the record). */
export async function machineInfo(): Promise<MachineInfo> {
  const python = join(REPO_ROOT, ".venv/bin/python");
  const dirty = await output("git", ["status", "--porcelain"]);
  return {
    nproc: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? "unknown",
    memoryTotalMiB: Math.round(totalmem() / 2 ** 20),
    memoryFreeMiB: Math.round(freemem() / 2 ** 20),
    loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
    node: process.version,
    moto: await output(python, ["-c", "import moto; print(moto.__version__)"]),
    awsCli: await output(AWS_CLI, ["--version"]),
    commit: await output("git", ["rev-parse", "--short", "HEAD"]),
    dirtyFiles: dirty.startsWith("unavailable") || dirty === "" ? 0 : dirty.split("\n").length,
    date: new Date().toISOString(),
  };
}
