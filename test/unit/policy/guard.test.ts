import { describe, expect, it, vi } from "vitest";
import type { Accounts } from "../../../src/aws/accounts.js";
import type { AwsClients } from "../../../src/aws/clients.js";
import { ResourceError } from "../../../src/aws/errors.js";
import type { AnyKind } from "../../../src/kinds/kind.js";
import { findKind } from "../../../src/kinds/registry.js";
import { Guard, type GuardTarget } from "../../../src/policy/guard.js";
import type { Allow, Policy } from "../../../src/policy/policy.js";

const ACCOUNT = "123456789012";
const OTHER = "210987654321";

function policy(allow: Allow): Policy {
  return { apiVersion: "retryctl.dev/v1alpha1", kind: "Policy", allow };
}

function target(kind: string, spec: Record<string, unknown>, region = "us-east-1"): GuardTarget {
  const k = findKind(kind) as AnyKind;
  return { kind: k, spec: k.specSchema.parse(spec) as Record<string, unknown>, region };
}

const asyncConfig = (functionName: string, onFailure = `arn:aws:sqs:us-east-1:${ACCOUNT}:orders-failed`) =>
  target("FunctionEventInvokeConfig", { functionName, onFailure });

async function outcome(guard: Guard, t: GuardTarget) {
  const refused = await guard.check(t);
  return refused ? { code: refused.code, message: refused.message, retry: refused.retry } : undefined;
}

const ORDERS: Allow = {
  accounts: [ACCOUNT],
  regions: ["us-east-1", "eu-west-1"],
  functions: ["orders-*"],
  queues: ["orders-*"],
  rules: ["order-*"],
};

describe("Guard without a policy", () => {
  it("allows everything and never asks for the account unless a manifest pins one", async () => {
    const caller = vi.fn(async () => ACCOUNT);
    const guard = new Guard({ callerAccount: caller });
    expect(await outcome(guard, asyncConfig("anything"))).toBeUndefined();
    expect(caller).not.toHaveBeenCalled();
  });
});

