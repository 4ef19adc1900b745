import pino from "pino";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { type RunningController, runController } from "../../../src/controller/run.js";
import { functionEventInvokeConfig } from "../../../src/kinds/function-event-invoke-config.js";
import { queueRedrivePolicy } from "../../../src/kinds/queue-redrive-policy.js";
import { createFunction, createQueue, resetMoto, TEST_REGION } from "../../support/aws.js";
import { cli, manifest, manifestDir, type PlanJson } from "../../support/cli.js";
import { bareAwsEnv } from "../../support/env.js";
import { FaultProxy } from "../../support/fault-proxy.js";
import { resource } from "../controller/harness.js";

/**
 * Credentials that are missing, unknown or expired never heal by waiting
 * (design §6, issue 10): they are terminal errors with a hint, reported at
 * once, not retried as network faults for the whole --wait-timeout.
 */
let proxy: FaultProxy;
let restoreEnv: (() => void) | undefined;
beforeAll(async () => {
  proxy = await FaultProxy.start();
});
afterAll(() => proxy.close());
beforeEach(async () => {
  await resetMoto();
  proxy.reset();
});
afterEach(() => {
  restoreEnv?.();
  restoreEnv = undefined;
  vi.restoreAllMocks();
});

function twoKinds(): Promise<string> {
  return manifestDir({
    "m.yaml": [
      manifest("FunctionEventInvokeConfig", "orders", { functionName: "orders", maximumRetryAttempts: 1 }),
      manifest("QueueRedrivePolicy", "work", {
        queue: "work",
        deadLetterQueue: "work-dlq",
        maxReceiveCount: 5,
      }),
    ].join("---\n"),
  });
}

describe("diff without any AWS credentials", () => {
  it("exits 1 with CredentialsMissing on every resource, each read once, no request sent", async () => {
    const dir = await twoKinds();
    const reads = [vi.spyOn(functionEventInvokeConfig, "read"), vi.spyOn(queueRedrivePolicy, "read")];
    restoreEnv = await bareAwsEnv();
    // A wait timeout the test outlasts: were the error taken for a network fault, the reads would repeat.
    const run = await cli(
      "diff",
      dir,
      "--region",
      TEST_REGION,
      "--endpoint-url",
      proxy.endpoint,
      "--output",
      "json",
      "--wait-timeout",
      "10s",
    );
    restoreEnv();
    restoreEnv = undefined;
    expect(run.code, run.stdout + run.stderr).toBe(1);
    const resources = run.json<PlanJson>().resources;
    expect(resources.map((r) => [r.name, r.action, r.error?.code])).toEqual([
      ["orders", "error", "CredentialsMissing"],
      ["work", "error", "CredentialsMissing"],
    ]);
    for (const r of resources) {
      expect(r.error?.message).toContain("Could not load credentials from any providers");
      expect(r.error?.message).toContain("AWS_PROFILE");
      expect(r.error?.message).toContain("aws sts get-caller-identity");
    }
    // One planned read per kind and no second attempt; the SDK never got as far as sending.
    expect(reads.map((spy) => spy.mock.calls.length)).toEqual([1, 1]);
    expect(proxy.count()).toBe(0);
  });

  it("the text plan names the code and the hint", async () => {
    const dir = await twoKinds();
    restoreEnv = await bareAwsEnv();
    const run = await cli("diff", dir, "--region", TEST_REGION, "--endpoint-url", proxy.endpoint);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      "error CredentialsMissing: ListFunctionEventInvokeConfigs orders: Could not load credentials",
    );
    expect(run.stdout).toContain("aws sso login");
  });
});

describe("credentials AWS refuses", () => {
  const cases = [
    { fault: "unknown-key", code: "InvalidClientTokenId", hint: "does not recognise the access key" },
    { fault: "expired", code: "ExpiredToken", hint: "have expired" },
    { fault: "denied", code: "AccessDenied", hint: "lacks this permission" },
  ] as const;
  for (const { fault, code, hint } of cases) {
    it(`${fault}: apply exits 1 with ${code} and a hint after one request`, async () => {
      await createFunction("orders");
      const dir = await manifestDir({
        "m.yaml": manifest("FunctionEventInvokeConfig", "orders", {
          functionName: "orders",
          maximumRetryAttempts: 1,
        }),
      });
      proxy.set({ credentials: { service: "lambda", fault, count: 100 } });
      const run = await cli("apply", dir, "--endpoint-url", proxy.endpoint, "--output", "json");
      expect(run.code, run.stdout).toBe(1);
      const [r] = run.json<PlanJson>().resources;
      expect(r?.error?.code).toBe(code);
      expect(r?.error?.message).toContain(hint);
      expect(r?.error?.message).toContain("aws sts get-caller-identity");
      // Terminal: neither the SDK nor the engine sent it again.
      expect(proxy.count({ service: "lambda" })).toBe(1);
      expect(proxy.injected().credentials).toBe(1);
    });
  }

  it("the caller-account lookup (sts:GetCallerIdentity) classifies the same way", async () => {
    await createFunction("pinned");
    const dir = await manifestDir({
      "m.yaml": manifest("FunctionEventInvokeConfig", "pinned", {
        functionName: "pinned",
        account: "123456789012",
        maximumRetryAttempts: 1,
      }),
    });
    proxy.set({ credentials: { service: "sts", fault: "expired", count: 100 } });
    const run = await cli("diff", dir, "--endpoint-url", proxy.endpoint, "--output", "json");
    expect(run.code, run.stdout).toBe(1);
    const error = run.json<PlanJson>().resources[0]?.error;
    expect(error?.code).toBe("ExpiredToken");
    expect(error?.message).toContain("sts:GetCallerIdentity");
    expect(error?.message).toContain("have expired");
    expect(proxy.count({ service: "sts" })).toBe(1);
    expect(proxy.count({ service: "lambda" })).toBe(0);
  });
});

describe("the controller without any AWS credentials", () => {
  let running: RunningController | undefined;
  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });

  it("shows CredentialsMissing in /status as an Error with the hint", async () => {
    const dlq = await createQueue("work-dlq");
    await createQueue("work");
    const dir = await manifestDir({
      "m.yaml": manifest("QueueRedrivePolicy", "work", {
        queue: "work",
        deadLetterQueue: dlq.arn,
        maxReceiveCount: 5,
      }),
    });
    restoreEnv = await bareAwsEnv();
    running = await runController({
      dir,
      region: TEST_REGION,
      endpoint: proxy.endpoint,
      mode: "enforce",
      listen: "127.0.0.1:0",
      concurrency: 2,
      resyncIntervalMs: 60_000,
      debounceMs: 100,
      logLevel: "silent",
      logger: pino({ level: "silent" }),
      backoff: { baseMs: 200, maxMs: 2_000 },
    });
    const url = `http://127.0.0.1:${running.address.port}`;
    await expect.poll(async () => (await resource(url, "work"))?.reason).toBe("CredentialsMissing");
    const entry = await resource(url, "work");
    expect(entry?.status).toBe("Error");
    expect(entry?.message).toContain("aws sts get-caller-identity");
    expect(proxy.count()).toBe(0);
  });
});
