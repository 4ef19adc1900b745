import {
  type CreateEventSourceMappingCommandInput,
  type EventSourceMappingConfiguration,
  GetEventSourceMappingCommand,
  UpdateEventSourceMappingCommand,
  type UpdateEventSourceMappingCommandInput,
} from "@aws-sdk/client-lambda";
import pino from "pino";
import { beforeEach, describe, expect, it } from "vitest";
import type { RequestEvent } from "../../../src/aws/clients.js";
import { ResourceError } from "../../../src/aws/errors.js";
import {
  type EventSourceMappingActual,
  type EventSourceMappingSpec,
  eventSourceMapping,
} from "../../../src/kinds/event-source-mapping.js";
import type { DesiredResource, KindContext } from "../../../src/kinds/kind.js";
import {
  createFunction,
  createMapping,
  createQueue,
  createStream,
  createTableStream,
  resetMoto,
  sdk,
  TEST_REGION,
  testAwsClients,
} from "../../support/aws.js";
import { FaultProxy } from "../../support/fault-proxy.js";

type Resource = DesiredResource<EventSourceMappingSpec>;

let ctx: KindContext;
let requests: RequestEvent[];

beforeEach(async () => {
  await resetMoto();
  const clients = testAwsClients();
  ctx = { aws: clients.aws, log: pino({ level: "silent" }) };
  requests = clients.requests;
  return () => clients.aws.destroy();
});

function desired(name: string, spec: Record<string, unknown>): Resource {
  const parsed = eventSourceMapping.specSchema.parse(spec);
  const region = parsed.region ?? TEST_REGION;
  return { name, region, identity: eventSourceMapping.identity(parsed, region), spec: parsed };
}

async function readAll(
  resources: Resource[],
): Promise<Map<string, EventSourceMappingActual | ResourceError>> {
  return eventSourceMapping.read(ctx, resources);
}

async function readOk(resource: Resource): Promise<EventSourceMappingActual> {
  const outcome = (await readAll([resource])).get(resource.identity);
  if (!outcome || outcome instanceof ResourceError) throw outcome ?? new Error("no outcome");
  return outcome;
}

async function get(uuid: string): Promise<EventSourceMappingConfiguration> {
  return sdk().lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }));
}

/** Someone changing the mapping by hand. */
async function drift(input: UpdateEventSourceMappingCommandInput): Promise<void> {
  await sdk().lambda.send(new UpdateEventSourceMappingCommand(input));
}

const count = (operation: string) => requests.filter((r) => r.operation === operation).length;

interface Scenario {
  seed: () => Promise<{ sourceArn: string; dlq: string }>;
  create: (dlq: string) => Partial<CreateEventSourceMappingCommandInput>;
  /** Fields that differ right after seeding, before anyone drifts anything. */
  initiallyDrifted: string[];
  manifest: (dlq: string) => Record<string, unknown>;
  drift: Omit<UpdateEventSourceMappingCommandInput, "UUID">;
  drifted: string[];
  /** A field the manifest omits, drifted too: apply must leave it as it is. */
  unmanaged: {
    input: Omit<UpdateEventSourceMappingCommandInput, "UUID">;
    check: (c: EventSourceMappingConfiguration) => unknown;
  };
  readBack: (c: EventSourceMappingConfiguration, dlq: string) => void;
}

const withDlq = async (sourceArn: Promise<string>) => ({
  sourceArn: await sourceArn,
  dlq: (await createQueue("failed")).arn,
});

