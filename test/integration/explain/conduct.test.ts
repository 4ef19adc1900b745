import { PutFunctionEventInvokeConfigCommand } from "@aws-sdk/client-lambda";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { explainDocumentSchema } from "../../../src/explain/model.js";
import {
  createFunction,
  createQueue,
  publishVersionAndAlias,
  resetMoto,
  sdk,
  TEST_REGION,
} from "../../support/aws.js";
import { cli, manifest, manifestDir } from "../../support/cli.js";
import { bareAwsEnv } from "../../support/env.js";
import { FaultProxy } from "../../support/fault-proxy.js";

/** explain behaves as the other one-shot commands do: credentials, region, throttling (design §6, §13). */
let proxy: FaultProxy;
let restoreEnv: (() => void) | undefined;
beforeAll(async () => {
  proxy = await FaultProxy.start();
});
afterAll(() => proxy.close());
beforeEach(async () => {
  await resetMoto();
  proxy.reset();
});
afterEach(() => {
  restoreEnv?.();
  restoreEnv = undefined;
});

const orders = () =>
  manifestDir({
    "m.yaml": manifest("FunctionEventInvokeConfig", "orders", {
      functionName: "orders",
      maximumRetryAttempts: 1,
    }),
  });

const explain = (dir: string, ...flags: string[]) =>
  cli("explain", dir, "--output", "json", "--endpoint-url", proxy.endpoint, ...flags);

describe("explain's conduct", () => {
  it("without any AWS credentials: CredentialsMissing with the hint, exit 1, no request sent", async () => {
    const dir = await orders();
    restoreEnv = await bareAwsEnv();
    const run = await explain(dir, "--region", TEST_REGION);
    restoreEnv();
    restoreEnv = undefined;
    expect(run.code).toBe(1);
    const [fn] = explainDocumentSchema.parse(run.json()).functions;
    expect(fn?.error?.code).toBe("CredentialsMissing");
    expect(fn?.error?.message).toContain("aws sts get-caller-identity");
    expect(proxy.count()).toBe(0);
  });

  it("without a region: says how to set one, exit 1, no request sent", async () => {
    const dir = await orders();
    restoreEnv = await bareAwsEnv();
    const run = await cli("explain", dir, "--endpoint-url", proxy.endpoint);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      "retryctl: no AWS region is configured: pass --region, set RETRYCTL_REGION or AWS_REGION",
    );
    expect(proxy.count()).toBe(0);
  });

  it("rides out Lambda throttling (the SDK's retries) and gives the same answer", async () => {
    await createFunction("orders");
    const dir = await orders();
    proxy.set({ throttle: { service: "lambda", count: 2 } });
    const run = await explain(dir);
    expect(run.code, run.stderr).toBe(2);
    expect(proxy.injected().throttle).toBe(2);
    const [fn] = explainDocumentSchema.parse(run.json()).functions;
    expect(fn?.paths.map((p) => [p.trigger, p.attempts, p.terminal.type])).toEqual([["async", 3, "dropped"]]);
  });

  it("an alias with its own invoke config gets its own async path, with its version's DLQ", async () => {
    const dlq = await createQueue("orders-dlq");
    await createFunction("orders", { deadLetterArn: dlq.arn });
    await publishVersionAndAlias("orders", "live");
    await sdk().lambda.send(
      new PutFunctionEventInvokeConfigCommand({
        FunctionName: "orders",
        Qualifier: "live",
        MaximumRetryAttempts: 0,
      }),
    );
    const run = await explain(await orders());
    expect(run.code, run.stderr).toBe(0);
    const [fn] = explainDocumentSchema.parse(run.json()).functions;
    expect(fn?.paths.map((p) => [p.source.split(":").pop(), p.attempts, p.terminal])).toEqual([
      ["$LATEST", 3, { type: "dlq", arn: dlq.arn }],
      ["live", 1, { type: "dlq", arn: dlq.arn }],
    ]);
    // The alias's DLQ is read from the alias (GetFunction with its qualifier): one more call.
    expect(
      proxy
        .requests()
        .filter((r) => r.operation === "GetFunction")
        .map((r) => r.resource),
    ).toEqual(["function:orders", "function:orders:live"]);
  });
});
