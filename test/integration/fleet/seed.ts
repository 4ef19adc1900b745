import { CreateRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import {
  CreateEventSourceMappingCommand,
  CreateFunctionCommand,
  LambdaClient,
  TagResourceCommand,
} from "@aws-sdk/client-lambda";
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { motoEndpoint, TEST_CREDENTIALS } from "../../support/aws.js";
import { storedZip } from "../../support/zip.js";

/** Seeding clients acting in `account` and `region` of moto, straight to moto (a fault proxy sees none of it). */
export function clientsIn(account: string, region: string, endpoint = motoEndpoint()) {
  const config = {
    region,
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

const ZIP = storedZip("index.py", "def handler(event, context):\n    return event\n");
const ROLE = "retryctl-fleet-test-lambda-role";
const roles = new Set<string>();

/** Forgets the execution roles made so far (call after `resetMoto`). */
export function forgetFleetSeeds(): void {
  roles.clear();
}

/** Creates a function in (account, region), tagged when tags are given; returns its ARN. */
export async function createFunctionAt(
  account: string,
  region: string,
  name: string,
  tags: Record<string, string> = {},
): Promise<string> {
  const { lambda, iam } = clientsIn(account, region);
  if (!roles.has(account)) {
    await iam
      .send(
        new CreateRoleCommand({
          RoleName: ROLE,
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
    roles.add(account);
  }
  const out = await lambda.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: "python3.12",
      Role: `arn:aws:iam::${account}:role/${ROLE}`,
      Handler: "index.handler",
      Code: { ZipFile: ZIP },
    }),
  );
  if (!out.FunctionArn) throw new Error("CreateFunction returned no FunctionArn");
  if (Object.keys(tags).length > 0)
    await lambda.send(new TagResourceCommand({ Resource: out.FunctionArn, Tags: tags }));
  return out.FunctionArn;
}

/** Creates a queue in (account, region); returns its URL and ARN. */
export async function createQueueAt(account: string, region: string, name: string) {
  const { sqs } = clientsIn(account, region);
  const created = await sqs.send(new CreateQueueCommand({ QueueName: name }));
  const url = created.QueueUrl ?? "";
  const got = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }));
  return { url, arn: got.Attributes?.QueueArn ?? "" };
}

/** Creates a mapping of the hub's function from an SQS queue in (account, region); returns its UUID. */
export async function createQueueMappingAt(account: string, region: string, fn: string, queueArn: string) {
  const out = await clientsIn(account, region).lambda.send(
    new CreateEventSourceMappingCommand({ FunctionName: fn, EventSourceArn: queueArn }),
  );
  return out.UUID ?? "";
}
