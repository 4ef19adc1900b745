import { GetFunctionConfigurationCommand, UpdateFunctionConfigurationCommand } from "@aws-sdk/client-lambda";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AwsClients, RequestEvent } from "../../../src/aws/clients.js";
import {
  type DeadLetterState,
  type FunctionDeadLetterConfigSpec,
  functionDeadLetterConfig as kind,
} from "../../../src/kinds/function-dead-letter-config.js";
import type { DesiredResource, KindContext } from "../../../src/kinds/kind.js";
import {
  createFunction,
  createQueue,
  resetMoto,
  sdk,
  TEST_REGION,
  testAwsClients,
} from "../../support/aws.js";
import { desired, readState } from "../../support/kinds.js";

let aws: AwsClients;
let requests: RequestEvent[];
let ctx: KindContext;
let dlq: string;
let otherDlq: string;

beforeEach(async () => {
  await resetMoto();
  ({ aws, requests } = testAwsClients());
  ctx = { aws, log: pino({ level: "silent" }) };
  dlq = (await createQueue("orders-dlq")).arn;
  otherDlq = (await createQueue("orders-dlq-2")).arn;
});

afterEach(() => aws.destroy());

function resource(spec: Record<string, unknown>): DesiredResource<FunctionDeadLetterConfigSpec> {
  return desired(kind, spec, TEST_REGION);
}

function readOne(r: DesiredResource<FunctionDeadLetterConfigSpec>): Promise<DeadLetterState> {
  return readState(kind, ctx, r);
}

async function reconcile(r: DesiredResource<FunctionDeadLetterConfigSpec>) {
  const actual = await readOne(r);
  const changes = kind.diff(r.spec, actual);
  if (changes.length > 0) await kind.apply(ctx, r, actual, changes);
  return changes;
}

/** AWS's own view through a plain SDK client, independent of the kind's read. */
async function storedTarget(name = "orders"): Promise<string | undefined> {
  const got = await sdk().lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
  return got.DeadLetterConfig?.TargetArn || undefined;
}

describe("FunctionDeadLetterConfig against the Lambda API", () => {
  it("sets, changes and clears the DLQ, with nothing left to change after each step", async () => {
    const fnArn = await createFunction("orders", { timeout: 30 });
    const steps: [string | null, string | undefined][] = [
      [dlq, dlq],
      [otherDlq, otherDlq],
      [null, undefined],
    ];
    for (const [targetArn, expected] of steps) {
      const r = resource({ functionName: fnArn, targetArn });
      expect(await reconcile(r)).toHaveLength(1);
      expect(await storedTarget()).toBe(expected);
      expect((await readOne(r)).targetArn).toBe(expected);
      expect(await reconcile(r)).toEqual([]);
    }
    // Only DeadLetterConfig was sent: the function's other settings are as they were.
    const config = await sdk().lambda.send(new GetFunctionConfigurationCommand({ FunctionName: "orders" }));
    expect(config.Timeout).toBe(30);
  });

  it("reads with GetFunction only, and leaves a DLQ alone when the manifest omits targetArn", async () => {
    await createFunction("orders", { deadLetterArn: dlq });
    const r = resource({ functionName: "orders" });
    requests.length = 0;
    expect(await reconcile(r)).toEqual([]);
    expect(requests.map((e) => e.operation)).toEqual(["GetFunction"]);
    expect(await storedTarget()).toBe(dlq);
    expect((await readOne(resource({ functionName: "orders", targetArn: dlq }))).targetArn).toBe(dlq);
  });

  it("keeps a DLQ changed by hand visible as drift", async () => {
    await createFunction("orders", { deadLetterArn: dlq });
    await sdk().lambda.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: "orders",
        DeadLetterConfig: { TargetArn: otherDlq },
      }),
    );
    const r = resource({ functionName: "orders", targetArn: dlq });
    expect(await reconcile(r)).toEqual([{ field: "targetArn", actual: otherDlq, desired: dlq }]);
    expect(await storedTarget()).toBe(dlq);
  });

  it("fails only the resource whose function does not exist", async () => {
    await createFunction("orders");
    const missing = resource({ functionName: "no-such-function", targetArn: dlq });
    const present = resource({ functionName: "orders", targetArn: dlq });
    const result = await kind.read(ctx, [missing, present]);
    expect(result.get(missing.identity)).toMatchObject({ code: "FunctionNotFound", retry: "terminal" });
    expect(result.get(present.identity)).toMatchObject({ state: "Active" });
    expect((result.get(present.identity) as DeadLetterState).targetArn).toBeUndefined();
  });
});
