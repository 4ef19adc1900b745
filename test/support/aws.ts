import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  CreateEventBusCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
  type Target,
} from "@aws-sdk/client-eventbridge";
import { CreateRoleCommand, GetRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { CreateStreamCommand, DescribeStreamSummaryCommand, KinesisClient } from "@aws-sdk/client-kinesis";
import {
  CreateAliasCommand,
  CreateEventSourceMappingCommand,
  type CreateEventSourceMappingCommandInput,
  CreateFunctionCommand,
  type CreateFunctionCommandInput,
  LambdaClient,
  PublishVersionCommand,
} from "@aws-sdk/client-lambda";
import { CreatePipeCommand, type CreatePipeCommandInput, PipesClient } from "@aws-sdk/client-pipes";
import {
  CreateScheduleCommand,
  type CreateScheduleCommandInput,
  SchedulerClient,
} from "@aws-sdk/client-scheduler";
import { CreateTopicCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { inject } from "vitest";
import { AwsClients, type RequestEvent } from "../../src/aws/clients.js";
import { RateLimiter } from "../../src/aws/rate-limiter.js";
import { storedZip } from "./zip.js";

declare module "vitest" {
  export interface ProvidedContext {
    motoEndpoint: string;
  }
}

export const TEST_REGION = "us-east-1";
export const TEST_ACCOUNT = "123456789012";
export const TEST_CREDENTIALS = { accessKeyId: "testing", secretAccessKey: "testing" };
/** Environment variable that points tests at an already running moto server (and makes globalSetup skip its own). */
export const ENDPOINT_ENV = "RETRYCTL_TEST_ENDPOINT";

/** The moto server for this run: `RETRYCTL_TEST_ENDPOINT` wins, else what the integration globalSetup provided. */
export function motoEndpoint(): string {
  const fromEnv = process.env[ENDPOINT_ENV];
  if (fromEnv) return fromEnv.replace(/\/+$/, "");
  let provided: string | undefined;
  try {
    provided = inject("motoEndpoint");
  } catch {
    provided = undefined;
  }
  if (!provided) {
    throw new Error(
      `no moto endpoint: run under the vitest "integration" project (its globalSetup starts moto) or set ${ENDPOINT_ENV}`,
    );
  }
  return provided;
}

async function motoApi(endpoint: string, path: string, body?: unknown): Promise<void> {
  const init: RequestInit = { method: "POST" };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { "content-type": "application/json" };
  }
  const res = await fetch(`${endpoint}${path}`, init);
  if (!res.ok) throw new Error(`moto ${path} answered ${res.status}: ${await res.text()}`);
  await res.arrayBuffer();
}

/** Functions created before this switch are invisible to later calls, so it is applied before any test seeds. */
export async function configureMoto(endpoint = motoEndpoint()): Promise<void> {
  await motoApi(endpoint, "/moto-api/config", { lambda: { use_docker: false } });
}

/** Empties every moto backend (all services, all regions). */
export async function resetMoto(endpoint = motoEndpoint()): Promise<void> {
  await motoApi(endpoint, "/moto-api/reset");
  // The docker switch survives a reset in 5.2.x; re-applying it is cheap insurance against a pin move.
  await configureMoto(endpoint);
  rolePromise.delete(endpoint);
}

export interface SdkClients {
  lambda: LambdaClient;
  sqs: SQSClient;
  events: EventBridgeClient;
  iam: IAMClient;
  kinesis: KinesisClient;
  dynamodb: DynamoDBClient;
  sns: SNSClient;
  scheduler: SchedulerClient;
  pipes: PipesClient;
}

const sdkCache = new Map<string, SdkClients>();

/** Plain AWS SDK v3 clients (no limiter, no counting) for seeding and asserting. Cached per endpoint. */
export function sdk(endpoint = motoEndpoint()): SdkClients {
  const cached = sdkCache.get(endpoint);
  if (cached) return cached;
  const config = () => ({
    region: TEST_REGION,
    endpoint,
    credentials: TEST_CREDENTIALS,
    // The default HTTP/2-capable handler fails against moto for Kinesis ("Protocol error").
    requestHandler: new NodeHttpHandler({ connectionTimeout: 5_000, requestTimeout: 30_000 }),
    maxAttempts: 1,
  });
  const clients: SdkClients = {
    lambda: new LambdaClient(config()),
    sqs: new SQSClient(config()),
    events: new EventBridgeClient(config()),
    iam: new IAMClient(config()),
    kinesis: new KinesisClient(config()),
    dynamodb: new DynamoDBClient(config()),
    sns: new SNSClient(config()),
    scheduler: new SchedulerClient(config()),
    pipes: new PipesClient(config()),
  };
  sdkCache.set(endpoint, clients);
  return clients;
}

const ROLE_NAME = "retryctl-test-lambda-role";
const rolePromise = new Map<string, Promise<string>>();

async function lambdaRole(endpoint: string): Promise<string> {
  let p = rolePromise.get(endpoint);
  if (!p) {
    p = ensureRole(endpoint);
    rolePromise.set(endpoint, p);
    p.catch(() => rolePromise.delete(endpoint));
  }
  return p;
}

async function ensureRole(endpoint: string): Promise<string> {
  const { iam } = sdk(endpoint);
  try {
    const got = await iam.send(new GetRoleCommand({ RoleName: ROLE_NAME }));
    if (got.Role?.Arn) return got.Role.Arn;
  } catch (err) {
    if ((err as { name?: string }).name !== "NoSuchEntityException") throw err;
  }
  const created = await iam.send(
    new CreateRoleCommand({
      RoleName: ROLE_NAME,
      AssumeRolePolicyDocument: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" },
        ],
      }),
    }),
  );
  if (!created.Role?.Arn) throw new Error("CreateRole returned no ARN");
  return created.Role.Arn;
}

