import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { explainDocumentSchema } from "../../../src/explain/model.js";
import { HUB } from "../../support/accounts.js";
import { resetMoto, TEST_REGION } from "../../support/aws.js";
import { cli, manifest, manifestDir } from "../../support/cli.js";
import { FaultProxy } from "../../support/fault-proxy.js";
import { createFunctionAt, forgetFleetSeeds } from "../fleet/seed.js";

/** explain covers the functions a fleet policy matches, not only those a manifest names (design §9). */
let proxy: FaultProxy;
beforeAll(async () => {
  proxy = await FaultProxy.start();
});
afterAll(() => proxy.close());

let dir: string;

beforeEach(async () => {
  await resetMoto();
  forgetFleetSeeds();
  await createFunctionAt(HUB, TEST_REGION, "pay-api", { team: "payments" });
  await createFunctionAt(HUB, TEST_REGION, "pay-worker", { team: "payments" });
  await createFunctionAt(HUB, TEST_REGION, "search-api", { team: "search" });
  await createFunctionAt(HUB, TEST_REGION, "named-only");
  dir = await manifestDir({
    "payments.yaml": manifest("RetryPolicy", "payments-defaults", {
      selector: { tags: { team: "payments" } },
      asyncInvoke: { maximumRetryAttempts: 1 },
    }),
    "named.yaml": manifest("FunctionEventInvokeConfig", "named-only", {
      functionName: "named-only",
      maximumRetryAttempts: 0,
    }),
  });
  proxy.reset();
});

describe("explain with a fleet policy", () => {
  it("explains every function the policy matches beside the ones manifests name, and no other", async () => {
    const run = await cli("explain", dir, "--output", "json", "--endpoint-url", proxy.endpoint);
    expect(run.stderr).not.toMatch(/error/i);
    const doc = explainDocumentSchema.parse(run.json());
    expect(doc.functions.map((f) => f.functionName).sort()).toEqual(["named-only", "pay-api", "pay-worker"]);
    // Discovery as diff does it: one listing and one tag read for the region, and never a write.
    expect(proxy.count({ service: "lambda", operation: "ListFunctions" })).toBe(1);
    expect(proxy.count({ operation: "GetResources" })).toBe(1);
    expect(proxy.requests().filter((r) => !/^(Get|List|Describe)/.test(r.operation))).toEqual([]);
    // Nothing is configured yet: each async path is AWS's default, ending nowhere.
    expect(run.code).toBe(2);
  });

  it("finds a function matched only by the policy with --function", async () => {
    const run = await cli(
      "explain",
      dir,
      "--function",
      "pay-worker",
      "--output",
      "json",
      "--endpoint-url",
      proxy.endpoint,
    );
    const doc = explainDocumentSchema.parse(run.json());
    expect(doc.functions.map((f) => f.functionName)).toEqual(["pay-worker"]);
  });
});
