import {
  CreateEventSourceMappingCommand,
  DeleteEventSourceMappingCommand,
  GetEventSourceMappingCommand,
  ListEventSourceMappingsCommand,
  paginateListEventSourceMappings,
  UpdateEventSourceMappingCommand,
} from "@aws-sdk/client-lambda";
import { describe, expect, it } from "vitest";
import { createFunction, createMapping, createQueue, createStream, sdk } from "../../support/aws.js";
import { usePatchedAndVanillaMoto } from "../../support/vanilla.js";

// Fidelity patch test/backend/fidelity/esm.py, against aws-reference.md §3 and the
// responses recorded against AWS (aws-recorded-behaviour.md §5, §8).

const servers = usePatchedAndVanillaMoto();
const FN = "esm-fn";
const FN_ARN = `arn:aws:lambda:us-east-1:123456789012:function:${FN}`;
const UNKNOWN = "00000000-0000-4000-8000-000000000000";
const NOT_FOUND = { name: "ResourceNotFoundException", $metadata: { httpStatusCode: 404 } };
const STREAM_ONLY = [
  "DestinationConfig",
  "MaximumRetryAttempts",
  "MaximumRecordAgeInSeconds",
  "BisectBatchOnFunctionError",
  "ParallelizationFactor",
  "TumblingWindowInSeconds",
  "StartingPosition",
  "LastProcessingResult",
] as const;

async function seedFunctionAndQueue(endpoint: string): Promise<string> {
  await createFunction(FN, { endpoint });
  return (await createQueue("esm-q", {}, endpoint)).arn;
}

async function seedMappings(endpoint: string, count: number): Promise<string[]> {
  const queue = await seedFunctionAndQueue(endpoint);
  const uuids: string[] = [];
  // moto (unlike AWS) allows many mappings of one queue to one function, which keeps this cheap.
  for (let i = 0; i < count; i++) uuids.push(await createMapping(FN, queue, {}, endpoint));
  return uuids;
}

const scenarios: Record<
  string,
  { seed: (endpoint: string) => Promise<unknown>; aws: (endpoint: string) => Promise<void> }
