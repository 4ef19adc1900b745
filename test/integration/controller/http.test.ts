import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createFunction, createQueue, resetMoto, TEST_CREDENTIALS } from "../../support/aws.js";
import { type FaultProxy, startFaultProxy } from "../../support/fault-proxy.js";
import { REPO_ROOT } from "../../support/moto-server.js";
import { provided } from "../../support/tools.js";
import { doc, get, startController, type TestController } from "./harness.js";

const CONTRACT_METRICS = [
  "retryctl_reconcile_total",
  "retryctl_reconcile_duration_seconds",
  "retryctl_drift_detected_total",
  "retryctl_resources",
  "retryctl_aws_requests_total",
  "retryctl_manifest_errors",
  "retryctl_workqueue_depth",
  "retryctl_last_sync_timestamp_seconds",
  "retryctl_revision_info",
  "retryctl_drift_events_total",
  "retryctl_drift_event_lag_seconds",
];

async function manifests(dir: string, dlqArn: string): Promise<void> {
  await writeFile(
    join(dir, "fn.yaml"),
    doc("FunctionEventInvokeConfig", "http-fn", { functionName: "http-fn", maximumRetryAttempts: 1 }),
  );
  await writeFile(
    join(dir, "q.yaml"),
    doc("QueueRedrivePolicy", "http-q", { queue: "http-q", deadLetterQueue: dlqArn, maxReceiveCount: 4 }),
  );
}

