import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { GetFunctionEventInvokeConfigCommand } from "@aws-sdk/client-lambda";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadPolicyFile } from "../../../src/policy/policy.js";
import { createFunction, createQueue, resetMoto, sdk, TEST_ACCOUNT } from "../../support/aws.js";
import { cli, manifest, manifestDir, type PlanJson } from "../../support/cli.js";
import { FaultProxy } from "../../support/fault-proxy.js";
import { get, resource, startController, type TestController } from "../controller/harness.js";

/**
 * The allow-list (`--policy`) and `spec.account` against moto, through the
 * fault proxy that records every request with the object it addresses: a
 * refused resource is an error and not one request names it, while the
 * allowed ones apply.
 */
const POLICY = `apiVersion: retryctl.dev/v1alpha1
kind: Policy
allow:
  accounts: ["${TEST_ACCOUNT}"]
  regions: [us-east-1]
  functions: ["orders-*"]
  queues: ["orders-*"]
  rules: ["order-*"]
`;

let proxy: FaultProxy;
let dir: string;
let policyFile: string;
let controller: TestController | undefined;

beforeAll(async () => {
  proxy = await FaultProxy.start();
});
afterAll(() => proxy.close());
afterEach(async () => {
  await controller?.stop();
  controller = undefined;
});

beforeEach(async () => {
  await resetMoto();
  proxy.reset();
  const failed = await createQueue("orders-failed");
  const outside = await createQueue("exfiltrate");
  await createFunction("orders-processor");
  await createFunction("payments-processor");
  await createFunction("orders-reporter");
  await createQueue("orders-in");
  await createQueue("billing-dlq");
  dir = await manifestDir({
    "allowed.yaml": manifest("FunctionEventInvokeConfig", "orders", {
      functionName: "orders-processor",
      maximumRetryAttempts: 1,
      onFailure: failed.arn,
    }),
    "denied.yaml": [
      manifest("FunctionEventInvokeConfig", "payments", {
        functionName: "payments-processor",
        maximumRetryAttempts: 0,
        onFailure: failed.arn,
      }),
      manifest("FunctionEventInvokeConfig", "orders-reporter", {
        functionName: "orders-reporter",
        maximumRetryAttempts: 0,
        onFailure: outside.arn,
      }),
      manifest("QueueRedrivePolicy", "orders-in", {
        queue: "orders-in",
        deadLetterQueue: "billing-dlq",
        maxReceiveCount: 5,
      }),
    ].join("---\n"),
  });
  policyFile = join(dir, "..", `${dir.split("/").pop()}-policy.yaml`);
  await writeFile(policyFile, POLICY);
});

const DENIALS = {
  payments: 'denied by policy: function "payments-processor" does not match allow.functions [orders-*]',
  "orders-reporter": 'denied by policy: queue "exfiltrate" does not match allow.queues [orders-*]',
  "orders-in": 'denied by policy: queue "billing-dlq" does not match allow.queues [orders-*]',
};

/** Every object a request addressed, e.g. `function:orders-processor` or `queue:orders-in`. */
function addressed(): string[] {
  return [...new Set(proxy.requests().flatMap((r) => (r.resource ? [r.resource] : [])))].sort();
}

function untouched(): void {
  const names = addressed().join(" ");
  for (const name of ["payments-processor", "orders-reporter", "exfiltrate", "orders-in", "billing-dlq"]) {
    expect(names, name).not.toContain(name);
  }
}

