import { existsSync } from "node:fs";
import { mkdir, readFile, rmdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { REPO_ROOT } from "../test/support/moto-server.js";

/**
 * How the image runs the controller, read from the files that ship it so the
 * benchmark cannot drift from them: the Node flags of the Dockerfile's
 * ENTRYPOINT and the memory limit of the retryctl container in
 * deploy/kubernetes/deployment.yaml (Node sizes its heap from a cgroup limit).
 */
export interface Shipped {
  nodeFlags: string[];
  /** ENV of the image's final stage. */
  env: Record<string, string>;
  memoryLimitBytes: number;
}

export async function shippedConfig(): Promise<Shipped> {
  const dockerfile = await readFile(join(REPO_ROOT, "Dockerfile"), "utf8");
  const finalStage = dockerfile.slice(dockerfile.lastIndexOf("\nFROM "));
  const env: Record<string, string> = {};
  for (const [, pairs] of finalStage.matchAll(/^ENV\s+(.+)$/gm)) {
    for (const [, key, value] of (pairs ?? "").matchAll(/(\w+)=(\S+)/g)) env[key as string] = value as string;
  }
  const entry = [...finalStage.matchAll(/^ENTRYPOINT\s+(\[.*\])\s*$/gm)].at(-1)?.[1];
  const argv = entry ? (JSON.parse(entry) as string[]) : [];
  if (argv[0] !== "node") throw new Error(`Dockerfile ENTRYPOINT does not start with node: ${entry}`);
  const nodeFlags = argv.slice(1).filter((a) => a.startsWith("--"));

  const deployment = await readFile(join(REPO_ROOT, "deploy/kubernetes/deployment.yaml"), "utf8");
  for (const doc of parseAllDocuments(deployment)) {
    const containers = doc.getIn(["spec", "template", "spec", "containers"]) as
      | { toJSON(): { name: string; resources?: { limits?: { memory?: string } } }[] }
      | undefined;
    const retryctl = containers?.toJSON().find((c) => c.name === "retryctl");
    const memory = retryctl?.resources?.limits?.memory;
    if (memory) return { nodeFlags, env, memoryLimitBytes: quantityBytes(memory) };
  }
  throw new Error("deploy/kubernetes/deployment.yaml: no memory limit on the retryctl container");
}

/** A Kubernetes memory quantity (binary or decimal suffix) in bytes. */
export function quantityBytes(q: string): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|K|M|G)?$/.exec(q);
  if (!m) throw new Error(`not a memory quantity: ${q}`);
  const unit = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, K: 1e3, M: 1e6, G: 1e9 }[m[2] ?? ""] ?? 1;
  return Number(m[1]) * unit;
}

/**
 * A memory cgroup with `limitBytes`, where this machine lets us make one (root,
 * cgroup v2 with the memory controller, or v1's memory hierarchy). `wrap` turns
 * a command into one that joins the cgroup first; `remove` deletes it.
 */
export interface MemoryCgroup {
  version: "v1" | "v2";
  path: string;
  wrap(command: string, args: string[]): { command: string; args: string[] };
  remove(): Promise<void>;
}

export async function memoryCgroup(limitBytes: number): Promise<MemoryCgroup | undefined> {
  const name = `retryctl-bench-${process.pid}`;
  const candidates: { version: "v1" | "v2"; parent: string; limitFile: string }[] = [];
  const v2Controllers = await readFile("/sys/fs/cgroup/cgroup.controllers", "utf8").catch(() => "");
  if (/\bmemory\b/.test(v2Controllers))
    candidates.push({ version: "v2", parent: "/sys/fs/cgroup", limitFile: "memory.max" });
  if (existsSync("/sys/fs/cgroup/memory/memory.limit_in_bytes"))
    candidates.push({ version: "v1", parent: "/sys/fs/cgroup/memory", limitFile: "memory.limit_in_bytes" });
  for (const { version, parent, limitFile } of candidates) {
    const path = join(parent, name);
    try {
      await mkdir(path);
      await writeFile(join(path, limitFile), String(limitBytes));
    } catch {
      await rmdir(path).catch(() => undefined);
      continue;
    }
    return {
      version,
      path,
      wrap: (command, args) => ({
        command: "/bin/sh",
        args: ["-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', path, command, ...args],
      }),
      remove: () => rmdir(path).catch(() => undefined),
    };
  }
  return undefined;
}
