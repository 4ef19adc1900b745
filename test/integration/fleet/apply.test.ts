// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${…} here are retryctl policy variables, not JavaScript placeholders.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  GetEventSourceMappingCommand,
  GetFunctionEventInvokeConfigCommand,
  PutFunctionEventInvokeConfigCommand,
} from "@aws-sdk/client-lambda";
import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { accessPolicy, createMemberRole, HUB, MEMBER_A } from "../../support/accounts.js";
import { createMapping, createStream, resetMoto, TEST_REGION } from "../../support/aws.js";
import { cli, manifest, manifestDir, type PlanJson } from "../../support/cli.js";
import { FaultProxy } from "../../support/fault-proxy.js";
import { clientsIn, createFunctionAt, createQueueAt, forgetFleetSeeds } from "./seed.js";

/**
 * Fleet policies (design §7) through `diff` and `apply`, against moto over
 * HTTP with the real SDK: discovery lists, expansion decides, the engine
 * writes; the fault proxy shows what went out.
 */
let proxy: FaultProxy;
beforeAll(async () => {
  proxy = await FaultProxy.start();
});
afterAll(() => proxy.close());

const EU = "eu-west-1";
const WRITES = new Set([
  "PutFunctionEventInvokeConfig",
  "UpdateFunctionEventInvokeConfig",
  "DeleteFunctionEventInvokeConfig",
  "UpdateFunctionConfiguration",
  "UpdateEventSourceMapping",
  "SetQueueAttributes",
]);
const writes = () => proxy.requests().filter((r) => WRITES.has(r.operation));

type Resource = PlanJson["resources"][number] & { account: string; policy?: string };
type Plan = PlanJson & {
  manifestErrors: { code?: string; message: string; name?: string }[];
  policies?: unknown[];
};

let dir: string;
let policyFile: string;

async function fresh(): Promise<void> {
  await resetMoto();
  forgetFleetSeeds();
  proxy.reset();
}

async function write(files: Record<string, string>, access: string[] = []): Promise<void> {
  dir = await manifestDir(files);
  policyFile = join(dir, "..", `${dir.split("/").pop()}-policy.yaml`);
  await writeFile(
    policyFile,
    access.length > 0
      ? accessPolicy(access.map((account) => ({ account })))
      : "apiVersion: retryctl.dev/v1alpha1\nkind: Policy\nallow: {}\n",
  );
}

const run = (...args: string[]) =>
  cli(...args, dir, "--policy", policyFile, "--endpoint-url", proxy.endpoint);

function retryPolicy(name: string, spec: Record<string, unknown>): string {
  return manifest("RetryPolicy", name, spec);
}

async function invokeConfig(account: string, region: string, fn: string) {
  try {
    return await clientsIn(account, region).lambda.send(
      new GetFunctionEventInvokeConfigCommand({ FunctionName: fn }),
    );
  } catch (err) {
    if ((err as { name?: string }).name === "ResourceNotFoundException") return undefined;
    throw err;
  }
}

