import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createQueue, resetMoto } from "../../support/aws.js";
import { maxReceiveCount, setRedrive } from "./aws-state.js";
import { doc, get, resource, startController, type TestController } from "./harness.js";

const RESYNC_MS = 2_000;

describe("drift made by hand", () => {
  let dir: string;
  let dlq: { url: string; arn: string };
  let controller: TestController | undefined;

  beforeEach(async () => {
    await resetMoto();
    await createQueue("drift-jobs");
    dlq = await createQueue("drift-dlq");
    await setRedrive("drift-jobs", dlq.arn, 5);
    dir = await mkdtemp(join(tmpdir(), "retryctl-drift-"));
    await writeFile(
      join(dir, "jobs.yaml"),
      doc("QueueRedrivePolicy", "jobs", {
        queue: "drift-jobs",
        deadLetterQueue: dlq.arn,
        maxReceiveCount: 5,
      }),
    );
  });

  afterEach(async () => {
    await controller?.stop();
    controller = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it("is reverted within about one --resync-interval in enforce mode", async () => {
    const c = await startController({ dir, resyncIntervalMs: RESYNC_MS });
    controller = c;
    await expect
      .poll(async () => (await resource(c.url, "jobs"))?.status, { timeout: 10_000 })
      .toBe("Synced");

    await setRedrive("drift-jobs", dlq.arn, 42);
    const changedAt = Date.now();
    // Each key is re-read once per interval; the margin is for the AWS calls and a loaded machine.
    await expect
      .poll(() => maxReceiveCount("drift-jobs"), { timeout: RESYNC_MS + 3_000, interval: 50 })
      .toBe(5);
    console.info(
      `drift reverted ${Date.now() - changedAt} ms after it was made (resync interval ${RESYNC_MS} ms)`,
    );
    expect(c.logs.some((l) => l.msg === "resync sweep started")).toBe(true);
    const repaired = c.logs.find((l) => l.msg === "drift repaired" && l.name === "jobs");
    expect(repaired).toMatchObject({
      kind: "QueueRedrivePolicy",
      region: "us-east-1",
      changes: [{ field: "maxReceiveCount", actual: 42, desired: 5 }],
    });
    expect(typeof repaired?.revision).toBe("string");
    await expect.poll(async () => (await resource(c.url, "jobs"))?.status).toBe("Synced");
  });

  it("is reported as Drifted and left alone in observe mode", async () => {
    const c = await startController({ dir, resyncIntervalMs: RESYNC_MS, mode: "observe" });
    controller = c;
    await expect
      .poll(async () => (await resource(c.url, "jobs"))?.status, { timeout: 10_000 })
      .toBe("Synced");

    await setRedrive("drift-jobs", dlq.arn, 42);
    await expect
      .poll(async () => (await resource(c.url, "jobs"))?.status, { timeout: RESYNC_MS + 3_000, interval: 50 })
      .toBe("Drifted");
    const entry = await resource(c.url, "jobs");
    expect(entry).toMatchObject({ reason: "DriftDetected" });
    expect(entry?.message).toContain("maxReceiveCount 42 -> 5");
    const metrics = (await get(`${c.url}/metrics`)).body;
    expect(metrics).toMatch(/^retryctl_drift_detected_total\{kind="QueueRedrivePolicy"\} [1-9]\d*$/m);
    expect(metrics).toMatch(
      /^retryctl_resources\{kind="QueueRedrivePolicy",account="",status="Drifted"\} 1$/m,
    );
    expect(metrics).toMatch(
      /^retryctl_resources\{kind="QueueRedrivePolicy",account="",status="Synced"\} 0$/m,
    );

    // Another sweep later, AWS still has the hand-made value.
    await new Promise((r) => setTimeout(r, RESYNC_MS + 500));
    expect(await maxReceiveCount("drift-jobs")).toBe(42);
    expect(c.logs.some((l) => l.msg === "drift repaired")).toBe(false);
  });
});
