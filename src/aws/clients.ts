import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { KinesisClient } from "@aws-sdk/client-kinesis";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { PipesClient } from "@aws-sdk/client-pipes";
import { ResourceGroupsTaggingAPIClient } from "@aws-sdk/client-resource-groups-tagging-api";
import { SchedulerClient } from "@aws-sdk/client-scheduler";
import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import { STSClient } from "@aws-sdk/client-sts";
import { fromTemporaryCredentials } from "@aws-sdk/credential-providers";
import { doesIdentityRequireRefresh, isIdentityExpired, memoizeIdentityProvider } from "@smithy/core";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { rememberSecret } from "../log/secrets.js";
import { USER_AGENT } from "../version.js";
import { AssumeRoleError } from "./assume-role-error.js";
import { InterruptedError, ResourceError } from "./errors.js";
import { bucketFor, type RateBucket, type RateLimiter } from "./rate-limiter.js";

export type AwsService =
  | "lambda"
  | "sqs"
  | "events"
  | "sts"
  | "sns"
  | "scheduler"
  | "pipes"
  | "kinesis"
  | "tagging";
export type RequestOutcome = "success" | "throttled" | "error";

export interface RequestEvent {
  service: AwsService;
  operation: string;
  region: string;
  /** The account the request acts in; absent for the hub's until its account is learnt (`identify`). */
  account?: string;
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
  /**
   * Asked before every attempt of a write (see `isWriteOperation`): false refuses it
   * unsent, as a transient `NotLeader` error. Leader election passes "holds a lease
   * that cannot have expired yet", so a replica that lost its lease stops writing
   * before another can take over. Reads always go out.
   */
  mayWrite?: () => boolean;
  /**
   * Once aborted (a one-shot command interrupted), no new attempt starts: a call
   * waiting for the limiter or in the SDK's retry delay fails at once with
   * `InterruptedError`, and attempts already sent run to their answer (or the
   * request timeout).
   */
  signal?: AbortSignal;
}

/** A member account reached with STS AssumeRole from the hub's credentials (design §6). */
export interface AssumedRole {
  account: string;
  roleArn: string;
  externalId?: string | undefined;
  /** Region of the STS endpoint the role is assumed through. */
  region: string;
  /** STS `DurationSeconds` (900–43200); AWS's default (3600) when left out. */
  durationSeconds?: number;
  /** Told each time the credentials resolve (`undefined`) or fail to (the wrapped error). */
  onResolved?: (failure: AssumeRoleError | undefined) => void;
}

/** Operations that only read (and STS, which changes nothing retryctl manages); every other operation is a write. */
const READ_ONLY = /^(Get|List|Describe|Receive)[A-Z]/;

/** Whether an AWS operation may change something: anything not known to only read counts as a write. */
export function isWriteOperation(service: AwsService, operation: string): boolean {
  return service !== "sts" && !READ_ONLY.test(operation);
}

type CredentialProvider = ReturnType<typeof fromTemporaryCredentials>;
type Credentials = Awaited<ReturnType<CredentialProvider>>;

/** The session name CloudTrail shows for everything retryctl does in a member account. */
export const ROLE_SESSION_NAME = "retryctl";

/** Where the clients act: the hub's own credentials, or a member's assumed ones. */
interface Placement {
  /** Limiter bucket part and request label; the hub's is learnt later (`identify`). */
  account?: string;
  credentials?: CredentialProvider;
}

/** The limiter's account part for the hub's clients: fixed, so learning the account does not split a bucket. */
const HUB_BUCKET = "hub";

/**
 * The SDK's per-call context key (`SMITHY_CONTEXT_KEY` of @smithy/types): its
 * retry middleware ends a retry delay at once when `abortSignal` in it aborts.
 */
