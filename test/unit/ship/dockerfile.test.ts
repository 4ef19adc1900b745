import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  contextFiles,
  copyArgs,
  execForm,
  type Instruction,
  isIgnored,
  parseDockerfile,
  parseDockerignore,
  type Stage,
} from "../../ship/dockerfile.js";

/**
 * The container image's invariants (issue 4), read from the Dockerfile itself,
 * so a broken one fails fast and says which rule; test/integration/image/
 * builds and runs the image for real.
 */
const ROOT = join(import.meta.dirname, "../../..");
const dockerfile = await readFile(join(ROOT, "Dockerfile"), "utf8");
const stages = parseDockerfile(dockerfile);
const ignore = parseDockerignore(await readFile(join(ROOT, ".dockerignore"), "utf8"));
const pkg = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as {
  bin: Record<string, string>;
  dependencies: Record<string, string>;
};

const finalStage = stages.at(-1)!;
const stageNames = new Set(stages.flatMap((s) => (s.name ? [s.name] : [])));
const all = (stage: Stage, keyword: string): Instruction[] =>
  stage.instructions.filter((i) => i.keyword === keyword);
const last = (stage: Stage, keyword: string): Instruction | undefined => all(stage, keyword).at(-1);
const runs = (stage: Stage) => all(stage, "RUN").map((i) => i.args);

describe("Dockerfile", () => {
  it("is multi-stage: a build stage compiles with every dependency, the runtime stage does not", () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const build = stages.find((s) => s.name === "build");
    expect(build, "a stage named build").toBeDefined();
    expect(runs(build!).some((r) => /\bnpm ci\b/.test(r) && !r.includes("--omit=dev"))).toBe(true);
    expect(runs(build!).some((r) => r.includes("npm run build"))).toBe(true);
    expect(finalStage.name).toBeUndefined();
  });

  it("starts every stage from a Node.js LTS slim image pinned by major version", () => {
    for (const stage of stages) {
      if (stageNames.has(stage.from)) continue;
      // node:24-slim or node:24-<debian release>-slim, optionally with a digest; never latest/lts/current.
      expect(stage.from).toMatch(/^node:24(-[a-z]+)?-slim(@sha256:[0-9a-f]{64})?$/);
    }
    expect(stageNames.has(finalStage.from)).toBe(false);
  });

  it("installs production dependencies only, with the lockfile, in the runtime stage", () => {
    const installs = runs(finalStage).filter((r) => /\bnpm (ci|install|i)\b/.test(r));
    expect(installs).toHaveLength(1);
    expect(installs[0]).toMatch(/\bnpm ci\b.*--omit=dev/);
    const copied = all(finalStage, "COPY").map((c) => copyArgs(c.args));
    expect(copied.some((c) => c.from === undefined && c.sources.includes("package-lock.json"))).toBe(true);
    // From the context the runtime stage takes the lockfile only: no sources, tests or scripts.
    const fromContext = copied.filter((c) => c.from === undefined).flatMap((c) => c.sources);
    expect(fromContext).toEqual(["package-lock.json"]);
    expect(last(finalStage, "ENV")?.args).toMatch(/NODE_ENV=production/);
  });

  it("runs as a numeric non-root user in the final stage", () => {
    const user = last(finalStage, "USER");
    expect(user, "a USER instruction in the final stage").toBeDefined();
    // Kubernetes' runAsNonRoot can only verify a numeric UID.
    const [uid, gid] = user!.args.split(":");
    expect(uid).toMatch(/^\d+$/);
    expect(Number(uid)).toBeGreaterThan(0);
    if (gid !== undefined) expect(Number(gid)).toBeGreaterThan(0);
    // Nothing after USER switches back or installs.
    const after = finalStage.instructions.slice(finalStage.instructions.indexOf(user!) + 1);
    expect(after.map((i) => i.keyword)).not.toContain("RUN");
  });

  it("starts node directly (exec form) on the package's bin, with `run --dir /config` by default", () => {
    const entrypoint = last(finalStage, "ENTRYPOINT");
    expect(execForm(entrypoint?.args ?? "")).toEqual(["node", "/app/dist/cli/main.js"]);
    expect(last(finalStage, "WORKDIR")?.args).toBe("/app");
    expect(`/app/${pkg.bin.retryctl}`).toBe("/app/dist/cli/main.js");
    expect(execForm(last(finalStage, "CMD")?.args ?? "")).toEqual(["run", "--dir", "/config"]);
    expect(all(finalStage, "EXPOSE").map((e) => e.args)).toEqual(["8080"]);
    // A shell-form STOPSIGNAL/ENTRYPOINT/SHELL would put /bin/sh between SIGTERM and node.
    expect(all(finalStage, "SHELL")).toEqual([]);
    expect(all(finalStage, "STOPSIGNAL").every((s) => s.args === "SIGTERM")).toBe(true);
  });

  it("bakes in no credentials", () => {
    for (const stage of stages) {
      for (const ins of stage.instructions.filter((i) => i.keyword === "ENV" || i.keyword === "ARG")) {
        expect(ins.args).not.toMatch(/AWS_(ACCESS|SECRET|SESSION)|TOKEN|PASSWORD|SECRET/i);
      }
    }
  });
});

describe(".dockerignore", () => {
  it("keeps dependencies, VCS data, tests, build output, local state and secrets out of the context", () => {
    const excluded = [
      "node_modules/zod/package.json",
      "src/node_modules/x/index.js",
      ".git/HEAD",
      "test/unit/ship/dockerfile.test.ts",
      ".venv/bin/python",
      "dist/cli/main.js",
      "bench/results/run.json",
      "docs/dev/helpers.md",
      ".tmp/demo-build/start.js",
      "scripts/demo/start.ts",
      ".env",
      "src/.env.local",
      ".npmrc",
      ".aws/credentials",
      "deploy/key.pem",
      "npm-debug.log",
    ];
    for (const path of excluded) expect(isIgnored(ignore, path), path).toBe(true);
  });

  it("lets in everything the build stage copies from the context", () => {
    const sources = stages.flatMap((s) =>
      all(s, "COPY")
        .map((c) => copyArgs(c.args))
        .filter((c) => c.from === undefined)
        .flatMap((c) => c.sources),
    );
    expect(sources).toEqual(expect.arrayContaining(["package.json", "package-lock.json", "src"]));
    for (const source of sources) expect(isIgnored(ignore, source), source).toBe(false);
    expect(isIgnored(ignore, "src/cli/main.ts")).toBe(false);
  });

  it("yields a context of exactly the build inputs for this working tree", async () => {
    const files = await contextFiles(ROOT, ignore);
    const outside = files.filter(
      (f) => !f.startsWith("src/") && !["package.json", "package-lock.json"].includes(f),
    );
    expect(outside).toEqual(["tsconfig.build.json", "tsconfig.json"]);
    expect(files).toContain("src/cli/main.ts");
  });
});

describe("package.json", () => {
  it("ships the compiled CLI and nothing that needs the sources", () => {
    const { files } = pkg as unknown as { files: string[] };
    expect(files).toEqual(["dist"]);
    expect(pkg.bin).toEqual({ retryctl: "dist/cli/main.js" });
  });
});
