import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetFunctionEventInvokeConfigCommand } from "@aws-sdk/client-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFunction, createQueue, resetMoto, sdk } from "../../support/aws.js";
import { hostileFiles, writeHostileCorpus } from "../../unit/manifests/hostile-corpus.js";
import { get, resource, startController, status, type TestController } from "../controller/harness.js";

/**
 * The controller on the hostile corpus: every good manifest beside the bad
 * ones reconciles against moto, the bad ones are listed in `manifestErrors`,
 * and the process stays healthy, also when more bad input arrives while it runs.
 */
const GOOD = {
  FunctionEventInvokeConfig: [
    "after-bomb",
    "after-duplicate",
    "after-api-version",
    "good-async",
    "before-deep",
    "after-deep",
  ],
  FunctionDeadLetterConfig: ["after-wrong-service", "after-wrong-region"],
  QueueRedrivePolicy: ["good-queue", "after-unknown-kind"],
};
const GOOD_NAMES = Object.values(GOOD).flat();
/** identity-a.yaml and identity-b.yaml: one function's async config, by ARN and by name. */
const CONFLICTED = ["shared-a", "shared-b"];

let root: string;
let dir: string;
let expectedFiles: string[];
let controller: TestController;

beforeAll(async () => {
  await resetMoto();
  for (const name of [...GOOD.FunctionEventInvokeConfig, ...GOOD.FunctionDeadLetterConfig]) {
    await createFunction(name);
  }
  for (const name of ["good-queue", "after-unknown-kind"]) {
    await createQueue(name);
    await createQueue(`${name}-dlq`);
  }
  for (const name of GOOD.FunctionDeadLetterConfig) await createQueue(`${name}-dlq`);
  for (const name of GOOD.FunctionEventInvokeConfig) await createQueue(`${name}-failed`);
  await createFunction("shared");
  await createQueue("shared-failed");
  root = await mkdtemp(join(tmpdir(), "retryctl-hostile-ctl-"));
  const corpus = await writeHostileCorpus(root);
  dir = corpus.dir;
  expectedFiles = hostileFiles(corpus);
  controller = await startController({ dir });
}, 120_000);

afterAll(async () => {
  await controller?.stop();
  await rm(root, { recursive: true, force: true });
});

describe("the controller on a hostile folder", () => {
  it("reconciles every good manifest and lists every bad file in manifestErrors", async () => {
    const c = controller;
    await expect.poll(async () => (await get(`${c.url}/readyz`)).status, { timeout: 30_000 }).toBe(200);
    // The two spellings of one function are read in separate batches: the one read first waits for the other
    // (AwaitingPeers), then both are found to conflict.
    await expect
      .poll(async () =>
        (await status(c.url)).resources.filter((r) => CONFLICTED.includes(r.name)).map((r) => r.reason),
      )
      .toEqual(["Conflict", "Conflict"]);
    const doc = await status(c.url);
    expect(doc.resources.map((r) => r.name).sort()).toEqual([...GOOD_NAMES, ...CONFLICTED].sort());
    for (const r of doc.resources) {
      if (CONFLICTED.includes(r.name)) expect(r.reason, `${r.name}: ${r.message}`).toBe("Conflict");
      else expect(r.status, `${r.name}: ${r.message}`).toBe("Synced");
    }
    // Found after the read, as one object: neither is applied.
    await expect(
      sdk().lambda.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: "shared" })),
    ).rejects.toMatchObject({ name: "ResourceNotFoundException" });
    expect([...new Set(doc.manifestErrors.map((e) => e.file))].sort()).toEqual(expectedFiles);
    for (const e of doc.manifestErrors) {
      expect(e.line, e.file).toBeGreaterThanOrEqual(1);
      expect(e.message.length, e.file).toBeGreaterThan(0);
    }
    const metrics = (await get(`${c.url}/metrics`)).body;
    expect(metrics).toContain(`retryctl_manifest_errors ${doc.manifestErrors.length}`);
    const applied = await sdk().lambda.send(
      new GetFunctionEventInvokeConfigCommand({ FunctionName: "after-bomb" }),
    );
    expect(applied.DestinationConfig?.OnFailure?.Destination).toBe(
      "arn:aws:sqs:us-east-1:123456789012:after-bomb-failed",
    );
    expect((await get(`${c.url}/healthz`)).status).toBe(200);
  });

  it("keeps running when more bad input arrives, and still takes the good manifest that came with it", async () => {
    const c = controller;
    await createFunction("late-good");
    await createQueue("late-good-failed");
    const bomb = `a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n`;
    await writeFile(join(dir, "late-bomb.yaml"), bomb);
    await writeFile(join(dir, "late-deep.yaml"), `x: ${"[".repeat(10_000)}\n`);
    await writeFile(
      join(dir, "late-good.yaml"),
      "apiVersion: retryctl.dev/v1alpha1\nkind: FunctionEventInvokeConfig\nmetadata:\n  name: late-good\nspec:\n  functionName: late-good\n  maximumRetryAttempts: 0\n  onFailure: arn:aws:sqs:us-east-1:123456789012:late-good-failed\n",
    );
    await expect
      .poll(async () => (await resource(c.url, "late-good"))?.status, { timeout: 30_000 })
      .toBe("Synced");
    const doc = await status(c.url);
    const files = new Set(doc.manifestErrors.map((e) => e.file));
    expect(files.has("late-bomb.yaml")).toBe(true);
    expect(files.has("late-deep.yaml")).toBe(true);
    expect(
      doc.resources
        .filter((r) => r.status !== "Synced")
        .map((r) => r.name)
        .sort(),
    ).toEqual(CONFLICTED);
    expect((await get(`${c.url}/healthz`)).status).toBe(200);
  });
});
