import {
  DeleteFunctionCommand,
  DeleteFunctionEventInvokeConfigCommand,
  GetFunctionEventInvokeConfigCommand,
  ListFunctionEventInvokeConfigsCommand,
  PutFunctionEventInvokeConfigCommand,
  UpdateFunctionEventInvokeConfigCommand,
} from "@aws-sdk/client-lambda";
import { describe, expect, it } from "vitest";
import { createFunction, createQueue, publishVersionAndAlias, sdk } from "../../support/aws.js";
import { usePatchedAndVanillaMoto } from "../../support/vanilla.js";

// Fidelity patch test/backend/fidelity/event_invoke_config.py, against aws-reference.md §1
// and the responses recorded against AWS (aws-recorded-behaviour.md §1-§3).
// Each scenario seeds (which must work on both servers), then asserts the AWS
// behaviour: it holds on the patched server and not on vanilla moto 5.2.5.

const servers = usePatchedAndVanillaMoto();
const FN = "eic-fn";
const ARN = `arn:aws:lambda:us-east-1:123456789012:function:${FN}`;
const DEST = "arn:aws:sqs:us-east-1:123456789012:eic-dest";
const NO_DESTINATION = { OnFailure: {}, OnSuccess: {} };
const AUTH =
  "AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=0";

function invalidParameter(message: string) {
  return { name: "InvalidParameterValueException", $metadata: { httpStatusCode: 400 }, message };
}

async function get(endpoint: string, qualifier?: string) {
  return sdk(endpoint).lambda.send(
    new GetFunctionEventInvokeConfigCommand({ FunctionName: FN, Qualifier: qualifier }),
  );
}

async function seedFunction(endpoint: string): Promise<void> {
  await createFunction(FN, { endpoint });
  await createQueue("eic-dest", {}, endpoint);
}

const scenarios: Record<
  string,
  { seed: (endpoint: string) => Promise<unknown>; aws: (endpoint: string) => Promise<void> }
