import { chmod, readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SetQueueAttributesCommand,
} from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDemo } from "../../../scripts/demo/seed.js";
import type { StatusDocument } from "../../../src/controller/controller.js";
import { flags, loadDeploy, type Obj } from "../../ship/kubernetes.js";
import { motoEndpoint, resetMoto, sdk, TEST_CREDENTIALS, TEST_REGION } from "../../support/aws.js";
import { manifest, manifestDir } from "../../support/cli.js";
import { REPO_ROOT } from "../../support/moto-server.js";
import { containerRuntimeMissing, exec, podman, podmanOk } from "./podman.js";

/**
 * The proof that the image works: the Dockerfile, unchanged, built by buildah
 * on the locally assembled node:24-trixie-slim base (scripts/image/), and the
 * image run by podman the way the Kubernetes Deployment runs it: read-only root,
 * UID 1000, no capabilities, against the emulator over the host network.
 *
 * A cold machine assembles the base first (debootstrap and the npm registry:
 * 1–2 minutes, once); a warm one reuses it and the cached layers.
 */
const BUILD_TIMEOUT_MS = 360_000;

const missing = containerRuntimeMissing();
const ci = !["", "0", "false"].includes(process.env.CI ?? "");

interface Pkg {
  version: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
}
const pkg = JSON.parse(await readFile(join(REPO_ROOT, "package.json"), "utf8")) as Pkg;
const checkoutLock = JSON.parse(await readFile(join(REPO_ROOT, "package-lock.json"), "utf8")) as {
  packages: Record<string, { dev?: boolean }>;
};
const devOnlyInCheckout = Object.keys(pkg.devDependencies).filter(
  (d) => checkoutLock.packages[`node_modules/${d}`]?.dev,
).length;
// One tag per machine, kept after the run: removing the image would drop the runtime
// stage's cached layers with it. Every run uses the image ID it built, so runs at once
// that move the tag do not disturb each other.
const tag = "localhost/retryctl:test";
const containers: string[] = [];
const figures: Record<string, string> = {};
let image = "";

/** `podman run --rm` of the image as the Deployment's securityContext has it, plus `extra` run options. */
function runImage(extra: string[], ...args: string[]) {
  return podman(
    "run",
    "--rm",
    "--read-only",
    "--user",
    "1000:1000",
    "--cap-drop",
    "all",
    "--security-opt",
    "no-new-privileges",
    ...extra,
    image,
    ...args,
  );
}

if (missing && !ci) {
  it.skip(`the container image is built and run only where buildah and podman are: ${missing}`);
}