describe("controller HTTP surface and lifecycle", () => {
  let dir: string;
  let proxy: FaultProxy;
  let controller: TestController | undefined;

  beforeAll(async () => {
    proxy = await startFaultProxy();
  });
  afterAll(async () => {
    await proxy.close();
  });

  beforeEach(async () => {
    await resetMoto();
    proxy.reset();
    await createFunction("http-fn");
    await createQueue("http-q");
    const dlq = await createQueue("http-dlq");
    dir = await mkdtemp(join(tmpdir(), "retryctl-http-"));
    await manifests(dir, dlq.arn);
  });

  afterEach(async () => {
    await controller?.stop();
    controller = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it("is not ready until the revision's first reconcile finished, then ready; healthy throughout", async () => {
    // Slow AWS answers hold the first reconcile open long enough to see /readyz say 503.
    proxy.set({ latencyMs: 400 });
    const c = await startController({ dir, endpoint: proxy.endpoint });
    controller = c;
    const early = await get(`${c.url}/readyz`);
    expect(early.status).toBe(503);
    expect(early.body).toMatch(/^not ready: reconciling revision sha256:[0-9a-f]+: \d+ of 2 resources/);
    expect((await get(`${c.url}/healthz`)).status).toBe(200);
    await expect.poll(async () => (await get(`${c.url}/readyz`)).status, { timeout: 15_000 }).toBe(200);
    expect((await get(`${c.url}/healthz`)).status).toBe(200);
  });

  it("serves every contract metric, and promtool accepts the exposition", async () => {
    const c = await startController({ dir });
    controller = c;
    await expect.poll(async () => (await get(`${c.url}/readyz`)).status, { timeout: 15_000 }).toBe(200);
    const { status, body, contentType } = await get(`${c.url}/metrics`);
    expect(status).toBe(200);
    expect(contentType).toContain("text/plain");
    for (const name of CONTRACT_METRICS) {
      expect(body, name).toMatch(new RegExp(`^${name}(_bucket|_sum|_count)?(\\{[^}]*\\})? \\S+$`, "m"));
    }
    expect(body).toMatch(
      /^retryctl_resources\{kind="FunctionEventInvokeConfig",account="",status="Synced"\} 1$/m,
    );
    expect(body).toMatch(/^retryctl_resources\{kind="QueueRedrivePolicy",account="",status="Synced"\} 1$/m);
    expect(body).toMatch(
      /^retryctl_aws_requests_total\{service="sqs",operation="GetQueueAttributes",account="",outcome="success"\} [1-9]/m,
    );
    expect(body).toMatch(/^retryctl_workqueue_depth 0$/m);
    // Every drift feed result is exported from the start, feed configured or not (design §10).
    for (const result of ["matched", "unmatched", "own", "malformed"]) {
      expect(body).toMatch(new RegExp(`^retryctl_drift_events_total\\{result="${result}"\\} 0$`, "m"));
    }
    expect(body).toMatch(/^retryctl_drift_event_lag_seconds_count 0$/m);
    expect(body).toMatch(/^process_cpu_user_seconds_total /m);
    const lastSync = Number(/^retryctl_last_sync_timestamp_seconds (\S+)$/m.exec(body)?.[1]);
    expect(Math.abs(lastSync - Date.now() / 1000)).toBeLessThan(60);

    // Installed for the run by the tools globalSetup when the machine has none: never skipped.
    const bin = provided("promtool");
    const result = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn(bin, ["check", "metrics"], { stdio: ["pipe", "pipe", "pipe"] });
      let output = "";
      child.stdout.on("data", (d: Buffer) => {
        output += d.toString();
      });
      child.stderr.on("data", (d: Buffer) => {
        output += d.toString();
      });
      child.on("close", (code) => resolve({ code, output }));
      child.stdin.end(body);
    });
    expect(result.output).toBe("");
    expect(result.code).toBe(0);
  });

  it("exits 0 on SIGTERM while AWS calls are in flight, after they finished", async () => {
    const entry = await builtEntry();
    proxy.set({ latencyMs: 1_500 });
    const child = spawn(process.execPath, entry.args(dir, proxy.endpoint), {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const lines = collectJsonLines(child);
    try {
      await expect
        .poll(() => lines.some((l) => l.msg === "controller started"), { timeout: 20_000 })
        .toBe(true);
      await expect.poll(() => proxy.count(), { timeout: 10_000 }).toBeGreaterThan(0);
      const sentAt = Date.now();
      child.kill("SIGTERM");
      const code = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
      expect(code, lines.map((l) => JSON.stringify(l)).join("\n")).toBe(0);
      expect(Date.now() - sentAt).toBeLessThan(20_000);
      const messages = lines.map((l) => l.msg);
      expect(messages).toContain("shutting down: no new work, finishing in-flight calls");
      expect(messages).toContain("controller stopped");
      // Every request the controller had sent got its answer before the process went away.
      expect(proxy.requests().every((r) => r.status > 0)).toBe(true);
    } finally {
      child.kill("SIGKILL");
    }
  });
});

interface LogLine {
  msg: string;
  [field: string]: unknown;
}

function collectJsonLines(child: ChildProcess): LogLine[] {
  const lines: LogLine[] = [];
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (text) => {
    try {
      lines.push(JSON.parse(text) as LogLine);
    } catch {
      lines.push({ msg: text });
    }
  });
  return lines;
}

/**
 * Builds the sources into .tmp (not dist/, which belongs to `npm run build`)
 * and returns how to start the controller from plain node: through the CLI's
 * `run` once it calls the controller, else through a two-line entry.
 */
async function builtEntry(): Promise<{ args: (dir: string, endpoint: string) => string[] }> {
  const out = join(REPO_ROOT, ".tmp", "controller-test-dist");
  await promisify(execFile)(
    join(REPO_ROOT, "node_modules/.bin/tsc"),
    ["-p", "tsconfig.build.json", "--outDir", out],
    {
      cwd: REPO_ROOT,
    },
  ).catch(() => undefined);
  const runJs = join(out, "controller/run.js");
  if (!existsSync(runJs)) throw new Error(`build produced no ${runJs}`);
  const flags = (dir: string, endpoint: string) => [
    "--dir",
    dir,
    "--listen",
    "127.0.0.1:0",
    "--region",
    "us-east-1",
    "--endpoint-url",
    endpoint,
    "--resync-interval",
    "1m",
    "--debounce",
    "100ms",
  ];
  const cliRun = join(out, "cli/run.js");
  if (existsSync(cliRun) && readFileSync(cliRun, "utf8").includes("controller/run.js")) {
    return { args: (dir, endpoint) => [join(out, "cli/main.js"), "run", ...flags(dir, endpoint)] };
  }
  const script = `
    const { runControllerUntilSignal } = await import(${JSON.stringify(pathToFileURL(runJs).href)});
    const [dir, endpoint] = process.argv.slice(1);
    await runControllerUntilSignal({ dir, endpoint, region: "us-east-1", mode: "enforce", listen: "127.0.0.1:0",
      concurrency: 8, resyncIntervalMs: 60000, debounceMs: 100, logLevel: "info" });`;
  return { args: (dir, endpoint) => ["--input-type=module", "-e", script, dir, endpoint] };
}
