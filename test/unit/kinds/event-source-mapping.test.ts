import { type EventSourceMappingConfiguration, GetEventSourceMappingCommand } from "@aws-sdk/client-lambda";
import { describe, expect, it } from "vitest";
import type { AwsClients } from "../../../src/aws/clients.js";
import { ResourceError } from "../../../src/aws/errors.js";
import { type EventSourceMappingSpec, eventSourceMapping } from "../../../src/kinds/event-source-mapping.js";
import { toActual, updateInput } from "../../../src/kinds/event-source-mapping-model.js";
import { resolve, sameFunction } from "../../../src/kinds/event-source-mapping-read.js";
import type { KindContext } from "../../../src/kinds/kind.js";
import { lintContext } from "./lint-context.js";

const ACCOUNT = "123456789012";
const KINESIS = `arn:aws:kinesis:us-east-1:${ACCOUNT}:stream/orders`;
const DYNAMO = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/orders/stream/2024-01-01T00:00:00.000`;
const SQS = `arn:aws:sqs:us-east-1:${ACCOUNT}:orders`;
const FIFO = `arn:aws:sqs:us-east-1:${ACCOUNT}:orders.fifo`;
const DLQ = `arn:aws:sqs:us-east-1:${ACCOUNT}:orders-failed`;
const FN_ARN = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:orders-processor`;
const UUID = "14e0db71-5d35-4eb5-b481-8945cf9d10c2";

const schema = eventSourceMapping.specSchema;

function parse(spec: Record<string, unknown>): EventSourceMappingSpec {
  return schema.parse({ functionName: "orders-processor", ...spec });
}

/** The issues of an invalid spec as `path: message` pairs. */
function issues(spec: Record<string, unknown>): { path: string; message: string }[] {
  const result = schema.safeParse({ functionName: "orders-processor", ...spec });
  expect(result.success).toBe(false);
  return (result.error?.issues ?? []).map((i) => ({ path: i.path.join("."), message: i.message }));
}

function config(over: Partial<EventSourceMappingConfiguration>): EventSourceMappingConfiguration {
  return { UUID, FunctionArn: FN_ARN, State: "Enabled", ...over };
}

function actualOf(spec: EventSourceMappingSpec, over: Partial<EventSourceMappingConfiguration>) {
  const actual = toActual(spec, config(over));
  if (actual instanceof ResourceError) throw actual;
  return actual;
}

const STREAM_ONLY = {
  maximumRetryAttempts: 3,
  maximumRecordAgeInSeconds: 3600,
  bisectBatchOnFunctionError: true,
  parallelizationFactor: 2,
  onFailure: DLQ,
};

