import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_MOTO_PORT, exportBlock, motoPort } from "../../../scripts/demo/exports.js";
import { REPO_ROOT } from "../../support/moto-server.js";

describe("the demo's shell block and port", () => {
  it("is shell lines only: exports, the diff to run, and comments", () => {
    const block = exportBlock({ endpoint: "http://127.0.0.1:5055", region: "us-east-1" });
    for (const line of block.split("\n")) expect(line).toMatch(/^(#|export |npx retryctl diff manifests\/$)/);
    expect(block).toContain("export AWS_ENDPOINT_URL=http://127.0.0.1:5055\n");
    expect(block).toContain("AWS_REGION=us-east-1");
    expect(block).toContain("RETRYCTL_DEMO_MOTO_PORT");
  });

  it("takes RETRYCTL_DEMO_MOTO_PORT as a port, 0 for a free one, else the fixed default", () => {
    expect(motoPort(undefined)).toBe(DEFAULT_MOTO_PORT);
    expect(motoPort("")).toBe(DEFAULT_MOTO_PORT);
    expect(motoPort("0")).toBe(0);
    expect(motoPort("6001")).toBe(6001);
    expect(() => motoPort("http")).toThrow(/RETRYCTL_DEMO_MOTO_PORT must be a port number .* got "http"/);
    expect(() => motoPort("70000")).toThrow(/got "70000"/);
  });
});

describe("the README's quick start", () => {
  it("shows the block the demo prints for its default port", async () => {
    const readme = await readFile(join(REPO_ROOT, "README.md"), "utf8");
    const block = exportBlock({ endpoint: `http://127.0.0.1:${DEFAULT_MOTO_PORT}`, region: "us-east-1" });
    const commands = block.split("\n").filter((l) => !l.startsWith("#"));
    expect(commands.length).toBe(3);
    expect(readme).toContain(`\`\`\`sh\n${commands.join("\n")}\n\`\`\``);
  });
});