describe("Guard with an allow-list", () => {
  const caller = vi.fn(async () => ACCOUNT);
  const guard = new Guard({ policy: policy(ORDERS), callerAccount: caller });

  it("allows a manifest whose every target is inside it", async () => {
    expect(await outcome(guard, asyncConfig("orders-processor"))).toBeUndefined();
  });

  it("refuses a region outside allow.regions, naming the rule", async () => {
    const t = target(
      "FunctionDeadLetterConfig",
      { functionName: "orders-a", targetArn: `arn:aws:sqs:ap-south-1:${ACCOUNT}:orders-dlq` },
      "ap-south-1",
    );
    expect(await outcome(guard, t)).toEqual({
      code: "DeniedByPolicy",
      message: "denied by policy: region ap-south-1 is not in allow.regions [us-east-1, eu-west-1]",
      retry: "terminal",
    });
  });

  it("refuses a function name outside allow.functions", async () => {
    expect(await outcome(guard, asyncConfig("payments-processor"))).toEqual({
      code: "DeniedByPolicy",
      message: 'denied by policy: function "payments-processor" does not match allow.functions [orders-*]',
      retry: "terminal",
    });
  });

  it("refuses a referenced queue (a destination or dead-letter queue) outside allow.queues", async () => {
    const t = asyncConfig("orders-processor", `arn:aws:sqs:us-east-1:${ACCOUNT}:exfiltrate`);
    expect((await outcome(guard, t))?.message).toBe(
      'denied by policy: queue "exfiltrate" does not match allow.queues [orders-*]',
    );
    const redrive = target("QueueRedrivePolicy", {
      queue: "orders-in",
      deadLetterQueue: "billing-dlq",
      maxReceiveCount: 5,
    });
    expect((await outcome(guard, redrive))?.message).toBe(
      'denied by policy: queue "billing-dlq" does not match allow.queues [orders-*]',
    );
  });

  it("checks the SNS, Scheduler and Pipes kinds by the functions and queues they name", async () => {
    const topic = `arn:aws:sns:us-east-1:${ACCOUNT}:orders`;
    const sub = (endpoint: string, dlq: string) =>
      target("SubscriptionRedrivePolicy", {
        topicArn: topic,
        endpoint,
        deadLetterQueue: `arn:aws:sqs:us-east-1:${ACCOUNT}:${dlq}`,
      });
    const fn = (name: string) => `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${name}`;
    expect(await outcome(guard, sub(fn("orders-notifier"), "orders-sns-dlq"))).toBeUndefined();
    expect((await outcome(guard, sub(fn("billing-notifier"), "orders-sns-dlq")))?.message).toBe(
      'denied by policy: function "billing-notifier" does not match allow.functions [orders-*]',
    );
    const schedule = target("ScheduleRetryPolicy", {
      scheduleName: "nightly",
      deadLetterQueue: `arn:aws:sqs:us-east-1:${ACCOUNT}:billing-dlq`,
    });
    expect((await outcome(guard, schedule))?.message).toBe(
      'denied by policy: queue "billing-dlq" does not match allow.queues [orders-*]',
    );
    const pipe = target("PipeRetryPolicy", {
      pipeName: "orders-audit",
      deadLetterQueue: `arn:aws:sqs:ap-south-1:${ACCOUNT}:orders-dlq`,
    });
    expect((await outcome(guard, pipe))?.message).toBe(
      "denied by policy: an ARN in the spec names region ap-south-1, which is not in allow.regions [us-east-1, eu-west-1]",
    );
  });

  it("refuses a rule outside allow.rules", async () => {
    const t = target("EventTargetRetryPolicy", {
      rule: "billing-closed",
      targetId: "t1",
      deadLetterQueue: `arn:aws:sqs:us-east-1:${ACCOUNT}:orders-events-dlq`,
    });
    expect((await outcome(guard, t))?.message).toBe(
      'denied by policy: rule "billing-closed" does not match allow.rules [order-*]',
    );
  });

  it("refuses an ARN of another account or an unlisted region, and a spec.account outside allow.accounts", async () => {
    const foreign = asyncConfig("orders-a", `arn:aws:sqs:us-east-1:${OTHER}:orders-failed`);
    expect((await outcome(guard, foreign))?.message).toBe(
      `denied by policy: account ${OTHER} named in the spec is not in allow.accounts [${ACCOUNT}]`,
    );
    const pinned = target("QueueRedrivePolicy", { queue: "orders-in", account: OTHER });
    expect((await outcome(guard, pinned))?.message).toBe(
      `denied by policy: account ${OTHER} named in the spec is not in allow.accounts [${ACCOUNT}]`,
    );
    const crossRegion = target("FunctionEventInvokeConfig", {
      functionName: "orders-a",
      onFailure: `arn:aws:sns:ap-south-1:${ACCOUNT}:alerts`,
    });
    expect((await outcome(guard, crossRegion))?.message).toBe(
      "denied by policy: an ARN in the spec names region ap-south-1, which is not in allow.regions [us-east-1, eu-west-1]",
    );
  });

  it("decides names offline, without asking for the account", () => {
    const offlineOnly = new Guard({ policy: policy(ORDERS) });
    expect(offlineOnly.offline(asyncConfig("payments-a"))?.code).toBe("DeniedByPolicy");
    expect(offlineOnly.offline(asyncConfig("orders-a"))).toBeUndefined();
  });

  it("refuses every resource when the credentials' account is not allowed", async () => {
    const elsewhere = new Guard({
      policy: policy({ accounts: [OTHER] }),
      callerAccount: async () => ACCOUNT,
    });
    expect(await outcome(elsewhere, target("QueueRedrivePolicy", { queue: "orders-in" }))).toEqual({
      code: "DeniedByPolicy",
      message: `denied by policy: account ${ACCOUNT} (the credentials' account) is not in allow.accounts [${OTHER}]`,
      retry: "terminal",
    });
  });

  it("treats an empty list as allowing nothing in that dimension", async () => {
    const none = new Guard({ policy: policy({ queues: [] }) });
    expect((await outcome(none, asyncConfig("orders-a")))?.message).toBe(
      'denied by policy: queue "orders-failed" does not match allow.queues []',
    );
  });

  it("refuses a kind that does not declare its scope when names are restricted, and only then", async () => {
    const { scope: _scope, ...rest } = findKind("FunctionEventInvokeConfig") as AnyKind;
    const blind = { ...rest } as AnyKind;
    const t = { ...asyncConfig("orders-a"), kind: blind };
    expect((await outcome(guard, t))?.message).toBe(
      "denied by policy: FunctionEventInvokeConfig does not declare which functions, queues and rules it targets",
    );
    const regionsOnly = new Guard({ policy: policy({ regions: ["us-east-1"] }) });
    expect(await outcome(regionsOnly, t)).toBeUndefined();
  });
});

