import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createFunction, createMapping, createQueue, TEST_RATE_LIMITS } from "../../support/aws.js";
import { controllerSuite, doc, startController } from "../controller/harness.js";

/**
 * The controller's reconcile right after a load takes the mapping listing that
 * fleet discovery made during the load (design §7: discovery is planned like
 * every read), so the region's mappings are listed once, not twice.
 */
describe("controller: fleet discovery's mapping listing", () => {
  const suite = controllerSuite("fleet-listing");

  it("serves the start-up reconcile of the expanded mappings: one ListEventSourceMappings, not two", async () => {
    // Four sources: read on its own, the batch would list the whole region (more than three filtered lists).
    for (let i = 0; i < 4; i++) {
      await createFunction(`ctl-fn-${i}`);
      const queue = await createQueue(`ctl-src-${i}`);
      await createMapping(`ctl-fn-${i}`, queue.arn, { BatchSize: 5 });
    }
    await writeFile(
      join(suite.dir, "policy.yaml"),
      doc("RetryPolicy", "ctl-defaults", {
        selector: { functionNames: ["ctl-fn-*"] },
        queueMappings: { batchSize: 5 },
      }),
    );
    suite.controller = await startController({
      dir: suite.dir,
      endpoint: suite.proxy.endpoint,
      rateLimits: TEST_RATE_LIMITS,
      logLevel: "info",
    });
    const c = suite.controller;
    await expect
      .poll(() => c.logs.some((l) => l.msg === "revision reconciled"), { timeout: 30_000 })
      .toBe(true);
    expect(c.logs.filter((l) => l.level === "warn" || l.level === "error")).toEqual([]);
    const counts = suite.proxy.counts();
    // In sync already (batch size 5): no write, so no verifying re-read either.
    expect(Object.keys(counts).filter((k) => /Update|Put|Delete/.test(k))).toEqual([]);
    expect(counts["lambda.ListFunctions"]).toBe(1);
    expect(counts["lambda.ListEventSourceMappings"]).toBe(1);
  }, 60_000);
});
