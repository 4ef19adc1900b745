import {
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  LambdaClient,
  PublishVersionCommand,
  UpdateFunctionConfigurationCommand,
} from "@aws-sdk/client-lambda";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { describe, expect, it } from "vitest";
import { createFunction, createQueue, sdk, TEST_CREDENTIALS, TEST_REGION } from "../../support/aws.js";
import { usePatchedAndVanillaMoto } from "../../support/vanilla.js";

// Fidelity patches test/backend/fidelity/dead_letter_config.py and function_updates.py,
// against aws-reference.md §2 and the responses recorded against AWS (aws-recorded-behaviour.md §4).

const servers = usePatchedAndVanillaMoto();
const FN = "dlq-fn";
const DLQ = "arn:aws:sqs:us-east-1:123456789012:dlq-a";
const OTHER = "arn:aws:sqs:us-east-1:123456789012:dlq-b";

async function seedQueues(endpoint: string): Promise<void> {
  await createQueue("dlq-a", {}, endpoint);
  await createQueue("dlq-b", {}, endpoint);
}

async function dlqOf(
  endpoint: string,
  qualifier?: string,
): Promise<[string | undefined, string | undefined]> {
  const { lambda } = sdk(endpoint);
  const fn = await lambda.send(new GetFunctionCommand({ FunctionName: FN, Qualifier: qualifier }));
  const conf = await lambda.send(
    new GetFunctionConfigurationCommand({ FunctionName: FN, Qualifier: qualifier }),
  );
  return [fn.Configuration?.DeadLetterConfig?.TargetArn, conf.DeadLetterConfig?.TargetArn];
}

const IN_PROGRESS = {
  LastUpdateStatus: "InProgress",
  LastUpdateStatusReason: "The function is being created.",
  LastUpdateStatusReasonCode: "Creating",
};

/** A client whose function updates ask the emulator for an InProgress window of `ms` (what the fault proxy sends). */
function clientWithUpdateWindow(endpoint: string, ms: number): LambdaClient {
  const client = new LambdaClient({
    region: TEST_REGION,
    endpoint,
    credentials: TEST_CREDENTIALS,
    requestHandler: new NodeHttpHandler(),
    maxAttempts: 1,
  });
  client.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers: Record<string, string> };
      request.headers["x-retryctl-update-window-ms"] = String(ms);
      return next(args);
    },
    { step: "build", name: "updateWindow" },
  );
  return client;
}

const scenarios: Record<
  string,
  { seed: (endpoint: string) => Promise<unknown>; aws: (endpoint: string) => Promise<void> }
