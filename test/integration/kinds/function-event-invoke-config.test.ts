import {
  DeleteFunctionCommand,
  GetFunctionEventInvokeConfigCommand,
  type GetFunctionEventInvokeConfigCommandOutput,
  PutFunctionEventInvokeConfigCommand,
} from "@aws-sdk/client-lambda";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AwsClients, RequestEvent } from "../../../src/aws/clients.js";
import {
  type FunctionEventInvokeConfigSpec,
  type InvokeConfigState,
  functionEventInvokeConfig as kind,
} from "../../../src/kinds/function-event-invoke-config.js";
import type { DesiredResource, KindContext } from "../../../src/kinds/kind.js";
import {
  createFunction,
  createQueue,
  publishVersionAndAlias,
  resetMoto,
  sdk,
  TEST_REGION,
  testAwsClients,
} from "../../support/aws.js";
import { desired, readState } from "../../support/kinds.js";

let aws: AwsClients;
let requests: RequestEvent[];
let ctx: KindContext;
let fnArn: string;
let failures: string;
let successes: string;

beforeEach(async () => {
  await resetMoto();
  ({ aws, requests } = testAwsClients());
  ctx = { aws, log: pino({ level: "silent" }) };
  fnArn = await createFunction("orders");
  failures = (await createQueue("orders-failed")).arn;
  successes = (await createQueue("orders-done")).arn;
});

afterEach(() => aws.destroy());

function resource(spec: Record<string, unknown>): DesiredResource<FunctionEventInvokeConfigSpec> {
  return desired(kind, spec, TEST_REGION);
}

function readOne(r: DesiredResource<FunctionEventInvokeConfigSpec>): Promise<InvokeConfigState> {
  return readState(kind, ctx, r);
}

/** The engine's loop for one resource: read, diff, apply; returns what was changed. */
async function reconcile(r: DesiredResource<FunctionEventInvokeConfigSpec>) {
  const actual = await readOne(r);
  const changes = kind.diff(r.spec, actual);
  if (changes.length > 0) await kind.apply(ctx, r, actual, changes);
  return { changes, created: changes.length > 0 && kind.creates(actual) };
}

/** AWS's own view through a plain SDK client, independent of the kind's read. */
function getConfig(qualifier?: string): Promise<GetFunctionEventInvokeConfigCommandOutput> {
  return sdk().lambda.send(
    new GetFunctionEventInvokeConfigCommand({ FunctionName: "orders", Qualifier: qualifier }),
  );
}