describe("EventSourceMapping spec by source", () => {
  it("accepts the design's stream example", () => {
    const spec = parse({
      region: "us-east-1",
      eventSourceArn: KINESIS,
      batchSize: 100,
      maximumRetryAttempts: 3,
      maximumRecordAgeInSeconds: 3600,
      bisectBatchOnFunctionError: true,
      onFailure: DLQ,
    });
    expect(spec.maximumRetryAttempts).toBe(3);
  });

  for (const source of [SQS, FIFO]) {
    for (const [field, value] of Object.entries(STREAM_ONLY)) {
      it(`rejects ${field} on ${source.endsWith(".fifo") ? "a FIFO" : "a standard"} SQS source with the redrive hint`, () => {
        const found = issues({ eventSourceArn: source, [field]: value });
        expect(found).toHaveLength(1);
        expect(found[0]!.path).toBe(field);
        expect(found[0]!.message).toMatch(/QueueRedrivePolicy/);
        expect(found[0]!.message).toMatch(/maxReceiveCount and deadLetterQueue/);
      });
    }
  }

  it("rejects a stream-only field on SQS even when it is null, since the field does not exist there", () => {
    expect(issues({ eventSourceArn: SQS, onFailure: null })[0]!.path).toBe("onFailure");
  });

  it("rejects maximumConcurrency on Kinesis and DynamoDB streams", () => {
    for (const source of [KINESIS, DYNAMO]) {
      const found = issues({ eventSourceArn: source, maximumConcurrency: 5 });
      expect(found).toEqual([{ path: "maximumConcurrency", message: expect.stringMatching(/only to SQS/) }]);
    }
  });

  it("accepts the SQS fields on SQS", () => {
    const spec = parse({
      eventSourceArn: SQS,
      batchSize: 50,
      maximumBatchingWindowInSeconds: 5,
      functionResponseTypes: ["ReportBatchItemFailures"],
      maximumConcurrency: 2,
    });
    expect(spec.maximumConcurrency).toBe(2);
  });

  it("caps a FIFO queue's batch size at 10 and refuses a batching window on it", () => {
    expect(parse({ eventSourceArn: FIFO, batchSize: 10 }).batchSize).toBe(10);
    expect(issues({ eventSourceArn: FIFO, batchSize: 11 })).toEqual([
      { path: "batchSize", message: "must be at most 10 for an SQS FIFO queue" },
    ]);
    expect(issues({ eventSourceArn: FIFO, maximumBatchingWindowInSeconds: 1 })[0]!.path).toBe(
      "maximumBatchingWindowInSeconds",
    );
  });

  it("refuses batchSize > 10 with a zero window on standard SQS when both are in the manifest", () => {
    for (const window of [0, null]) {
      const found = issues({ eventSourceArn: SQS, batchSize: 11, maximumBatchingWindowInSeconds: window });
      expect(found).toEqual([
        { path: "maximumBatchingWindowInSeconds", message: expect.stringMatching(/at least 1/) },
      ]);
    }
    expect(
      parse({ eventSourceArn: SQS, batchSize: 10000, maximumBatchingWindowInSeconds: 1 }).batchSize,
    ).toBe(10000);
    // Streams are not held to it: their own default is 100 records with no window.
    expect(
      parse({ eventSourceArn: KINESIS, batchSize: 500, maximumBatchingWindowInSeconds: 0 }).batchSize,
    ).toBe(500);
  });

  it.each([
    ["batchSize", 0],
    ["batchSize", 10001],
    ["maximumBatchingWindowInSeconds", -1],
    ["maximumBatchingWindowInSeconds", 301],
    ["maximumRetryAttempts", -2],
    ["maximumRetryAttempts", 10001],
    ["maximumRecordAgeInSeconds", -2],
    ["maximumRecordAgeInSeconds", 0],
    ["maximumRecordAgeInSeconds", 59],
    ["maximumRecordAgeInSeconds", 604801],
    ["parallelizationFactor", 0],
    ["parallelizationFactor", 11],
    ["batchSize", 1.5],
  ])("rejects %s = %s on a stream", (field, value) => {
    const found = issues({ eventSourceArn: KINESIS, [field]: value });
    expect(found.map((i) => i.path)).toEqual([field]);
  });

  it.each([
    ["maximumConcurrency", 1],
    ["maximumConcurrency", 1001],
    ["functionResponseTypes", ["ReportBatchItemFailures", "ReportBatchItemFailures"]],
    ["functionResponseTypes", ["Everything"]],
  ])("rejects %s = %j on SQS", (field, value) => {
    const found = issues({ eventSourceArn: SQS, [field]: value });
    expect(found[0]!.path.startsWith(field)).toBe(true);
  });

  it("accepts the range edges", () => {
    const spec = parse({
      eventSourceArn: DYNAMO,
      batchSize: 10000,
      maximumBatchingWindowInSeconds: 300,
      maximumRetryAttempts: -1,
      maximumRecordAgeInSeconds: 60,
      parallelizationFactor: 10,
    });
    expect(spec.maximumRecordAgeInSeconds).toBe(60);
    expect(parse({ eventSourceArn: KINESIS, maximumRecordAgeInSeconds: -1 }).maximumRecordAgeInSeconds).toBe(
      -1,
    );
    expect(
      parse({ eventSourceArn: KINESIS, maximumRecordAgeInSeconds: 604800 }).maximumRecordAgeInSeconds,
    ).toBe(604800);
    expect(parse({ eventSourceArn: KINESIS, maximumRetryAttempts: 10000 }).maximumRetryAttempts).toBe(10000);
  });

  it("takes an SQS queue, SNS topic or S3 bucket as onFailure, nothing else", () => {
    for (const dest of [DLQ, `arn:aws:sns:us-east-1:${ACCOUNT}:alerts`, "arn:aws:s3:::failed-records"]) {
      expect(parse({ eventSourceArn: KINESIS, onFailure: dest }).onFailure).toBe(dest);
    }
    expect(issues({ eventSourceArn: KINESIS, onFailure: FN_ARN })[0]!.path).toBe("onFailure");
  });

  it("says Kafka, MQ and DocumentDB sources are out of scope", () => {
    const kafka = `arn:aws:kafka:us-east-1:${ACCOUNT}:cluster/c/abc`;
    const mq = `arn:aws:mq:us-east-1:${ACCOUNT}:broker:b:id`;
    const docdb = `arn:aws:rds:us-east-1:${ACCOUNT}:cluster:docs`;
    for (const arn of [kafka, mq, docdb]) {
      expect(issues({ eventSourceArn: arn })).toEqual([
        { path: "eventSourceArn", message: expect.stringMatching(/only Kinesis, DynamoDB stream and SQS/) },
      ]);
    }
  });

  it("asks for the stream ARN when given a DynamoDB table ARN", () => {
    const found = issues({ eventSourceArn: `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/orders` });
    expect(found[0]).toEqual({ path: "eventSourceArn", message: expect.stringMatching(/stream/) });
  });

  it("needs eventSourceArn or uuid, and reports it on the spec itself", () => {
    expect(issues({})).toEqual([{ path: "", message: expect.stringMatching(/eventSourceArn .* or uuid/) }]);
    expect(parse({ uuid: UUID }).uuid).toBe(UUID);
    expect(issues({ uuid: "not-a-uuid" })[0]!.path).toBe("uuid");
  });

  it("is strict about unknown fields and about the ARN's region", () => {
    expect(issues({ eventSourceArn: KINESIS, maxRetryAttempts: 3 })[0]!.path).toBe("");
    expect(issues({ region: "eu-west-1", eventSourceArn: KINESIS })[0]!.path).toBe("eventSourceArn");
    expect(
      issues({
        region: "eu-west-1",
        eventSourceArn: `arn:aws:kinesis:eu-west-1:${ACCOUNT}:stream/o`,
        functionName: FN_ARN,
      })[0]!.path,
    ).toBe("functionName");
  });
});