describe("selectors across two accounts and two regions", () => {
  const team = { team: "payments", cost: "cc-1" };
  beforeEach(async () => {
    await fresh();
    await createMemberRole(MEMBER_A);
    await createFunctionAt(HUB, TEST_REGION, "orders-api", team);
    await createFunctionAt(HUB, TEST_REGION, "orders-legacy-1", team); // excluded by name
    await createFunctionAt(HUB, TEST_REGION, "orders-nocost", { team: "payments" }); // no cost tag
    await createFunctionAt(HUB, TEST_REGION, "search", team); // name does not match
    await createFunctionAt(HUB, EU, "orders-eu", { team: "payments", cost: "cc-2" });
    await createFunctionAt(MEMBER_A, EU, "orders-member", team);
    await createFunctionAt(MEMBER_A, EU, "orders-other-team", { team: "search", cost: "cc-1" });
    await write(
      {
        "fleet.yaml": retryPolicy("payments-defaults", {
          selector: {
            accounts: [HUB, MEMBER_A],
            regions: [TEST_REGION, EU],
            functionNames: ["orders-*"],
            excludeFunctionNames: ["orders-legacy-*"],
            tags: { team: "payments", cost: "*" },
          },
          asyncInvoke: { maximumRetryAttempts: 1, maximumEventAgeInSeconds: 3600 },
        }),
      },
      [MEMBER_A],
    );
  });

  it("configures exactly the matching functions (read back), writes nothing else, then diff exits 0", async () => {
    const plan = await run("diff");
    expect(plan.code, plan.stdout + plan.stderr).toBe(2);
    expect(plan.stdout).toContain("Policy payments-defaults: 3 functions in 2 accounts, 2 regions");
    expect(plan.stdout).toContain(
      "+ FunctionEventInvokeConfig/payments-defaults/orders-api (us-east-1, account",
    );

    proxy.reset();
    const applied = await run("apply", "--output", "json");
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    const resources = applied.json<Plan>().resources as Resource[];
    expect(resources.map((r) => [r.name, r.account, r.region, r.action, r.policy]).sort()).toEqual(
      [
        ["payments-defaults/orders-api", HUB, TEST_REGION, "create", "payments-defaults"],
        ["payments-defaults/orders-eu", HUB, EU, "create", "payments-defaults"],
        ["payments-defaults/orders-member", MEMBER_A, EU, "create", "payments-defaults"],
      ].sort(),
    );
    expect(
      resources.every((r) => (r as { source?: { file: string } }).source?.file.endsWith("fleet.yaml")),
    ).toBe(true);

    for (const [account, region, fn] of [
      [HUB, TEST_REGION, "orders-api"],
      [HUB, EU, "orders-eu"],
      [MEMBER_A, EU, "orders-member"],
    ] as const) {
      const config = await invokeConfig(account, region, fn);
      expect(config?.MaximumRetryAttempts, `${account} ${region} ${fn}`).toBe(1);
      expect(config?.MaximumEventAgeInSeconds).toBe(3600);
    }
    for (const [account, region, fn] of [
      [HUB, TEST_REGION, "orders-legacy-1"],
      [HUB, TEST_REGION, "orders-nocost"],
      [HUB, TEST_REGION, "search"],
      [MEMBER_A, EU, "orders-other-team"],
    ] as const) {
      expect(await invokeConfig(account, region, fn), fn).toBeUndefined();
    }
    // Every write named a matching function, each in its own account and region.
    expect(
      writes()
        .map((r) => [r.resource, r.account, r.region])
        .sort(),
    ).toEqual(
      [
        ["function:orders-api", HUB, TEST_REGION],
        ["function:orders-eu", HUB, EU],
        ["function:orders-member", MEMBER_A, EU],
      ].sort(),
    );
    const unmatched = ["orders-legacy-1", "orders-nocost", "search", "orders-other-team"];
    expect(
      proxy.requests().filter((r) => unmatched.some((fn) => r.resource?.startsWith(`function:${fn}`))),
    ).toEqual([]);

    const again = await run("diff");
    expect(again.code, again.stdout + again.stderr).toBe(0);
  });

  it("reports TooManyMatches when maxMatches is exceeded, and writes nothing", async () => {
    await write(
      {
        "fleet.yaml": retryPolicy("payments-defaults", {
          maxMatches: 2,
          selector: { accounts: [HUB, MEMBER_A], regions: [TEST_REGION, EU], functionNames: ["orders-*"] },
          asyncInvoke: { maximumRetryAttempts: 1 },
        }),
      },
      [MEMBER_A],
    );
    proxy.reset();
    const applied = await run("apply", "--output", "json");
    expect(applied.code, applied.stdout + applied.stderr).toBe(1);
    const plan = applied.json<Plan>();
    expect(plan.resources).toEqual([]);
    expect(plan.manifestErrors.map((e) => [e.code, e.name])).toEqual([
      ["TooManyMatches", "payments-defaults"],
    ]);
    expect(plan.manifestErrors[0]?.message).toContain("matches 6 functions, more than maxMatches 2");
    expect(writes()).toEqual([]);
    // Only discovery ran: no read of any function's config.
    expect(proxy.requests().filter((r) => r.resource?.startsWith("function:"))).toEqual([]);
    const text = await run("diff");
    expect(text.code).toBe(1);
    expect(text.stdout).toContain("TooManyMatches");
  });

  it("refuses expanded resources outside the allow-list, with zero calls for them", async () => {
    await write({
      "fleet.yaml": retryPolicy("everything", { asyncInvoke: { maximumRetryAttempts: 0 } }),
    });
    await writeFile(
      policyFile,
      `apiVersion: retryctl.dev/v1alpha1\nkind: Policy\nallow:\n  functions: ["orders-*"]\n`,
    );
    proxy.reset();
    const applied = await run("apply", "--output", "json");
    expect(applied.code, applied.stdout + applied.stderr).toBe(1);
    const byName = Object.fromEntries((applied.json<Plan>().resources as Resource[]).map((r) => [r.name, r]));
    expect(byName["everything/search"]?.error?.code).toBe("DeniedByPolicy");
    expect(byName["everything/orders-api"]).toMatchObject({ action: "create", applied: true });
    expect(proxy.requests().filter((r) => r.resource?.startsWith("function:search"))).toEqual([]);
    expect(await invokeConfig(HUB, TEST_REGION, "search")).toBeUndefined();
    expect((await invokeConfig(HUB, TEST_REGION, "orders-api"))?.MaximumRetryAttempts).toBe(0);
  });
});

