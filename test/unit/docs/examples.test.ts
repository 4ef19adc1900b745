import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../../src/cli/program.js";
import { loadPolicyFile, POLICY_KIND } from "../../../src/policy/policy.js";
import { docFiles, type Fence, fences } from "./markdown.js";

/**
 * Every ```yaml block that is a retryctl document (it has `apiVersion: retryctl.dev/`)
 * goes through `retryctl validate` (a policy file: `--policy`'s reader), in-process. A block meant
 * to fail carries `<!-- invalid: <text of the error> -->` on the line before its fence.
 */
const REGION = "us-east-1";
const HINT =
  "fix the example, or mark an example that is meant to fail with `<!-- invalid: <text the error contains> -->` on the line before its fence";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "retryctl-docs-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function isRetryctlDocument(fence: Fence): boolean {
  return (
    (fence.lang === "yaml" || fence.lang === "yml") &&
    fence.body.some((l) => /^apiVersion:\s*retryctl\.dev\//.test(l))
  );
}

/** What `retryctl validate` (in-process) reports on the block, each error placed on its line in the Markdown file. */
async function validateBlock(fence: Fence): Promise<string[]> {
  const file = join(dir, `${fence.file.replaceAll("/", "_")}-${fence.line}.yaml`);
  await writeFile(file, `${fence.body.join("\n")}\n`);
  const at = (e: { line: number; path: string; message: string }) =>
    `${fence.file}:${fence.line + Math.max(e.line, 1)}: ${e.path ? `${e.path}: ` : ""}${e.message}`;
  // A policy file is no manifest: `--policy` reads it, with the manifests' error format.
  if (fence.body.some((l) => new RegExp(`^kind:\\s*${POLICY_KIND}\\s*$`).test(l))) {
    const loaded = await loadPolicyFile(file);
    return loaded.ok ? [] : loaded.errors.map(at);
  }
  let stdout = "";
  let stderr = "";
  const args = ["--region", REGION, "--output", "json", "validate", file];
  const code = await runCli(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  const report = JSON.parse(stdout || "{}") as { errors?: { line: number; path: string; message: string }[] };
  const errors = (report.errors ?? []).map(at);
  if (code !== 0 && errors.length === 0)
    errors.push(`${fence.file}:${fence.line}: validate exited ${code}: ${stderr}`);
  return errors;
}

describe("the YAML examples in the docs", () => {
  for (const doc of docFiles()) {
    const blocks = fences(doc).filter(isRetryctlDocument);
    if (blocks.length === 0) continue;
    it(`${doc}: every manifest example validates (and every one marked invalid fails as it says)`, async () => {
      const problems: string[] = [];
      for (const block of blocks) {
        const errors = await validateBlock(block);
        if (block.invalid === undefined) {
          problems.push(...errors.map((e) => `${e} (example at ${doc}:${block.line})`));
        } else if (!errors.some((e) => e.includes(block.invalid ?? ""))) {
          problems.push(
            `${doc}:${block.line}: marked invalid with "${block.invalid}", but validation ${
              errors.length === 0 ? "passes" : `says only: ${errors.join("; ")}`
            }`,
          );
        }
      }
      expect(problems, HINT).toEqual([]);
    });
  }

  it("the checker itself: a broken example fails and a marked one must fail with its text", async () => {
    const body = [
      "apiVersion: retryctl.dev/v1alpha1",
      "kind: QueueRedrivePolicy",
      "metadata: { name: q }",
      "spec:",
      "  queue: q",
      "  maxReceiveCount: 0",
    ];
    const [fence] = fences("x.md", ["```yaml", ...body, "```"].join("\n"));
    const errors = await validateBlock(fence as Fence);
    expect(errors).toEqual([expect.stringMatching(/^x\.md:7: spec\.maxReceiveCount: /)]);
    const [marked] = fences(
      "x.md",
      ["<!-- invalid: spec.maxReceiveCount -->", "", "```yaml", ...body, "```"].join("\n"),
    );
    expect(marked?.invalid).toBe("spec.maxReceiveCount");
  });
});
