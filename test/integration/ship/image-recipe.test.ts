import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink } from "node:fs/promises";
import { builtinModules } from "node:module";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { contextFiles, copyArgs, parseDockerfile, parseDockerignore } from "../../ship/dockerfile.js";
import { flags, loadDeploy, type Obj } from "../../ship/kubernetes.js";
import { createQueue, motoEndpoint, resetMoto } from "../../support/aws.js";
import { manifest, manifestDir } from "../../support/cli.js";

/**
 * The Dockerfile's steps replayed without Docker (there is no engine here):
 * the context as .dockerignore leaves it, the build stage's COPYs, build and
 * pack, then the runtime stage's `npm ci --omit=dev` beside the packed files.
 * What the image would run is then run: the CLI, every compiled module, and a
 * diff/apply against the emulator, all from the production-only install.
 * The build stage's `npm ci` is the repo's own (same lockfile), linked in.
 */
const ROOT = join(import.meta.dirname, "../../..");
const run = promisify(execFile);

interface Pkg {
  version: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
}
const pkg = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as Pkg;

let work: string;
let app: string;
let packed: string[];

async function npm(cwd: string, ...args: string[]): Promise<string> {
  // Offline-friendly: every package is in the npm cache after the repo's own `npm ci`.
  const env = { ...process.env, npm_config_prefer_offline: "true", npm_config_update_notifier: "false" };
  const { stdout } = await run("npm", args, { cwd, env, maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

/** The image's entrypoint, `node /app/dist/cli/main.js`, from outside the repo. */
async function retryctl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, NODE_ENV: "production" };
  try {
    const { stdout, stderr } = await run("node", [join(app, "dist/cli/main.js"), ...args], {
      cwd: tmpdir(),
      env,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    if (typeof e.code !== "number") throw err;
    return { code: e.code, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

async function replayImageBuild(): Promise<void> {
  const stages = parseDockerfile(await readFile(join(ROOT, "Dockerfile"), "utf8"));
  const ignore = parseDockerignore(await readFile(join(ROOT, ".dockerignore"), "utf8"));

  const context = join(work, "context");
  for (const file of await contextFiles(ROOT, ignore)) {
    await cp(join(ROOT, file), join(context, file));
  }

  const build = join(work, "build");
  await mkdir(build);
  const buildStage = stages.find((s) => s.name === "build");
  if (!buildStage) throw new Error("Dockerfile has no build stage");
  for (const ins of buildStage.instructions.filter((i) => i.keyword === "COPY")) {
    const { from, sources, dest } = copyArgs(ins.args);
    if (from !== undefined) continue;
    const intoDir = sources.length > 1 || dest.endsWith("/");
    for (const source of sources) {
      // A missing file here is a file .dockerignore keeps out of the context.
      await cp(join(context, source), join(build, intoDir ? join(dest, basename(source)) : dest), {
        recursive: true,
        errorOnExist: true,
      });
    }
  }
  await symlink(join(ROOT, "node_modules"), join(build, "node_modules"), "dir");
  await npm(build, "run", "build");
  const [info] = JSON.parse(await npm(build, "pack", "--json", "--pack-destination", work)) as {
    filename: string;
    files: { path: string }[];
  }[];
  if (!info) throw new Error("npm pack reported nothing");
  packed = info.files.map((f) => f.path).sort();
  const packageDir = join(work, "package");
  await mkdir(packageDir);
  await run("tar", ["-xzf", join(work, info.filename), "-C", packageDir, "--strip-components=1"]);

  app = join(work, "app");
  await mkdir(app);
  await cp(join(context, "package-lock.json"), join(app, "package-lock.json"));
  await cp(join(packageDir, "package.json"), join(app, "package.json"));
  await npm(app, "ci", "--omit=dev", "--no-audit", "--no-fund");
  await cp(packageDir, app, { recursive: true });
}

async function jsFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith(".js")).map((e) => join(e.parentPath, e.name));
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "retryctl-image-"));
  await replayImageBuild();
}, 600_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe("the image's package", () => {
  it("holds package.json and the compiled dist/ only", () => {
    expect(packed).toContain("package.json");
    expect(packed).toContain("dist/cli/main.js");
    const other = packed.filter((p) => p !== "package.json" && !/^dist\/.+\.js(\.map)?$/.test(p));
    expect(other).toEqual([]);
  });

  it("installs every production dependency and no devDependency", () => {
    for (const name of Object.keys(pkg.dependencies)) {
      expect(existsSync(join(app, "node_modules", name, "package.json")), name).toBe(true);
    }
    for (const name of Object.keys(pkg.devDependencies)) {
      expect(existsSync(join(app, "node_modules", name)), name).toBe(false);
    }
  });

  it("imports only production dependencies and Node.js built-ins from dist/", async () => {
    const allowed = new Set([...Object.keys(pkg.dependencies), ...builtinModules]);
    const bare = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["']([^"'./][^"']*)["']/g;
    const offending: string[] = [];
    for (const file of await jsFiles(join(app, "dist"))) {
      for (const [, specifier = ""] of (await readFile(file, "utf8")).matchAll(bare)) {
        if (specifier.startsWith("node:")) continue;
        const name = specifier.startsWith("@")
          ? specifier.split("/").slice(0, 2).join("/")
          : specifier.split("/")[0]!;
        if (!allowed.has(name)) offending.push(`${file}: ${specifier}`);
      }
    }
    expect(offending).toEqual([]);
  });

  it("loads every compiled module from the production-only install", async () => {
    // main.js runs the CLI on import; the commands below exercise it.
    const modules = (await jsFiles(join(app, "dist"))).filter((f) => !f.endsWith(join("cli", "main.js")));
    expect(modules.length).toBeGreaterThan(10);
    const script = `for (const url of ${JSON.stringify(modules.map((m) => pathToFileURL(m).href))}) await import(url);`;
    const { stderr } = await run("node", ["--input-type=module", "-e", script], {
      cwd: tmpdir(),
      env: { ...process.env, NODE_ENV: "production" },
    });
    expect(stderr).toBe("");
  });
});

describe("the image's entrypoint", () => {
  beforeEach(() => resetMoto());

  it("`retryctl --help` lists the commands and exits 0", async () => {
    const help = await retryctl("--help");
    expect(help.code).toBe(0);
    for (const command of ["validate", "diff", "apply", "run", "schema"]) {
      expect(help.stdout).toMatch(new RegExp(`^\\s+${command}\\b`, "m"));
    }
    const version = await retryctl("--version");
    expect(version.stdout.trim()).toBe(pkg.version);
  });

  it("`retryctl run` has every flag the Kubernetes Deployment passes it", async () => {
    const deployment = (await loadDeploy()).find((d) => d.obj.kind === "Deployment")!.obj;
    const container = (deployment.spec.template.spec.containers as Obj[]).find((c) => c.name === "retryctl")!;
    const args = container.args as string[];
    expect(args[0]).toBe("run");
    const help = await retryctl("run", "--help");
    expect(help.code).toBe(0);
    for (const flag of flags(args).keys()) {
      expect(help.stdout, `--${flag}`).toMatch(new RegExp(`^\\s+--${flag} `, "m"));
    }
  });

  it("`retryctl validate` accepts the bundled manifests and rejects a broken one", async () => {
    const ok = await retryctl("validate", join(ROOT, "manifests"));
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    // manifests/payments/defaults.yaml is a RetryPolicy: validate counts it apart.
    expect(ok.stdout).toMatch(/^\d+ valid manifest\(s\) and 1 valid RetryPolicy\(s\), 0 error\(s\)/m);

    const bad = await retryctl(
      "validate",
      "--output",
      "json",
      await manifestDir({
        "bad.yaml": manifest("QueueRedrivePolicy", "work", { queue: "work", maxRecieveCount: 5 }),
      }),
    );
    expect(bad.code).toBe(1);
    const doc = JSON.parse(bad.stdout) as { valid: boolean; errors: { message: string }[] };
    expect(doc.valid).toBe(false);
    expect(doc.errors[0]?.message).toMatch(/maxRecieveCount/);
  });

  it("`retryctl schema` prints the committed editor schema", async () => {
    const schema = await retryctl("schema");
    expect(schema.code).toBe(0);
    expect(schema.stdout).toBe(await readFile(join(ROOT, "schema/retryctl.schema.json"), "utf8"));
  });

  it("`retryctl diff` and `apply` reach AWS with the production dependencies", async () => {
    await createQueue("work");
    await createQueue("work-dlq");
    const dir = await manifestDir({
      "queue.yaml": manifest("QueueRedrivePolicy", "work", {
        queue: "work",
        deadLetterQueue: "work-dlq",
        maxReceiveCount: 5,
      }),
    });
    const endpoint = ["--endpoint-url", motoEndpoint()];
    const before = await retryctl("diff", dir, ...endpoint);
    expect(before.code, before.stdout + before.stderr).toBe(2);
    expect(before.stdout).toMatch(/maxReceiveCount/);
    const applied = await retryctl("apply", dir, ...endpoint);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    const after = await retryctl("diff", dir, ...endpoint);
    expect(after.code, after.stdout + after.stderr).toBe(0);
  });
});

/** Polls `probe` until it returns a value (not undefined), or fails after `timeoutMs`. */
async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 30_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe("the image's default command", () => {
  it("`retryctl run` serves the contract's endpoints and exits 0 on SIGTERM", async () => {
    await resetMoto();
    await createQueue("work");
    await createQueue("work-dlq");
    const dir = await manifestDir({
      "queue.yaml": manifest("QueueRedrivePolicy", "work", {
        queue: "work",
        deadLetterQueue: "work-dlq",
        maxReceiveCount: 5,
      }),
    });
    // As the exec-form ENTRYPOINT does: node itself is the process that gets the signal.
    const args = ["run", "--dir", dir, "--listen", "127.0.0.1:0", "--endpoint-url", motoEndpoint()];
    const child = spawn("node", [join(app, "dist/cli/main.js"), ...args], {
      cwd: tmpdir(),
      env: { ...process.env, NODE_ENV: "production" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const logs = () =>
      stdout
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l) as { msg: string; listen?: string });
    try {
      const started = await waitFor("the controller to start", () =>
        logs().find((l) => l.msg === "controller started"),
      );
      const base = `http://${started.listen}`;
      await waitFor("/readyz to answer 200", async () =>
        (await fetch(`${base}/readyz`)).ok ? true : undefined,
      );
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(metrics).toMatch(/^retryctl_revision_info\{revision="sha256:[0-9a-f]+"\} 1$/m);
      const status = (await (await fetch(`${base}/status`)).json()) as { resources: { status: string }[] };
      expect(status.resources.map((r) => r.status)).toEqual(["Synced"]);

      child.kill("SIGTERM");
      expect(await exited, stderr).toBe(0);
      expect(logs().at(-1)?.msg).toBe("controller stopped");
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });
});