> = {
  "Put replaces the whole config: omitted settings are removed": {
    seed: seedFunction,
    aws: async (endpoint) => {
      const dest = DEST;
      const { lambda } = sdk(endpoint);
      await lambda.send(
        new PutFunctionEventInvokeConfigCommand({
          FunctionName: FN,
          MaximumRetryAttempts: 1,
          MaximumEventAgeInSeconds: 120,
          DestinationConfig: { OnFailure: { Destination: dest } },
        }),
      );
      await lambda.send(
        new PutFunctionEventInvokeConfigCommand({ FunctionName: FN, MaximumRetryAttempts: 0 }),
      );
      const got = await get(endpoint);
      expect(got.MaximumRetryAttempts).toBe(0);
      expect(got.MaximumEventAgeInSeconds).toBeUndefined();
      expect(got.DestinationConfig?.OnFailure?.Destination).toBeUndefined();
      expect(got.FunctionArn).toBe(`${ARN}:$LATEST`);
      expect(got.LastModified).toBeInstanceOf(Date);
      expect(Number.isNaN(got.LastModified?.getTime())).toBe(false);
    },
  },
  "Update merges: only the given settings change": {
    seed: seedFunction,
    aws: async (endpoint) => {
      const dest = DEST;
      const { lambda } = sdk(endpoint);
      await lambda.send(
        new PutFunctionEventInvokeConfigCommand({
          FunctionName: FN,
          MaximumRetryAttempts: 1,
          MaximumEventAgeInSeconds: 120,
          DestinationConfig: { OnFailure: { Destination: dest } },
        }),
      );
      const updated = await lambda.send(
        new UpdateFunctionEventInvokeConfigCommand({ FunctionName: FN, MaximumEventAgeInSeconds: 300 }),
      );
      expect(updated.MaximumEventAgeInSeconds).toBe(300);
      const got = await get(endpoint);
      expect(got.MaximumRetryAttempts).toBe(1);
      expect(got.MaximumEventAgeInSeconds).toBe(300);
      expect(got.DestinationConfig?.OnFailure?.Destination).toBe(dest);
    },
  },
  "Update with none of the three settings is InvalidParameterValueException": {
    seed: async (endpoint) => {
      await seedFunction(endpoint);
      await sdk(endpoint).lambda.send(
        new PutFunctionEventInvokeConfigCommand({ FunctionName: FN, MaximumRetryAttempts: 1 }),
      );
    },
    aws: async (endpoint) => {
      await expect(
        sdk(endpoint).lambda.send(new UpdateFunctionEventInvokeConfigCommand({ FunctionName: FN })),
      ).rejects.toMatchObject({ name: "InvalidParameterValueException", $metadata: { httpStatusCode: 400 } });
    },
  },
  "Update of a missing config is ResourceNotFoundException": {
    seed: seedFunction,
    aws: async (endpoint) => {
      await expect(
        sdk(endpoint).lambda.send(
          new UpdateFunctionEventInvokeConfigCommand({ FunctionName: FN, MaximumRetryAttempts: 1 }),
        ),
      ).rejects.toMatchObject({ name: "ResourceNotFoundException", $metadata: { httpStatusCode: 404 } });
    },
  },
  "the Qualifier scopes configs: $LATEST, a version and an alias each have their own": {
    seed: async (endpoint) => {
      await seedFunction(endpoint);
      await publishVersionAndAlias(FN, "live", endpoint);
    },
    aws: async (endpoint) => {
      const { lambda } = sdk(endpoint);
      await lambda.send(
        new PutFunctionEventInvokeConfigCommand({ FunctionName: FN, MaximumRetryAttempts: 0 }),
      );
      await lambda.send(
        new PutFunctionEventInvokeConfigCommand({
          FunctionName: FN,
          Qualifier: "1",
          MaximumRetryAttempts: 1,
        }),
      );
      await lambda.send(
        new PutFunctionEventInvokeConfigCommand({ FunctionName: `${FN}:live`, MaximumRetryAttempts: 2 }),
      );
      const latest = await get(endpoint);
      const version = await get(endpoint, "1");
      const alias = await get(endpoint, "live");
      expect([latest.MaximumRetryAttempts, version.MaximumRetryAttempts, alias.MaximumRetryAttempts]).toEqual(
        [0, 1, 2],
      );
      expect([latest.FunctionArn, version.FunctionArn, alias.FunctionArn]).toEqual([
        `${ARN}:$LATEST`,
        `${ARN}:1`,
        `${ARN}:live`,
      ]);
      await lambda.send(new DeleteFunctionEventInvokeConfigCommand({ FunctionName: FN, Qualifier: "1" }));
      await expect(get(endpoint, "1")).rejects.toMatchObject({ name: "ResourceNotFoundException" });
      expect((await get(endpoint, "live")).MaximumRetryAttempts).toBe(2);
    },
  },
  "List returns one parseable entry per qualifier, paged by MaxItems/Marker": {
    seed: async (endpoint) => {
      await seedFunction(endpoint);
      await publishVersionAndAlias(FN, "live", endpoint);
    },
    aws: async (endpoint) => {
      const { lambda } = sdk(endpoint);
      await lambda.send(
        new PutFunctionEventInvokeConfigCommand({ FunctionName: FN, MaximumRetryAttempts: 0 }),
      );
      await lambda.send(
        new PutFunctionEventInvokeConfigCommand({ FunctionName: FN, MaximumRetryAttempts: 1 }),
      );
      await lambda.send(
        new PutFunctionEventInvokeConfigCommand({
          FunctionName: FN,
          Qualifier: "live",
          MaximumEventAgeInSeconds: 60,
        }),
      );
      const all = await lambda.send(new ListFunctionEventInvokeConfigsCommand({ FunctionName: FN }));
      const entries = all.FunctionEventInvokeConfigs ?? [];
      expect(entries.map((c) => c.FunctionArn).sort()).toEqual([`${ARN}:$LATEST`, `${ARN}:live`]);
      expect(entries.find((c) => c.FunctionArn === `${ARN}:$LATEST`)?.MaximumRetryAttempts).toBe(1);
      for (const entry of entries) expect(Number.isNaN(entry.LastModified?.getTime())).toBe(false);
      const first = await lambda.send(
        new ListFunctionEventInvokeConfigsCommand({ FunctionName: FN, MaxItems: 1 }),
      );
      expect(first.FunctionEventInvokeConfigs).toHaveLength(1);
      expect(first.NextMarker).toBeTruthy();
      const second = await lambda.send(
        new ListFunctionEventInvokeConfigsCommand({
          FunctionName: FN,
          MaxItems: 1,
          Marker: first.NextMarker,
        }),
      );
      expect(second.FunctionEventInvokeConfigs).toHaveLength(1);
      expect(second.NextMarker).toBeUndefined();
    },
  },
  "answers carry both DestinationConfig halves and a qualified FunctionArn; unset settings are absent (recorded)":
    {
      seed: seedFunction,
      aws: async (endpoint) => {
        const { lambda } = sdk(endpoint);
        const put = await lambda.send(
          new PutFunctionEventInvokeConfigCommand({ FunctionName: FN, MaximumRetryAttempts: 0 }),
        );
        expect(put.DestinationConfig).toEqual(NO_DESTINATION);
        expect(put.FunctionArn).toBe(`${ARN}:$LATEST`);
        expect("MaximumEventAgeInSeconds" in put).toBe(false);
        const age = await lambda.send(
          new PutFunctionEventInvokeConfigCommand({
            FunctionName: FN,
            MaximumEventAgeInSeconds: 60,
            DestinationConfig: { OnFailure: { Destination: DEST } },
          }),
        );
        expect("MaximumRetryAttempts" in age).toBe(false);
        expect(age.DestinationConfig).toEqual({ OnFailure: { Destination: DEST }, OnSuccess: {} });
        // Defaults sent are echoed (put_maxevent_maxvalue_result).
        await lambda.send(
          new PutFunctionEventInvokeConfigCommand({
            FunctionName: FN,
            MaximumRetryAttempts: 2,
            MaximumEventAgeInSeconds: 21600,
          }),
        );
        const got = await get(endpoint);
        expect([got.MaximumRetryAttempts, got.MaximumEventAgeInSeconds]).toEqual([2, 21600]);
        expect(got.DestinationConfig).toEqual(NO_DESTINATION);
      },
    },
  "Put with no setting is InvalidParameterValueException, checked before the function exists (recorded)": {
    seed: seedFunction,
    aws: async (endpoint) => {
      const { lambda } = sdk(endpoint);
      const nothing = invalidParameter(
        "You must specify at least one of error handling or destination setting.",
      );
      await expect(
        lambda.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: "doesnotexist" })),
      ).rejects.toMatchObject(nothing);
      await expect(
        lambda.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: FN })),
      ).rejects.toMatchObject(nothing);
    },
  },
  "a Lambda destination that does not exist, or the function itself, is refused (recorded)": {
    seed: seedFunction,
    aws: async (endpoint) => {
      const { lambda } = sdk(endpoint);
      const missing = "arn:aws:lambda:us-east-1:123456789012:function:doesnotexist";
      await expect(
        lambda.send(
          new PutFunctionEventInvokeConfigCommand({
            FunctionName: FN,
            DestinationConfig: { OnFailure: { Destination: missing } },
          }),
        ),
      ).rejects.toMatchObject(invalidParameter(`The destination ARN ${missing} is invalid.`));
      await expect(
        lambda.send(
          new PutFunctionEventInvokeConfigCommand({
            FunctionName: FN,
            DestinationConfig: { OnSuccess: { Destination: ARN } },
          }),
        ),
      ).rejects.toMatchObject(
        invalidParameter("You can't specify the function as a destination for itself."),
      );
      await expect(get(endpoint)).rejects.toMatchObject({ name: "ResourceNotFoundException" });
    },
  },
  "a missing function: 'doesn't exist' on Put, Update and List, the no-config text on Get (recorded)": {
    seed: seedFunction,
    aws: async (endpoint) => {
      const { lambda } = sdk(endpoint);
      const gone = { name: "ResourceNotFoundException", message: "The function doesn't exist." };
      await expect(
        lambda.send(
          new PutFunctionEventInvokeConfigCommand({ FunctionName: "nope", MaximumRetryAttempts: 1 }),
        ),
      ).rejects.toMatchObject(gone);
      await expect(
        lambda.send(
          new UpdateFunctionEventInvokeConfigCommand({ FunctionName: "nope", MaximumRetryAttempts: 1 }),
        ),
      ).rejects.toMatchObject(gone);
      await expect(
        lambda.send(new ListFunctionEventInvokeConfigsCommand({ FunctionName: "nope" })),
      ).rejects.toMatchObject(gone);
      await expect(
        lambda.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: "nope" })),
      ).rejects.toMatchObject({
        name: "ResourceNotFoundException",
        message:
          "The function arn:aws:lambda:us-east-1:123456789012:function:nope:$LATEST doesn't have an EventInvokeConfig",
      });
    },
  },
  "List on the wire: one page has no NextMarker key, each entry has both DestinationConfig halves (recorded)":
    {
      seed: async (endpoint) => {
        await seedFunction(endpoint);
        await sdk(endpoint).lambda.send(
          new PutFunctionEventInvokeConfigCommand({ FunctionName: FN, MaximumRetryAttempts: 1 }),
        );
      },
      aws: async (endpoint) => {
        const res = await fetch(`${endpoint}/2019-09-25/functions/${FN}/event-invoke-config/list`, {
          headers: { authorization: AUTH },
        });
        const body = (await res.json()) as Record<string, unknown>;
        expect(Object.keys(body)).toEqual(["FunctionEventInvokeConfigs"]);
        const [entry] = body.FunctionEventInvokeConfigs as Record<string, unknown>[];
        expect(Object.keys(entry ?? {}).sort()).toEqual([
          "DestinationConfig",
          "FunctionArn",
          "LastModified",
          "MaximumRetryAttempts",
        ]);
        expect(entry?.DestinationConfig).toEqual(NO_DESTINATION);
        expect(typeof entry?.LastModified).toBe("number");
      },
    },
};

