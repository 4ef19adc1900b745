import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import { REPO_ROOT } from "../../support/moto-server.js";

/** The containers.conf the image scripts use: limits, runtime and cgroup manager this kind of machine needs. */
const CONTAINERS_CONF = join(REPO_ROOT, "scripts/image/containers.conf");

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end; a missing command is code 127, as a shell reports it. */
export function exec(command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: REPO_ROOT,
      env: { ...process.env, CONTAINERS_CONF, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    child.on("error", (err) => resolve({ code: 127, stdout, stderr: `${stderr}${err.message}` }));
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

export const podman = (...args: string[]): Promise<Run> => exec("podman", args);

/** Like `podman`, but a non-zero exit is an error carrying what podman said. */
export async function podmanOk(...args: string[]): Promise<string> {
  const r = await podman(...args);
  if (r.code !== 0) throw new Error(`podman ${args[0]} exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}

function onPath(command: string): boolean {
  return (process.env.PATH ?? "")
    .split(delimiter)
    .some((dir) => dir !== "" && existsSync(join(dir, command)));
}

/**
 * Why this machine cannot build and run the image (undefined when it can): the
 * scripts need buildah, podman and debootstrap, and root for the root storage.
 */
export function containerRuntimeMissing(): string | undefined {
  const missing = ["buildah", "podman", "debootstrap"].filter((c) => !onPath(c));
  if (missing.length > 0) {
    return `${missing.join(", ")} not installed (Debian: apt-get install buildah podman runc debootstrap)`;
  }
  if (process.getuid?.() !== 0) return "the image scripts need root (debootstrap, podman's root storage)";
  return undefined;
}
