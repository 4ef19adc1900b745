import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CreateRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { CreateFunctionCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { motoEndpoint, TEST_ACCOUNT, TEST_CREDENTIALS, TEST_REGION } from "./aws.js";
import { REPO_ROOT } from "./moto-server.js";
import { storedZip } from "./zip.js";

/** The member accounts of the design's example policy (§6); the hub is moto's default account. */
export const MEMBER_A = "111111111111";
export const MEMBER_B = "222222222222";
export const HUB = TEST_ACCOUNT;

/** The role retryctl assumes in each member account, as in the README and deploy/iam-hub-assume-role.json. */
export const memberRole = (account: string) => `arn:aws:iam::${account}:role/retryctl`;

/** deploy/iam-member-trust-policy.json: the trust policy shipped for member roles. */
export const MEMBER_TRUST_POLICY = readFileSync(
  join(REPO_ROOT, "deploy/iam-member-trust-policy.json"),
  "utf8",
);

export interface AccountSdk {
  lambda: LambdaClient;
  sqs: SQSClient;
  iam: IAMClient;
}

/**
 * Plain SDK clients acting in `account` of moto (its `x-moto-account-id` header), for seeding and
 * reading back; they go to moto directly, so a fault proxy in front of retryctl sees none of them.
 */
export function sdkIn(account: string, endpoint = motoEndpoint()): AccountSdk {
  const config = {
    region: TEST_REGION,
    endpoint,
    credentials: TEST_CREDENTIALS,
    requestHandler: new NodeHttpHandler({ connectionTimeout: 5_000, requestTimeout: 30_000 }),
    maxAttempts: 1,
  };
  const clients = {
    lambda: new LambdaClient(config),
    sqs: new SQSClient(config),
    iam: new IAMClient(config),
  };
  for (const client of Object.values(clients)) {
    // biome-ignore lint/suspicious/noExplicitAny: the middleware generics differ per client.
    (client.middlewareStack as any).add(
      // biome-ignore lint/suspicious/noExplicitAny: as above.
      (next: any) => async (args: any) => {
        args.request.headers["x-moto-account-id"] = account;
        return next(args);
      },
      { step: "build", name: "motoAccount" },
    );
  }
  return clients;
}

/** Creates the member role retryctl assumes, with the shipped trust policy. */
export async function createMemberRole(account: string, endpoint = motoEndpoint()): Promise<void> {
  await sdkIn(account, endpoint).iam.send(
    new CreateRoleCommand({ RoleName: "retryctl", AssumeRolePolicyDocument: MEMBER_TRUST_POLICY }),
  );
}

const HANDLER_ZIP = storedZip("index.py", "def handler(event, context):\n    return event\n");
const lambdaRoles = new Set<string>();

/** Creates a function (and, once per account, the execution role it needs) in `account`; returns its ARN. */
export async function createFunctionIn(
  account: string,
  name: string,
  endpoint = motoEndpoint(),
): Promise<string> {
  const clients = sdkIn(account, endpoint);
  const roleName = "retryctl-test-lambda-role";
  if (!lambdaRoles.has(`${endpoint}/${account}`)) {
    await clients.iam
      .send(
        new CreateRoleCommand({
          RoleName: roleName,
          AssumeRolePolicyDocument: JSON.stringify({
            Version: "2012-10-17",
            Statement: [
              { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" },
            ],
          }),
        }),
      )
      .catch((err: { name?: string }) => {
        if (err.name !== "EntityAlreadyExists") throw err;
      });
    lambdaRoles.add(`${endpoint}/${account}`);
  }
  const out = await clients.lambda.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: "python3.12",
      Role: `arn:aws:iam::${account}:role/${roleName}`,
      Handler: "index.handler",
      Code: { ZipFile: HANDLER_ZIP },
    }),
  );
  if (!out.FunctionArn) throw new Error("CreateFunction returned no FunctionArn");
  return out.FunctionArn;
}

/** Forgets the execution roles made so far (call after `resetMoto`). */
export function forgetAccountSeeds(): void {
  lambdaRoles.clear();
}

/** Creates an SQS queue in `account`; returns its URL and ARN. */
export async function createQueueIn(
  account: string,
  name: string,
  endpoint = motoEndpoint(),
): Promise<{ url: string; arn: string }> {
  const { sqs } = sdkIn(account, endpoint);
  const created = await sqs.send(new CreateQueueCommand({ QueueName: name }));
  if (!created.QueueUrl) throw new Error("CreateQueue returned no QueueUrl");
  const got = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: created.QueueUrl, AttributeNames: ["QueueArn"] }),
  );
  const arn = got.Attributes?.QueueArn;
  if (!arn) throw new Error("GetQueueAttributes returned no QueueArn");
  return { url: created.QueueUrl, arn };
}

/** A policy file granting the hub access to the members (design §6), with extra YAML under `allow` if given. */
export function accessPolicy(
  members: { account: string; roleArn?: string; externalId?: string }[],
  allow = "{}",
): string {
  const entries = members.map((m) => {
    const lines = [`  - account: "${m.account}"`, `    roleArn: ${m.roleArn ?? memberRole(m.account)}`];
    if (m.externalId) lines.push(`    externalId: ${m.externalId}`);
    return lines.join("\n");
  });
  return `apiVersion: retryctl.dev/v1alpha1\nkind: Policy\nallow: ${allow}\naccess:\n${entries.join("\n")}\n`;
}