describe("EventSourceMapping identity", () => {
  it("is one mapping whether the function is named by partial ARN or ARN, with the account they name", () => {
    const forms = [`${ACCOUNT}:function:orders-processor`, FN_ARN, `${FN_ARN}:$LATEST`];
    const ids = forms.map((f) =>
      eventSourceMapping.identity(parse({ functionName: f, eventSourceArn: SQS }), "us-east-1"),
    );
    expect(new Set(ids)).toEqual(new Set([`us-east-1:${ACCOUNT}/orders-processor/${SQS}`]));
    const plain = ["orders-processor", "orders-processor:$LATEST"].map((f) =>
      eventSourceMapping.identity(parse({ functionName: f, eventSourceArn: SQS }), "us-east-1"),
    );
    expect(new Set(plain)).toEqual(new Set([`us-east-1/orders-processor/${SQS}`]));
  });

  it("tells qualifiers, sources and regions apart", () => {
    const id = (spec: Record<string, unknown>, region = "us-east-1") =>
      eventSourceMapping.identity(parse(spec), region);
    const base = id({ eventSourceArn: SQS });
    expect(id({ functionName: "orders-processor:live", eventSourceArn: SQS })).not.toBe(base);
    expect(id({ eventSourceArn: FIFO })).not.toBe(base);
    expect(id({ eventSourceArn: SQS }, "us-west-2")).not.toBe(base);
  });

  it("is region + uuid when a uuid is given", () => {
    expect(eventSourceMapping.identity(parse({ uuid: UUID, eventSourceArn: SQS }), "us-east-1")).toBe(
      `us-east-1/${UUID}`,
    );
    expect(issues({ uuid: UUID.toUpperCase() })[0]!.path).toBe("uuid");
  });
});

