import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import { inject, type ProvidedContext } from "vitest";
import { REPO_ROOT } from "./moto-server.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** The promtool the tests run: on PATH, or the pinned build in the per-machine tools cache. */
    promtool: string;
    /** How to run `kustomize build DIR`: `[binary, verb]`. */
    kustomize: string[];
  }
}

export type Tool = "promtool" | "kustomize";
/** Tools scripts/ensure-tool.sh provides; the Kubernetes ones are provided by test/kube-setup.ts. */
export type BuiltTool = Tool | "etcd" | "kube-apiserver" | "kubectl" | "prometheus-operator-crds";

function run(
  command: string,
  args: string[],
  inheritStderr: boolean,
): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: REPO_ROOT,
      stdio: ["ignore", "pipe", inheritStderr ? "inherit" : "ignore"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.on("error", () => resolve({ code: 127, out }));
    child.on("close", (code) => resolve({ code: code ?? 1, out }));
  });
}

/**
 * The path of `tool`, built first into the per-machine tools cache when this
 * machine lacks it (scripts/ensure-tool.sh: pinned, from the Go module proxy,
 * a few minutes once). Its progress and any reason it cannot (no Go) go to stderr.
 */
export async function ensureTool(tool: BuiltTool): Promise<string> {
  const { code, out } = await run("bash", [join(REPO_ROOT, "scripts/ensure-tool.sh"), tool], true);
  const path = out.trim();
  if (code !== 0 || path === "") {
    throw new Error(
      `${tool} is needed by the tests and could not be provided (scripts/ensure-tool.sh ${tool}, see above)`,
    );
  }
  return path;
}

function onPath(command: string): boolean {
  return (process.env.PATH ?? "")
    .split(delimiter)
    .some((dir) => dir !== "" && existsSync(join(dir, command)));
}

/** `kustomize build`, else the kustomize built into kubectl (since 1.14), else a pinned kustomize built for the run. */
export async function kustomizeCommand(): Promise<string[]> {
  if (!onPath("kustomize") && (await run("kubectl", ["kustomize", "--help"], false)).code === 0) {
    return ["kubectl", "kustomize"];
  }
  return [await ensureTool("kustomize"), "build"];
}

/** A tool that test/tools-setup.ts (a globalSetup of every project) provided to this run. */
export function provided<T extends Tool>(tool: T): ProvidedContext[T] {
  const value = inject(tool);
  if (value === undefined)
    throw new Error(`no ${tool}: test/tools-setup.ts must be a globalSetup of this project`);
  return value;
}