> = {
  "CreateEventSourceMapping answers 202 with State Creating, as recorded against AWS": {
    seed: seedFunctionAndQueue,
    aws: async (endpoint) => {
      const queue = (await createQueue("esm-create-q", {}, endpoint)).arn;
      const out = await sdk(endpoint).lambda.send(
        new CreateEventSourceMappingCommand({ FunctionName: FN, EventSourceArn: queue }),
      );
      expect([out.$metadata.httpStatusCode, out.State]).toEqual([202, "Creating"]);
    },
  },
  "UpdateEventSourceMapping of an unknown UUID is ResourceNotFoundException": {
    seed: seedFunctionAndQueue,
    aws: async (endpoint) => {
      await expect(
        sdk(endpoint).lambda.send(new UpdateEventSourceMappingCommand({ UUID: UNKNOWN, BatchSize: 5 })),
      ).rejects.toMatchObject(NOT_FOUND);
    },
  },
  "DeleteEventSourceMapping of an unknown UUID is ResourceNotFoundException": {
    seed: seedFunctionAndQueue,
    aws: async (endpoint) => {
      await expect(
        sdk(endpoint).lambda.send(new DeleteEventSourceMappingCommand({ UUID: UNKNOWN })),
      ).rejects.toMatchObject(NOT_FOUND);
    },
  },
  "ListEventSourceMappings returns at most 100 per page and pages with Marker/NextMarker": {
    seed: (endpoint) => seedMappings(endpoint, 105),
    aws: async (endpoint) => {
      const { lambda } = sdk(endpoint);
      const first = await lambda.send(new ListEventSourceMappingsCommand({ MaxItems: 1000 }));
      expect(first.EventSourceMappings).toHaveLength(100);
      expect(first.NextMarker).toBeTruthy();
      const second = await lambda.send(new ListEventSourceMappingsCommand({ Marker: first.NextMarker }));
      expect(second.EventSourceMappings).toHaveLength(5);
      expect(second.NextMarker).toBeUndefined();
      const small = await lambda.send(new ListEventSourceMappingsCommand({ MaxItems: 10 }));
      expect(small.EventSourceMappings).toHaveLength(10);
      const seen: string[] = [];
      for await (const page of paginateListEventSourceMappings({ client: lambda, pageSize: 40 }, {})) {
        for (const m of page.EventSourceMappings ?? []) if (m.UUID) seen.push(m.UUID);
      }
      expect(seen).toHaveLength(105);
      expect(new Set(seen).size).toBe(105);
    },
  },
  "ListEventSourceMappings filters by FunctionName given as an ARN": {
    seed: (endpoint) => seedMappings(endpoint, 2),
    aws: async (endpoint) => {
      const listed = await sdk(endpoint).lambda.send(
        new ListEventSourceMappingsCommand({ FunctionName: FN_ARN }),
      );
      expect(listed.EventSourceMappings).toHaveLength(2);
    },
  },
  "a BatchSize over the source's maximum is InvalidParameterValueException": {
    seed: (endpoint) => seedMappings(endpoint, 1),
    aws: async (endpoint) => {
      const { lambda } = sdk(endpoint);
      const [mapping] = (await lambda.send(new ListEventSourceMappingsCommand({}))).EventSourceMappings ?? [];
      await expect(
        lambda.send(new UpdateEventSourceMappingCommand({ UUID: mapping?.UUID, BatchSize: 20_000 })),
      ).rejects.toMatchObject({ name: "InvalidParameterValueException", $metadata: { httpStatusCode: 400 } });
    },
  },
  "a stream mapping carries the recorded defaults, on create and on read": {
    seed: async (endpoint) => {
      await createFunction(FN, { endpoint });
      return createMapping(FN, await createStream("esm-stream", endpoint), {}, endpoint);
    },
    aws: async (endpoint) => {
      const { lambda } = sdk(endpoint);
      const [mapping] = (await lambda.send(new ListEventSourceMappingsCommand({}))).EventSourceMappings ?? [];
      const defaults = {
        BatchSize: 100,
        BisectBatchOnFunctionError: false,
        DestinationConfig: { OnFailure: {} },
        FunctionResponseTypes: [],
        LastProcessingResult: "No records processed",
        MaximumBatchingWindowInSeconds: 0,
        MaximumRecordAgeInSeconds: -1,
        MaximumRetryAttempts: -1,
        ParallelizationFactor: 1,
        TumblingWindowInSeconds: 0,
        StateTransitionReason: "User action",
      };
      expect(mapping).toMatchObject(defaults);
      expect(await lambda.send(new GetEventSourceMappingCommand({ UUID: mapping?.UUID }))).toMatchObject(
        defaults,
      );
    },
  },
  "an SQS mapping carries none of the stream-only keys": {
    seed: (endpoint) => seedMappings(endpoint, 1),
    aws: async (endpoint) => {
      const { lambda } = sdk(endpoint);
      const [mapping] = (await lambda.send(new ListEventSourceMappingsCommand({}))).EventSourceMappings ?? [];
      expect(mapping).toMatchObject({
        BatchSize: 10,
        FunctionResponseTypes: [],
        MaximumBatchingWindowInSeconds: 0,
        StateTransitionReason: "USER_INITIATED",
      });
      for (const key of STREAM_ONLY) expect(mapping?.[key], key).toBeUndefined();
    },
  },
  "FunctionArn keeps the qualifier exactly as FunctionName gave it": {
    seed: seedFunctionAndQueue,
    aws: async (endpoint) => {
      const queue = "arn:aws:sqs:us-east-1:123456789012:esm-q";
      const { lambda } = sdk(endpoint);
      const latest = await createMapping(`${FN}:$LATEST`, queue, {}, endpoint);
      const bare = await createMapping(FN, queue, {}, endpoint);
      const arnOf = async (uuid: string) =>
        (await lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }))).FunctionArn;
      expect(await arnOf(latest)).toBe(`${FN_ARN}:$LATEST`);
      expect(await arnOf(bare)).toBe(FN_ARN);
      await lambda.send(
        new UpdateEventSourceMappingCommand({ UUID: bare, FunctionName: `${FN_ARN}:$LATEST` }),
      );
      expect(await arnOf(bare)).toBe(`${FN_ARN}:$LATEST`);
    },
  },
  "an update is validated against the merged state: SQS BatchSize over 10 with a stored window of 0": {
    seed: (endpoint) => seedMappings(endpoint, 1),
    aws: async (endpoint) => {
      const { lambda } = sdk(endpoint);
      const [mapping] = (await lambda.send(new ListEventSourceMappingsCommand({}))).EventSourceMappings ?? [];
      await expect(
        lambda.send(new UpdateEventSourceMappingCommand({ UUID: mapping?.UUID, BatchSize: 11 })),
      ).rejects.toMatchObject({
        name: "InvalidParameterValueException",
        $metadata: { httpStatusCode: 400 },
        message:
          "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10",
      });
      const stored = await lambda.send(new GetEventSourceMappingCommand({ UUID: mapping?.UUID }));
      expect(stored.BatchSize).toBe(10);
      const both = await lambda.send(
        new UpdateEventSourceMappingCommand({
          UUID: mapping?.UUID,
          BatchSize: 11,
          MaximumBatchingWindowInSeconds: 1,
        }),
      );
      expect([both.BatchSize, both.MaximumBatchingWindowInSeconds]).toEqual([11, 1]);
    },
  },
};