describe("EventSourceMapping diff", () => {
  it("sees no onFailure in every shape AWS uses for none", () => {
    const spec = parse({ eventSourceArn: KINESIS, onFailure: null });
    const shapes: Partial<EventSourceMappingConfiguration>[] = [
      {},
      { DestinationConfig: {} },
      { DestinationConfig: { OnFailure: {} } },
      { DestinationConfig: { OnFailure: { Destination: null as unknown as string } } },
      { DestinationConfig: { OnFailure: { Destination: "" } } },
    ];
    for (const shape of shapes) {
      expect(eventSourceMapping.diff(spec, actualOf(spec, { EventSourceArn: KINESIS, ...shape }))).toEqual(
        [],
      );
    }
  });

  it("sees no cap in an empty ScalingConfig and no response types in an empty list", () => {
    const spec = parse({ eventSourceArn: SQS, maximumConcurrency: null, functionResponseTypes: null });
    const actual = actualOf(spec, { EventSourceArn: SQS, ScalingConfig: {}, FunctionResponseTypes: [] });
    expect(eventSourceMapping.diff(spec, actual)).toEqual([]);
    const emptyList = parse({ eventSourceArn: SQS, functionResponseTypes: [] });
    expect(eventSourceMapping.diff(emptyList, actualOf(emptyList, { EventSourceArn: SQS }))).toEqual([]);
  });

  it("fills the per-source AWS defaults, so explicit defaults and null match an absent value", () => {
    const stream = parse({
      eventSourceArn: DYNAMO,
      batchSize: 100,
      maximumBatchingWindowInSeconds: 0,
      maximumRetryAttempts: -1,
      maximumRecordAgeInSeconds: null,
      bisectBatchOnFunctionError: false,
      parallelizationFactor: 1,
    });
    expect(eventSourceMapping.diff(stream, actualOf(stream, { EventSourceArn: DYNAMO }))).toEqual([]);
    const queue = parse({ eventSourceArn: SQS, batchSize: 10, maximumBatchingWindowInSeconds: null });
    expect(eventSourceMapping.diff(queue, actualOf(queue, { EventSourceArn: SQS }))).toEqual([]);
    const queueAt100 = parse({ eventSourceArn: SQS, batchSize: null });
    expect(
      eventSourceMapping.diff(queueAt100, actualOf(queueAt100, { EventSourceArn: SQS, BatchSize: 100 })),
    ).toEqual([{ field: "batchSize", actual: 100, desired: 10 }]);
  });

  it("reads the shapes recorded against AWS with no diff, whatever their volatile fields say", () => {
    // aws-recorded-behaviour.md §5: a stream mapping's defaults and an SQS mapping's keys, verbatim.
    const stream: Partial<EventSourceMappingConfiguration> = {
      EventSourceArn: KINESIS,
      BatchSize: 100,
      BisectBatchOnFunctionError: false,
      DestinationConfig: { OnFailure: {} },
      FunctionResponseTypes: [],
      LastProcessingResult: "No records processed",
      MaximumBatchingWindowInSeconds: 0,
      MaximumRecordAgeInSeconds: -1,
      MaximumRetryAttempts: -1,
      ParallelizationFactor: 1,
      StartingPosition: "LATEST",
      State: "Creating",
      StateTransitionReason: "User action",
      TumblingWindowInSeconds: 0,
    };
    const queue: Partial<EventSourceMappingConfiguration> = {
      EventSourceArn: SQS,
      BatchSize: 10,
      FunctionResponseTypes: [],
      MaximumBatchingWindowInSeconds: 0,
      State: "Disabled",
      StateTransitionReason: "USER_INITIATED",
    };
    const streamSpec = parse({
      eventSourceArn: KINESIS,
      batchSize: 100,
      maximumRetryAttempts: -1,
      maximumRecordAgeInSeconds: -1,
      bisectBatchOnFunctionError: false,
      parallelizationFactor: 1,
      maximumBatchingWindowInSeconds: 0,
      onFailure: null,
      functionResponseTypes: [],
    });
    const queueSpec = parse({
      eventSourceArn: SQS,
      batchSize: 10,
      maximumBatchingWindowInSeconds: 0,
      functionResponseTypes: null,
      maximumConcurrency: null,
    });
    const volatile: Partial<EventSourceMappingConfiguration>[] = [
      {},
      { State: "Enabled", LastProcessingResult: "OK", LastModified: new Date(0) },
      { State: "Updating", StateTransitionReason: "User action", LastModified: new Date() },
    ];
    for (const over of volatile) {
      expect(eventSourceMapping.diff(streamSpec, actualOf(streamSpec, { ...stream, ...over }))).toEqual([]);
      expect(eventSourceMapping.diff(queueSpec, actualOf(queueSpec, { ...queue, ...over }))).toEqual([]);
    }
  });

  it("lists exactly the drifted managed fields and never an omitted one", () => {
    const spec = parse({ eventSourceArn: KINESIS, maximumRetryAttempts: 3, onFailure: DLQ, batchSize: 100 });
    const actual = actualOf(spec, {
      EventSourceArn: KINESIS,
      BatchSize: 100,
      MaximumRetryAttempts: 10,
      ParallelizationFactor: 7,
      BisectBatchOnFunctionError: true,
    });
    expect(eventSourceMapping.diff(spec, actual)).toEqual([
      { field: "maximumRetryAttempts", actual: 10, desired: 3 },
      { field: "onFailure", actual: null, desired: DLQ },
    ]);
  });

  it("turns null into the default on the way back", () => {
    const spec = parse({ eventSourceArn: KINESIS, maximumRetryAttempts: null, onFailure: null });
    const actual = actualOf(spec, {
      EventSourceArn: KINESIS,
      MaximumRetryAttempts: 5,
      DestinationConfig: { OnFailure: { Destination: DLQ } },
    });
    expect(eventSourceMapping.diff(spec, actual)).toEqual([
      { field: "maximumRetryAttempts", actual: 5, desired: -1 },
      { field: "onFailure", actual: DLQ, desired: null },
    ]);
  });
});

