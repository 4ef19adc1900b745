import { ListFunctionsCommand, TagResourceCommand, UntagResourceCommand } from "@aws-sdk/client-lambda";
import {
  GetResourcesCommand,
  ResourceGroupsTaggingAPIClient,
} from "@aws-sdk/client-resource-groups-tagging-api";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { describe, expect, it } from "vitest";
import { createFunction, sdk, TEST_CREDENTIALS, TEST_REGION } from "../../support/aws.js";
import { usePatchedAndVanillaMoto } from "../../support/vanilla.js";

// Fidelity patch test/backend/fidelity/discovery.py, against the Lambda API reference
// (ListFunctions: at most 50 per page, NextMarker) and the Resource Groups Tagging API
// reference (GetResources: pages by ResourcesPerPage, "tagged or previously tagged").

const servers = usePatchedAndVanillaMoto();
const LAMBDA = { ResourceTypeFilters: ["lambda:function"] };

function tagging(endpoint: string): ResourceGroupsTaggingAPIClient {
  return new ResourceGroupsTaggingAPIClient({
    region: TEST_REGION,
    endpoint,
    credentials: TEST_CREDENTIALS,
    requestHandler: new NodeHttpHandler({ connectionTimeout: 5_000, requestTimeout: 30_000 }),
    maxAttempts: 1,
  });
}

/** `count` functions `fn-000`…, each tagged with `tags` (none when empty); returns their ARNs. */
async function seedFunctions(endpoint: string, count: number, tags: Record<string, string> = {}) {
  const arns: string[] = [];
  for (let i = 0; i < count; i++) {
    const arn = await createFunction(`fn-${String(i).padStart(3, "0")}`, { endpoint });
    if (Object.keys(tags).length > 0)
      await sdk(endpoint).lambda.send(new TagResourceCommand({ Resource: arn, Tags: tags }));
    arns.push(arn);
  }
  return arns;
}

const scenarios: Record<
  string,
  { seed: (endpoint: string) => Promise<unknown>; aws: (endpoint: string) => Promise<void> }
> = {
  "ListFunctions returns at most 50 per page and pages with Marker/NextMarker": {
    seed: (endpoint) => seedFunctions(endpoint, 55),
    aws: async (endpoint) => {
      const { lambda } = sdk(endpoint);
      const first = await lambda.send(new ListFunctionsCommand({ MaxItems: 1000 }));
      expect(first.Functions).toHaveLength(50);
      expect(first.NextMarker).toBeTruthy();
      const second = await lambda.send(new ListFunctionsCommand({ Marker: first.NextMarker }));
      expect(second.Functions).toHaveLength(5);
      expect(second.NextMarker).toBeUndefined();
      const names = [...(first.Functions ?? []), ...(second.Functions ?? [])].map((f) => f.FunctionName);
      expect(new Set(names).size).toBe(55);
      const small = await lambda.send(new ListFunctionsCommand({ MaxItems: 10 }));
      expect(small.Functions).toHaveLength(10);
      expect(small.NextMarker).toBeTruthy();
    },
  },
  "GetResources pages by ResourcesPerPage alone (100 functions of two tags in one page), the last with an empty PaginationToken":
    {
      seed: (endpoint) => seedFunctions(endpoint, 101, { team: "payments", tier: "gold" }),
      aws: async (endpoint) => {
        const client = tagging(endpoint);
        const first = await client.send(new GetResourcesCommand({ ...LAMBDA, ResourcesPerPage: 100 }));
        expect(first.ResourceTagMappingList).toHaveLength(100);
        expect(first.PaginationToken).toBeTruthy();
        const second = await client.send(
          new GetResourcesCommand({
            ...LAMBDA,
            ResourcesPerPage: 100,
            PaginationToken: first.PaginationToken,
          }),
        );
        expect(second.ResourceTagMappingList).toHaveLength(1);
        expect(second.PaginationToken).toBe("");
        expect(second.ResourceTagMappingList?.[0]?.Tags).toEqual(
          expect.arrayContaining([
            { Key: "team", Value: "payments" },
            { Key: "tier", Value: "gold" },
          ]),
        );
      },
    },
  "GetResources returns a function whose tags were all removed, with no tags": {
    seed: async (endpoint) => {
      const [arn] = await seedFunctions(endpoint, 1, { team: "payments" });
      await sdk(endpoint).lambda.send(new UntagResourceCommand({ Resource: arn, TagKeys: ["team"] }));
    },
    aws: async (endpoint) => {
      const page = await tagging(endpoint).send(
        new GetResourcesCommand({ ...LAMBDA, ResourcesPerPage: 100 }),
      );
      expect(page.ResourceTagMappingList).toEqual([
        { ResourceARN: expect.stringMatching(/:function:fn-000$/), Tags: [] },
      ]);
    },
  },
};

describe("fleet discovery's reads (fidelity patch)", () => {
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

  it("GetResources already leaves out a function that was never tagged, and carries the tags of the others, on vanilla moto", async () => {
    for (const endpoint of [servers.patched(), servers.vanilla()]) {
      await seedFunctions(endpoint, 1);
      const tagged = await createFunction("tagged", { endpoint });
      await sdk(endpoint).lambda.send(new TagResourceCommand({ Resource: tagged, Tags: { team: "a" } }));
      const page = await tagging(endpoint).send(
        new GetResourcesCommand({ ...LAMBDA, ResourcesPerPage: 100 }),
      );
      expect(page.ResourceTagMappingList).toEqual([
        { ResourceARN: tagged, Tags: [{ Key: "team", Value: "a" }] },
      ]);
    }
  });
});