const HANDLER_ZIP = storedZip("index.py", "def handler(event, context):\n    return event\n");

export interface CreateFunctionOptions {
  timeout?: number;
  deadLetterArn?: string;
  endpoint?: string;
}

/** Creates a Python function (never invoked) and returns its unqualified ARN. */
export async function createFunction(name: string, opts: CreateFunctionOptions = {}): Promise<string> {
  const endpoint = opts.endpoint ?? motoEndpoint();
  const input: CreateFunctionCommandInput = {
    FunctionName: name,
    Runtime: "python3.12",
    Role: await lambdaRole(endpoint),
    Handler: "index.handler",
    Code: { ZipFile: HANDLER_ZIP },
  };
  if (opts.timeout !== undefined) input.Timeout = opts.timeout;
  if (opts.deadLetterArn !== undefined) input.DeadLetterConfig = { TargetArn: opts.deadLetterArn };
  const out = await sdk(endpoint).lambda.send(new CreateFunctionCommand(input));
  if (!out.FunctionArn) throw new Error("CreateFunction returned no FunctionArn");
  return out.FunctionArn;
}

/** Publishes the current $LATEST as a version and points a new alias at it. */
export async function publishVersionAndAlias(
  fn: string,
  alias: string,
  endpoint = motoEndpoint(),
): Promise<{ version: string; aliasArn: string }> {
  const { lambda } = sdk(endpoint);
  const published = await lambda.send(new PublishVersionCommand({ FunctionName: fn }));
  const version = published.Version;
  if (!version) throw new Error("PublishVersion returned no Version");
  const created = await lambda.send(
    new CreateAliasCommand({ FunctionName: fn, Name: alias, FunctionVersion: version }),
  );
  if (!created.AliasArn) throw new Error("CreateAlias returned no AliasArn");
  return { version, aliasArn: created.AliasArn };
}

