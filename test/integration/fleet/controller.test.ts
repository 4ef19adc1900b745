import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  GetFunctionEventInvokeConfigCommand,
  PutFunctionEventInvokeConfigCommand,
  UntagResourceCommand,
} from "@aws-sdk/client-lambda";
import { describe, expect, it } from "vitest";
import { loadPolicyFile } from "../../../src/policy/policy.js";
import { accessPolicy, createMemberRole, HUB, MEMBER_A } from "../../support/accounts.js";
import { TEST_REGION } from "../../support/aws.js";
import { manifest } from "../../support/cli.js";
import { controllerSuite, startController, status } from "../controller/harness.js";
import { clientsIn, createFunctionAt, forgetFleetSeeds } from "./seed.js";

/**
 * The controller re-evaluates fleet policies at every resync (design §7): new
 * functions are picked up, functions that stop matching stop being managed
 * (AWS untouched), and a failed discovery keeps what it had.
 */
const suite = controllerSuite("fleet");
const RESYNC_MS = 1_500;
const WRITES = new Set([
  "PutFunctionEventInvokeConfig",
  "UpdateFunctionEventInvokeConfig",
  "DeleteFunctionEventInvokeConfig",
]);

const policyDoc = (spec: Record<string, unknown>, name = "payments-defaults") =>
  manifest("RetryPolicy", name, spec);

async function retries(account: string, fn: string): Promise<number | undefined> {
  try {
    const out = await clientsIn(account, TEST_REGION).lambda.send(
      new GetFunctionEventInvokeConfigCommand({ FunctionName: fn }),
    );
    return out.MaximumRetryAttempts;
  } catch (err) {
    if ((err as { name?: string }).name === "ResourceNotFoundException") return undefined;
    throw err;
  }
}

