import { beforeAll, describe, expect, it } from "vitest";
import { seedDemo } from "../../../scripts/demo/seed.js";
import { motoEndpoint, resetMoto } from "../../support/aws.js";
import { cli, type PlanJson } from "../../support/cli.js";

/**
 * The bundled manifests/ against the demo's seeded (and drifted) resources:
 * diff exits 2 with the drift, apply exits 0, diff exits 0 afterwards. The
 * payments fleet policy expands to exactly the functions (and mapping) it matches.
 */
describe("the bundled example manifests", () => {
  beforeAll(async () => {
    await resetMoto();
    await seedDemo(motoEndpoint());
  });

  it("drift → apply → in sync", async () => {
    const before = await cli("diff", "manifests", "--endpoint-url", motoEndpoint(), "--output", "json");
    expect(before.code, before.stdout + before.stderr).toBe(2);
    const plan = before.json<PlanJson>();
    const drifted = plan.resources
      .filter((r) => r.action !== "none")
      .map((r) => `${r.kind}/${r.name}`.replace(/\/[0-9a-f-]{36}$/, "/<uuid>"));
    // manifests/payments/defaults.yaml expands to its matches: not payments-legacy-batch (excluded by
    // name), not payments-reports (untagged).
    expect(plan.resources.map((r) => r.name).filter((n) => /legacy|reports/.test(n))).toEqual([]);
    expect(drifted.sort()).toEqual([
      "EventSourceMapping/orders-stream",
      "EventSourceMapping/payments-defaults/payments-ledger/<uuid>",
      "EventTargetRetryPolicy/order-placed-notify",
      "FunctionDeadLetterConfig/orders-notifier",
      "FunctionEventInvokeConfig/orders-notifier",
      "FunctionEventInvokeConfig/payments-defaults/payments-ledger",
      "FunctionEventInvokeConfig/payments-defaults/payments-refunds",
      "PipeRetryPolicy/orders-audit",
      "QueueRedrivePolicy/orders-work",
      "ScheduleRetryPolicy/orders-nightly",
      "SubscriptionRedrivePolicy/orders-topic-notifier",
    ]);
    expect(plan.summary).toMatchObject({ error: 0 });

    const apply = await cli("apply", "manifests", "--endpoint-url", motoEndpoint());
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);

    const after = await cli("diff", "manifests", "--endpoint-url", motoEndpoint());
    expect(after.code, after.stdout).toBe(0);
  });
});
