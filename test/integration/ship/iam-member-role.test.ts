import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  accessPolicy,
  createFunctionIn,
  createMemberRole,
  createQueueIn,
  forgetAccountSeeds,
  HUB,
  MEMBER_A,
  MEMBER_B,
} from "../../support/accounts.js";
import { resetMoto } from "../../support/aws.js";
import { cli, manifest, manifestDir } from "../../support/cli.js";
import { FaultProxy } from "../../support/fault-proxy.js";

/**
 * The IAM of many accounts (design §6), proven like deploy/iam-policy.json
 * (iam-policy.test.ts): a member role needs exactly the calls the hub makes
 * for the same manifests in its own account, so iam-policy.json is the member
 * role's policy too; the hub needs sts:AssumeRole on exactly the member roles
 * (deploy/iam-hub-assume-role.json); and each member role trusts the hub role
 * with the external ID (deploy/iam-member-trust-policy.json).
 */
const ROOT = join(import.meta.dirname, "../../..");
const json = async (path: string) => JSON.parse(await readFile(join(ROOT, path), "utf8"));

interface Statement {
  Sid: string;
  Effect: string;
  Action: string | string[];
  Resource?: string | string[];
  Principal?: { AWS?: string };
  Condition?: Record<string, Record<string, string>>;
}

const hubStatement = (await json("deploy/iam-hub-assume-role.json")) as {
  Version: string;
  Statement: Statement[];
};
const trust = (await json("deploy/iam-member-trust-policy.json")) as {
  Version: string;
  Statement: Statement[];
};
const permissions = (await json("deploy/iam-policy.json")) as { Statement: Statement[] };
const GRANTED = new Set(permissions.Statement.flatMap((s) => s.Action));

// Calls AWS allows every principal, whatever its policies say.
const NEEDS_NO_PERMISSION = new Set(["sts:GetCallerIdentity"]);

let proxy: FaultProxy;
beforeAll(async () => {
  proxy = await FaultProxy.start();
});
afterAll(() => proxy.close());

const sorted = (s: Iterable<string>) => [...s].sort();

/** The IAM actions the requests acting in `account` needed. */
function actionsIn(account: string): string[] {
  const actions = proxy
    .requests()
    .filter((r) => r.account === account)
    .map((r) => `${r.service}:${r.operation}`)
    .filter((a) => !NEEDS_NO_PERMISSION.has(a));
  return sorted(new Set(actions));
}

/** An async config, a redrive policy and a dead-letter config, with drift, in `account`. */
async function seedIn(account: string): Promise<string[]> {
  await createFunctionIn(account, "orders");
  const failed = await createQueueIn(account, "orders-failed");
  await createQueueIn(account, "orders-in");
  const pin = account === HUB ? {} : { account };
  return [
    manifest("FunctionEventInvokeConfig", `orders-${account}`, {
      functionName: "orders",
      ...pin,
      maximumRetryAttempts: 1,
      onFailure: failed.arn,
    }),
    manifest("FunctionDeadLetterConfig", `orders-dlq-${account}`, {
      functionName: "orders",
      ...pin,
      targetArn: failed.arn,
    }),
    manifest("QueueRedrivePolicy", `orders-in-${account}`, {
      queue: "orders-in",
      ...pin,
      deadLetterQueue: "orders-failed",
      maxReceiveCount: 5,
    }),
  ];
}

describe("IAM for member accounts", () => {
  it("ships a hub statement of sts:AssumeRole on named member roles only, and a member trust policy", () => {
    expect(hubStatement.Version).toBe("2012-10-17");
    expect(hubStatement.Statement).toHaveLength(1);
    const [assume] = hubStatement.Statement;
    expect(assume).toMatchObject({ Effect: "Allow", Action: ["sts:AssumeRole"] });
    const roles = [assume?.Resource ?? []].flat();
    expect(roles.length).toBeGreaterThan(0);
    for (const role of roles) expect(role).toMatch(/^arn:aws:iam::\d{12}:role\/[\w+=,.@/-]+$/);

    expect(trust.Statement).toEqual([
      {
        Sid: "RetryctlHub",
        Effect: "Allow",
        Principal: { AWS: expect.stringMatching(/^arn:aws:iam::\d{12}:role\/retryctl$/) },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "sts:ExternalId": expect.any(String) } },
      },
    ]);
  });

  it("a member needs exactly the calls the hub makes for the same manifests; the hub only AssumeRole on the member roles", async () => {
    await resetMoto();
    forgetAccountSeeds();
    const hubDocs = await seedIn(HUB);
    await createMemberRole(MEMBER_A);
    await createMemberRole(MEMBER_B);
    const memberDocs = [...(await seedIn(MEMBER_A)), ...(await seedIn(MEMBER_B))];
    const hubDir = await manifestDir({ "hub.yaml": hubDocs.join("---\n") });
    const memberDir = await manifestDir({ "members.yaml": memberDocs.join("---\n") });
    const policyFile = join(memberDir, "..", `${memberDir.split("/").pop()}-policy.yaml`);
    await writeFile(policyFile, accessPolicy([{ account: MEMBER_A }, { account: MEMBER_B }]));
    const endpoint = ["--endpoint-url", proxy.endpoint];

    proxy.reset();
    const hub = await cli("apply", hubDir, ...endpoint);
    expect(hub.code, hub.stdout + hub.stderr).toBe(0);
    const hubActions = actionsIn(HUB);

    proxy.reset();
    const members = await cli("apply", memberDir, "--policy", policyFile, ...endpoint);
    expect(members.code, members.stdout + members.stderr).toBe(0);
    expect(proxy.requests().filter((r) => r.status >= 400)).toEqual([]);
    for (const account of [MEMBER_A, MEMBER_B]) {
      expect(actionsIn(account)).toEqual(hubActions);
      for (const action of actionsIn(account)) expect(GRANTED.has(action), action).toBe(true);
    }
    // The hub itself only assumed the roles (and learnt its own account), each a role the statement names.
    expect(actionsIn(HUB)).toEqual(["sts:AssumeRole"]);
    const assumed = proxy
      .requests()
      .filter((r) => r.operation === "AssumeRole")
      .map((r) => r.resource?.replace(/^role:/, ""));
    expect(sorted(assumed as string[])).toEqual(sorted([hubStatement.Statement[0]?.Resource ?? []].flat()));
  });
});
