import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { CreateRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { CreateStreamCommand, DescribeStreamSummaryCommand, KinesisClient } from "@aws-sdk/client-kinesis";
import {
  CreateEventSourceMappingCommand,
  CreateFunctionCommand,
  LambdaClient,
  TagResourceCommand,
} from "@aws-sdk/client-lambda";
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import pino from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Accounts } from "../../../src/aws/accounts.js";
import { discoverInventory } from "../../../src/fleet/discover.js";
import type { DiscoveryTarget } from "../../../src/fleet/inventory.js";
import { type EventSourceMappingSpec, eventSourceMapping } from "../../../src/kinds/event-source-mapping.js";
import type { DesiredResource } from "../../../src/kinds/kind.js";
import { MappingListings } from "../../../src/kinds/mapping-listing.js";
import { createMemberRole, forgetAccountSeeds, HUB, MEMBER_A, memberRole } from "../../support/accounts.js";
import { motoEndpoint, resetMoto, TEST_CREDENTIALS, testAwsClients } from "../../support/aws.js";
import { FaultProxy } from "../../support/fault-proxy.js";
import { storedZip } from "../../support/zip.js";

/**
 * Fleet discovery (design §7, issue #12) against moto over HTTP, through the
 * fault proxy: what it finds in two accounts × two regions, exactly the calls
 * of the formula for F functions, and one failing target never costing the
 * others their inventory.
 */
const EAST = "us-east-1";
const WEST = "eu-west-1";
const MEMBER_B = "333333333333";
const HANDLER_ZIP = storedZip("index.py", "def handler(event, context):\n    return event\n");

let proxy: FaultProxy;
beforeAll(async () => {
  proxy = await FaultProxy.start();
});
afterAll(() => proxy.close());
beforeEach(async () => {
  await resetMoto();
  forgetAccountSeeds();
});

/** Seeding clients acting in `account` and `region` of moto directly (the proxy sees none of it). */
function seeder(account: string, region: string) {
  const config = {
    region,
    endpoint: motoEndpoint(),
    credentials: TEST_CREDENTIALS,
    // Kinesis fails against moto with the default HTTP/2-capable handler.
    requestHandler: new NodeHttpHandler({ connectionTimeout: 5_000, requestTimeout: 30_000 }),
    maxAttempts: 1,
  };
  const clients = {
    lambda: new LambdaClient(config),
    sqs: new SQSClient(config),
    iam: new IAMClient(config),
    kinesis: new KinesisClient(config),
    dynamodb: new DynamoDBClient(config),
  };
  for (const client of Object.values(clients)) {
    // biome-ignore lint/suspicious/noExplicitAny: the middleware generics differ per client.
    (client.middlewareStack as any).add(
      // biome-ignore lint/suspicious/noExplicitAny: as above.
      (next: any) => async (args: any) => {
        args.request.headers["x-moto-account-id"] = account;
        return next(args);
      },
      { step: "build", name: "motoAccount" },
    );
  }
  const roles = new Set<string>();
  return {
    async fn(name: string, tags?: Record<string, string>): Promise<string> {
      if (!roles.has("lambda")) {
        await clients.iam
          .send(
            new CreateRoleCommand({
              RoleName: "fleet-lambda",
              AssumeRolePolicyDocument: JSON.stringify({
                Version: "2012-10-17",
                Statement: [
                  {
                    Effect: "Allow",
                    Principal: { Service: "lambda.amazonaws.com" },
                    Action: "sts:AssumeRole",
                  },
                ],
              }),
            }),
          )
          .catch((err: { name?: string }) => {
            // IAM is global: the account's other region made it already.
            if (!err.name?.startsWith("EntityAlreadyExists")) throw err;
          });
        roles.add("lambda");
      }
      const out = await clients.lambda.send(
        new CreateFunctionCommand({
          FunctionName: name,
          Runtime: "python3.12",
          Role: `arn:aws:iam::${account}:role/fleet-lambda`,
          Handler: "index.handler",
          Code: { ZipFile: HANDLER_ZIP },
        }),
      );
      if (!out.FunctionArn) throw new Error("CreateFunction returned no FunctionArn");
      if (tags) await clients.lambda.send(new TagResourceCommand({ Resource: out.FunctionArn, Tags: tags }));
      return out.FunctionArn;
    },
    async queue(name: string): Promise<string> {
      const { QueueUrl } = await clients.sqs.send(new CreateQueueCommand({ QueueName: name }));
      const got = await clients.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }),
      );
      return got.Attributes?.QueueArn as string;
    },
    async stream(name: string): Promise<string> {
      await clients.kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }));
      const out = await clients.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
      return out.StreamDescriptionSummary?.StreamARN as string;
    },
    async tableStream(name: string): Promise<string> {
      const out = await clients.dynamodb.send(
        new CreateTableCommand({
          TableName: name,
          AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
          KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
          BillingMode: "PAY_PER_REQUEST",
          StreamSpecification: { StreamEnabled: true, StreamViewType: "NEW_AND_OLD_IMAGES" },
        }),
      );
      return out.TableDescription?.LatestStreamArn as string;
    },
    async mapping(fn: string, source: string): Promise<string> {
      const stream = !source.includes(":sqs:");
      const out = await clients.lambda.send(
        new CreateEventSourceMappingCommand({
          FunctionName: fn,
          EventSourceArn: source,
          ...(stream ? { StartingPosition: "LATEST" as const } : {}),
        }),
      );
      return out.UUID as string;
    },
  };
}