const scenarios: Record<string, Scenario> = {
  Kinesis: {
    seed: () => withDlq(createStream("orders")),
    create: (dlq) => ({
      MaximumRetryAttempts: 3,
      MaximumRecordAgeInSeconds: 3600,
      BisectBatchOnFunctionError: true,
      DestinationConfig: { OnFailure: { Destination: dlq } },
    }),
    manifest: (dlq) => ({
      maximumRetryAttempts: 3,
      maximumRecordAgeInSeconds: 3600,
      bisectBatchOnFunctionError: true,
      onFailure: dlq,
    }),
    initiallyDrifted: [],
    drift: { MaximumRetryAttempts: 50, BisectBatchOnFunctionError: false },
    drifted: ["maximumRetryAttempts", "bisectBatchOnFunctionError"],
    unmanaged: { input: { ParallelizationFactor: 4 }, check: (c) => c.ParallelizationFactor },
    readBack: (c, dlq) => {
      expect(c).toMatchObject({
        MaximumRetryAttempts: 3,
        MaximumRecordAgeInSeconds: 3600,
        BisectBatchOnFunctionError: true,
      });
      expect(c.DestinationConfig?.OnFailure?.Destination).toBe(dlq);
    },
  },
  DynamoDB: {
    seed: () => withDlq(createTableStream("orders")),
    create: () => ({ MaximumRecordAgeInSeconds: 600, ParallelizationFactor: 2, BatchSize: 200 }),
    manifest: (dlq) => ({
      maximumRecordAgeInSeconds: 600,
      parallelizationFactor: 2,
      onFailure: dlq,
      batchSize: 200,
    }),
    // The mapping is seeded without a destination, so onFailure starts drifted.
    initiallyDrifted: ["onFailure"],
    drift: { MaximumRecordAgeInSeconds: -1, ParallelizationFactor: 10 },
    drifted: ["maximumRecordAgeInSeconds", "parallelizationFactor", "onFailure"],
    unmanaged: { input: { MaximumRetryAttempts: 7 }, check: (c) => c.MaximumRetryAttempts },
    readBack: (c, dlq) => {
      expect(c).toMatchObject({ MaximumRecordAgeInSeconds: 600, ParallelizationFactor: 2, BatchSize: 200 });
      expect(c.DestinationConfig?.OnFailure?.Destination).toBe(dlq);
    },
  },
  SQS: {
    seed: () => withDlq(createQueue("orders").then((q) => q.arn)),
    create: () => ({
      BatchSize: 50,
      MaximumBatchingWindowInSeconds: 2,
      FunctionResponseTypes: ["ReportBatchItemFailures"],
      ScalingConfig: { MaximumConcurrency: 10 },
    }),
    manifest: () => ({
      batchSize: 50,
      maximumBatchingWindowInSeconds: 2,
      functionResponseTypes: ["ReportBatchItemFailures"],
      maximumConcurrency: 10,
    }),
    initiallyDrifted: [],
    drift: { BatchSize: 20, ScalingConfig: { MaximumConcurrency: 100 }, FunctionResponseTypes: [] },
    drifted: ["batchSize", "functionResponseTypes", "maximumConcurrency"],
    unmanaged: { input: { Enabled: false }, check: (c) => c.State },
    readBack: (c) => {
      expect(c).toMatchObject({
        BatchSize: 50,
        MaximumBatchingWindowInSeconds: 2,
        FunctionResponseTypes: ["ReportBatchItemFailures"],
        ScalingConfig: { MaximumConcurrency: 10 },
      });
    },
  },
};

