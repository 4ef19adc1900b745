import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { PipesClient } from "@aws-sdk/client-pipes";
import { SchedulerClient } from "@aws-sdk/client-scheduler";
import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import { STSClient } from "@aws-sdk/client-sts";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { rememberSecret } from "../log/secrets.js";
import { USER_AGENT } from "../version.js";
import { bucketFor, type RateLimiter } from "./rate-limiter.js";

export type AwsService = "lambda" | "sqs" | "events" | "sts" | "sns" | "scheduler" | "pipes";
export type RequestOutcome = "success" | "throttled" | "error";

export interface RequestEvent {
  service: AwsService;
  operation: string;
  region: string;
  outcome: RequestOutcome;
  errorName?: string;
}

export interface AwsClientOptions {
  /** One endpoint for every service (`--endpoint-url`); otherwise the SDK's own resolution (AWS_ENDPOINT_URL…). */
  endpoint?: string;
  limiter: RateLimiter;
  /** Called once per HTTP attempt (retries included), after the response or the failure. */
  onRequest?: (event: RequestEvent) => void;
  /** SDK attempts per call, the first included. */
  maxAttempts?: number;
  /**
   * How long one HTTP attempt may take, from sending to the whole answer, before it
   * fails as `TimeoutError` (transient: the SDK retries it, then the controller).
   * @default 30000
   */
  requestTimeoutMs?: number;
}

const THROTTLE_NAMES = new Set([
  "TooManyRequestsException",
  "ThrottlingException",
  "Throttling",
  "RequestThrottled",
  "RequestThrottledException",
  "ThrottledException",
]);

type Client =
  | LambdaClient
  | SQSClient
  | EventBridgeClient
  | STSClient
  | SNSClient
  | SchedulerClient
  | PipesClient;

/**
 * Quota errors the SDK classes as throttling and retries: EventBridge's
 * LimitExceededException (more than 5 targets on a rule) cannot pass by waiting,
 * so the call fails at its first answer (errors.ts makes it terminal).
 */
const NOT_RETRIED = new Set(["LimitExceededException"]);

/** The SDK's retry strategy (RetryStrategyV2), as far as the wrapper below needs it. */
interface RetryStrategyLike {
  acquireInitialRetryToken(scope: string): Promise<unknown>;
  refreshRetryTokenForRetry(token: unknown, errorInfo: { error?: { name?: string } }): Promise<unknown>;
  recordSuccess(token: unknown): void;
}

/**
 * The only place AWS clients are made: endpoint override, timeouts, the
 * client-side rate limiter and request counting are attached here, once per
 * (service, region), so kinds receive an already-limited client.
 */
export class AwsClients {
  readonly #clients = new Map<string, Client>();
  readonly #options: AwsClientOptions;

  constructor(options: AwsClientOptions) {
    this.#options = options;
  }

  lambda(region: string): LambdaClient {
    return this.#get("lambda", region, (c) => new LambdaClient(c));
  }

  sqs(region: string): SQSClient {
    return this.#get("sqs", region, (c) => new SQSClient(c));
  }

  events(region: string): EventBridgeClient {
    return this.#get("events", region, (c) => new EventBridgeClient(c));
  }

  sts(region: string): STSClient {
    return this.#get("sts", region, (c) => new STSClient(c));
  }

  sns(region: string): SNSClient {
    return this.#get("sns", region, (c) => new SNSClient(c));
  }

  scheduler(region: string): SchedulerClient {
    return this.#get("scheduler", region, (c) => new SchedulerClient(c));
  }

  pipes(region: string): PipesClient {
    return this.#get("pipes", region, (c) => new PipesClient(c));
  }