/** Creates an SQS queue (FIFO when the name ends in `.fifo`) and returns its URL and ARN. */
export async function createQueue(
  name: string,
  attrs: Record<string, string> = {},
  endpoint = motoEndpoint(),
): Promise<{ url: string; arn: string }> {
  const { sqs } = sdk(endpoint);
  const attributes = { ...attrs };
  if (name.endsWith(".fifo")) attributes.FifoQueue ??= "true";
  const created = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  const url = created.QueueUrl;
  if (!url) throw new Error("CreateQueue returned no QueueUrl");
  const got = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }));
  const arn = got.Attributes?.QueueArn;
  if (!arn) throw new Error("GetQueueAttributes returned no QueueArn");
  return { url, arn };
}

/** Creates a one-shard Kinesis stream and returns its ARN. */
export async function createStream(name: string, endpoint = motoEndpoint()): Promise<string> {
  const { kinesis } = sdk(endpoint);
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }));
  const summary = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
  const arn = summary.StreamDescriptionSummary?.StreamARN;
  if (!arn) throw new Error("DescribeStreamSummary returned no StreamARN");
  return arn;
}

/** Creates a DynamoDB table with a stream and returns the stream ARN. */
export async function createTableStream(table: string, endpoint = motoEndpoint()): Promise<string> {
  const { dynamodb } = sdk(endpoint);
  const out = await dynamodb.send(
    new CreateTableCommand({
      TableName: table,
      AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
      KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
      BillingMode: "PAY_PER_REQUEST",
      StreamSpecification: { StreamEnabled: true, StreamViewType: "NEW_AND_OLD_IMAGES" },
    }),
  );
  const arn = out.TableDescription?.LatestStreamArn;
  if (!arn) throw new Error("CreateTable returned no LatestStreamArn");
  return arn;
}

/** Creates an event source mapping and returns its UUID. Stream sources default to `StartingPosition: LATEST`. */
export async function createMapping(
  fn: string,
  sourceArn: string,
  extra: Partial<CreateEventSourceMappingCommandInput> = {},
  endpoint = motoEndpoint(),
): Promise<string> {
  const input: CreateEventSourceMappingCommandInput = {
    FunctionName: fn,
    EventSourceArn: sourceArn,
    ...extra,
  };
  const isStream = sourceArn.includes(":kinesis:") || sourceArn.includes(":dynamodb:");
  if (isStream && input.StartingPosition === undefined) input.StartingPosition = "LATEST";
  const out = await sdk(endpoint).lambda.send(new CreateEventSourceMappingCommand(input));
  if (!out.UUID) throw new Error("CreateEventSourceMapping returned no UUID");
  return out.UUID;
}

/** Creates an EventBridge rule (and its bus, when a custom one is named) and returns the rule ARN. */
export async function createRule(name: string, busName?: string, endpoint = motoEndpoint()): Promise<string> {
  const { events } = sdk(endpoint);
  if (busName && busName !== "default") {
    try {
      await events.send(new CreateEventBusCommand({ Name: busName }));
    } catch (err) {
      if ((err as { name?: string }).name !== "ResourceAlreadyExistsException") throw err;
    }
  }
  const out = await events.send(
    new PutRuleCommand({
      Name: name,
      EventBusName: busName,
      EventPattern: JSON.stringify({ source: ["retryctl.test"] }),
    }),
  );
  if (!out.RuleArn) throw new Error("PutRule returned no RuleArn");
  return out.RuleArn;
}

/** Adds or replaces one target on a rule; fails when EventBridge reports a failed entry. */
export async function putTarget(
  rule: string,
  target: Target,
  busName?: string,
  endpoint = motoEndpoint(),
): Promise<void> {
  const out = await sdk(endpoint).events.send(
    new PutTargetsCommand({ Rule: rule, EventBusName: busName, Targets: [target] }),
  );
  if (out.FailedEntryCount) throw new Error(`PutTargets failed: ${JSON.stringify(out.FailedEntries)}`);
}

/** Creates an SNS topic (a `.fifo` name makes a FIFO topic) and returns its ARN. */
export async function createTopic(name: string, endpoint = motoEndpoint()): Promise<string> {
  const attributes: Record<string, string> = name.endsWith(".fifo") ? { FifoTopic: "true" } : {};
  const out = await sdk(endpoint).sns.send(new CreateTopicCommand({ Name: name, Attributes: attributes }));
  if (!out.TopicArn) throw new Error("CreateTopic returned no TopicArn");
  return out.TopicArn;
}

