import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { GetFunctionEventInvokeConfigCommand } from "@aws-sdk/client-lambda";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadPolicyFile, type Policy } from "../../../src/policy/policy.js";
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
import { manifest, manifestDir } from "../../support/cli.js";
import { FaultProxy } from "../../support/fault-proxy.js";
import { get, startController, status, type TestController } from "../controller/harness.js";

/** The controller over three accounts: a member whose role cannot be assumed is shown, retried and recovers. */
let proxy: FaultProxy;
let controller: TestController | undefined;
beforeAll(async () => {
  proxy = await FaultProxy.start();
});
afterAll(() => proxy.close());
afterEach(async () => {
  await controller?.stop();
  controller = undefined;
});

let dir: string;
let policy: Policy;

beforeEach(async () => {
  await resetMoto();
  forgetAccountSeeds();
  proxy.reset();
  for (const account of [MEMBER_A, MEMBER_B]) await createMemberRole(account);
  const docs: string[] = [];
  for (const account of [HUB, MEMBER_A, MEMBER_B]) {
    await createFunctionIn(account, "orders");
    const failed = await createQueueIn(account, "orders-failed");
    docs.push(
      manifest("FunctionEventInvokeConfig", `orders-${account}`, {
        functionName: "orders",
        ...(account === HUB ? {} : { account }),
        maximumRetryAttempts: 1,
        onFailure: failed.arn,
      }),
    );
  }
  dir = await manifestDir({ "orders.yaml": docs.join("---\n") });
  const file = join(dir, "..", `${dir.split("/").pop()}-policy.yaml`);
  await writeFile(file, accessPolicy([{ account: MEMBER_A }, { account: MEMBER_B, externalId: "ops-7f3a" }]));
  const loaded = await loadPolicyFile(file);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  policy = loaded.policy;
});

describe("the controller with member accounts", () => {
  it("shows a role that cannot be assumed in /status accounts, keeps the others synced, and recovers when the role appears", async () => {
    proxy.set({ assumeRole: { refuse: [memberRole(MEMBER_B)] } });
    controller = await startController({ dir, policy, endpoint: proxy.endpoint });
    const url = controller.url;

    await expect
      .poll(async () => (await status(url)).resources.map((r) => [r.name, r.account, r.status, r.reason]), {
        timeout: 15_000,
      })
      .toEqual([
        [`orders-${MEMBER_A}`, MEMBER_A, "Synced", "Applied"],
        [`orders-${HUB}`, HUB, "Synced", "Applied"],
        [`orders-${MEMBER_B}`, MEMBER_B, "Error", "AssumeRoleFailed"],
      ]);
    const failing = await status(url);
    expect(failing.accounts).toEqual([
      { account: MEMBER_A, roleArn: memberRole(MEMBER_A), state: "ok", message: "role assumed" },
      {
        account: MEMBER_B,
        roleArn: memberRole(MEMBER_B),
        state: "error",
        message: expect.stringContaining(
          `cannot assume ${memberRole(MEMBER_B)} for account ${MEMBER_B}: AccessDenied`,
        ),
      },
    ]);
    const entry = failing.resources.find((r) => r.name === `orders-${MEMBER_B}`);
    expect(entry?.message).toMatch(/retrying in/);
    // Retried with backoff: the refused AssumeRole is asked again.
    await expect.poll(() => proxy.injected().assumeRole, { timeout: 10_000 }).toBeGreaterThan(1);
    const metrics = (await get(`${url}/metrics`)).body;
    expect(metrics).toMatch(
      new RegExp(
        `^retryctl_resources\\{kind="FunctionEventInvokeConfig",account="${MEMBER_B}",status="Error"\\} 1$`,
        "m",
      ),
    );
    expect(metrics).toMatch(
      new RegExp(
        `^retryctl_aws_requests_total\\{service="lambda",operation="PutFunctionEventInvokeConfig",account="${MEMBER_A}",outcome="success"\\} 1$`,
        "m",
      ),
    );

    // The role appears (its trust policy now admits the hub): the next retry assumes it and applies.
    proxy.set({ assumeRole: undefined });
    await expect
      .poll(async () => (await status(url)).resources.find((r) => r.name === `orders-${MEMBER_B}`)?.status, {
        timeout: 20_000,
      })
      .toBe("Synced");
    expect((await status(url)).accounts.map((a) => [a.account, a.state])).toEqual([
      [MEMBER_A, "ok"],
      [MEMBER_B, "ok"],
    ]);
    const b = await sdkIn(MEMBER_B).lambda.send(
      new GetFunctionEventInvokeConfigCommand({ FunctionName: "orders" }),
    );
    expect(b.MaximumRetryAttempts).toBe(1);
  });
});