describe("values checked after substitution", () => {
  it("make a filled-in value the kind refuses an InvalidExpansion of that resource, with zero calls for it", async () => {
    await fresh();
    const long = `orders-${"x".repeat(40)}`;
    await createFunctionAt(HUB, TEST_REGION, long);
    await createFunctionAt(HUB, TEST_REGION, "orders-short");
    await write({
      "fleet.yaml": retryPolicy("named-failures", {
        asyncInvoke: {
          maximumRetryAttempts: 1,
          onFailure: "arn:aws:sqs:${region}:${account}:${functionName}-${functionName}",
        },
      }),
    });
    proxy.reset();
    const applied = await run("apply", "--output", "json");
    expect(applied.code, applied.stdout + applied.stderr).toBe(1);
    const byName = Object.fromEntries((applied.json<Plan>().resources as Resource[]).map((r) => [r.name, r]));
    expect(byName[`named-failures/${long}`]?.error?.code).toBe("InvalidExpansion");
    expect(byName[`named-failures/${long}`]?.error?.message).toMatch(
      /policy named-failures \(\S*fleet\.yaml:1\) gives FunctionEventInvokeConfig an invalid value/,
    );
    expect(byName["named-failures/orders-short"]).toMatchObject({ action: "create", applied: true });
    expect(proxy.requests().filter((r) => r.resource?.startsWith(`function:${long}`))).toEqual([]);
  });
});

describe("precedence", () => {
  let orgFailures: string;
  beforeEach(async () => {
    await fresh();
    await createFunctionAt(HUB, TEST_REGION, "orders-api");
    await createFunctionAt(HUB, TEST_REGION, "conflicted");
    orgFailures = (await createQueueAt(HUB, TEST_REGION, "org-failures")).arn;
  });

  it("gives each field the explicit manifest's value, else the higher priority's (org 0 + team 10)", async () => {
    await write({
      "org.yaml": retryPolicy("org", {
        selector: { functionNames: ["orders-*"] },
        asyncInvoke: { maximumRetryAttempts: 0, maximumEventAgeInSeconds: 600, onFailure: orgFailures },
      }),
      "team.yaml": retryPolicy("team", {
        priority: 10,
        selector: { functionNames: ["orders-*"] },
        asyncInvoke: { maximumRetryAttempts: 1, maximumEventAgeInSeconds: 3600 },
      }),
      "explicit.yaml": manifest("FunctionEventInvokeConfig", "orders-api", {
        functionName: "orders-api",
        maximumEventAgeInSeconds: 120,
      }),
    });
    const applied = await run("apply", "--output", "json");
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    const resources = applied.json<Plan>().resources as Resource[];
    // One desired resource for the function: the explicit manifest, filled in by the policies.
    expect(resources.map((r) => [r.kind, r.name, r.action])).toEqual([
      ["FunctionEventInvokeConfig", "orders-api", "create"],
    ]);
    const config = await invokeConfig(HUB, TEST_REGION, "orders-api");
    expect(config?.MaximumRetryAttempts).toBe(1); // team (priority 10) over org
    expect(config?.MaximumEventAgeInSeconds).toBe(120); // the explicit manifest
    expect(config?.DestinationConfig?.OnFailure?.Destination).toBe(orgFailures); // only org sets it
    expect((await run("diff")).code).toBe(0);
  });

  it("reports PolicyConflict naming both policies at equal priority, leaving that field as AWS has it", async () => {
    await clientsIn(HUB, TEST_REGION).lambda.send(
      new PutFunctionEventInvokeConfigCommand({ FunctionName: "conflicted", MaximumRetryAttempts: 2 }),
    );
    await write({
      "alpha.yaml": retryPolicy("alpha", {
        selector: { functionNames: ["conflicted"] },
        asyncInvoke: { maximumRetryAttempts: 0, maximumEventAgeInSeconds: 900 },
      }),
      "beta.yaml": retryPolicy("beta", {
        selector: { functionNames: ["conflicted"] },
        asyncInvoke: { maximumRetryAttempts: 1, maximumEventAgeInSeconds: 900 },
      }),
    });
    const applied = await run("apply", "--output", "json");
    expect(applied.code, applied.stdout + applied.stderr).toBe(1);
    const [resource] = applied.json<Plan>().resources as Resource[];
    expect(resource?.name).toBe("alpha/conflicted");
    expect(resource?.error?.code).toBe("PolicyConflict");
    expect(resource?.error?.message).toMatch(/alpha .*beta/);
    expect(resource?.changes.map((c) => c.field)).toEqual(["maximumEventAgeInSeconds"]);
    const config = await invokeConfig(HUB, TEST_REGION, "conflicted");
    expect(config?.MaximumRetryAttempts).toBe(2); // as AWS had it
    expect(config?.MaximumEventAgeInSeconds).toBe(900); // the field they agree on is applied
  });
});