/** retryctl's clients through the proxy, reaching MEMBER_A (and only it) through its role. */
function retryctl(access: string[] = [MEMBER_A]) {
  const { aws } = testAwsClients({ endpoint: proxy.endpoint });
  const accounts = new Accounts(
    aws,
    access.map((account) => ({ account, roleArn: memberRole(account) })),
    EAST,
  );
  return { aws, accounts };
}

const target = (account: string, region: string, reads: Partial<DiscoveryTarget> = {}): DiscoveryTarget => ({
  account,
  region,
  tags: true,
  mappings: true,
  ...reads,
});

/** Sorted by place and name (discovery's order across targets is its own). */
const byPlace = <T extends { account: string; region: string; functionName: string; uuid?: string }>(
  items: readonly T[],
): T[] => {
  const key = (x: T) => `${x.account}/${x.region}/${x.functionName}/${x.uuid ?? ""}`;
  return [...items].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
};

const fnArn = (account: string, region: string, name: string) =>
  `arn:aws:lambda:${region}:${account}:function:${name}`;

describe("fleet discovery", () => {
  it("finds every function, its tags and its mappings in two accounts × two regions", async () => {
    await createMemberRole(MEMBER_A);
    const hubEast = seeder(HUB, EAST);
    const hubWest = seeder(HUB, WEST);
    const memberEast = seeder(MEMBER_A, EAST);
    const memberWest = seeder(MEMBER_A, WEST);
    await hubEast.fn("orders-a", { team: "payments", tier: "gold" });
    await hubEast.fn("orders-b");
    const orders = await hubEast.stream("orders");
    const inbox = await hubEast.queue("inbox");
    const kinesisUuid = await hubEast.mapping("orders-a", orders);
    const sqsUuid = await hubEast.mapping("orders-b", inbox);
    await hubWest.fn("ledger", { team: "ops" });
    const table = await hubWest.tableStream("ledger");
    const dynamoUuid = await hubWest.mapping("ledger", table);
    await memberEast.fn("orders-a", { team: "payments" });
    const memberInbox = await memberEast.queue("inbox");
    const memberUuid = await memberEast.mapping("orders-a", memberInbox);
    // Tags are not asked for here, and there are no mappings: only the listing is made.
    await memberWest.fn("reports", { team: "data" });

    const { aws, accounts } = retryctl();
    try {
      proxy.reset();
      const found = await discoverInventory(
        aws,
        [
          target(HUB, EAST),
          target(HUB, WEST),
          target(MEMBER_A, EAST),
          target(MEMBER_A, WEST, { tags: false, mappings: false }),
        ],
        { accounts },
      );
      expect(found.failures).toEqual([]);
      expect(byPlace(found.inventory.functions)).toEqual(
        byPlace([
          {
            account: MEMBER_A,
            region: EAST,
            functionName: "orders-a",
            functionArn: fnArn(MEMBER_A, EAST, "orders-a"),
            tags: { team: "payments" },
          },
          {
            account: MEMBER_A,
            region: WEST,
            functionName: "reports",
            functionArn: fnArn(MEMBER_A, WEST, "reports"),
            tags: {},
          },
          {
            account: HUB,
            region: WEST,
            functionName: "ledger",
            functionArn: fnArn(HUB, WEST, "ledger"),
            tags: { team: "ops" },
          },
          {
            account: HUB,
            region: EAST,
            functionName: "orders-a",
            functionArn: fnArn(HUB, EAST, "orders-a"),
            tags: { team: "payments", tier: "gold" },
          },
          {
            account: HUB,
            region: EAST,
            functionName: "orders-b",
            functionArn: fnArn(HUB, EAST, "orders-b"),
            tags: {},
          },
        ]),
      );
      expect(byPlace(found.inventory.mappings)).toEqual(
        byPlace([
          {
            account: MEMBER_A,
            region: EAST,
            uuid: memberUuid,
            functionName: "orders-a",
            eventSourceArn: memberInbox,
            source: "sqs",
          },
          {
            account: HUB,
            region: WEST,
            uuid: dynamoUuid,
            functionName: "ledger",
            eventSourceArn: table,
            source: "dynamodb",
          },
          {
            account: HUB,
            region: EAST,
            uuid: kinesisUuid,
            functionName: "orders-a",
            eventSourceArn: orders,
            source: "kinesis",
          },
          {
            account: HUB,
            region: EAST,
            uuid: sqsUuid,
            functionName: "orders-b",
            eventSourceArn: inbox,
            source: "sqs",
          },
        ]),
      );
      // Each read once per target that asked for it, in the account and region it was for.
      const reads = proxy
        .requests()
        .filter((r) => r.service !== "sts")
        .map((r) => `${r.account}/${r.region} ${r.service}.${r.operation}`)
        .sort();
      expect(reads).toEqual(
        [
          `${HUB}/${EAST} lambda.ListFunctions`,
          `${HUB}/${EAST} tagging.GetResources`,
          `${HUB}/${EAST} lambda.ListEventSourceMappings`,
          `${HUB}/${WEST} lambda.ListFunctions`,
          `${HUB}/${WEST} tagging.GetResources`,
          `${HUB}/${WEST} lambda.ListEventSourceMappings`,
          `${MEMBER_A}/${EAST} lambda.ListFunctions`,
          `${MEMBER_A}/${EAST} tagging.GetResources`,
          `${MEMBER_A}/${EAST} lambda.ListEventSourceMappings`,
          `${MEMBER_A}/${WEST} lambda.ListFunctions`,
        ].sort(),
      );
    } finally {
      aws.destroy();
    }
  });

  it("makes ⌈F/50⌉ ListFunctions, ⌈T/100⌉ GetResources and ⌈M/100⌉ ListEventSourceMappings calls (each at least one)", async () => {
    const hub = seeder(HUB, EAST);
    const queue = await hub.queue("work");
    let created = 0;
    let tagged = 0;
    let mapped = 0;
    const cases: { f: number; m: number; calls: Record<string, number> }[] = [
      { f: 0, m: 0, calls: { ListFunctions: 1, GetResources: 1, ListEventSourceMappings: 1 } },
      { f: 1, m: 1, calls: { ListFunctions: 1, GetResources: 1, ListEventSourceMappings: 1 } },
      { f: 50, m: 1, calls: { ListFunctions: 1, GetResources: 1, ListEventSourceMappings: 1 } },
      { f: 51, m: 1, calls: { ListFunctions: 2, GetResources: 1, ListEventSourceMappings: 1 } },
      // T = 114 of the 120 (every 20th is untagged); M = 101.
      { f: 120, m: 101, calls: { ListFunctions: 3, GetResources: 2, ListEventSourceMappings: 2 } },
    ];
    for (const { f, m, calls } of cases) {
      for (; created < f; created++) {
        const untagged = created % 20 === 19;
        await hub.fn(`fn-${String(created).padStart(3, "0")}`, untagged ? undefined : { team: "payments" });
        if (!untagged) tagged++;
      }
      for (; mapped < m; mapped++) await hub.mapping(`fn-${String(mapped).padStart(3, "0")}`, queue);

      const { aws } = testAwsClients({ endpoint: proxy.endpoint });
      try {
        proxy.reset();
        const found = await discoverInventory(aws, [target(HUB, EAST)]);
        expect(found.failures).toEqual([]);
        expect(found.inventory.functions).toHaveLength(f);
        expect(found.inventory.functions.filter((fn) => fn.tags.team === "payments")).toHaveLength(tagged);
        expect(found.inventory.mappings).toHaveLength(m);
        expect(proxy.counts(), `F = ${f}, T = ${tagged}, M = ${m}`).toEqual({
          "lambda.ListFunctions": calls.ListFunctions,
          "tagging.GetResources": calls.GetResources,
          "lambda.ListEventSourceMappings": calls.ListEventSourceMappings,
          // The hub's account, learnt once (the guard's memo when the caller passes it).
          "sts.GetCallerIdentity": 1,
        });
        expect(calls.ListFunctions).toBe(Math.max(1, Math.ceil(f / 50)));
        expect(calls.GetResources).toBe(Math.max(1, Math.ceil(tagged / 100)));
        expect(calls.ListEventSourceMappings).toBe(Math.max(1, Math.ceil(m / 100)));
      } finally {
        aws.destroy();
      }
    }
  });

  it("hands its mapping listing to the mapping read of the same sweep, once: the region is listed one time, not two", async () => {
    const hub = seeder(HUB, EAST);
    const queue = await hub.queue("work");
    const streams = [await hub.stream("s0"), await hub.stream("s1"), await hub.stream("s2")];
    for (let i = 0; i < 4; i++) await hub.fn(`fn-${i}`);
    // Four sources: the read alone would list the region (more than TARGETED_MAX_CALLS filtered lists).
    const sources = [queue, ...streams];
    for (let i = 0; i < 4; i++) await hub.mapping(`fn-${i}`, sources[i] as string);
    const resources: DesiredResource<EventSourceMappingSpec>[] = sources.map((source, i) => ({
      name: `fn-${i}`,
      region: EAST,
      identity: `m-${i}`,
      spec: { functionName: `fn-${i}`, eventSourceArn: source, batchSize: 10 },
    }));
    const { aws } = testAwsClients({ endpoint: proxy.endpoint });
    const log = pino({ level: "silent" });
    try {
      proxy.reset();
      const listings = new MappingListings();
      const found = await discoverInventory(aws, [target(HUB, EAST, { tags: false })], {
        mappingListings: listings,
        callerAccount: async () => HUB,
      });
      expect(found.inventory.mappings).toHaveLength(4);
      const ctx = { aws, log, mappingListings: listings };
      const read = await eventSourceMapping.read(ctx, resources);
      for (const r of resources) expect(read.get(r.identity)).not.toBeInstanceOf(Error);
      expect(proxy.counts()).toEqual({ "lambda.ListFunctions": 1, "lambda.ListEventSourceMappings": 1 });

      // Taken once: the next read of the region (a verify, the next sweep) lists afresh.
      proxy.reset();
      await eventSourceMapping.read(ctx, resources);
      expect(proxy.counts()).toEqual({ "lambda.ListEventSourceMappings": 1 });
    } finally {
      aws.destroy();
    }
  });

  it("reports a throttled or denied target as a DiscoveryFailure; the other targets are listed all the same", async () => {
    await createMemberRole(MEMBER_A);
    await seeder(HUB, EAST).fn("hub-fn", { team: "a" });
    await seeder(HUB, WEST).fn("hub-west");
    await seeder(MEMBER_A, EAST).fn("member-fn", { team: "b" });
    const targets = [target(HUB, EAST), target(HUB, WEST), target(MEMBER_A, EAST)];

    // The member's tag read is throttled on every attempt (the SDK's three included).
    let { aws, accounts } = retryctl();
    try {
      proxy.reset();
      proxy.set({ throttle: { service: "tagging", account: MEMBER_A, count: 100 } });
      const throttled = await discoverInventory(aws, targets, { accounts });
      proxy.set({ throttle: undefined });
      expect(proxy.injected().throttle).toBe(3);
      expect(throttled.failures).toMatchObject([
        { account: MEMBER_A, region: EAST, error: { code: "Throttled", retry: "transient" } },
      ]);
      expect(throttled.failures[0]?.error.message).toContain(`account ${MEMBER_A}, ${EAST}`);
      expect(throttled.inventory.functions.map((f) => `${f.account}/${f.functionName}`).sort()).toEqual([
        `${HUB}/hub-fn`,
        `${HUB}/hub-west`,
      ]);
    } finally {
      aws.destroy();
    }

    // The hub may not list functions: both its regions fail, the member is listed.
    ({ aws, accounts } = retryctl());
    try {
      proxy.reset();
      proxy.set({
        credentials: {
          service: "lambda",
          fault: "denied",
          account: HUB,
          operation: "ListFunctions",
          count: 100,
        },
      });
      const denied = await discoverInventory(aws, targets, { accounts });
      proxy.set({ credentials: undefined });
      expect(denied.failures.map((f) => [f.account, f.region, f.error.code, f.error.retry])).toEqual([
        [HUB, WEST, "AccessDenied", "terminal"],
        [HUB, EAST, "AccessDenied", "terminal"],
      ]);
      expect(denied.inventory.functions).toMatchObject([
        { account: MEMBER_A, functionName: "member-fn", tags: { team: "b" } },
      ]);
    } finally {
      aws.destroy();
    }
  });

  it("lists nothing in an account it has no role for, or whose role cannot be assumed", async () => {
    await createMemberRole(MEMBER_A);
    await seeder(HUB, EAST).fn("hub-fn");
    const { aws, accounts } = retryctl([MEMBER_A]);
    try {
      proxy.reset();
      proxy.set({ assumeRole: { refuse: [memberRole(MEMBER_A)] } });
      const found = await discoverInventory(
        aws,
        [target(HUB, EAST), target(MEMBER_A, EAST), target(MEMBER_B, EAST)],
        {
          accounts,
        },
      );
      proxy.set({ assumeRole: undefined });
      expect(found.failures.map((f) => [f.account, f.error.code])).toEqual([
        [MEMBER_A, "AssumeRoleFailed"],
        [MEMBER_B, "AccountNotConfigured"],
      ]);
      expect(found.inventory.functions.map((f) => f.functionName)).toEqual(["hub-fn"]);
      // Not one Lambda or tagging call in either account.
      expect(proxy.requests().filter((r) => r.account !== HUB && r.service !== "sts")).toEqual([]);
    } finally {
      aws.destroy();
    }
  });
});
