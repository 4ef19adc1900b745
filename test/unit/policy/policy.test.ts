import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describePolicy, loadPolicyFile } from "../../../src/policy/policy.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "retryctl-policy-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function load(name: string, text: string | Buffer) {
  const path = join(dir, name);
  await writeFile(path, text);
  return { path, result: await loadPolicyFile(path) };
}

const HEAD = "apiVersion: retryctl.dev/v1alpha1\nkind: Policy\n";

describe("loadPolicyFile", () => {
  it("reads every dimension of the allow-list", async () => {
    const { result } = await load(
      "full.yaml",
      `${HEAD}metadata:\n  name: prod\nallow:\n  accounts: ["123456789012"]\n  regions: [us-east-1, eu-west-1]\n  functions: ["orders-*"]\n  queues: ["orders-*"]\n  rules: ["order-*"]\n`,
    );
    expect(result).toEqual({
      ok: true,
      policy: {
        apiVersion: "retryctl.dev/v1alpha1",
        kind: "Policy",
        metadata: { name: "prod" },
        allow: {
          accounts: ["123456789012"],
          regions: ["us-east-1", "eu-west-1"],
          functions: ["orders-*"],
          queues: ["orders-*"],
          rules: ["order-*"],
        },
      },
    });
    if (result.ok) {
      expect(describePolicy(result.policy)).toEqual({
        accounts: ["123456789012"],
        regions: ["us-east-1", "eu-west-1"],
        functions: ["orders-*"],
        queues: ["orders-*"],
        rules: ["order-*"],
      });
    }
  });

  it("accepts an empty allow (no restriction) and keeps an empty list (nothing allowed) apart from none", async () => {
    const { result } = await load("empty-list.yaml", `${HEAD}allow:\n  queues: []\n`);
    expect(result).toMatchObject({ ok: true, policy: { allow: { queues: [] } } });
    if (result.ok) expect(result.policy.allow.functions).toBeUndefined();
  });

  it("reports each bad value with file, line and field path, like manifest errors", async () => {
    const { path, result } = await load(
      "bad.yaml",
      `${HEAD}allow:\n  accounts: ["12345"]\n  regions: [us-east-1, Europe]\n  functions: ["orders/*"]\n  queue: ["x"]\n`,
    );
    expect(result).toEqual({
      ok: false,
      errors: [
        {
          file: path,
          line: 4,
          path: "allow.accounts[0]",
          message: 'must be a 12-digit AWS account ID such as 123456789012, got "12345"',
        },
        {
          file: path,
          line: 5,
          path: "allow.regions[1]",
          message: 'must be an AWS region such as us-east-1, got "Europe"',
        },
        {
          file: path,
          line: 6,
          path: "allow.functions[0]",
          message:
            "must be a name or a glob pattern of letters, digits, '-', '_', '.', '*' (any run) and '?' (one character), got \"orders/*\"",
        },
        {
          file: path,
          line: 7,
          path: "allow.queue",
          message: 'unknown field "queue"; did you mean "queues"?',
        },
      ],
    });
  });

  it("requires the envelope: apiVersion, kind Policy and allow", async () => {
    const { path, result } = await load("envelope.yaml", "apiVersion: v1\nkind: ConfigMap\n");
    expect(result).toEqual({
      ok: false,
      errors: [
        { file: path, line: 1, path: "apiVersion", message: 'must be retryctl.dev/v1alpha1, got "v1"' },
        { file: path, line: 2, path: "kind", message: 'must be Policy, got "ConfigMap"' },
        { file: path, line: 1, path: "allow", message: "is required" },
      ],
    });
  });

  it("refuses duplicate keys, a second document, an empty file and a missing file", async () => {
    const dup = await load("dup.yaml", `${HEAD}allow:\n  regions: [us-east-1]\n  regions: [eu-west-1]\n`);
    expect(dup.result).toEqual({
      ok: false,
      errors: [
        {
          file: dup.path,
          line: 5,
          column: 3,
          path: "allow.regions",
          message: 'duplicate key "regions" (first set on line 4); keys must be unique',
        },
      ],
    });
    const two = await load("two.yaml", `${HEAD}allow: {}\n---\n${HEAD}allow: {}\n`);
    expect(two.result).toEqual({
      ok: false,
      errors: [
        { file: two.path, line: 5, path: "", message: "a policy file holds one document, found another" },
      ],
    });
    const empty = await load("empty.yaml", "# nothing\n");
    expect(empty.result).toEqual({
      ok: false,
      errors: [{ file: empty.path, line: 1, path: "", message: "the policy file is empty" }],
    });
    const missing = await loadPolicyFile(join(dir, "missing.yaml"));
    expect(missing).toEqual({
      ok: false,
      errors: [{ file: join(dir, "missing.yaml"), line: 1, path: "", message: "policy file not found" }],
    });
  });

  it("refuses binary content and alias bombs as the manifest loader does", async () => {
    const binary = await load("bin.yaml", Buffer.from([0x00, 0x01, 0x02]));
    expect(binary.result).toMatchObject({
      ok: false,
      errors: [{ message: "policy file: binary file (it contains NUL bytes); manifests must be UTF-8 text" }],
    });
    const levels = ["a", "b", "c", "d", "e", "f"];
    const bomb = levels
      .map((name, i) => {
        const prev = levels[i - 1];
        return `  ${name}: &${name} [${prev ? Array(9).fill(`*${prev}`).join(", ") : '"x"'}]`;
      })
      .join("\n");
    const aliases = await load("bomb.yaml", `${HEAD}x:\n${bomb}\nallow: {}\n`);
    expect(aliases.result).toMatchObject({
      ok: false,
      errors: [{ message: expect.stringContaining("refusing a possible alias bomb") }],
    });
  });
});

