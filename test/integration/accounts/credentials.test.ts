import { ListFunctionsCommand } from "@aws-sdk/client-lambda";
import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Accounts } from "../../../src/aws/accounts.js";
import { createMemberRole, forgetAccountSeeds, MEMBER_A, memberRole } from "../../support/accounts.js";
import { resetMoto, TEST_REGION, testAwsClients } from "../../support/aws.js";
import { FaultProxy } from "../../support/fault-proxy.js";

/** A member's assumed credentials through the real provider code path (fromTemporaryCredentials). */
let proxy: FaultProxy;
beforeAll(async () => {
  proxy = await FaultProxy.start();
});
afterAll(() => proxy.close());
beforeEach(async () => {
  await resetMoto();
  forgetAccountSeeds();
  proxy.reset();
  await createMemberRole(MEMBER_A);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("member credentials", () => {
  it("are assumed once and act in the member account", async () => {
    const { aws, requests } = testAwsClients({ endpoint: proxy.endpoint });
    const accounts = new Accounts(aws, [{ account: MEMBER_A, roleArn: memberRole(MEMBER_A) }], TEST_REGION);
    const member = accounts.clients(MEMBER_A)!;
    const who = await member.sts(TEST_REGION).send(new GetCallerIdentityCommand({}));
    expect(who.Account).toBe(MEMBER_A);
    // The session name retryctl, as CloudTrail shows it in the member account.
    expect(who.Arn).toBe(`arn:aws:sts::${MEMBER_A}:assumed-role/retryctl/retryctl`);
    await member.lambda(TEST_REGION).send(new ListFunctionsCommand({}));
    await member.lambda("eu-west-1").send(new ListFunctionsCommand({}));
    expect(proxy.count({ service: "sts", operation: "AssumeRole" })).toBe(1);
    expect(
      proxy
        .requests()
        .filter((r) => r.operation !== "AssumeRole")
        .map((r) => r.account),
    ).toEqual([MEMBER_A, MEMBER_A, MEMBER_A]);
    // Every request is labelled with its account; the AssumeRole itself is the hub's (not yet learnt).
    expect(requests.map((r) => [r.operation, r.account])).toEqual([
      ["AssumeRole", undefined],
      ["GetCallerIdentity", MEMBER_A],
      ["ListFunctions", MEMBER_A],
      ["ListFunctions", MEMBER_A],
    ]);
    aws.destroy();
  });

  it("that expire mid-run are refreshed before they expire, without an error", async () => {
    // Near expiry from the start: STS's shortest session (900 s) is too long to wait for, so the proxy
    // dates the assumed keys' Expiration 1.5 s past the SDK's five-minute refresh margin (and refuses
    // a key after it). moto itself never expires keys.
    proxy.set({ assumedExpiresInMs: 300_000 + 1_500 });
    const { aws } = testAwsClients({ endpoint: proxy.endpoint });
    const accounts = new Accounts(aws, [{ account: MEMBER_A, roleArn: memberRole(MEMBER_A) }], TEST_REGION, {
      durationSeconds: 900,
    });
    const lambda = accounts.clients(MEMBER_A)!.lambda(TEST_REGION);
    await lambda.send(new ListFunctionsCommand({}));
    await lambda.send(new ListFunctionsCommand({}));
    expect(proxy.count({ service: "sts", operation: "AssumeRole" })).toBe(1);
    await sleep(2_000);
    await lambda.send(new ListFunctionsCommand({}));
    await lambda.send(new ListFunctionsCommand({}));
    expect(proxy.count({ service: "sts", operation: "AssumeRole" })).toBe(2);
    expect(proxy.requests().filter((r) => r.status >= 400)).toEqual([]);
    expect(proxy.count({ service: "lambda", account: MEMBER_A })).toBe(4);
    expect(accounts.status()).toEqual([
      { account: MEMBER_A, roleArn: memberRole(MEMBER_A), state: "ok", message: "role assumed" },
    ]);
    aws.destroy();
  });
});