> = {
  "CreateFunction stores DeadLetterConfig; GetFunction and GetFunctionConfiguration return it": {
    seed: seedQueues,
    aws: async (endpoint) => {
      await createFunction(FN, { endpoint, deadLetterArn: DLQ });
      expect(await dlqOf(endpoint)).toEqual([DLQ, DLQ]);
    },
  },
  "UpdateFunctionConfiguration sets and replaces it, and TargetArn '' clears it": {
    seed: async (endpoint) => {
      await seedQueues(endpoint);
      await createFunction(FN, { endpoint });
    },
    aws: async (endpoint) => {
      const { lambda } = sdk(endpoint);
      const set = await lambda.send(
        new UpdateFunctionConfigurationCommand({ FunctionName: FN, DeadLetterConfig: { TargetArn: DLQ } }),
      );
      expect(set.DeadLetterConfig?.TargetArn).toBe(DLQ);
      expect(await dlqOf(endpoint)).toEqual([DLQ, DLQ]);
      await lambda.send(
        new UpdateFunctionConfigurationCommand({ FunctionName: FN, DeadLetterConfig: { TargetArn: OTHER } }),
      );
      expect(await dlqOf(endpoint)).toEqual([OTHER, OTHER]);
      // Updating another field leaves the DLQ alone.
      await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: FN, Timeout: 9 }));
      expect(await dlqOf(endpoint)).toEqual([OTHER, OTHER]);
      await lambda.send(
        new UpdateFunctionConfigurationCommand({ FunctionName: FN, DeadLetterConfig: { TargetArn: "" } }),
      );
      expect(await dlqOf(endpoint)).toEqual([undefined, undefined]);
    },
  },
  "a published version keeps the DLQ it was published with": {
    seed: seedQueues,
    aws: async (endpoint) => {
      await createFunction(FN, { endpoint, deadLetterArn: DLQ });
      const { lambda } = sdk(endpoint);
      await lambda.send(new PublishVersionCommand({ FunctionName: FN }));
      await lambda.send(
        new UpdateFunctionConfigurationCommand({ FunctionName: FN, DeadLetterConfig: { TargetArn: OTHER } }),
      );
      expect(await dlqOf(endpoint, "1")).toEqual([DLQ, DLQ]);
      expect(await dlqOf(endpoint)).toEqual([OTHER, OTHER]);
    },
  },
  "DeadLetterConfig {} leaves the DLQ in place; without a DLQ there is no DeadLetterConfig key (recorded)": {
    seed: seedQueues,
    aws: async (endpoint) => {
      await createFunction(FN, { endpoint, deadLetterArn: DLQ });
      const { lambda } = sdk(endpoint);
      const kept = await lambda.send(
        new UpdateFunctionConfigurationCommand({ FunctionName: FN, DeadLetterConfig: {} }),
      );
      expect(kept.DeadLetterConfig?.TargetArn).toBe(DLQ);
      expect(await dlqOf(endpoint)).toEqual([DLQ, DLQ]);
      await lambda.send(
        new UpdateFunctionConfigurationCommand({ FunctionName: FN, DeadLetterConfig: { TargetArn: "" } }),
      );
      const conf = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: FN }));
      expect("DeadLetterConfig" in conf).toBe(false);
    },
  },
  "every update answers InProgress with the recorded reason; the next read after the window says Successful":
    {
      seed: (endpoint) => createFunction(FN, { endpoint }),
      aws: async (endpoint) => {
        const { lambda } = sdk(endpoint);
        const updated = await lambda.send(
          new UpdateFunctionConfigurationCommand({ FunctionName: FN, Timeout: 9 }),
        );
        expect(updated).toMatchObject(IN_PROGRESS);
        // A redundant update still goes InProgress (test_redundant_updates).
        const again = await lambda.send(
          new UpdateFunctionConfigurationCommand({ FunctionName: FN, Timeout: 9 }),
        );
        expect(again).toMatchObject(IN_PROGRESS);
        const done = await lambda.send(new GetFunctionCommand({ FunctionName: FN }));
        expect(done.Configuration?.LastUpdateStatus).toBe("Successful");
        expect(done.Configuration?.LastUpdateStatusReason).toBeUndefined();
        expect(done.Configuration?.LastUpdateStatusReasonCode).toBeUndefined();
      },
    },
  "inside the InProgress window reads say InProgress and another update is ResourceConflictException": {
    seed: (endpoint) => createFunction(FN, { endpoint }),
    aws: async (endpoint) => {
      const slow = clientWithUpdateWindow(endpoint, 5_000);
      try {
        await slow.send(new UpdateFunctionConfigurationCommand({ FunctionName: FN, Timeout: 9 }));
        const during = await sdk(endpoint).lambda.send(
          new GetFunctionConfigurationCommand({ FunctionName: FN }),
        );
        expect(during).toMatchObject(IN_PROGRESS);
        await expect(
          slow.send(new UpdateFunctionConfigurationCommand({ FunctionName: FN, Timeout: 10 })),
        ).rejects.toMatchObject({
          name: "ResourceConflictException",
          $metadata: { httpStatusCode: 409 },
          message: `The operation cannot be performed at this time. An update is in progress for resource: arn:aws:lambda:us-east-1:123456789012:function:${FN}`,
        });
        expect(
          (await sdk(endpoint).lambda.send(new GetFunctionCommand({ FunctionName: FN }))).Configuration
            ?.Timeout,
        ).toBe(9);
      } finally {
        slow.destroy();
      }
    },
  },
};

describe("function DeadLetterConfig (fidelity patch)", () => {
  for (const [name, scenario] of Object.entries(scenarios)) {
    it(`${name}: holds on patched moto`, async () => {
      await scenario.seed(servers.patched());
      await scenario.aws(servers.patched());
    });
    it(`${name}: does not hold on vanilla moto`, async () => {
      await scenario.seed(servers.vanilla());
      await expect(scenario.aws(servers.vanilla())).rejects.toThrow(/expected/);
    });
  }
});