  destroy(): void {
    for (const client of this.#clients.values()) client.destroy();
    this.#clients.clear();
  }

  #get<C extends Client>(service: AwsService, region: string, make: (config: ClientConfig) => C): C {
    const key = `${service}/${region}`;
    const existing = this.#clients.get(key);
    if (existing) return existing as C;
    const config: ClientConfig = {
      region,
      // CloudTrail records it as the call's userAgent: the drift feed skips retryctl's own writes by it.
      customUserAgent: USER_AGENT,
      maxAttempts: this.#options.maxAttempts ?? 3,
      requestHandler: new NodeHttpHandler({
        connectionTimeout: 5_000,
        requestTimeout: this.#options.requestTimeoutMs ?? 30_000,
        // Without it the handler only logs a warning when requestTimeout passes and keeps
        // waiting: an endpoint that accepts a request and never answers would hold the
        // resource (and a SIGTERM) forever.
        throwOnRequestTimeout: true,
      }),
    };
    if (this.#options.endpoint) config.endpoint = this.#options.endpoint;
    const client = make(config);
    failQuotaErrorsAtOnce(client);
    this.#instrument(client, service, region);
    this.#clients.set(key, client);
    return client;
  }

  #instrument(client: Client, service: AwsService, region: string): void {
    const { limiter, onRequest } = this.#options;
    // biome-ignore lint/suspicious/noExplicitAny: the SDK's middleware generics differ per client.
    const stack = client.middlewareStack as any;
    // Inside the retry loop, so every attempt waits for its turn and is counted; before signing,
    // so a request that waited in a long queue is not sent with a signature dated from before it.
    stack.addRelativeTo(
      // biome-ignore lint/suspicious/noExplicitAny: as above.
      (next: any, context: any) => async (args: any) => {
        const operation = String(context.commandName ?? "Unknown").replace(/Command$/, "");
        await limiter.acquire(bucketFor(service, operation), region);
        try {
          const result = await next(args);
          onRequest?.({ service, operation, region, outcome: "success" });
          return result;
        } catch (err) {
          const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
          const throttled = THROTTLE_NAMES.has(e.name ?? "") || e.$metadata?.httpStatusCode === 429;
          const event: RequestEvent = {
            service,
            operation,
            region,
            outcome: throttled ? "throttled" : "error",
          };
          if (e.name) event.errorName = e.name;
          onRequest?.(event);
          throw err;
        }
      },
      { relation: "before", toMiddleware: "httpSigningMiddleware", name: "retryctlLimitAndCount" },
    );
    stack.add(
      // biome-ignore lint/suspicious/noExplicitAny: as above.
      (next: any) => async (args: any) => {
        rememberSigningSecrets(args.request);
        return next(args);
      },
      { step: "deserialize", priority: "high", name: "retryctlRememberSigningSecrets" },
    );
  }
}

/** Wraps the client's resolved retry strategy so that NOT_RETRIED errors end the retry loop. */
function failQuotaErrorsAtOnce(client: Client): void {
  const config = client.config as unknown as { retryStrategy: () => Promise<unknown> };
  const resolve = config.retryStrategy;
  config.retryStrategy = async () => {
    const strategy = (await resolve()) as RetryStrategyLike;
    if (typeof strategy.refreshRetryTokenForRetry !== "function") return strategy;
    return {
      acquireInitialRetryToken: (scope: string) => strategy.acquireInitialRetryToken(scope),
      recordSuccess: (token: unknown) => strategy.recordSuccess(token),
      refreshRetryTokenForRetry: (token: unknown, errorInfo: { error?: { name?: string } }) =>
        // A rejected refresh makes the retry middleware throw the error it got.
        NOT_RETRIED.has(errorInfo.error?.name ?? "")
          ? Promise.reject(errorInfo.error)
          : strategy.refreshRetryTokenForRetry(token, errorInfo),
    };
  };
}

/**
 * The signed request carries the access key ID and any session token, whatever
 * link of the credential chain they came from (profile, role, web identity):
 * remembering them lets the log and status scrubbers find them inside AWS error
 * messages that quote the request. The secret key itself is never on the wire.
 */
function rememberSigningSecrets(request: unknown): void {
  const headers = (request as { headers?: Record<string, string | undefined> } | undefined)?.headers;
  if (!headers) return;
  rememberSecret(headers["x-amz-security-token"]);
  const keyId = /Credential=([^/,\s]+)\//.exec(headers.authorization ?? "")?.[1];
  rememberSecret(keyId);
}

interface ClientConfig {
  region: string;
  customUserAgent: string;
  maxAttempts: number;
  requestHandler: NodeHttpHandler;
  endpoint?: string;
}
