import { describe, expect, it } from "vitest";
import { commandLines, parseWithCli } from "./commands.js";
import { docFiles } from "./markdown.js";

const HINT =
  "each retryctl command line in the docs must parse against src/cli/program.ts (the flags and commands of `retryctl --help`); fix the line, or write a placeholder as a plain word (DIR, FILE), not <…> or […]";

describe("the retryctl command lines in the docs", () => {
  for (const doc of docFiles()) {
    const lines = commandLines(doc);
    if (lines.length === 0) continue;
    it(`${doc}: every \`retryctl …\` line parses against the CLI definition`, async () => {
      const problems: string[] = [];
      for (const l of lines) {
        const error = await parseWithCli(l.args, l.inline);
        if (error) problems.push(`${l.file}:${l.line}: \`${l.text}\`: ${error}`);
      }
      expect(problems, HINT).toEqual([]);
    });
  }

  it("the checker itself: finds lines in shell blocks and inline code, and refuses what commander refuses", async () => {
    const doc = [
      "Run `retryctl diff DIR` or `retryctl validate`; `retryctl diff/apply` wait.",
      "```console",
      "$ npx retryctl apply manifests/ --dry-run   # a comment",
      "+ FunctionEventInvokeConfig/orders would update",
      "```",
      "```sh",
      "export X=1 && RETRYCTL_MODE=observe retryctl run \\",
      "  --dir /config --mode observe 2>&1 | tee log",
      "retryctl schema > schema.json",
      'docker run --rm -v "$PWD:/config:ro" registry.example.com/retryctl:0.1.0 validate /config',
      "docker run -d -p 8080:8080 registry.example.com/retryctl:0.1.0",
      "```",
      "Then `retryctl apply --policy",
      "policy.yaml manifests/` applies.",
    ].join("\n");
    const found = commandLines("x.md", doc);
    expect(found.map((l) => [l.line, l.args])).toEqual([
      [3, ["apply", "manifests/", "--dry-run"]],
      [7, ["run", "--dir", "/config", "--mode", "observe"]],
      [9, ["schema"]],
      [10, ["validate", "/config"]],
      [1, ["diff", "DIR"]],
      [1, ["validate"]],
      [1, ["diff"]],
      [1, ["apply"]],
      [13, ["apply", "--policy", "policy.yaml", "manifests/"]],
    ]);
    for (const l of found) expect(await parseWithCli(l.args, l.inline)).toBeUndefined();
    expect(await parseWithCli(["validate"])).toMatch(/missing required argument/);
    expect(await parseWithCli(["diff", "DIR", "--bogus"])).toMatch(/unknown option '--bogus'/);
    expect(await parseWithCli(["frobnicate"], true)).toMatch(/unknown command 'frobnicate'/);
    expect(await parseWithCli(["run", "--dir", "x", "--mode", "loud"])).toMatch(/--mode/);
    expect(await parseWithCli(["apply", "DIR", "[--dry-run]"])).toMatch(/too many arguments/);
  });
});