describe("the controller with a RetryPolicy", () => {
  it("configures a function created while it runs within one resync, and lets go of one whose tag is removed without touching AWS", async () => {
    forgetFleetSeeds();
    const first = await createFunctionAt(HUB, TEST_REGION, "orders-a", { team: "payments" });
    await createFunctionAt(HUB, TEST_REGION, "search", { team: "search" });
    await writeFile(
      join(suite.dir, "fleet.yaml"),
      policyDoc({ selector: { tags: { team: "payments" } }, asyncInvoke: { maximumRetryAttempts: 1 } }),
    );
    suite.controller = await startController({
      dir: suite.dir,
      endpoint: suite.proxy.endpoint,
      resyncIntervalMs: RESYNC_MS,
    });
    const { url, logs } = suite.controller;
    await expect.poll(() => retries(HUB, "orders-a"), { timeout: 10_000 }).toBe(1);
    const entry = (await status(url)).resources.find((r) => r.name === "payments-defaults/orders-a");
    expect(entry).toMatchObject({
      kind: "FunctionEventInvokeConfig",
      policy: "payments-defaults",
      source: { file: "fleet.yaml", line: 1 },
      account: HUB,
    });
    await expect
      .poll(
        async () =>
          (await status(url)).resources.find((r) => r.name === "payments-defaults/orders-a")?.status,
      )
      .toBe("Synced");
    expect(logs.some((l) => l.msg === "payments-defaults: 1 function in 1 account, 1 region")).toBe(true);

    // A function created now is picked up by the next resync's discovery.
    await createFunctionAt(HUB, TEST_REGION, "orders-b", { team: "payments" });
    const created = Date.now();
    await expect
      .poll(() => retries(HUB, "orders-b"), { timeout: RESYNC_MS * 2 + 10_000, interval: 100 })
      .toBe(1);
    // Within one resync: the first discovery after the function existed is the one that matched it
    // (its summary line comes before any later resync's listing), counted, not timed.
    const listings = suite.proxy
      .requests()
      .filter((r) => r.operation === "ListFunctions" && r.at >= created)
      .map((r) => r.at);
    const matched = logs.find((l) => l.msg === "payments-defaults: 2 functions in 1 account, 1 region");
    expect(listings.length).toBeGreaterThan(0);
    expect(matched?.time as number).toBeGreaterThanOrEqual(listings[0] as number);
    if (listings.length > 1) expect(matched?.time as number).toBeLessThan(listings[1] as number);
    await expect
      .poll(
        async () =>
          (await status(url)).resources.find((r) => r.name === "payments-defaults/orders-b")?.status,
      )
      .toBe("Synced");

    // The tag goes: the next resync's discovery lets go of the function, without a write.
    const untagged = suite.proxy.requests().length;
    await clientsIn(HUB, TEST_REGION).lambda.send(
      new UntagResourceCommand({ Resource: first, TagKeys: ["team"] }),
    );
    await expect
      .poll(async () => (await status(url)).resources.map((r) => r.name), { timeout: RESYNC_MS * 2 + 5_000 })
      .not.toContain("payments-defaults/orders-a");
    expect(
      logs.some(
        (l) =>
          l.msg === "no longer matched by its policy; resource no longer managed, AWS left as it is" &&
          l.name === "payments-defaults/orders-a",
      ),
    ).toBe(true);
    // Then someone changes it by hand: two more resyncs, and retryctl neither reads nor repairs it.
    await clientsIn(HUB, TEST_REGION).lambda.send(
      new PutFunctionEventInvokeConfigCommand({ FunctionName: "orders-a", MaximumRetryAttempts: 2 }),
    );
    const changed = suite.proxy.requests().length;
    await new Promise((r) => setTimeout(r, RESYNC_MS * 2));
    const writes = suite.proxy.requests().slice(untagged);
    expect(
      writes.filter((r) => WRITES.has(r.operation) && r.resource?.startsWith("function:orders-a")),
    ).toEqual([]);
    expect(
      suite.proxy
        .requests()
        .slice(changed)
        .filter((r) => r.resource?.startsWith("function:orders-a")),
    ).toEqual([]);
    expect(
      suite.proxy
        .requests()
        .slice(changed)
        .some((r) => r.operation === "ListFunctions"),
    ).toBe(true);
    expect(await retries(HUB, "orders-a")).toBe(2);
    expect(await retries(HUB, "search")).toBeUndefined();
  });

  it("shows TooManyMatches in /status and writes nothing for that policy", async () => {
    forgetFleetSeeds();
    for (const name of ["a", "b", "c"]) await createFunctionAt(HUB, TEST_REGION, name);
    await writeFile(
      join(suite.dir, "fleet.yaml"),
      policyDoc({ maxMatches: 2, asyncInvoke: { maximumRetryAttempts: 0 } }),
    );
    suite.controller = await startController({
      dir: suite.dir,
      endpoint: suite.proxy.endpoint,
      resyncIntervalMs: RESYNC_MS,
    });
    const { url } = suite.controller;
    await expect
      .poll(async () => (await status(url)).manifestErrors.map((e) => e.code))
      .toEqual(["TooManyMatches"]);
    const doc = await status(url);
    expect(doc.resources).toEqual([]);
    expect(doc.manifestErrors[0]).toMatchObject({
      file: "fleet.yaml",
      line: 1,
      kind: "RetryPolicy",
      name: "payments-defaults",
    });
    expect(suite.proxy.requests().filter((r) => WRITES.has(r.operation))).toEqual([]);
  });

  it("keeps the resources of an account whose discovery fails in their last state, and reports it", async () => {
    forgetFleetSeeds();
    await createMemberRole(MEMBER_A);
    await createFunctionAt(HUB, TEST_REGION, "orders");
    await createFunctionAt(MEMBER_A, TEST_REGION, "orders");
    const file = join(suite.dir, "..", `${suite.dir.split("/").pop()}-policy.yaml`);
    await writeFile(file, accessPolicy([{ account: MEMBER_A }]));
    const loaded = await loadPolicyFile(file);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    await writeFile(
      join(suite.dir, "fleet.yaml"),
      policyDoc({ selector: { accounts: [HUB, MEMBER_A] }, asyncInvoke: { maximumRetryAttempts: 1 } }),
    );
    suite.controller = await startController({
      dir: suite.dir,
      endpoint: suite.proxy.endpoint,
      resyncIntervalMs: RESYNC_MS,
      policy: loaded.policy,
    });
    const { url, logs } = suite.controller;
    await expect.poll(() => retries(MEMBER_A, "orders"), { timeout: 10_000 }).toBe(1);
    await expect.poll(() => retries(HUB, "orders"), { timeout: 10_000 }).toBe(1);
    // From now on, listing the member's functions is denied.
    suite.proxy.set({
      credentials: {
        service: "lambda",
        operation: "ListFunctions",
        account: MEMBER_A,
        fault: "denied",
        forMs: 60_000,
      },
    });
    await expect
      .poll(async () => (await status(url)).manifestErrors.map((e) => e.code), {
        timeout: RESYNC_MS * 2 + 5_000,
      })
      .toEqual(["DiscoveryFailed"]);
    const doc = await status(url);
    expect(doc.manifestErrors[0]?.message).toContain(`account ${MEMBER_A}, region ${TEST_REGION}`);
    // Both resources are still managed: the member's was not dropped.
    expect(doc.resources.map((r) => [r.name, r.account]).sort()).toEqual(
      [
        ["payments-defaults/orders", HUB],
        ["payments-defaults/orders", MEMBER_A],
      ].sort(),
    );
    expect(logs.some((l) => l.msg.startsWith("no longer matched"))).toBe(false);
  });
});
