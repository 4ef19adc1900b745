import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../../src/cli/program.js";

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON (for `--output json`). */
  json<T = unknown>(): T;
}

/** Runs the CLI in-process, as `retryctl <args…>`, capturing its output. */
export async function cli(...args: string[]): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(args, {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
  });
  return { code, stdout, stderr, json: <T>() => JSON.parse(stdout) as T };
}

/** Writes `files` (relative path → YAML text) into a fresh temporary folder and returns its path. */
export async function manifestDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "retryctl-manifests-"));
  for (const [name, text] of Object.entries(files)) {
    const path = join(dir, name);
    await mkdir(join(path, ".."), { recursive: true });
    await writeFile(path, text);
  }
  return dir;
}

/** A manifest document in YAML (JSON is YAML), with the envelope filled in. */
export function manifest(kind: string, name: string, spec: Record<string, unknown>, metadata = {}): string {
  return `${JSON.stringify({ apiVersion: "retryctl.dev/v1alpha1", kind, metadata: { name, ...metadata }, spec }, null, 2)}\n`;
}

export interface PlanJson {
  revision: string;
  resources: {
    kind: string;
    name: string;
    region: string;
    action: string;
    applied: boolean;
    changes: { field: string; actual: unknown; desired: unknown }[];
    error?: { code: string; message: string };
  }[];
  summary: Record<string, number>;
}