describe("loadPolicyFile access[] (design §6)", () => {
  it("reads member accounts with their role and optional external ID", async () => {
    const { result } = await load(
      "access.yaml",
      `${HEAD}allow: {}\naccess:\n  - account: "111111111111"\n    roleArn: arn:aws:iam::111111111111:role/retryctl\n    externalId: ops-7f3a\n  - account: "222222222222"\n    roleArn: arn:aws:iam::222222222222:role/team/retryctl\n`,
    );
    expect(result).toMatchObject({
      ok: true,
      policy: {
        access: [
          {
            account: "111111111111",
            roleArn: "arn:aws:iam::111111111111:role/retryctl",
            externalId: "ops-7f3a",
          },
          { account: "222222222222", roleArn: "arn:aws:iam::222222222222:role/team/retryctl" },
        ],
      },
    });
  });

  it("refuses a role of another account, a non-role ARN, a bad external ID and a repeated account, with line and field", async () => {
    const { path, result } = await load(
      "bad-access.yaml",
      `${HEAD}allow: {}\naccess:\n  - account: "111111111111"\n    roleArn: arn:aws:iam::222222222222:role/retryctl\n  - account: "333333333333"\n    roleArn: arn:aws:iam::333333333333:user/retryctl\n    externalId: "x"\n  - account: "111111111111"\n    roleArn: arn:aws:iam::111111111111:role/retryctl\n`,
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const errors = result.errors.map(({ line, path: field, message, file }) => ({
      file,
      line,
      field,
      message,
    }));
    expect(errors).toEqual(
      expect.arrayContaining([
        {
          file: path,
          line: 6,
          field: "access[0].roleArn",
          message:
            "names account 222222222222, but account is 111111111111: a member role lives in its own account",
        },
        expect.objectContaining({
          line: 8,
          field: "access[1].roleArn",
          message: expect.stringContaining("must be an IAM role ARN"),
        }),
        expect.objectContaining({ line: 9, field: "access[1].externalId" }),
        expect.objectContaining({
          line: 10,
          field: "access[2].account",
          message: "account 111111111111 is listed twice",
        }),
      ]),
    );
    expect(errors).toHaveLength(4);
  });
});
