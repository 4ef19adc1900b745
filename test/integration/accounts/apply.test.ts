import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { GetFunctionEventInvokeConfigCommand } from "@aws-sdk/client-lambda";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  accessPolicy,
  createFunctionIn,
  createMemberRole,
  createQueueIn,
  forgetAccountSeeds,
  HUB,
  MEMBER_A,
  MEMBER_B,
  memberRole,
  sdkIn,
} from "../../support/accounts.js";
import { resetMoto } from "../../support/aws.js";
import { cli, manifest, manifestDir, type PlanJson } from "../../support/cli.js";
import { FaultProxy } from "../../support/fault-proxy.js";

/**
 * One retryctl, three accounts (design §6): the hub's own credentials and two
 * members reached with STS AssumeRole, each holding a function of the same
 * name. moto routes requests signed with an assumed key to the role's account,
 * and the fault proxy tells them apart the same way.
 */
let proxy: FaultProxy;
beforeAll(async () => {
  proxy = await FaultProxy.start();
});
afterAll(() => proxy.close());

const RETRIES: Record<string, number> = { [HUB]: 0, [MEMBER_A]: 1, [MEMBER_B]: 2 };

let dir: string;
let policyFile: string;

async function seed(members: string[] = [MEMBER_A, MEMBER_B]): Promise<void> {
  await resetMoto();
  forgetAccountSeeds();
  proxy.reset();
  for (const account of members) await createMemberRole(account);
  const docs: string[] = [];
  for (const account of [HUB, MEMBER_A, MEMBER_B]) {
    await createFunctionIn(account, "orders");
    const failed = await createQueueIn(account, "orders-failed");
    docs.push(
      manifest("FunctionEventInvokeConfig", `orders-${account}`, {
        functionName: "orders",
        ...(account === HUB ? {} : { account }),
        maximumRetryAttempts: RETRIES[account],
        onFailure: failed.arn,
      }),
    );
  }
  dir = await manifestDir({ "orders.yaml": docs.join("---\n") });
  policyFile = join(dir, "..", `${dir.split("/").pop()}-policy.yaml`);
  await writeFile(
    policyFile,
    accessPolicy([{ account: MEMBER_A, externalId: "ops-7f3a" }, { account: MEMBER_B }]),
  );
}

const run = (...args: string[]) =>
  cli(...args, dir, "--policy", policyFile, "--endpoint-url", proxy.endpoint);

async function retriesIn(account: string): Promise<number | undefined> {
  const out = await sdkIn(account).lambda.send(
    new GetFunctionEventInvokeConfigCommand({ FunctionName: "orders" }),
  );
  return out.MaximumRetryAttempts;
}

describe("apply across accounts", () => {
  beforeEach(() => seed());

  it("changes each account's resource in that account only, and a second diff exits 0", async () => {
    // The member A role requires its external ID, as its trust policy says.
    proxy.set({ assumeRole: { externalIds: { [memberRole(MEMBER_A)]: "ops-7f3a" } } });
    const applied = await run("apply", "--output", "json");
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    const resources = applied.json<PlanJson>().resources as (PlanJson["resources"][number] & {
      account: string;
    })[];
    expect(resources.map((r) => [r.name, r.account, r.action, r.applied])).toEqual([
      [`orders-${HUB}`, HUB, "create", true],
      [`orders-${MEMBER_A}`, MEMBER_A, "create", true],
      [`orders-${MEMBER_B}`, MEMBER_B, "create", true],
    ]);
    for (const account of [HUB, MEMBER_A, MEMBER_B]) expect(await retriesIn(account)).toBe(RETRIES[account]);

    // Each account's writes went out under its own credentials; each member's role was assumed once.
    const puts = proxy.requests().filter((r) => r.operation === "PutFunctionEventInvokeConfig");
    expect(puts.map((r) => r.account).sort()).toEqual([MEMBER_A, MEMBER_B, HUB].sort());
    expect(proxy.count({ service: "sts", operation: "AssumeRole" })).toBe(2);
    expect(proxy.injected().assumeRole).toBe(0);

    const again = await run("diff");
    expect(again.code, again.stdout + again.stderr).toBe(0);
  });

  it("shows the account in the text plan", async () => {
    const plan = await run("diff");
    expect(plan.code, plan.stdout + plan.stderr).toBe(2);
    expect(plan.stdout).toContain(
      `FunctionEventInvokeConfig/orders-${MEMBER_A} (us-east-1, account ${MEMBER_A}, `,
    );
    expect(plan.stdout).toContain(`FunctionEventInvokeConfig/orders-${HUB} (us-east-1, account ${HUB}, `);
  });
});

describe("a member whose role cannot be assumed", () => {
  beforeEach(() => seed());

  it.each([
    ["the role refuses the hub", { refuse: [memberRole(MEMBER_B)] }],
    ["the external ID does not match", { externalIds: { [memberRole(MEMBER_B)]: "not-what-we-send" } }],
  ])(
    "%s: its resources fail AssumeRoleFailed, the other accounts converge, exit 1",
    async (_, assumeRole) => {
      proxy.set({ assumeRole });
      const applied = await run("apply", "--output", "json");
      expect(applied.code, applied.stdout + applied.stderr).toBe(1);
      const resources = applied.json<PlanJson>().resources;
      const byName = Object.fromEntries(resources.map((r) => [r.name, r]));
      expect(byName[`orders-${MEMBER_B}`]?.error?.code).toBe("AssumeRoleFailed");
      expect(byName[`orders-${MEMBER_B}`]?.error?.message).toContain(memberRole(MEMBER_B));
      expect(byName[`orders-${HUB}`]).toMatchObject({ action: "create", applied: true });
      expect(byName[`orders-${MEMBER_A}`]).toMatchObject({ action: "create", applied: true });
      expect(await retriesIn(HUB)).toBe(0);
      expect(await retriesIn(MEMBER_A)).toBe(1);
      // Nothing was sent as member B but the refused AssumeRole calls.
      expect(proxy.count({ account: MEMBER_B })).toBe(0);
    },
  );
});

describe("AccountNotConfigured", () => {
  beforeEach(() => seed());

  it("makes no AWS request for the resource of an account without an access entry", async () => {
    await writeFile(policyFile, accessPolicy([{ account: MEMBER_A }]));
    proxy.reset();
    const applied = await run("apply", "--output", "json");
    expect(applied.code, applied.stdout + applied.stderr).toBe(1);
    const b = applied.json<PlanJson>().resources.find((r) => r.name === `orders-${MEMBER_B}`);
    expect(b?.error?.code).toBe("AccountNotConfigured");
    // No request named member B's function or acted in its account; no role was tried for it.
    expect(proxy.count({ account: MEMBER_B })).toBe(0);
    expect(proxy.count({ service: "sts", operation: "AssumeRole" })).toBe(1);
    // The hub and member A each made the same calls for their one resource; B's made none.
    const lambdaIn = (account: string) =>
      proxy
        .requests()
        .filter((r) => r.service === "lambda" && r.account === account)
        .map((r) => r.operation);
    expect(lambdaIn(MEMBER_A)).toEqual(lambdaIn(HUB));
    expect(lambdaIn(HUB).length).toBeGreaterThan(0);
  });
});