describe("mappings and source queues", () => {
  it("configures stream and SQS mappings apart and each SQS source queue's redrive to ${queueName}-dlq", async () => {
    await fresh();
    await createFunctionAt(HUB, TEST_REGION, "worker", { role: "consumer" });
    await createFunctionAt(HUB, TEST_REGION, "bystander");
    const stream = await createStream("orders");
    const work = await createQueueAt(HUB, TEST_REGION, "work");
    const dlq = await createQueueAt(HUB, TEST_REGION, "work-dlq");
    const streamUuid = await createMapping("worker", stream);
    const queueUuid = await createMapping("worker", work.arn);
    const other = await createQueueAt(HUB, TEST_REGION, "other");
    const otherUuid = await createMapping("bystander", other.arn);
    await write({
      "consumers.yaml": retryPolicy("consumers", {
        selector: { tags: { role: "consumer" } },
        streamMappings: {
          maximumRetryAttempts: 3,
          maximumRecordAgeInSeconds: 3600,
          bisectBatchOnFunctionError: true,
        },
        queueMappings: { functionResponseTypes: ["ReportBatchItemFailures"] },
        sourceQueues: { deadLetterQueue: "${queueName}-dlq", maxReceiveCount: 5 },
      }),
    });
    proxy.reset();
    const applied = await run("apply", "--output", "json");
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    const names = (applied.json<Plan>().resources as Resource[]).map((r) => [r.kind, r.name]);
    expect(names.map(String).sort()).toEqual(
      [
        ["EventSourceMapping", `consumers/worker/${streamUuid}`],
        ["EventSourceMapping", `consumers/worker/${queueUuid}`],
        ["QueueRedrivePolicy", "consumers/work"],
      ]
        .map(String)
        .sort(),
    );

    const { lambda, sqs } = clientsIn(HUB, TEST_REGION);
    const streamMapping = await lambda.send(new GetEventSourceMappingCommand({ UUID: streamUuid }));
    expect(streamMapping).toMatchObject({
      MaximumRetryAttempts: 3,
      MaximumRecordAgeInSeconds: 3600,
      BisectBatchOnFunctionError: true,
    });
    const queueMapping = await lambda.send(new GetEventSourceMappingCommand({ UUID: queueUuid }));
    expect(queueMapping.FunctionResponseTypes).toEqual(["ReportBatchItemFailures"]);
    // The SQS mapping's update carried none of the stream-only fields.
    expect(queueMapping.MaximumRetryAttempts).toBeUndefined();
    expect(queueMapping.BisectBatchOnFunctionError).toBeUndefined();
    const attributes = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: work.url, AttributeNames: ["RedrivePolicy"] }),
    );
    expect(JSON.parse(attributes.Attributes?.RedrivePolicy ?? "{}")).toEqual({
      deadLetterTargetArn: dlq.arn,
      maxReceiveCount: 5,
    });
    // The bystander's mapping and queue were not touched.
    expect(
      proxy.requests().filter((r) => r.resource === `esm:${otherUuid}` || r.resource === "queue:other"),
    ).toEqual([]);
    expect(
      writes()
        .map((r) => r.resource)
        .sort(),
    ).toEqual([`esm:${queueUuid}`, `esm:${streamUuid}`, "queue:work"].sort());
    expect((await run("diff")).code).toBe(0);
  });
});