describe.skipIf(missing !== undefined && !ci)("the image, built by buildah and run by podman", () => {
  beforeAll(async () => {
    // Under CI a machine without the runtimes fails here rather than passing silently.
    if (missing) throw new Error(`cannot build the container image: ${missing}`);
    const started = performance.now();
    const build = await exec("bash", [join(REPO_ROOT, "scripts/image/build.sh"), tag]);
    if (build.code !== 0) throw new Error(`scripts/image/build.sh failed:\n${build.stderr.slice(-4000)}`);
    image = build.stdout.trim().split("\n").at(-1) ?? "";
    const seconds = (performance.now() - started) / 1000;
    const base = build.stderr.includes("ensure-base: assembled") ? "base assembled" : "base cached";
    figures["build (scripts/image/build.sh)"] = `${seconds.toFixed(1)} s (${base})`;
    const size = Number(await podmanOk("image", "inspect", "--format", "{{.Size}}", image));
    figures["image size"] = `${(size / 1e6).toFixed(0)} MB`;
  }, BUILD_TIMEOUT_MS);

  afterAll(async () => {
    for (const name of containers) await podman("rm", "--force", "--time", "0", name);
    if (Object.keys(figures).length > 0) {
      console.info(
        `container image figures:\n${Object.entries(figures)
          .map(([k, v]) => `  ${k}: ${v}`)
          .join("\n")}`,
      );
    }
  });

  it("is configured as the Dockerfile says: UID 1000, node as PID 1 on the package's bin, `run --dir /config`", async () => {
    const config = JSON.parse(await podmanOk("image", "inspect", "--format", "{{json .Config}}", image)) as {
      User: string;
      Entrypoint: string[];
      Cmd: string[];
      Env: string[];
    };
    expect(config.User).toBe("1000:1000");
    expect(config.Entrypoint).toEqual(["node", "/app/dist/cli/main.js"]);
    expect(config.Cmd).toEqual(["run", "--dir", "/config"]);
    expect(config.Env).toContain("NODE_ENV=production");
  });

  it("holds the packed package with production dependencies only, each compiled module loading from them", async () => {
    // Runs inside the image, by its own node, with no network: what the runtime stage really installed.
    const script = `
      import { readdirSync, readFileSync, existsSync } from "node:fs";
      import { builtinModules } from "node:module";
      const pkg = ${JSON.stringify(pkg)};
      const lock = JSON.parse(readFileSync("/app/package-lock.json", "utf8"));
      const entries = readdirSync("/app/dist", { recursive: true, withFileTypes: true });
      const js = entries.filter((e) => e.isFile() && e.name.endsWith(".js")).map((e) => e.parentPath + "/" + e.name);
      const allowed = new Set([...Object.keys(pkg.dependencies), ...builtinModules]);
      const bare = /(?:\\bfrom\\s*|\\bimport\\s*\\(\\s*|\\bimport\\s+)["']([^"'./][^"']*)["']/g;
      const offending = [];
      for (const file of js) {
        for (const [, spec] of readFileSync(file, "utf8").matchAll(bare)) {
          if (spec.startsWith("node:")) continue;
          const name = spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0];
          if (!allowed.has(name)) offending.push(file + ": " + spec);
        }
      }
      for (const file of js.filter((f) => f !== "/app/dist/cli/main.js")) await import(file);
      console.log(JSON.stringify({
        app: readdirSync("/app").sort(),
        notJs: entries.filter((e) => e.isFile() && !/\\.js(\\.map)?$/.test(e.name)).map((e) => e.name),
        loaded: js.length - 1,
        offending,
        missingDeps: Object.keys(pkg.dependencies).filter((d) => !existsSync("/app/node_modules/" + d + "/package.json")),
        // A devDependency a production dependency needs too is rightly there (@types/node, a
        // dependency of @kubernetes/client-node): the image's own lockfile marks the dev-only ones.
        devDeps: Object.keys(pkg.devDependencies)
          .filter((d) => lock.packages["node_modules/" + d]?.dev)
          .filter((d) => existsSync("/app/node_modules/" + d)),
        devOnly: Object.keys(pkg.devDependencies).filter((d) => lock.packages["node_modules/" + d]?.dev).length,
        trustLeft: readdirSync("/usr/local/etc"),
      }));
    `;
    const r = await runImage(
      ["--network", "none", "--entrypoint", "node"],
      "--input-type=module",
      "--eval",
      script,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe("");
    const found = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(found).toMatchObject({
      // What npm pack ships (package.json and dist/), the lockfile and the install: no sources, tests or scripts.
      app: ["dist", "node_modules", "package-lock.json", "package.json"],
      notJs: [],
      offending: [],
      missingDeps: [],
      devDeps: [],
      // The image's lockfile marks as dev-only what the checkout's does (typescript, vitest, …),
      // so the check above had something to look for.
      devOnly: devOnlyInCheckout,
      // The build's CA mount (scripts/image/build.sh) exists during RUN only.
      trustLeft: [],
    });
    expect(found.loaded).toBeGreaterThan(10);
  });

  it("answers `--help` and `--version` with a read-only root as UID 1000 on the host network", async () => {
    const started = performance.now();
    const help = await runImage(["--network", "host"], "--help");
    figures["`podman run … --help`"] = `${((performance.now() - started) / 1000).toFixed(2)} s`;
    expect(help.code, help.stderr).toBe(0);
    for (const command of ["validate", "diff", "apply", "run", "schema"]) {
      expect(help.stdout).toMatch(new RegExp(`^\\s+${command}\\b`, "m"));
    }
    const version = await runImage(["--network", "host"], "--version");
    expect(version.stdout.trim()).toBe(pkg.version);
  });

  it("has every flag of `retryctl run` that the Kubernetes Deployment passes", async () => {
    const deployment = (await loadDeploy()).find((d) => d.obj.kind === "Deployment")!.obj;
    const container = (deployment.spec.template.spec.containers as Obj[]).find((c) => c.name === "retryctl")!;
    const args = container.args as string[];
    expect(args[0]).toBe("run");
    const help = await runImage(["--network", "none"], "run", "--help");
    expect(help.code, help.stderr).toBe(0);
    for (const flag of flags(args).keys()) {
      expect(help.stdout, `--${flag}`).toMatch(new RegExp(`^\\s+--${flag} `, "m"));
    }
  });

  it("validates manifests on a read-only volume: the bundled ones pass, a broken one fails naming file, line and field", async () => {
    const ok = await runImage(
      ["--network", "none", "--volume", `${join(REPO_ROOT, "manifests")}:/config:ro`],
      "validate",
      "/config",
    );
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    // The bundled manifests include a fleet policy (manifests/payments/).
    expect(ok.stdout).toMatch(/^\d+ valid manifest\(s\) and 1 valid RetryPolicy\(s\), 0 error\(s\)/m);

    const text = manifest("QueueRedrivePolicy", "work", { queue: "work", maxRecieveCount: 5 });
    const line = text.split("\n").findIndex((l) => l.includes("maxRecieveCount")) + 1;
    const dir = await manifestDir({ "bad.yaml": text });
    // mkdtemp makes it 0700 for root; the container's UID 1000 reads it as the pod's group reads git-sync's volume.
    await chmod(dir, 0o755);
    const bad = await runImage(
      ["--network", "none", "--volume", `${dir}:/config:ro`],
      "validate",
      "--output",
      "json",
      "/config",
    );
    expect(bad.code).toBe(1);
    const doc = JSON.parse(bad.stdout) as { errors: { file: string; line: number; path: string }[] };
    expect(doc.errors).toEqual([
      expect.objectContaining({ file: "/config/bad.yaml", line, path: "spec.maxRecieveCount" }),
    ]);
  });

  it("prints the committed editor schema", async () => {
    const schema = await runImage(["--network", "none"], "schema");
    expect(schema.code, schema.stderr).toBe(0);
    expect(schema.stdout).toBe(await readFile(join(REPO_ROOT, "schema/retryctl.schema.json"), "utf8"));
  });

  it("runs the controller: /healthz, /readyz, the seeded drift and a hand-made one repaired, SIGTERM → exit 0 within the grace period", async () => {
    await resetMoto();
    await seedDemo(motoEndpoint());
    const deployment = (await loadDeploy()).find((d) => d.obj.kind === "Deployment")!.obj;
    const graceSeconds = deployment.spec.template.spec.terminationGracePeriodSeconds as number;

    const name = `retryctl-test-${process.pid}`;
    containers.push(name);
    await podmanOk(
      "run",
      "--detach",
      "--name",
      name,
      "--read-only",
      "--user",
      "1000:1000",
      "--cap-drop",
      "all",
      "--security-opt",
      "no-new-privileges",
      "--network",
      "host",
      "--volume",
      `${join(REPO_ROOT, "manifests")}:/config:ro`,
      // Fake emulator credentials; the SDK's default chain reads them from the environment.
      "--env",
      `AWS_ACCESS_KEY_ID=${TEST_CREDENTIALS.accessKeyId}`,
      "--env",
      `AWS_SECRET_ACCESS_KEY=${TEST_CREDENTIALS.secretAccessKey}`,
      "--env",
      `AWS_REGION=${TEST_REGION}`,
      image,
      "run",
      "--dir",
      "/config",
      "--listen",
      "127.0.0.1:0",
      "--endpoint-url",
      motoEndpoint(),
      "--resync-interval",
      "2s",
    );
    const logs = async () =>
      (await podmanOk("logs", name))
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l) as { msg: string; listen?: string; kind?: string; name?: string });

    let listen: string | undefined;
    await expect
      .poll(async () => (listen = (await logs()).find((l) => l.msg === "controller started")?.listen), {
        timeout: 30_000,
      })
      .toBeDefined();
    const base = `http://${listen}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    await expect.poll(async () => (await fetch(`${base}/readyz`)).status, { timeout: 60_000 }).toBe(200);
    const synced = async () => {
      const status = (await (await fetch(`${base}/status`)).json()) as StatusDocument;
      return status.resources.map((r) => `${r.kind}/${r.name}: ${r.status}`).sort();
    };
    await expect
      .poll(async () => (await synced()).every((s) => s.endsWith(": Synced")), { timeout: 60_000 })
      .toBe(true);
    expect(await synced()).toContain("QueueRedrivePolicy/orders-work: Synced");
    const repaired = (await logs())
      .filter((l) => l.msg === "drift repaired")
      .map((l) => `${l.kind}/${l.name}`);
    expect(repaired).toContain("QueueRedrivePolicy/orders-work");

    // Someone lowers maxReceiveCount by hand; the next resync puts it back.
    const { sqs } = sdk();
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: "orders-work" }));
    const redrive = async () =>
      JSON.parse(
        (await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["RedrivePolicy"] })))
          .Attributes?.RedrivePolicy ?? "{}",
      ) as { deadLetterTargetArn?: string; maxReceiveCount?: number | string };
    const before = await redrive();
    expect(Number(before.maxReceiveCount)).toBe(5);
    await sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl,
        Attributes: { RedrivePolicy: JSON.stringify({ ...before, maxReceiveCount: 1 }) },
      }),
    );
    await expect.poll(async () => Number((await redrive()).maxReceiveCount), { timeout: 30_000 }).toBe(5);
    await expect
      .poll(
        async () =>
          (await logs()).filter(
            (l) => l.msg === "drift repaired" && l.kind === "QueueRedrivePolicy" && l.name === "orders-work",
          ).length,
      )
      .toBeGreaterThanOrEqual(2);

    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^retryctl_revision_info\{revision="sha256:[0-9a-f]+"\} 1$/m);

    const pid = (await podmanOk("inspect", "--format", "{{.State.Pid}}", name)).trim();
    const rss = /^VmRSS:\s+(\d+) kB$/m.exec(await readFile(`/proc/${pid}/status`, "utf8"))?.[1];
    figures["controller RSS (/proc VmRSS of node, PID 1)"] = `${(Number(rss) / 1024).toFixed(0)} MB`;
    const stats = await podman("stats", "--no-stream", "--format", "{{.MemUsage}}", name);
    if (stats.code === 0) figures["controller memory (podman stats)"] = stats.stdout.trim();

    // podman stop sends SIGTERM, and SIGKILL (exit 137) only once the grace period has passed.
    const stopping = performance.now();
    await podmanOk("stop", "--time", String(graceSeconds), name);
    const stopSeconds = (performance.now() - stopping) / 1000;
    figures["SIGTERM → exit (podman stop)"] = `${stopSeconds.toFixed(2)} s`;
    const state = JSON.parse(await podmanOk("inspect", "--format", "{{json .State}}", name)) as {
      ExitCode: number;
      OOMKilled: boolean;
    };
    // 0, not 137: node exited by itself before the grace period ran out.
    expect(state.ExitCode, (await podman("logs", "--tail", "20", name)).stdout).toBe(0);
    expect(state.OOMKilled).toBe(false);
    expect((await logs()).at(-1)?.msg).toBe("controller stopped");
  }, 240_000);
});
