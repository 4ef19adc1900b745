import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  accessPolicy,
  createFunctionIn,
  createMemberRole,
  forgetAccountSeeds,
  HUB,
  MEMBER_A,
  MEMBER_B,
} from "../../support/accounts.js";
import { resetMoto } from "../../support/aws.js";
import { cli, manifest, manifestDir } from "../../support/cli.js";
import { FaultProxy } from "../../support/fault-proxy.js";

/**
 * Rate buckets per (service, account, region), design §4 and §6: under Lambda's
 * 15 requests/s quota applied per account (the fault proxy), three accounts
 * are read side by side, each within its own quota, and each with the calls
 * one account alone would make. Counts are exact; the time is the bench's.
 */
const N = 15;
const ACCOUNTS = [HUB, MEMBER_A, MEMBER_B];

let proxy: FaultProxy;
let dir: string;
let policyFile: string;

beforeAll(async () => {
  proxy = await FaultProxy.start();
  await resetMoto();
  forgetAccountSeeds();
  for (const account of [MEMBER_A, MEMBER_B]) await createMemberRole(account);
  const docs: string[] = [];
  for (const account of ACCOUNTS) {
    for (let i = 0; i < N; i++) {
      await createFunctionIn(account, `fn-${i}`);
      docs.push(
        manifest("FunctionEventInvokeConfig", `fn-${i}-${account}`, {
          functionName: `fn-${i}`,
          ...(account === HUB ? {} : { account }),
          maximumRetryAttempts: 1,
        }),
      );
    }
  }
  dir = await manifestDir({ "fns.yaml": docs.join("---\n") });
  policyFile = join(dir, "..", `${dir.split("/").pop()}-policy.yaml`);
  await writeFile(policyFile, accessPolicy([{ account: MEMBER_A }, { account: MEMBER_B }]));
}, 120_000);
afterAll(() => proxy.close());

describe("per-account rate buckets", () => {
  it("read three accounts in parallel, each under its own 15/s quota, with one account's calls each", async () => {
    proxy.reset();
    proxy.set({ lambdaQuota: { rps: 15 } });
    const plan = await cli("diff", dir, "--policy", policyFile, "--endpoint-url", proxy.endpoint);
    expect(plan.code, plan.stdout + plan.stderr).toBe(2);

    // Nothing throttled: each account's limiter stays below that account's quota.
    expect(proxy.injected().lambdaQuota).toBe(0);
    const lambdaIn = (account: string) =>
      proxy
        .requests()
        .filter((r) => r.service === "lambda" && r.account === account)
        .map((r) => r.operation)
        .sort();
    // One planned read per function, in every account alike (the single-account formula).
    for (const account of ACCOUNTS) {
      expect(lambdaIn(account)).toEqual(Array(N).fill("ListFunctionEventInvokeConfigs"));
      expect(proxy.maxInWindow({ service: "lambda", account }, 1000)).toBeLessThanOrEqual(15);
    }
    // The buckets are drawn on at once: some second saw more than one account's quota in all.
    expect(proxy.maxInWindow({ service: "lambda" }, 1000)).toBeGreaterThan(15);
    // One hub GetCallerIdentity, and one AssumeRole and GetCallerIdentity per member.
    expect(proxy.counts()["sts.AssumeRole"]).toBe(2);
    expect(proxy.counts()["sts.GetCallerIdentity"]).toBe(3);
  });
});