describe("EventSourceMapping update input", () => {
  it("sends only the changed fields", () => {
    expect(updateInput(UUID, [{ field: "batchSize", actual: 10, desired: 20 }])).toEqual({
      UUID,
      BatchSize: 20,
    });
  });

  it("encodes removals the way the Lambda model documents them", () => {
    const input = updateInput(UUID, [
      { field: "onFailure", actual: DLQ, desired: null },
      { field: "maximumConcurrency", actual: 5, desired: null },
      { field: "functionResponseTypes", actual: ["ReportBatchItemFailures"], desired: null },
      { field: "maximumRetryAttempts", actual: 5, desired: -1 },
    ]);
    expect(input).toEqual({
      UUID,
      DestinationConfig: { OnFailure: { Destination: "" } },
      ScalingConfig: {},
      FunctionResponseTypes: [],
      MaximumRetryAttempts: -1,
    });
  });

  it("encodes set values inside their API structures", () => {
    expect(
      updateInput(UUID, [
        { field: "onFailure", actual: null, desired: DLQ },
        { field: "maximumConcurrency", actual: null, desired: 50 },
      ]),
    ).toEqual({
      UUID,
      DestinationConfig: { OnFailure: { Destination: DLQ } },
      ScalingConfig: { MaximumConcurrency: 50 },
    });
  });

  it("refuses a field it does not manage", () => {
    expect(() => updateInput(UUID, [{ field: "enabled", actual: true, desired: false }])).toThrow(
      ResourceError,
    );
  });
});

describe("EventSourceMapping matching", () => {
  const resource = (spec: Record<string, unknown>) => ({
    name: "m",
    region: "us-east-1",
    identity: "id",
    spec: parse(spec),
  });

  it("matches an unqualified name to the unqualified or $LATEST FunctionArn, not to an alias", () => {
    const ref = { name: "orders-processor" };
    expect(sameFunction(ref, FN_ARN)).toBe(true);
    expect(sameFunction(ref, `${FN_ARN}:live`)).toBe(false);
    expect(sameFunction(ref, `${FN_ARN}:$LATEST`)).toBe(true);
    expect(sameFunction({ name: "orders-processor", qualifier: "$LATEST" }, FN_ARN)).toBe(true);
    expect(sameFunction({ name: "orders-processor", qualifier: "live" }, `${FN_ARN}:$LATEST`)).toBe(false);
    expect(sameFunction({ name: "orders-processor", qualifier: "live" }, `${FN_ARN}:live`)).toBe(true);
    expect(sameFunction({ name: "orders-processor", account: "999999999999" }, FN_ARN)).toBe(false);
  });

  it("picks the mapping of the manifest's function among those of the source", () => {
    const configs = [
      config({ UUID: "a", EventSourceArn: KINESIS, FunctionArn: `${FN_ARN}:live` }),
      config({ UUID: "b", EventSourceArn: KINESIS, FunctionArn: FN_ARN }),
      config({ UUID: "c", EventSourceArn: SQS, FunctionArn: FN_ARN }),
    ];
    const plain = resolve(resource({ eventSourceArn: KINESIS, functionName: FN_ARN }), configs);
    expect(plain).toMatchObject({ uuid: "b", source: "kinesis" });
    const alias = resolve(
      resource({ eventSourceArn: KINESIS, functionName: "orders-processor:live" }),
      configs,
    );
    expect(alias).toMatchObject({ uuid: "a" });
  });

  it("finds a mapping created on fn:$LATEST for a manifest naming plain fn (AWS echoes the qualifier)", () => {
    const configs = [config({ EventSourceArn: SQS, FunctionArn: `${FN_ARN}:$LATEST` })];
    expect(resolve(resource({ eventSourceArn: SQS }), configs)).toMatchObject({ uuid: UUID });
    expect(resolve(resource({ uuid: UUID }), configs)).toMatchObject({ uuid: UUID });
  });

  it("reports a missing mapping as MappingNotFound, terminal", () => {
    const outcome = resolve(resource({ eventSourceArn: DYNAMO }), [config({ EventSourceArn: KINESIS })]);
    expect(outcome).toBeInstanceOf(ResourceError);
    expect(outcome).toMatchObject({ code: "MappingNotFound", retry: "terminal" });
  });

  it("refuses to guess between two matching mappings", () => {
    const twins = [config({ UUID: "a", EventSourceArn: SQS }), config({ UUID: "b", EventSourceArn: SQS })];
    expect(resolve(resource({ eventSourceArn: SQS }), twins)).toMatchObject({ code: "AmbiguousMapping" });
  });

  it("checks a uuid's mapping against the manifest's function and source", () => {
    const mapping = [config({ EventSourceArn: SQS })];
    expect(resolve(resource({ uuid: UUID }), mapping)).toMatchObject({ uuid: UUID, source: "sqs" });
    expect(resolve(resource({ uuid: UUID, functionName: "other" }), mapping)).toMatchObject({
      code: "MappingMismatch",
    });
    expect(resolve(resource({ uuid: UUID, eventSourceArn: FIFO }), mapping)).toMatchObject({
      code: "MappingMismatch",
    });
  });

  it("validates a uuid-only manifest against the source it finds", () => {
    const sqs = [config({ EventSourceArn: SQS })];
    const outcome = resolve(resource({ uuid: UUID, maximumRetryAttempts: 3 }), sqs);
    expect(outcome).toMatchObject({ code: "InvalidForSource", retry: "terminal" });
    expect((outcome as ResourceError).message).toMatch(/spec\.maximumRetryAttempts .*QueueRedrivePolicy/);
    const stream = [config({ EventSourceArn: KINESIS })];
    expect(resolve(resource({ uuid: UUID, maximumConcurrency: 5 }), stream)).toMatchObject({
      code: "InvalidForSource",
    });
    const kafka = [config({ EventSourceArn: `arn:aws:kafka:us-east-1:${ACCOUNT}:cluster/c/abc` })];
    expect(resolve(resource({ uuid: UUID }), kafka)).toMatchObject({ code: "InvalidForSource" });
  });

  it("refuses a batch size above 10 on SQS that would meet the mapping's zero window", () => {
    const outcome = resolve(resource({ eventSourceArn: SQS, batchSize: 50 }), [
      config({ EventSourceArn: SQS }),
    ]);
    expect(outcome).toMatchObject({ code: "InvalidForSource" });
    const withWindow = [config({ EventSourceArn: SQS, MaximumBatchingWindowInSeconds: 2 })];
    expect(resolve(resource({ eventSourceArn: SQS, batchSize: 50 }), withWindow)).toMatchObject({
      uuid: UUID,
    });
  });

  it("throws InvalidForSource from diff when the spec does not fit the mapping's source", () => {
    const spec = parse({ uuid: UUID, maximumRetryAttempts: 3 });
    const sqsActual = actualOf(parse({ uuid: UUID }), { EventSourceArn: SQS });
    expect(() => eventSourceMapping.diff(spec, sqsActual)).toThrow(/InvalidForSource|SQS/);
  });
});

