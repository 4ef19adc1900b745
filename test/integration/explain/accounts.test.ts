import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { PutFunctionEventInvokeConfigCommand } from "@aws-sdk/client-lambda";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { explainDocumentSchema } from "../../../src/explain/model.js";
import {
  accessPolicy,
  createFunctionIn,
  createMemberRole,
  createQueueIn,
  forgetAccountSeeds,
  HUB,
  MEMBER_A,
  memberRole,
  sdkIn,
} from "../../support/accounts.js";
import { resetMoto } from "../../support/aws.js";
import { cli, manifest, manifestDir } from "../../support/cli.js";
import { FaultProxy } from "../../support/fault-proxy.js";

/** explain reads a member account's function with that account's assumed credentials (design §6), as apply does. */
let proxy: FaultProxy;
beforeAll(async () => {
  proxy = await FaultProxy.start();
});
afterAll(() => proxy.close());

let dir: string;
let policyFile: string;
let memberFailed: string;

beforeEach(async () => {
  await resetMoto();
  forgetAccountSeeds();
  await createMemberRole(MEMBER_A);
  await createFunctionIn(HUB, "orders");
  await createFunctionIn(MEMBER_A, "orders");
  memberFailed = (await createQueueIn(MEMBER_A, "orders-failed")).arn;
  await sdkIn(MEMBER_A).lambda.send(
    new PutFunctionEventInvokeConfigCommand({
      FunctionName: "orders",
      MaximumRetryAttempts: 1,
      DestinationConfig: { OnFailure: { Destination: memberFailed } },
    }),
  );
  dir = await manifestDir({
    "orders.yaml": [
      manifest("FunctionDeadLetterConfig", "orders-hub", { functionName: "orders", targetArn: null }),
      manifest("FunctionEventInvokeConfig", "orders-a", {
        functionName: "orders",
        account: MEMBER_A,
        maximumRetryAttempts: 1,
      }),
    ].join("---\n"),
  });
  policyFile = join(dir, "..", `${dir.split("/").pop()}-policy.yaml`);
  await writeFile(policyFile, accessPolicy([{ account: MEMBER_A }]));
  proxy.reset();
});

const explain = () =>
  cli("explain", dir, "--output", "json", "--policy", policyFile, "--endpoint-url", proxy.endpoint);

describe("explain across accounts", () => {
  it("explains each account's function with its own credentials", async () => {
    const run = await explain();
    const doc = explainDocumentSchema.parse(run.json());
    expect(doc.functions.map((f) => [f.account, f.functionArn, f.paths.map((p) => p.terminal.type)])).toEqual(
      [
        [HUB, `arn:aws:lambda:us-east-1:${HUB}:function:orders`, ["dropped"]],
        [MEMBER_A, `arn:aws:lambda:us-east-1:${MEMBER_A}:function:orders`, ["destination"]],
      ],
    );
    expect(doc.functions[1]?.paths[0]).toMatchObject({ attempts: 2, terminal: { arn: memberFailed } });
    const reads = proxy.requests().filter((r) => r.operation === "GetFunction");
    expect(reads.map((r) => r.account).sort()).toEqual([HUB, MEMBER_A].sort());
    expect(proxy.count({ service: "sts", operation: "AssumeRole" })).toBe(1);
    expect(run.code).toBe(2);
  });

  it("a member whose role cannot be assumed is an error on its function (exit 1); the hub's is still explained", async () => {
    proxy.set({ assumeRole: { refuse: [memberRole(MEMBER_A)] } });
    const run = await explain();
    expect(run.code).toBe(1);
    const doc = explainDocumentSchema.parse(run.json());
    expect(doc.functions.map((f) => [f.account, f.error?.code ?? null, f.paths.length])).toEqual([
      [HUB, null, 1],
      [MEMBER_A, "AssumeRoleFailed", 0],
    ]);
    expect(proxy.requests().filter((r) => r.account === MEMBER_A && r.service !== "sts")).toEqual([]);
  });
});