describe("spec.account", () => {
  it("is refused with AccountNotConfigured when the credentials belong to another account", async () => {
    const guard = new Guard({ callerAccount: async () => ACCOUNT });
    const t = target("QueueRedrivePolicy", { queue: "orders-in", account: OTHER });
    expect(await outcome(guard, t)).toEqual({
      code: "AccountNotConfigured",
      message: `spec.account names account ${OTHER}, but the credentials in use are of account ${ACCOUNT} and the policy file's access lists no role for that account; not touching it`,
      retry: "terminal",
    });
    expect(
      await outcome(guard, target("QueueRedrivePolicy", { queue: "orders-in", account: ACCOUNT })),
    ).toBeUndefined();
  });

  it("is refused when it contradicts the account an ARN in the spec names, without asking AWS", async () => {
    const caller = vi.fn(async () => ACCOUNT);
    const guard = new Guard({ callerAccount: caller });
    const t = target("FunctionDeadLetterConfig", {
      functionName: `arn:aws:lambda:us-east-1:${OTHER}:function:orders`,
      account: ACCOUNT,
    });
    expect(await outcome(guard, t)).toMatchObject({
      code: "AccountMismatch",
      message: `spec.account is ${ACCOUNT}, but functionName names account ${OTHER}; not touching it`,
    });
    expect(caller).not.toHaveBeenCalled();
  });

  it("passes on the failure to learn the account, with its retry class", async () => {
    const guard = new Guard({
      callerAccount: async () => {
        throw new ResourceError("NetworkError", "learning the caller's account: ECONNRESET", "transient");
      },
    });
    const t = target("QueueRedrivePolicy", { queue: "orders-in", account: ACCOUNT });
    expect(await outcome(guard, t)).toEqual({
      code: "NetworkError",
      message: "learning the caller's account: ECONNRESET",
      retry: "transient",
    });
  });
});

describe("the account inside the ARN or URL that names the resource", () => {
  const there = (name: string) => `arn:aws:lambda:us-east-1:${OTHER}:function:${name}`;
  const cases: [string, Record<string, unknown>, string][] = [
    ["FunctionDeadLetterConfig", { functionName: there("orders") }, "functionName"],
    ["FunctionEventInvokeConfig", { functionName: `${there("orders")}:live` }, "functionName"],
    ["FunctionEventInvokeConfig", { functionName: `${OTHER}:function:orders` }, "functionName"],
    [
      "EventSourceMapping",
      { functionName: there("orders"), uuid: "14e0db71-5d35-4eb5-b481-8945cf9d10c2" },
      "functionName",
    ],
    ["QueueRedrivePolicy", { queue: `https://sqs.us-east-1.amazonaws.com/${OTHER}/orders-in` }, "queue"],
    ["QueueRedrivePolicy", { queue: `arn:aws:sqs:us-east-1:${OTHER}:orders-in` }, "queue"],
    [
      "EventTargetRetryPolicy",
      { eventBusName: `arn:aws:events:us-east-1:${OTHER}:event-bus/orders`, rule: "r", targetId: "t" },
      "eventBusName",
    ],
  ];

  for (const [kind, spec, field] of cases) {
    it(`${kind} ${field} ${JSON.stringify(Object.values(spec)[0])}: another account is AccountNotConfigured`, async () => {
      const guard = new Guard({ callerAccount: async () => ACCOUNT });
      expect(await outcome(guard, target(kind, spec))).toEqual({
        code: "AccountNotConfigured",
        message: `${field} names account ${OTHER}, but the credentials in use are of account ${ACCOUNT} and the policy file's access lists no role for that account; not touching it`,
        retry: "terminal",
      });
      const mine = JSON.parse(JSON.stringify(spec).replaceAll(OTHER, ACCOUNT)) as Record<string, unknown>;
      expect(await outcome(guard, target(kind, mine))).toBeUndefined();
    });
  }

  it("asks for the account only when an ARN or URL names one", async () => {
    const caller = vi.fn(async () => ACCOUNT);
    const guard = new Guard({ callerAccount: caller });
    expect(
      await outcome(guard, target("FunctionDeadLetterConfig", { functionName: "orders" })),
    ).toBeUndefined();
    expect(caller).not.toHaveBeenCalled();
    expect(
      await outcome(guard, target("FunctionDeadLetterConfig", { functionName: there("orders") })),
    ).toMatchObject({
      code: "AccountNotConfigured",
    });
    expect(caller).toHaveBeenCalledTimes(1);
  });
});