/** A Lambda client per region answering from `answer`, recording every call as `region Operation input`. */
function fakeAws(answer: (region: string, command: { input: Record<string, unknown> }) => unknown) {
  const calls: { region: string; operation: string; input: Record<string, unknown> }[] = [];
  const aws = {
    lambda: (region: string) => ({
      send: async (command: { input: Record<string, unknown> }) => {
        calls.push({
          region,
          operation: command.constructor.name.replace(/Command$/, ""),
          input: command.input,
        });
        const out = answer(region, command);
        if (out instanceof Error) throw out;
        return out;
      },
    }),
  } as unknown as AwsClients;
  const ctx: KindContext = { aws, log: undefined as unknown as KindContext["log"] };
  return { ctx, calls };
}

function awsError(name: string, status: number): Error {
  return Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
}

describe("EventSourceMapping read planning", () => {
  const resource = (spec: Record<string, unknown>, region = "us-east-1") => {
    const parsed = parse(spec);
    return { name: "m", region, identity: eventSourceMapping.identity(parsed, region), spec: parsed };
  };
  const mapping = (uuid: string, arn: string) => config({ UUID: uuid, EventSourceArn: arn });

  it("uses one filtered List per source and one Get per uuid-only manifest in a small batch", async () => {
    const { ctx, calls } = fakeAws((_, command) =>
      command instanceof GetEventSourceMappingCommand
        ? mapping(UUID, FIFO)
        : {
            EventSourceMappings: [mapping("k", KINESIS), mapping("s", SQS)].filter(
              (m) => m.EventSourceArn === command.input.EventSourceArn,
            ),
          },
    );
    const resources = [
      resource({ eventSourceArn: KINESIS }),
      resource({ eventSourceArn: SQS }),
      resource({ uuid: UUID }),
    ];
    const read = await eventSourceMapping.read(ctx, resources);
    expect(calls.map((c) => `${c.operation} ${c.input.EventSourceArn ?? c.input.UUID}`).sort()).toEqual(
      [
        `GetEventSourceMapping ${UUID}`,
        `ListEventSourceMappings ${KINESIS}`,
        `ListEventSourceMappings ${SQS}`,
      ].sort(),
    );
    expect(resources.map((r) => (read.get(r.identity) as { uuid: string }).uuid)).toEqual(["k", "s", UUID]);
  });

  it("pages through the unfiltered listing, 100 at a time, for a larger batch", async () => {
    const sources = [KINESIS, DYNAMO, SQS, FIFO];
    const { ctx, calls } = fakeAws((_, command) =>
      command.input.Marker === undefined
        ? { EventSourceMappings: [mapping("a", KINESIS), mapping("b", DYNAMO)], NextMarker: "p2" }
        : { EventSourceMappings: [mapping("c", SQS), mapping("d", FIFO)] },
    );
    const read = await eventSourceMapping.read(
      ctx,
      sources.map((arn) => resource({ eventSourceArn: arn })),
    );
    expect(calls.map((c) => c.input)).toEqual([
      { EventSourceArn: undefined, Marker: undefined, MaxItems: 100 },
      { EventSourceArn: undefined, Marker: "p2", MaxItems: 100 },
    ]);
    expect([...read.values()].map((a) => (a as { uuid: string }).uuid)).toEqual(["a", "b", "c", "d"]);
  });

  it("plans each region on its own client", async () => {
    const west = `arn:aws:sqs:us-west-2:${ACCOUNT}:orders`;
    const { ctx, calls } = fakeAws((region) => ({
      EventSourceMappings: [mapping(region, region === "us-west-2" ? west : SQS)],
    }));
    const resources = [resource({ eventSourceArn: SQS }), resource({ eventSourceArn: west }, "us-west-2")];
    const read = await eventSourceMapping.read(ctx, resources);
    expect(calls.map((c) => c.region).sort()).toEqual(["us-east-1", "us-west-2"]);
    expect(resources.map((r) => (read.get(r.identity) as { uuid: string }).uuid)).toEqual([
      "us-east-1",
      "us-west-2",
    ]);
  });

  it("marks only the manifests a failed call served", async () => {
    const { ctx } = fakeAws((_, command) =>
      command.input.EventSourceArn === KINESIS
        ? awsError("TooManyRequestsException", 429)
        : { EventSourceMappings: [mapping("s", SQS)] },
    );
    const [throttled, fine] = [resource({ eventSourceArn: KINESIS }), resource({ eventSourceArn: SQS })];
    const read = await eventSourceMapping.read(ctx, [throttled!, fine!]);
    expect(read.get(throttled!.identity)).toMatchObject({ code: "Throttled", retry: "transient" });
    expect(read.get(fine!.identity)).toMatchObject({ uuid: "s" });
  });

  it("stops a listing whose marker repeats instead of paging forever", async () => {
    const { ctx, calls } = fakeAws(() => ({ EventSourceMappings: [], NextMarker: "again" }));
    const resources = [KINESIS, DYNAMO, SQS, FIFO].map((arn) => resource({ eventSourceArn: arn }));
    const read = await eventSourceMapping.read(ctx, resources);
    expect(calls).toHaveLength(2);
    for (const r of resources) expect(read.get(r.identity)).toMatchObject({ retry: "transient" });
  });

  it("reports an ARN outside the resolved region without calling AWS", async () => {
    const { ctx, calls } = fakeAws(() => ({ EventSourceMappings: [] }));
    const west = resource({ eventSourceArn: `arn:aws:kinesis:us-west-2:${ACCOUNT}:stream/o` });
    const read = await eventSourceMapping.read(ctx, [west]);
    expect(read.get(west.identity)).toMatchObject({ code: "RegionMismatch", retry: "terminal" });
    expect(calls).toEqual([]);
  });

  it("turns a 404 on Get into MappingNotFound", async () => {
    const { ctx } = fakeAws(() => awsError("ResourceNotFoundException", 404));
    const r = resource({ uuid: UUID });
    expect((await eventSourceMapping.read(ctx, [r])).get(r.identity)).toMatchObject({
      code: "MappingNotFound",
      retry: "terminal",
    });
  });
});