describe("EventSourceMapping against moto", () => {
  for (const [name, s] of Object.entries(scenarios)) {
    it(`${name}: finds drift, repairs exactly the drifted fields and converges`, async () => {
      await createFunction("orders-processor");
      const { sourceArn, dlq } = await s.seed();
      const uuid = await createMapping("orders-processor", sourceArn, s.create(dlq));
      const resource = desired("orders", {
        functionName: "orders-processor",
        eventSourceArn: sourceArn,
        ...s.manifest(dlq),
      });
      const initial = eventSourceMapping.diff(resource.spec, await readOk(resource));
      expect(initial.map((c) => c.field)).toEqual(s.initiallyDrifted);

      await drift({ UUID: uuid, ...s.drift, ...s.unmanaged.input });
      const unmanagedBefore = s.unmanaged.check(await get(uuid));
      const actual = await readOk(resource);
      expect(actual).toMatchObject({ uuid, eventSourceArn: sourceArn });
      const changes = eventSourceMapping.diff(resource.spec, actual);
      expect(changes.map((c) => c.field).sort()).toEqual([...s.drifted].sort());

      await eventSourceMapping.apply(ctx, resource, actual, changes);
      const after = await get(uuid);
      s.readBack(after, dlq);
      expect(s.unmanaged.check(after)).toEqual(unmanagedBefore);
      expect(eventSourceMapping.diff(resource.spec, await readOk(resource))).toEqual([]);
    });
  }

  it("null removes onFailure from a stream and the cap and response types from a queue", async () => {
    await createFunction("fn");
    const stream = await createStream("s");
    const queue = (await createQueue("q")).arn;
    const dlq = (await createQueue("failed")).arn;
    const streamUuid = await createMapping("fn", stream, {
      DestinationConfig: { OnFailure: { Destination: dlq } },
    });
    const queueUuid = await createMapping("fn", queue, {
      ScalingConfig: { MaximumConcurrency: 5 },
      FunctionResponseTypes: ["ReportBatchItemFailures"],
    });
    const resources = [
      desired("stream", { functionName: "fn", eventSourceArn: stream, onFailure: null }),
      desired("queue", {
        functionName: "fn",
        eventSourceArn: queue,
        maximumConcurrency: null,
        functionResponseTypes: null,
      }),
    ];
    const read = await readAll(resources);
    const expected = [
      [{ field: "onFailure", actual: dlq, desired: null }],
      [
        { field: "functionResponseTypes", actual: ["ReportBatchItemFailures"], desired: null },
        { field: "maximumConcurrency", actual: 5, desired: null },
      ],
    ];
    for (const [i, r] of resources.entries()) {
      const actual = read.get(r.identity) as EventSourceMappingActual;
      const changes = eventSourceMapping.diff(r.spec, actual);
      expect(changes).toEqual(expected[i]);
      await eventSourceMapping.apply(ctx, r, actual, changes);
    }
    expect((await get(streamUuid)).DestinationConfig?.OnFailure?.Destination || undefined).toBeUndefined();
    const q = await get(queueUuid);
    expect(q.ScalingConfig?.MaximumConcurrency).toBeUndefined();
    expect(q.FunctionResponseTypes ?? []).toEqual([]);
    const again = await readAll(resources);
    for (const r of resources)
      expect(eventSourceMapping.diff(r.spec, again.get(r.identity) as EventSourceMappingActual)).toEqual([]);
  });

  it("refuses an SQS batch size over 10 against the mapping's stored window of 0 before any Update (AWS would too)", async () => {
    await createFunction("fn");
    const queue = await createQueue("q");
    const uuid = await createMapping("fn", queue.arn, {});
    const resource = desired("m", { functionName: "fn", eventSourceArn: queue.arn, batchSize: 11 });
    requests.length = 0;
    expect((await readAll([resource])).get(resource.identity)).toMatchObject({
      code: "InvalidForSource",
      retry: "terminal",
      message: expect.stringContaining("maximumBatchingWindowInSeconds 0"),
    });
    expect(requests.map((r) => r.operation)).toEqual(["ListEventSourceMappings"]);
    // What the emulator, as recorded against AWS, answers the Update retryctl did not send.
    await expect(
      sdk().lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, BatchSize: 11 })),
    ).rejects.toMatchObject({
      name: "InvalidParameterValueException",
      message:
        "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10",
    });
  });

  it("sends only the changed fields, so fields the manifest omits keep their values", async () => {
    await createFunction("fn");
    const stream = await createStream("s");
    const uuid = await createMapping("fn", stream, {
      MaximumRetryAttempts: 9,
      BatchSize: 300,
      TumblingWindowInSeconds: 60,
    });
    const resource = desired("m", { functionName: "fn", eventSourceArn: stream, maximumRetryAttempts: 2 });
    const actual = await readOk(resource);
    await eventSourceMapping.apply(ctx, resource, actual, eventSourceMapping.diff(resource.spec, actual));
    expect(await get(uuid)).toMatchObject({
      MaximumRetryAttempts: 2,
      BatchSize: 300,
      TumblingWindowInSeconds: 60,
    });
  });

  for (const size of [3, 6]) {
    it(`a missing mapping fails alone in a batch of ${size} (${size <= 3 ? "filtered" : "listed"} read)`, async () => {
      await createFunction("fn");
      const resources: Resource[] = [];
      for (let i = 0; i < size; i++) {
        const queue = (await createQueue(`q${i}`)).arn;
        if (i > 0) await createMapping("fn", queue);
        resources.push(desired(`m${i}`, { functionName: "fn", eventSourceArn: queue, batchSize: 5 }));
      }
      const read = await readAll(resources);
      expect(count("ListEventSourceMappings")).toBe(size <= 3 ? size : 1);
      const [missing, ...present] = resources;
      expect(read.get(missing!.identity)).toMatchObject({ code: "MappingNotFound", retry: "terminal" });
      expect(read.get(missing!.identity)).toBeInstanceOf(ResourceError);
      for (const r of present) {
        const actual = read.get(r.identity) as EventSourceMappingActual;
        await eventSourceMapping.apply(ctx, r, actual, eventSourceMapping.diff(r.spec, actual));
        expect((await get(actual.uuid)).BatchSize).toBe(5);
      }
    });
  }

  it("serves every function of one source with one filtered List", async () => {
    const queue = (await createQueue("shared")).arn;
    for (const fn of ["a", "b"]) {
      await createFunction(fn);
      await createMapping(fn, queue);
    }
    const resources = ["a", "b"].map((fn) => desired(fn, { functionName: fn, eventSourceArn: queue }));
    const read = await readAll(resources);
    expect(count("ListEventSourceMappings")).toBe(1);
    expect(resources.map((r) => (read.get(r.identity) as EventSourceMappingActual).functionArn)).toEqual([
      expect.stringMatching(/:function:a$/),
      expect.stringMatching(/:function:b$/),
    ]);
  });

  it("names the function by ARN or partial ARN as well as by name", async () => {
    const fnArn = await createFunction("fn");
    const queue = (await createQueue("q")).arn;
    const uuid = await createMapping("fn", queue);
    for (const functionName of [fnArn, "123456789012:function:fn"]) {
      expect(await readOk(desired("m", { functionName, eventSourceArn: queue }))).toMatchObject({ uuid });
    }
  });

  it("manages a mapping created on fn:$LATEST from a manifest naming plain fn (and the other way round)", async () => {
    // AWS echoes `:$LATEST` in FunctionArn as the mapping was created (recorded); moto 5.2 drops it.
    // Either way both spellings must find the one mapping and converge.
    const fnArn = await createFunction("fn");
    const uuid = await createMapping(`${fnArn}:$LATEST`, (await createQueue("q")).arn, { BatchSize: 7 });
    const plain = await createMapping("fn", (await createQueue("q2")).arn, { BatchSize: 7 });
    const cases: [string, string, string][] = [
      ["fn", "q", uuid],
      ["fn:$LATEST", "q2", plain],
    ];
    for (const [functionName, queue, expected] of cases) {
      const r = desired("m", { functionName, eventSourceArn: (await createQueue(queue)).arn, batchSize: 5 });
      const actual = await readOk(r);
      expect(actual.uuid).toBe(expected);
      const changes = eventSourceMapping.diff(r.spec, actual);
      expect(changes.map((c) => c.field)).toEqual(["batchSize"]);
      await eventSourceMapping.apply(ctx, r, actual, changes);
      expect((await get(expected)).BatchSize).toBe(5);
      expect(eventSourceMapping.diff(r.spec, await readOk(r))).toEqual([]);
    }
  });

  it("reads a uuid-only manifest with GetEventSourceMapping and validates it against the source found", async () => {
    await createFunction("fn");
    const uuid = await createMapping("fn", (await createQueue("q")).arn);
    expect(await readOk(desired("ok", { functionName: "fn", uuid, batchSize: 5 }))).toMatchObject({
      uuid,
      source: "sqs",
    });
    expect(count("GetEventSourceMapping")).toBe(1);
    const wrong = desired("wrong", { functionName: "fn", uuid, maximumRetryAttempts: 3 });
    const unknown = desired("unknown", { functionName: "fn", uuid: "00000000-0000-4000-8000-000000000000" });
    const read = await readAll([wrong, unknown]);
    expect(read.get(wrong.identity)).toMatchObject({
      code: "InvalidForSource",
      message: expect.stringMatching(/QueueRedrivePolicy/),
    });
    expect(read.get(unknown.identity)).toMatchObject({ code: "MappingNotFound", retry: "terminal" });
  });

  it("reads more than 100 mappings with one List call per 100", async () => {
    const total = 250;
    await createFunction("fn");
    const queues: string[] = [];
    for (let start = 0; start < total; start += 25) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(25, total - start) }, async (_, i) => {
          const queue = (await createQueue(`bulk-${start + i}`)).arn;
          await createMapping("fn", queue);
          return queue;
        }),
      );
      queues.push(...batch);
    }
    const resources = queues.map((queue, i) =>
      desired(`m${i}`, { functionName: "fn", eventSourceArn: queue }),
    );
    const read = await readAll(resources);
    expect(count("ListEventSourceMappings")).toBe(Math.ceil(total / 100));
    expect(count("GetEventSourceMapping")).toBe(0);
    const outcomes = resources.map((r) => read.get(r.identity));
    expect(outcomes.filter((o) => o instanceof ResourceError)).toEqual([]);
    expect(new Set(outcomes.map((o) => (o as EventSourceMappingActual).uuid)).size).toBe(total);
  });

  it("waits on a mapping in motion instead of failing, then converges", async () => {
    const proxy = await FaultProxy.start();
    const viaProxy = testAwsClients({ endpoint: proxy.endpoint });
    const proxied: KindContext = { aws: viaProxy.aws, log: ctx.log };
    try {
      await createFunction("fn");
      const queue = (await createQueue("q")).arn;
      proxy.set({ esmInUseMs: 1500 });
      const uuid = await createMapping("fn", queue, {}, proxy.endpoint);
      const resource = desired("m", { functionName: "fn", eventSourceArn: queue, batchSize: 5 });
      const read = async () => (await eventSourceMapping.read(proxied, [resource])).get(resource.identity);

      // The mapping reads as Creating: apply waits without sending an update AWS would refuse.
      const creating = (await read()) as EventSourceMappingActual;
      expect(creating.state).toBe("Creating");
      const changes = eventSourceMapping.diff(resource.spec, creating);
      const waiting = await eventSourceMapping
        .apply(proxied, resource, creating, changes)
        .catch((e: unknown) => e);
      expect(waiting).toMatchObject({ code: "ResourceInUse", retry: "waiting" });
      expect(proxy.count({ operation: "UpdateEventSourceMapping" })).toBe(0);

      // A state read just before someone else's update is stale: AWS's ResourceInUseException is a wait too.
      await new Promise((r) => setTimeout(r, 1600));
      const enabled = (await read()) as EventSourceMappingActual;
      expect(enabled.state).toBe("Enabled");
      await sdk(proxy.endpoint).lambda.send(
        new UpdateEventSourceMappingCommand({ UUID: uuid, BatchSize: 7 }),
      );
      const refused = await eventSourceMapping
        .apply(proxied, resource, enabled, changes)
        .catch((e: unknown) => e);
      expect(refused).toMatchObject({ code: "ResourceInUse", retry: "waiting" });
      expect(proxy.injected().esmInUse).toBe(1);

      await new Promise((r) => setTimeout(r, 1600));
      const settled = (await read()) as EventSourceMappingActual;
      await eventSourceMapping.apply(
        proxied,
        resource,
        settled,
        eventSourceMapping.diff(resource.spec, settled),
      );
      expect((await get(uuid)).BatchSize).toBe(5);
    } finally {
      viaProxy.aws.destroy();
      await proxy.close();
    }
  });
});