const SMITHY_CONTEXT = "__smithy_context";

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
  | PipesClient
  | KinesisClient
  | ResourceGroupsTaggingAPIClient;

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
  readonly #members = new Map<string, AwsClients>();
  readonly #options: AwsClientOptions;
  readonly #placement: Placement;
  /** Shared with the member accounts' clients: one count for the whole command. */
  readonly #sent: { inFlight: number };
  #hubAccount: string | undefined;

  constructor(options: AwsClientOptions, placement: Placement = {}, sent = { inFlight: 0 }) {
    this.#options = options;
    this.#placement = placement;
    this.#sent = sent;
  }

  /** HTTP attempts sent and not yet answered, over every client and member account. */
  get inFlight(): number {
    return this.#sent.inFlight;
  }

  /** The account these clients act in, when known (a member's always; the hub's once `identify` told it). */
  get account(): string | undefined {
    return this.#placement.account ?? this.#hubAccount;
  }

  /** The member account these clients were made for (`member`); undefined for the hub's own. */
  get memberAccount(): string | undefined {
    return this.#placement.account;
  }

  /** Names the hub's account once learnt (sts:GetCallerIdentity), for the request labels. */
  identify(account: string): void {
    if (this.#placement.account === undefined) this.#hubAccount = account;
  }

  /**
   * The clients of a member account: every call is signed with credentials of
   * `role`, assumed through STS with the hub's credentials (session name
   * `retryctl`), cached per account and refreshed five minutes before they
   * expire. One set per account, built on first use and shared by all regions.
   */
  member(role: AssumedRole): AwsClients {
    const existing = this.#members.get(role.account);
    if (existing) return existing;
    const member = new AwsClients(
      this.#options,
      { account: role.account, credentials: this.#assume(role) },
      this.#sent,
    );
    this.#members.set(role.account, member);
    return member;
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

  /** Read only by `explain`: a stream's retention bounds how long a poison record can block its shard. */
  kinesis(region: string): KinesisClient {
    return this.#get("kinesis", region, (c) => new KinesisClient(c));
  }

  /** The Resource Groups Tagging API (fleet discovery reads every function's tags with it in bulk). */
  tagging(region: string): ResourceGroupsTaggingAPIClient {
    return this.#get("tagging", region, (c) => new ResourceGroupsTaggingAPIClient(c));
  }

  destroy(): void {
    for (const client of this.#clients.values()) client.destroy();
    this.#clients.clear();
    for (const member of this.#members.values()) member.destroy();
    this.#members.clear();
  }

  /**
   * The member's credential provider. `fromTemporaryCredentials` calls STS on
   * every use, so it is memoised once per account here (the SDK's own rule:
   * refresh when less than five minutes are left), and its STS client goes
   * through the hub's limiter and counting like every other call.
   */
  #assume(role: AssumedRole): CredentialProvider {
    const params: {
      RoleArn: string;
      RoleSessionName: string;
      ExternalId?: string;
      DurationSeconds?: number;
    } = {
      RoleArn: role.roleArn,
      RoleSessionName: ROLE_SESSION_NAME,
    };
    if (role.externalId !== undefined) params.ExternalId = role.externalId;
    if (role.durationSeconds !== undefined) params.DurationSeconds = role.durationSeconds;
    const assume = fromTemporaryCredentials({
      params,
      clientConfig: this.#config(role.region),
      clientPlugins: [{ applyToStack: (stack) => this.#instrumentStack(stack, "sts", role.region) }],
    });
    const resolve = async (props?: Parameters<CredentialProvider>[0]): Promise<Credentials> => {
      try {
        const credentials = await assume(props);
        role.onResolved?.(undefined);
        return credentials;
      } catch (err) {
        const failure = new AssumeRoleError(role.account, role.roleArn, err);
        role.onResolved?.(failure);
        throw failure;
      }
    };
    return memoizeIdentityProvider(
      resolve,
      isIdentityExpired,
      doesIdentityRequireRefresh,
    ) as CredentialProvider;
  }

  #config(region: string): ClientConfig {
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
    return config;
  }

  #get<C extends Client>(service: AwsService, region: string, make: (config: ClientConfig) => C): C {
    const key = `${service}/${region}`;
    const existing = this.#clients.get(key);
    if (existing) return existing as C;
    const config = this.#config(region);
    if (this.#placement.credentials) config.credentials = this.#placement.credentials;
    const client = make(config);
    failQuotaErrorsAtOnce(client);
    this.#instrumentStack(client.middlewareStack, service, region);
    this.#clients.set(key, client);
    return client;
  }

  // biome-ignore lint/suspicious/noExplicitAny: the SDK's middleware generics differ per client.
  #instrumentStack(middlewareStack: any, service: AwsService, region: string): void {
    const { limiter, onRequest, mayWrite, signal } = this.#options;
    // biome-ignore lint/suspicious/noExplicitAny: as above.
    const stack = middlewareStack as any;
    // fromTemporaryCredentials applies its plugins again on every refresh.
    if ((stack.identify() as string[]).some((entry) => entry.startsWith("retryctlLimitAndCount"))) return;
    const bucketAccount = this.#placement.account ?? HUB_BUCKET;
    // Inside the retry loop, so every attempt waits for its turn and is counted; before signing,
    // so a request that waited in a long queue is not sent with a signature dated from before it.
    stack.addRelativeTo(
      // biome-ignore lint/suspicious/noExplicitAny: as above.
      (next: any, context: any) => async (args: any) => {
        const operation = String(context.commandName ?? "Unknown").replace(/Command$/, "");
        refuseIfInterrupted(signal, service, operation);
        const bucket = (context[BUCKET_KEY] as RateBucket | undefined) ?? bucketFor(service, operation);
        await untilAborted(limiter.acquire(bucket, region, bucketAccount), signal);
        refuseIfInterrupted(signal, service, operation);
        // After the limiter's wait, right before signing and sending: the lease is checked as late as it can be.
        if (mayWrite && isWriteOperation(service, operation) && !mayWrite()) {
          throw new ResourceError(
            "NotLeader",
            `${service}:${operation} not sent: this replica does not hold the leader lease, or cannot be sure it still does`,
            "transient",
          );
        }
        const account = this.account;
        const where = account === undefined ? {} : { account };
        this.#sent.inFlight += 1;
        try {
          const result = await next(args);
          onRequest?.({ service, operation, region, ...where, outcome: "success" });
          return result;
        } catch (err) {
          const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
          const throttled = THROTTLE_NAMES.has(e.name ?? "") || e.$metadata?.httpStatusCode === 429;
          const event: RequestEvent = {
            service,
            operation,
            region,
            ...where,
            outcome: throttled ? "throttled" : "error",
          };
          if (e.name) event.errorName = e.name;
          onRequest?.(event);
          throw err;
        } finally {
          this.#sent.inFlight -= 1;
        }
      },
      { relation: "before", toMiddleware: "httpSigningMiddleware", name: "retryctlLimitAndCount" },
    );
    if (signal) {
      stack.add(
        // biome-ignore lint/suspicious/noExplicitAny: as above.
        (next: any, context: any) => (args: any) => {
          // Only the retry loop reads it: passed to `send`, it would also cut the HTTP attempt in flight.
          context[SMITHY_CONTEXT] ??= {};
          context[SMITHY_CONTEXT].abortSignal ??= signal;
          return next(args);
        },
        { step: "initialize", priority: "high", name: "retryctlInterruptRetries" },
      );
    }
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

/** Where a command tagged by `inBucket` names its bucket, in the SDK's handler context. */
const BUCKET_KEY = "retryctlRateBucket";

/**
 * Makes `command` draw from `bucket` instead of its operation's: a read that
 * must not queue behind the kinds' calls to the same service (the DLQ depth
 * reads, design §11) has a bucket of its own. Returns the command.
 */
// biome-ignore lint/suspicious/noExplicitAny: the SDK's middleware generics differ per command.
export function inBucket<C extends { middlewareStack: any }>(command: C, bucket: RateBucket): C {
  command.middlewareStack.add(
    // biome-ignore lint/suspicious/noExplicitAny: as above.
    (next: any, context: any) => (args: any) => {
      context[BUCKET_KEY] = bucket;
      return next(args);
    },
    { step: "initialize", name: "retryctlRateBucket" },
  );
  return command;
}

function refuseIfInterrupted(signal: AbortSignal | undefined, service: string, operation: string): void {
  if (signal?.aborted) throw new InterruptedError(`interrupted: ${service} ${operation} was not sent`);
}

/** `promise`, or settled at once when `signal` aborts (the caller then refuses the call). */
function untilAborted(promise: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return promise;
  return new Promise((resolve, reject) => {
    const done = () => {
      signal.removeEventListener("abort", done);
      resolve();
    };
    signal.addEventListener("abort", done, { once: true });
    promise.then(done, (err: unknown) => {
      signal.removeEventListener("abort", done);
      reject(err);
    });
  });
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
  credentials?: CredentialProvider;
}