describe("event source mappings (fidelity patch)", () => {
  for (const [name, scenario] of Object.entries(scenarios)) {
    it(`${name}: holds on patched moto`, async () => {
      await scenario.seed(servers.patched());
      await scenario.aws(servers.patched());
    });
    it(`${name}: does not hold on vanilla moto`, async () => {
      await scenario.seed(servers.vanilla());
      await expect(scenario.aws(servers.vanilla())).rejects.toThrow();
    });
  }

  it("GetEventSourceMapping of an unknown UUID is already ResourceNotFoundException on vanilla moto", async () => {
    for (const endpoint of [servers.patched(), servers.vanilla()]) {
      await expect(
        sdk(endpoint).lambda.send(new GetEventSourceMappingCommand({ UUID: UNKNOWN })),
      ).rejects.toMatchObject(NOT_FOUND);
    }
  });

  it("Update and Delete of a known mapping still work; Delete answers State Deleting", async () => {
    const endpoint = servers.patched();
    const [uuid] = await seedMappings(endpoint, 1);
    const { lambda } = sdk(endpoint);
    const updated = await lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, BatchSize: 7 }));
    expect(updated.BatchSize).toBe(7);
    expect(updated.$metadata.httpStatusCode).toBe(202);
    const deleted = await lambda.send(new DeleteEventSourceMappingCommand({ UUID: uuid }));
    expect(deleted.State).toBe("Deleting");
    await expect(lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }))).rejects.toMatchObject(
      NOT_FOUND,
    );
  });

  it("sends Lambda's error wire shape for an unknown UUID", async () => {
    const res = await fetch(`${servers.patched()}/2015-03-31/event-source-mappings/${UNKNOWN}`, {
      method: "PUT",
      body: JSON.stringify({ BatchSize: 5 }),
      headers: {
        "content-type": "application/json",
        authorization:
          "AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=0",
      },
    });
    expect(res.status).toBe(404);
    expect(res.headers.get("x-amzn-errortype")).toBe("ResourceNotFoundException");
    expect(await res.json()).toEqual({ Type: "User", Message: "The resource you requested does not exist." });
  });
});