describe("apply --policy", () => {
  it("applies what the allow-list allows and refuses the rest before any AWS call for it", async () => {
    const run = await cli(
      "apply",
      dir,
      "--policy",
      policyFile,
      "--endpoint-url",
      proxy.endpoint,
      "--output",
      "json",
    );
    expect(run.code, run.stderr).toBe(1);
    const resources = run.json<PlanJson>().resources;
    expect(resources.find((r) => r.name === "orders")).toMatchObject({ action: "create", applied: true });
    for (const [name, message] of Object.entries(DENIALS)) {
      expect(
        resources.find((r) => r.name === name),
        name,
      ).toMatchObject({
        action: "error",
        changes: [],
        error: { code: "DeniedByPolicy", message },
      });
    }
    untouched();
    expect(addressed()).toEqual(["function:orders-processor"]);
    // The account check asked STS once for the whole run; the config was read, and read again
    // just before the replacing Put.
    expect(proxy.counts()).toEqual({
      "sts.GetCallerIdentity": 1,
      "lambda.ListFunctionEventInvokeConfigs": 2,
      "lambda.PutFunctionEventInvokeConfig": 1,
    });
    const { lambda } = sdk();
    const applied = await lambda.send(
      new GetFunctionEventInvokeConfigCommand({ FunctionName: "orders-processor" }),
    );
    expect(applied.MaximumRetryAttempts).toBe(1);
    await expect(
      lambda.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: "payments-processor" })),
    ).rejects.toMatchObject({ name: "ResourceNotFoundException" });
  });

  it("says why in the text plan, and diff exits 1 on a refusal", async () => {
    const run = await cli("diff", dir, "--policy", policyFile, "--endpoint-url", proxy.endpoint);
    expect(run.code).toBe(1);
    // The folder is outside the current directory: files are named by their absolute path.
    expect(run.stdout).toContain(
      `! FunctionEventInvokeConfig/payments (us-east-1, account ${TEST_ACCOUNT}, ${join(dir, "denied.yaml")}:1) failed`,
    );
    expect(run.stdout).toContain(`    error DeniedByPolicy: ${DENIALS.payments}`);
    untouched();
  });

  it("reads the policy from RETRYCTL_POLICY too", async () => {
    process.env.RETRYCTL_POLICY = policyFile;
    try {
      const run = await cli("diff", dir, "--endpoint-url", proxy.endpoint, "--output", "json");
      const denied = run.json<PlanJson>().resources.filter((r) => r.error?.code === "DeniedByPolicy");
      expect(denied.map((r) => r.name).sort()).toEqual(Object.keys(DENIALS).sort());
    } finally {
      delete process.env.RETRYCTL_POLICY;
    }
  });

  it("refuses everything, with one STS call and no other, when the credentials' account is not allowed", async () => {
    await writeFile(
      policyFile,
      "apiVersion: retryctl.dev/v1alpha1\nkind: Policy\nallow:\n  accounts: ['999999999999']\n",
    );
    const run = await cli(
      "apply",
      dir,
      "--policy",
      policyFile,
      "--endpoint-url",
      proxy.endpoint,
      "--output",
      "json",
    );
    expect(run.code).toBe(1);
    const messages = new Map(run.json<PlanJson>().resources.map((r) => [r.name, r.error?.message]));
    // An ARN naming the account is refused offline; a manifest without one, once STS has answered.
    expect(messages.get("orders")).toBe(
      `denied by policy: account ${TEST_ACCOUNT} named in the spec is not in allow.accounts [999999999999]`,
    );
    expect(messages.get("orders-in")).toBe(
      `denied by policy: account ${TEST_ACCOUNT} (the credentials' account) is not in allow.accounts [999999999999]`,
    );
    expect(proxy.counts()).toEqual({ "sts.GetCallerIdentity": 1 });
  });

  it("stops before any AWS call on a bad policy file, listing its errors with lines", async () => {
    await writeFile(
      policyFile,
      POLICY.replace("regions: [us-east-1]", "regions: [us-east-1]\n  region: [x]"),
    );
    const run = await cli("apply", dir, "--policy", policyFile, "--endpoint-url", proxy.endpoint);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `retryctl: invalid policy file ${policyFile}:\n  ${policyFile}:6: allow.region: unknown field "region"; did you mean "regions"?\n`,
    );
    expect(proxy.requests()).toHaveLength(0);
  });

  it("run refuses to start on a bad policy file (fail closed)", async () => {
    await writeFile(policyFile, POLICY.replace('["orders-*"]', '["orders/*"]'));
    const run = await cli("run", "--dir", dir, "--policy", policyFile, "--listen", "127.0.0.1:0");
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^retryctl: invalid policy file .*\n {2}.*:6: allow\.functions\[0\]: must be a name or a glob pattern/,
    );
    expect(proxy.requests()).toHaveLength(0);
  });

  it("validate --policy reports the refusals offline, on the manifests' lines", async () => {
    const run = await cli("validate", dir, "--policy", policyFile, "--output", "json");
    expect(run.code).toBe(1);
    expect(run.json<{ errors: unknown[] }>().errors).toEqual([
      { file: join(dir, "denied.yaml"), line: 1, path: "", message: DENIALS.payments },
      { file: join(dir, "denied.yaml"), line: 14, path: "", message: DENIALS["orders-reporter"] },
      { file: join(dir, "denied.yaml"), line: 27, path: "", message: DENIALS["orders-in"] },
    ]);
    expect(proxy.requests()).toHaveLength(0);
  });
});