/** Subscribes an SQS queue or Lambda function ARN to a topic and returns the subscription ARN. */
export async function subscribe(
  topicArn: string,
  endpointArn: string,
  endpoint = motoEndpoint(),
): Promise<string> {
  const protocol = endpointArn.includes(":sqs:") ? "sqs" : "lambda";
  const out = await sdk(endpoint).sns.send(
    new SubscribeCommand({
      TopicArn: topicArn,
      Protocol: protocol,
      Endpoint: endpointArn,
      ReturnSubscriptionArn: true,
    }),
  );
  if (!out.SubscriptionArn) throw new Error("Subscribe returned no SubscriptionArn");
  return out.SubscriptionArn;
}

/** Creates a schedule in the default group (rate(5 minutes), no flexible window) with the given target and extras. */
export async function createSchedule(
  name: string,
  input: Partial<CreateScheduleCommandInput> & Pick<CreateScheduleCommandInput, "Target">,
  endpoint = motoEndpoint(),
): Promise<void> {
  await sdk(endpoint).scheduler.send(
    new CreateScheduleCommand({
      Name: name,
      ScheduleExpression: "rate(5 minutes)",
      FlexibleTimeWindow: { Mode: "OFF" },
      ...input,
    }),
  );
}

/** Creates a pipe from `source` to `target` with the given source parameters; returns its ARN. */
export async function createPipe(
  name: string,
  source: string,
  target: string,
  sourceParameters: CreatePipeCommandInput["SourceParameters"],
  endpoint = motoEndpoint(),
): Promise<string> {
  const out = await sdk(endpoint).pipes.send(
    new CreatePipeCommand({
      Name: name,
      RoleArn: `arn:aws:iam::${TEST_ACCOUNT}:role/pipes-${name}`,
      Source: source,
      Target: target,
      SourceParameters: sourceParameters,
    }),
  );
  if (!out.Arn) throw new Error("CreatePipe returned no Arn");
  return out.Arn;
}

/** Limits high enough that the client-side limiter never shapes a test (the fault proxy does that). */
export const TEST_RATE_LIMITS = {
  lambda: 10_000,
  lambdaGetFunction: 10_000,
  sqs: 10_000,
  events: 10_000,
  sts: 10_000,
  sns: 10_000,
  scheduler: 10_000,
  pipes: 10_000,
  deadLetterQueues: 10_000,
  kinesis: 10_000,
  tagging: 10_000,
};

export interface TestAwsClientsOptions {
  /** Defaults to the moto endpoint; pass the fault proxy's URL to go through it. */
  endpoint?: string;
  limiter?: RateLimiter;
  maxAttempts?: number;
  /** Per-attempt HTTP timeout (AwsClients' default is 30 s; timeout tests use well under that). */
  requestTimeoutMs?: number;
}

/** retryctl's own AwsClients wired to moto (or the proxy), recording every RequestEvent in `requests`. */
export function testAwsClients(opts: TestAwsClientsOptions = {}): {
  aws: AwsClients;
  requests: RequestEvent[];
} {
  // AwsClients resolves credentials through the SDK's default chain; env vars are its first link.
  process.env.AWS_ACCESS_KEY_ID ??= TEST_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY ??= TEST_CREDENTIALS.secretAccessKey;
  const requests: RequestEvent[] = [];
  const options: ConstructorParameters<typeof AwsClients>[0] = {
    endpoint: opts.endpoint ?? motoEndpoint(),
    limiter: opts.limiter ?? new RateLimiter(TEST_RATE_LIMITS),
    onRequest: (event) => requests.push(event),
  };
  if (opts.maxAttempts !== undefined) options.maxAttempts = opts.maxAttempts;
  if (opts.requestTimeoutMs !== undefined) options.requestTimeoutMs = opts.requestTimeoutMs;
  return { aws: new AwsClients(options), requests };
}
