import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { resetMoto, TEST_CREDENTIALS } from "../../support/aws.js";
import { cli, manifest, manifestDir, type PlanJson } from "../../support/cli.js";
import { bareAwsEnv } from "../../support/env.js";
import { FaultProxy } from "../../support/fault-proxy.js";

/**
 * The region (design §13): `--region`, `RETRYCTL_REGION`, then the SDK's own
 * chain (`AWS_REGION`, the profile's `region`); never `us-east-1` by default.
 * The proxy records each request's signing region, so the region used shows.
 */
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

const CREDENTIALS = {
  AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
};
// With AWS_PROFILE set the SDK takes credentials from the profile, not from the environment.
const PROFILE_CONFIG = `[default]
region = ap-south-1

[profile ops]
region = eu-west-1
aws_access_key_id = ${TEST_CREDENTIALS.accessKeyId}
aws_secret_access_key = ${TEST_CREDENTIALS.secretAccessKey}
`;

function orders(): Promise<string> {
  return manifestDir({
    "m.yaml": manifest("FunctionEventInvokeConfig", "orders", {
      functionName: "orders",
      maximumRetryAttempts: 1,
    }),
  });
}

/** The region of the plan's resource and every region AWS was asked in. */
async function regionsOfDiff(...flags: string[]): Promise<{ resource?: string; requests: string[] }> {
  const run = await cli(
    "diff",
    await orders(),
    "--endpoint-url",
    proxy.endpoint,
    "--output",
    "json",
    ...flags,
  );
  expect(run.code, run.stdout + run.stderr).toBe(1); // FunctionNotFound: nothing is seeded
  const requests = [...new Set(proxy.requests().map((r) => r.region))];
  return {
    resource: run.json<PlanJson>().resources[0]?.region,
    requests,
  };
}

describe("where the region comes from", () => {
  it("the profile's region in ~/.aws/config (AWS_PROFILE)", async () => {
    restoreEnv = await bareAwsEnv({ config: PROFILE_CONFIG, env: { ...CREDENTIALS, AWS_PROFILE: "ops" } });
    expect(await regionsOfDiff()).toEqual({ resource: "eu-west-1", requests: ["eu-west-1"] });
  });

  it("the default profile's region without AWS_PROFILE", async () => {
    restoreEnv = await bareAwsEnv({ config: PROFILE_CONFIG, env: CREDENTIALS });
    expect(await regionsOfDiff()).toEqual({ resource: "ap-south-1", requests: ["ap-south-1"] });
  });

  it("AWS_REGION over the profile", async () => {
    restoreEnv = await bareAwsEnv({
      config: PROFILE_CONFIG,
      env: { ...CREDENTIALS, AWS_PROFILE: "ops", AWS_REGION: "eu-central-1" },
    });
    expect(await regionsOfDiff()).toEqual({ resource: "eu-central-1", requests: ["eu-central-1"] });
  });

  it("RETRYCTL_REGION over AWS_REGION, and --region over both", async () => {
    restoreEnv = await bareAwsEnv({
      config: PROFILE_CONFIG,
      env: { ...CREDENTIALS, AWS_PROFILE: "ops", AWS_REGION: "eu-central-1", RETRYCTL_REGION: "eu-north-1" },
    });
    expect(await regionsOfDiff()).toEqual({ resource: "eu-north-1", requests: ["eu-north-1"] });
    proxy.reset();
    expect(await regionsOfDiff("--region", "sa-east-1")).toEqual({
      resource: "sa-east-1",
      requests: ["sa-east-1"],
    });
  });
});

describe("no region anywhere", () => {
  const advice = ["--region", "RETRYCTL_REGION", "AWS_REGION", "region = …", "~/.aws/config"];

  for (const command of [["diff"], ["apply"], ["apply", "--dry-run"]]) {
    it(`${command.join(" ")} exits 1 saying how to set one, before any AWS call`, async () => {
      const dir = await orders();
      restoreEnv = await bareAwsEnv({ env: CREDENTIALS });
      const run = await cli(...command, dir, "--endpoint-url", proxy.endpoint);
      expect(run.code).toBe(1);
      expect(run.stdout).toBe("");
      expect(run.stderr).toContain("no AWS region is configured");
      for (const way of advice) expect(run.stderr).toContain(way);
      expect(proxy.count()).toBe(0);
    });
  }

  it("run (the controller) refuses to start, saying how to set one", async () => {
    const dir = await orders();
    restoreEnv = await bareAwsEnv({ env: CREDENTIALS });
    const run = await cli("run", "--dir", dir, "--listen", "127.0.0.1:0", "--endpoint-url", proxy.endpoint);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("no AWS region is configured");
    for (const way of advice) expect(run.stderr).toContain(way);
    expect(proxy.count()).toBe(0);
  });

  it("names AWS_DEFAULT_REGION when that is all there is (the SDK does not read it)", async () => {
    restoreEnv = await bareAwsEnv({ env: { ...CREDENTIALS, AWS_DEFAULT_REGION: "eu-west-1" } });
    const run = await cli("diff", await orders(), "--endpoint-url", proxy.endpoint);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("AWS_DEFAULT_REGION is set, but only the AWS CLI reads it");
  });

  it("the advice names the profile in use", async () => {
    restoreEnv = await bareAwsEnv({
      config: "[profile ops]\noutput = json\n",
      env: { ...CREDENTIALS, AWS_PROFILE: "ops" },
    });
    const run = await cli("diff", await orders(), "--endpoint-url", proxy.endpoint);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("under [profile ops] in ~/.aws/config");
  });
});

describe("validate without a region", () => {
  const queueArn = "arn:aws:sqs:us-east-1:123456789012:orders-failed";
  const docs = () =>
    manifestDir({
      "m.yaml": manifest("FunctionEventInvokeConfig", "orders", {
        functionName: "orders",
        maximumRetryAttempts: 1,
        onFailure: queueArn,
      }),
    });

  it("passes, with one line saying the region check was skipped and how to enable it", async () => {
    const dir = await docs();
    restoreEnv = await bareAwsEnv();
    const text = await cli("validate", dir);
    const json = await cli("validate", dir, "--output", "json");
    expect(text.code, text.stdout + text.stderr).toBe(0);
    expect(text.stdout).toContain("1 valid manifest(s), 0 error(s)");
    const notes = text.stderr.trim().split("\n");
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(
      /^note: no AWS region is configured, so ARNs were checked against spec.region only/,
    );
    for (const way of ["--region", "RETRYCTL_REGION", "AWS_REGION"]) expect(notes[0]).toContain(way);
    expect(json.code).toBe(0);
    expect(json.json()).toEqual({ valid: true, errors: [], warnings: [] });
    expect(json.stderr).toBe(text.stderr);
  });

  it("with a region, the same manifests are checked against it", async () => {
    const dir = await docs();
    restoreEnv = await bareAwsEnv({ env: { AWS_REGION: "eu-west-1" } });
    const run = await cli("validate", dir);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("is in region us-east-1, but the manifest's region is eu-west-1");
    expect(run.stderr).toBe("");
  });

  it("a policy's allow.regions does not refuse manifests whose region is unknown", async () => {
    const dir = await docs();
    const policy = await manifestDir({
      "policy.yaml": "apiVersion: retryctl.dev/v1alpha1\nkind: Policy\nallow:\n  regions: [us-east-1]\n",
    });
    restoreEnv = await bareAwsEnv();
    const run = await cli("validate", dir, "--policy", `${policy}/policy.yaml`);
    expect(run.code, run.stdout).toBe(0);
  });
});