describe("EventSourceMapping apply", () => {
  const noAws: KindContext = {
    aws: {
      lambda: () => {
        throw new Error("no AWS call expected");
      },
    } as unknown as AwsClients,
    log: undefined as unknown as KindContext["log"],
  };

  it("updates by UUID with the changed fields, and classifies what AWS answers", async () => {
    const spec = parse({ eventSourceArn: KINESIS, onFailure: null });
    const actual = actualOf(spec, {
      EventSourceArn: KINESIS,
      DestinationConfig: { OnFailure: { Destination: DLQ } },
    });
    const changes = eventSourceMapping.diff(spec, actual);
    const resource = { name: "m", region: "eu-west-1", identity: "id", spec };
    const ok = fakeAws(() => ({}));
    await eventSourceMapping.apply(ok.ctx, resource, actual, changes);
    expect(ok.calls).toEqual([
      {
        region: "eu-west-1",
        operation: "UpdateEventSourceMapping",
        input: { UUID, DestinationConfig: { OnFailure: { Destination: "" } } },
      },
    ]);
    for (const [name, status, code, retry] of [
      ["ResourceInUseException", 400, "ResourceInUse", "waiting"],
      ["ResourceNotFoundException", 404, "MappingNotFound", "terminal"],
      ["InvalidParameterValueException", 400, "InvalidParameterValue", "terminal"],
    ] as const) {
      const failing = fakeAws(() => awsError(name, status));
      const error = await eventSourceMapping
        .apply(failing.ctx, resource, actual, changes)
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ code, retry });
    }
  });

  it.each(["Creating", "Updating", "Enabling", "Disabling", "Deleting"])(
    "waits while the mapping is %s",
    async (state) => {
      const spec = parse({ eventSourceArn: KINESIS, maximumRetryAttempts: 3 });
      const actual = actualOf(spec, { EventSourceArn: KINESIS, State: state });
      const changes = eventSourceMapping.diff(spec, actual);
      const resource = { name: "m", region: "us-east-1", identity: "id", spec };
      const error = await eventSourceMapping.apply(noAws, resource, actual, changes).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ResourceError);
      expect(error).toMatchObject({
        code: "ResourceInUse",
        retry: "waiting",
        message: expect.stringContaining(state),
      });
    },
  );

  it("never creates a mapping", () => {
    const spec = parse({ eventSourceArn: SQS });
    expect(eventSourceMapping.creates(actualOf(spec, { EventSourceArn: SQS }))).toBe(false);
  });
});