describe("event invoke config (fidelity patch)", () => {
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

  // Behaviour vanilla moto already has, kept so the patch cannot regress it.
  it("Get and Delete of a missing config, and calls on a missing function, are ResourceNotFoundException", async () => {
    for (const endpoint of [servers.patched(), servers.vanilla()]) {
      await createFunction(FN, { endpoint });
      const { lambda } = sdk(endpoint);
      const notFound = { name: "ResourceNotFoundException", $metadata: { httpStatusCode: 404 } };
      await expect(get(endpoint)).rejects.toMatchObject(notFound);
      await expect(
        lambda.send(new DeleteFunctionEventInvokeConfigCommand({ FunctionName: FN })),
      ).rejects.toMatchObject(notFound);
      await expect(
        lambda.send(
          new PutFunctionEventInvokeConfigCommand({ FunctionName: "nope", MaximumRetryAttempts: 1 }),
        ),
      ).rejects.toMatchObject(notFound);
      await expect(
        lambda.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: "nope" })),
      ).rejects.toMatchObject(notFound);
    }
  });

  it("an unknown qualifier is ResourceNotFoundException; deleting the function deletes its configs", async () => {
    const endpoint = servers.patched();
    await createFunction(FN, { endpoint });
    const { lambda } = sdk(endpoint);
    await expect(
      lambda.send(
        new PutFunctionEventInvokeConfigCommand({
          FunctionName: FN,
          Qualifier: "7",
          MaximumRetryAttempts: 1,
        }),
      ),
    ).rejects.toMatchObject({ name: "ResourceNotFoundException" });
    await lambda.send(
      new PutFunctionEventInvokeConfigCommand({ FunctionName: ARN, MaximumRetryAttempts: 1 }),
    );
    expect((await get(endpoint)).MaximumRetryAttempts).toBe(1);
    await lambda.send(new DeleteFunctionCommand({ FunctionName: FN }));
    await createFunction(FN, { endpoint });
    await expect(get(endpoint)).rejects.toMatchObject({ name: "ResourceNotFoundException" });
  });

  it("sends Lambda's error wire shape (x-amzn-errortype header, Type/Message body)", async () => {
    const endpoint = servers.patched();
    await createFunction(FN, { endpoint });
    const res = await fetch(`${endpoint}/2019-09-25/functions/${FN}/event-invoke-config`, {
      headers: { authorization: AUTH },
    });
    expect(res.status).toBe(404);
    expect(res.headers.get("x-amzn-errortype")).toBe("ResourceNotFoundException");
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(await res.json()).toEqual({
      Type: "User",
      Message: `The function ${ARN}:$LATEST doesn't have an EventInvokeConfig`,
    });
  });
});