describe("FunctionEventInvokeConfig against the Lambda API", () => {
  it("creates the config, reads back what it wrote, and then has nothing left to change", async () => {
    const r = resource({
      functionName: "orders",
      maximumRetryAttempts: 0,
      maximumEventAgeInSeconds: 300,
      onSuccess: successes,
      onFailure: failures,
    });
    const first = await reconcile(r);
    expect(first.created).toBe(true);
    expect(first.changes.map((c) => c.field).sort()).toEqual([
      "maximumEventAgeInSeconds",
      "maximumRetryAttempts",
      "onFailure",
      "onSuccess",
    ]);
    expect(await readOne(r)).toEqual({
      exists: true,
      maximumRetryAttempts: 0,
      maximumEventAgeInSeconds: 300,
      onSuccess: successes,
      onFailure: failures,
    });
    const stored = await getConfig();
    expect(stored.MaximumRetryAttempts).toBe(0);
    expect(stored.DestinationConfig?.OnFailure?.Destination).toBe(failures);
    expect((await reconcile(r)).changes).toEqual([]);
  });

  it("needs no config at all when the manifest asks for the AWS defaults", async () => {
    const r = resource({
      functionName: fnArn,
      maximumRetryAttempts: 2,
      maximumEventAgeInSeconds: 21600,
      onFailure: null,
    });
    expect(await reconcile(r)).toEqual({ changes: [], created: false });
    await expect(getConfig()).rejects.toMatchObject({ name: "ResourceNotFoundException" });
  });

  it("keeps $LATEST's and an alias's configs apart and reads both with one List", async () => {
    await publishVersionAndAlias("orders", "live");
    // Both by ARN: one spelling of one function is one List (a plain name is read by name, apart).
    const latest = resource({ functionName: fnArn, maximumRetryAttempts: 1 });
    const live = resource({ functionName: `${fnArn}:live`, maximumRetryAttempts: 0, onFailure: failures });
    await reconcile(latest);
    await reconcile(live);
    expect((await getConfig("live")).MaximumRetryAttempts).toBe(0);
    expect((await getConfig()).MaximumRetryAttempts).toBe(1);

    requests.length = 0;
    const both = await kind.read(ctx, [latest, live]);
    expect(both.get(latest.identity)).toEqual({ exists: true, maximumRetryAttempts: 1 });
    expect(both.get(live.identity)).toEqual({ exists: true, maximumRetryAttempts: 0, onFailure: failures });
    expect(requests.map((e) => e.operation)).toEqual(["ListFunctionEventInvokeConfigs"]);
    expect(kind.diff(latest.spec, both.get(latest.identity) as InvokeConfigState)).toEqual([]);
    expect(kind.diff(live.spec, both.get(live.identity) as InvokeConfigState)).toEqual([]);
  });

  it("removes a destination set to null and keeps the rest", async () => {
    await reconcile(
      resource({
        functionName: "orders",
        maximumRetryAttempts: 1,
        onSuccess: successes,
        onFailure: failures,
      }),
    );
    const r = resource({ functionName: "orders", onFailure: null });
    expect((await reconcile(r)).changes).toEqual([{ field: "onFailure", actual: failures, desired: null }]);
    const stored = await getConfig();
    expect(stored.DestinationConfig?.OnFailure?.Destination ?? null).toBeNull();
    expect(stored.DestinationConfig?.OnSuccess?.Destination).toBe(successes);
    expect(stored.MaximumRetryAttempts).toBe(1);
    expect((await reconcile(r)).changes).toEqual([]);
  });

  it("leaves settings made by hand alone when the manifest omits them", async () => {
    await sdk().lambda.send(
      new PutFunctionEventInvokeConfigCommand({
        FunctionName: "orders",
        MaximumEventAgeInSeconds: 900,
        DestinationConfig: { OnSuccess: { Destination: successes } },
      }),
    );
    const r = resource({ functionName: "orders", maximumRetryAttempts: 0 });
    expect((await reconcile(r)).changes).toEqual([{ field: "maximumRetryAttempts", actual: 2, desired: 0 }]);
    const stored = await getConfig();
    expect(stored.MaximumRetryAttempts).toBe(0);
    expect(stored.MaximumEventAgeInSeconds).toBe(900);
    expect(stored.DestinationConfig?.OnSuccess?.Destination).toBe(successes);
  });

  it("removes the whole config when every setting goes back to its default", async () => {
    await reconcile(resource({ functionName: "orders", onFailure: failures }));
    const r = resource({ functionName: "orders", maximumRetryAttempts: null, onFailure: null });
    expect((await reconcile(r)).changes).toEqual([{ field: "onFailure", actual: failures, desired: null }]);
    expect(await readOne(r)).toEqual({ exists: false });
    expect((await reconcile(r)).changes).toEqual([]);
  });

  it("fails only the resources of a function that does not exist", async () => {
    const missing = resource({ functionName: "no-such-function", maximumRetryAttempts: 0 });
    const present = resource({ functionName: "orders", maximumRetryAttempts: 0 });
    const result = await kind.read(ctx, [missing, present]);
    expect(result.get(missing.identity)).toMatchObject({ code: "FunctionNotFound", retry: "terminal" });
    expect(result.get(present.identity)).toEqual({ exists: false });
  });

  it("reports an alias that does not exist instead of planning a create", async () => {
    const r = resource({ functionName: "orders", qualifier: "missing", maximumRetryAttempts: 0 });
    const result = await kind.read(ctx, [r]);
    expect(result.get(r.identity)).toMatchObject({ code: "QualifierNotFound", retry: "terminal" });
    // Apply against a stale "absent" read hits the same wall from the Put.
    await expect(
      kind.apply(ctx, r, { exists: false }, kind.diff(r.spec, { exists: false })),
    ).rejects.toMatchObject({
      code: "QualifierNotFound",
    });
  });

  it("a config retryctl creates carries every field the manifest names, AWS defaults included", async () => {
    const r = resource({
      functionName: "orders",
      maximumRetryAttempts: 2,
      maximumEventAgeInSeconds: 21600,
      onFailure: failures,
    });
    const first = await reconcile(r);
    expect(first.changes.map((c) => c.field)).toEqual(["onFailure"]);
    const stored = await getConfig();
    expect([stored.MaximumRetryAttempts, stored.MaximumEventAgeInSeconds]).toEqual([2, 21600]);
    expect((await reconcile(r)).changes).toEqual([]);
  });

  it("an existing config without retries is in sync with a manifest saying 2, and is not rewritten", async () => {
    await sdk().lambda.send(
      new PutFunctionEventInvokeConfigCommand({
        FunctionName: "orders",
        DestinationConfig: { OnFailure: { Destination: failures } },
      }),
    );
    requests.length = 0;
    const r = resource({ functionName: "orders", maximumRetryAttempts: 2, onFailure: failures });
    expect((await reconcile(r)).changes).toEqual([]);
    expect(requests.map((e) => e.operation)).toEqual(["ListFunctionEventInvokeConfigs"]);
    expect("MaximumRetryAttempts" in (await getConfig())).toBe(false);
  });

  it("a retries-only manifest converges although a destination it does not manage was deleted", async () => {
    const audit = await createFunction("audit");
    await sdk().lambda.send(
      new PutFunctionEventInvokeConfigCommand({
        FunctionName: "orders",
        MaximumRetryAttempts: 1,
        DestinationConfig: { OnSuccess: { Destination: audit } },
      }),
    );
    await sdk().lambda.send(new DeleteFunctionCommand({ FunctionName: "audit" }));
    const r = resource({ functionName: "orders", maximumRetryAttempts: 0 });
    requests.length = 0;
    expect((await reconcile(r)).changes).toEqual([{ field: "maximumRetryAttempts", actual: 1, desired: 0 }]);
    expect(requests.map((e) => e.operation)).toEqual([
      "ListFunctionEventInvokeConfigs",
      "UpdateFunctionEventInvokeConfig",
    ]);
    const stored = await getConfig();
    expect(stored.MaximumRetryAttempts).toBe(0);
    expect(stored.DestinationConfig?.OnSuccess?.Destination).toBe(audit);
    expect((await reconcile(r)).changes).toEqual([]);
  });

  it("re-reads the config just before a Put: a setting changed after the batch read survives", async () => {
    const r = resource({ functionName: "orders", onFailure: failures });
    const actual = await readOne(r);
    const changes = kind.diff(r.spec, actual);
    // A deploy sets onSuccess and retries between retryctl's read and its write.
    await sdk().lambda.send(
      new PutFunctionEventInvokeConfigCommand({
        FunctionName: "orders",
        MaximumRetryAttempts: 1,
        DestinationConfig: { OnSuccess: { Destination: successes } },
      }),
    );
    requests.length = 0;
    await kind.apply(ctx, r, actual, changes);
    expect(requests.map((e) => e.operation)).toEqual([
      "ListFunctionEventInvokeConfigs",
      "PutFunctionEventInvokeConfig",
    ]);
    const stored = await getConfig();
    expect(stored.DestinationConfig).toEqual({
      OnSuccess: { Destination: successes },
      OnFailure: { Destination: failures },
    });
    expect(stored.MaximumRetryAttempts).toBe(1);
  });

  it("a retries-only change merges with no re-read: a destination set after the batch read survives", async () => {
    await sdk().lambda.send(
      new PutFunctionEventInvokeConfigCommand({ FunctionName: "orders", MaximumRetryAttempts: 1 }),
    );
    const r = resource({ functionName: "orders", maximumRetryAttempts: 0 });
    const actual = await readOne(r);
    await sdk().lambda.send(
      new PutFunctionEventInvokeConfigCommand({
        FunctionName: "orders",
        MaximumRetryAttempts: 1,
        DestinationConfig: { OnSuccess: { Destination: successes } },
      }),
    );
    requests.length = 0;
    await kind.apply(ctx, r, actual, kind.diff(r.spec, actual));
    expect(requests.map((e) => e.operation)).toEqual(["UpdateFunctionEventInvokeConfig"]);
    const stored = await getConfig();
    expect(stored.MaximumRetryAttempts).toBe(0);
    expect(stored.DestinationConfig?.OnSuccess?.Destination).toBe(successes);
  });

  it("a Lambda destination that does not exist is a terminal DestinationNotFound, with AWS's words", async () => {
    const ghost = "arn:aws:lambda:us-east-1:123456789012:function:ghost";
    const r = resource({ functionName: "orders", onFailure: ghost });
    await expect(reconcile(r)).rejects.toMatchObject({
      code: "DestinationNotFound",
      retry: "terminal",
      message: expect.stringContaining(`The destination ARN ${ghost} is invalid.`),
    });
    await expect(getConfig()).rejects.toMatchObject({ name: "ResourceNotFoundException" });
  });
});