describe("EventSourceMapping lint", () => {
  const codes = (spec: Record<string, unknown>) => eventSourceMapping.lint(parse(spec), lintContext());

  it("warns on a stream mapping without onFailure, at the field when it is null", () => {
    const omitted = codes({ eventSourceArn: KINESIS, maximumRetryAttempts: 3 });
    expect(omitted).toEqual([expect.objectContaining({ code: "StreamNoFailureDestination", path: [] })]);
    const removed = codes({ eventSourceArn: DYNAMO, onFailure: null, maximumRecordAgeInSeconds: 600 });
    expect(removed).toEqual([
      expect.objectContaining({ code: "StreamNoFailureDestination", path: ["onFailure"] }),
    ]);
  });

  it("warns when neither retries nor record age are bounded", () => {
    const defaulted = codes({ eventSourceArn: KINESIS, onFailure: DLQ });
    expect(defaulted).toEqual([expect.objectContaining({ code: "StreamUnboundedRetries", path: [] })]);
    const explicit = codes({
      eventSourceArn: KINESIS,
      onFailure: DLQ,
      maximumRetryAttempts: -1,
      maximumRecordAgeInSeconds: null,
    });
    expect(explicit).toEqual([
      expect.objectContaining({ code: "StreamUnboundedRetries", path: ["maximumRetryAttempts"] }),
    ]);
    expect(codes({ eventSourceArn: KINESIS, onFailure: DLQ, maximumRecordAgeInSeconds: 3600 })).toEqual([]);
    expect(codes({ eventSourceArn: KINESIS, onFailure: DLQ, maximumRetryAttempts: 0 })).toEqual([]);
  });

  it("warns on SQS batchSize > 10 that leaves the batching window to AWS", () => {
    expect(codes({ eventSourceArn: SQS, batchSize: 100 })).toEqual([
      expect.objectContaining({ code: "SqsBatchSizeNeedsWindow", path: ["batchSize"] }),
    ]);
    expect(codes({ eventSourceArn: SQS, batchSize: 100, maximumBatchingWindowInSeconds: 1 })).toEqual([]);
    expect(codes({ eventSourceArn: SQS, batchSize: 10 })).toEqual([]);
  });

  it("cannot lint a uuid-only manifest, whose source is unknown offline", () => {
    expect(codes({ uuid: UUID })).toEqual([]);
  });
});