describe("the allow-list after the read", () => {
  const guard = new Guard({ policy: policy(ORDERS), callerAccount: async () => ACCOUNT });
  const uuidOnly = target("EventSourceMapping", {
    functionName: "orders-processor",
    uuid: "14e0db71-5d35-4eb5-b481-8945cf9d10c2",
  });
  const read = (source: string, fn = "orders-processor") => ({
    uuid: "14e0db71-5d35-4eb5-b481-8945cf9d10c2",
    state: "Enabled",
    functionArn: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${fn}`,
    eventSourceArn: `arn:aws:sqs:us-east-1:${ACCOUNT}:${source}`,
    source: "sqs",
    view: {},
  });

  it("refuses a uuid-only mapping whose real source queue is outside allow.queues", () => {
    expect(guard.afterRead(uuidOnly, read("orders-in"))).toBeUndefined();
    expect(guard.afterRead(uuidOnly, read("billing-in"))).toMatchObject({
      code: "DeniedByPolicy",
      message:
        'denied by policy: queue "billing-in" (found in the object read) does not match allow.queues [orders-*]',
      retry: "terminal",
    });
    expect(guard.afterRead(uuidOnly, read("orders-in", "payments"))).toMatchObject({
      code: "DeniedByPolicy",
    });
    expect(new Guard().afterRead(uuidOnly, read("billing-in"))).toBeUndefined();
  });
});

describe("member accounts (design §6)", () => {
  const MEMBER = "111111111111";
  const memberClients = { account: MEMBER } as unknown as AwsClients;
  const members = (assumed: () => Promise<string>) =>
    ({
      configured: (account: string) => account === MEMBER,
      clients: (account: string) => (account === MEMBER ? memberClients : undefined),
      callerAccount: (account: string) => (account === MEMBER ? assumed : undefined),
    }) as unknown as Accounts;
  const pinned = (account: string) =>
    target("QueueRedrivePolicy", { queue: "orders-in", account, deadLetterQueue: "orders-dlq" });

  it("routes a configured account to its clients once its assumed credentials confirm the account", async () => {
    const guard = new Guard({ callerAccount: async () => ACCOUNT, accounts: members(async () => MEMBER) });
    expect(await guard.place(pinned(MEMBER))).toEqual({ account: MEMBER, aws: memberClients });
    expect(await guard.place(pinned(ACCOUNT))).toEqual({ account: ACCOUNT });
  });

  it("refuses when the assumed credentials are of another account than the one configured", async () => {
    const guard = new Guard({ callerAccount: async () => ACCOUNT, accounts: members(async () => OTHER) });
    expect(await outcome(guard, pinned(MEMBER))).toEqual({
      code: "AccountMismatch",
      message: `the credentials assumed for account ${MEMBER} are of account ${OTHER}; not touching it`,
      retry: "terminal",
    });
  });

  it("applies allow.accounts to the member's account, and still refuses an account without access", async () => {
    const guard = new Guard({
      policy: policy({ accounts: [ACCOUNT] }),
      callerAccount: async () => ACCOUNT,
      accounts: members(async () => MEMBER),
    });
    expect((await outcome(guard, pinned(MEMBER)))?.code).toBe("DeniedByPolicy");
    const open = new Guard({ callerAccount: async () => ACCOUNT, accounts: members(async () => MEMBER) });
    expect((await outcome(open, pinned(OTHER)))?.code).toBe("AccountNotConfigured");
  });
});
