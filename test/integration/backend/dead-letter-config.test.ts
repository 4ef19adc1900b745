import {
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  PublishVersionCommand,
  UpdateFunctionConfigurationCommand,
} from "@aws-sdk/client-lambda";
import { describe, expect, it } from "vitest";
import { createFunction, createQueue, sdk } from "../../support/aws.js";
import { usePatchedAndVanillaMoto } from "../../support/vanilla.js";

// Fidelity patch test/backend/fidelity/dead_letter_config.py, against aws-reference.md §2.

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