describe("spec.account", () => {
  it("refuses a manifest pinned to another account (AccountNotConfigured) and applies one pinned to the caller's", async () => {
    const failed = "arn:aws:sqs:us-east-1:123456789012:orders-failed";
    const pinned = await manifestDir({
      "a.yaml": [
        manifest("FunctionEventInvokeConfig", "mine", {
          account: TEST_ACCOUNT,
          functionName: "orders-processor",
          maximumRetryAttempts: 0,
          onFailure: failed,
        }),
        manifest("FunctionEventInvokeConfig", "theirs", {
          account: "210987654321",
          functionName: "payments-processor",
          maximumRetryAttempts: 0,
          onFailure: failed,
        }),
      ].join("---\n"),
    });
    const run = await cli("apply", pinned, "--endpoint-url", proxy.endpoint, "--output", "json");
    expect(run.code).toBe(1);
    const byName = new Map(run.json<PlanJson>().resources.map((r) => [r.name, r]));
    expect(byName.get("mine")).toMatchObject({ action: "create", applied: true });
    expect(byName.get("theirs")).toMatchObject({
      action: "error",
      error: {
        code: "AccountNotConfigured",
        message: `spec.account names account 210987654321, but the credentials in use are of account ${TEST_ACCOUNT} and the policy file's access lists no role for that account; not touching it`,
      },
    });
    expect(addressed()).toEqual(["function:orders-processor"]);
    expect(proxy.count({ service: "sts" })).toBe(1);
  });

  it("makes no STS call when neither a policy nor a manifest names an account", async () => {
    const run = await cli("diff", dir, "--endpoint-url", proxy.endpoint);
    expect(run.code).toBe(2);
    expect(proxy.count({ service: "sts" })).toBe(0);
  });
});

describe("the controller with a policy", () => {
  it("reconciles the allowed resources, shows the refused ones as DeniedByPolicy and never calls AWS for them", async () => {
    const loaded = await loadPolicyFile(policyFile);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    const c = await startController({ dir, endpoint: proxy.endpoint, policy: loaded.policy });
    controller = c;
    await expect
      .poll(async () => (await resource(c.url, "orders"))?.status, { timeout: 20_000 })
      .toBe("Synced");
    for (const [name, message] of Object.entries(DENIALS)) {
      await expect
        .poll(async () => (await resource(c.url, name))?.reason, { timeout: 10_000 })
        .toBe("DeniedByPolicy");
      expect((await resource(c.url, name))?.status).toBe("Error");
      expect((await resource(c.url, name))?.message).toContain(message);
    }
    // Refused resources are retried with backoff (200 ms … 2 s here); each retry is refused again, offline.
    await new Promise((r) => setTimeout(r, 2_500));
    untouched();
    // The allowed resource's failure queue is read for its depth (design §11); the refused ones' are not.
    expect(addressed()).toEqual(["function:orders-processor", "queue:orders-failed"]);
    expect(proxy.count({ service: "sts" })).toBe(1);
    const started = c.logs.find((l) => l.msg === "controller started");
    expect(started?.policy).toEqual({
      accounts: [TEST_ACCOUNT],
      regions: ["us-east-1"],
      functions: ["orders-*"],
      queues: ["orders-*"],
      rules: ["order-*"],
    });
    const metrics = (await get(`${c.url}/metrics`)).body;
    expect(metrics).toMatch(
      /retryctl_reconcile_total\{kind="FunctionEventInvokeConfig",result="error"\} [1-9]/,
    );
    // Counted before the caller's account is known; every later hub request carries it.
    expect(metrics).toContain(
      'retryctl_aws_requests_total{service="sts",operation="GetCallerIdentity",account="",outcome="success"} 1',
    );
    expect(metrics).toMatch(
      /^retryctl_aws_requests_total\{service="lambda",operation="ListFunctionEventInvokeConfigs",account="123456789012",outcome="success"\} [1-9]/m,
    );
    expect((await get(`${c.url}/healthz`)).status).toBe(200);
  });
});
