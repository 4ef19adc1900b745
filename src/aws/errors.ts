import { AssumeRoleError } from "./assume-role-error.js";
import { credentialFailure } from "./credential-errors.js";

/**
 * How the engine should react to a failure. Only the controller turns a class
 * into a queue action; the engine's one-shot loop uses it to decide whether to
 * wait and try again before reporting.
 *
 * - terminal: retrying cannot help until the manifest or AWS changes (not found, invalid, denied).
 * - transient: a fault that passes by itself (throttling, 5xx, network).
 * - waiting: the object is in motion (function update InProgress, mapping Updating); not a failure.
 */
export type RetryClass = "terminal" | "transient" | "waiting";

export class ResourceError extends Error {
  override readonly name = "ResourceError";
  constructor(
    /** Stable, documented code, e.g. `MappingNotFound`, `Throttled`, `UpdateInProgress`. */
    readonly code: string,
    message: string,
    readonly retry: RetryClass = "terminal",
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * An AWS call that was never sent: the one-shot command was interrupted
 * (SIGINT/SIGTERM), so no new attempt starts (src/cli/interrupt.ts).
 */
export class InterruptedError extends Error {
  override readonly name = "InterruptedError";
}

const THROTTLING = new Set([
  "TooManyRequestsException",
  "ThrottlingException",
  "Throttling",
  "RequestThrottled",
  "RequestThrottledException",
  "ThrottledException",
  "SlowDown",
]);

const NETWORK = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
  "TimeoutError",
]);

interface SdkLikeError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  Error?: { Code?: string };
}

/** Maps an AWS SDK (or network) error to a ResourceError with a stable code and a retry class. */
export function classifyAwsError(err: unknown, context = ""): ResourceError {
  if (err instanceof ResourceError) return err;
  if (err instanceof AssumeRoleError) return assumeRoleFailed(err, context);
  const e = (err ?? {}) as SdkLikeError;
  const name = e.name ?? "Error";
  const status = e.$metadata?.httpStatusCode;
  const prefix = context ? `${context}: ` : "";
  const message = `${prefix}${e.message ?? String(err)}`;
  // AbortError: the SDK ended its own retry delay at the interrupt (its abort signal, set in clients.ts).
  if (err instanceof InterruptedError || name === "AbortError")
    return new ResourceError("Interrupted", message, "transient", { cause: err });
  // A quota such as EventBridge's 5 targets per rule: the SDK calls it throttling, but waiting cannot help.
  if (name === "LimitExceededException")
    return new ResourceError("LimitExceeded", `${message} (an AWS quota)`, "terminal", { cause: err });
  if (THROTTLING.has(name) || status === 429)
    return new ResourceError("Throttled", message, "transient", { cause: err });
  if (name === "ResourceInUseException")
    return new ResourceError("ResourceInUse", message, "waiting", { cause: err });
  if (name === "ResourceConflictException")
    return new ResourceError("UpdateInProgress", message, "waiting", { cause: err });
  if (name === "ConcurrentModificationException")
    return new ResourceError("ConcurrentModification", message, "transient", { cause: err });
  if (name === "PreconditionFailedException")
    return new ResourceError("PreconditionFailed", message, "transient", { cause: err });
  // Before the network rule: the SDK's "no credentials" errors carry no HTTP status either.
  const credentials = credentialFailure(name);
  if (credentials)
    return new ResourceError(credentials.code, `${message} (${credentials.hint})`, "terminal", {
      cause: err,
    });
  if (NETWORK.has(name) || (e.code !== undefined && NETWORK.has(e.code)))
    return new ResourceError("NetworkError", message, "transient", { cause: err });
  if (status !== undefined && status >= 500)
    return new ResourceError("ServiceError", message, "transient", { cause: err });
  if (
    name === "InvalidParameterValueException" ||
    name === "ValidationException" ||
    name === "InvalidAttributeValue"
  )
    return new ResourceError("InvalidParameterValue", message, "terminal", { cause: err });
  if (status === undefined) return new ResourceError("NetworkError", message, "transient", { cause: err });
  return new ResourceError(name.replace(/Exception$/, ""), message, "terminal", { cause: err });
}

/**
 * Terminal for one call: the role, its trust policy or the external ID must
 * change first. The controller still retries it with backoff like any failed
 * resource, so the account recovers once the role is fixed.
 */
function assumeRoleFailed(err: AssumeRoleError, context: string): ResourceError {
  const prefix = context ? `${context}: ` : "";
  const hint =
    "check that the role exists, that its trust policy names the hub's role and the external ID of the policy file's access entry";
  return new ResourceError("AssumeRoleFailed", `${prefix}${err.message} (${hint})`, "terminal", {
    cause: err,
  });
}

/** True when the SDK error means the addressed object does not exist. */
export function isNotFound(err: unknown): boolean {
  const e = (err ?? {}) as SdkLikeError;
  return (
    e.name === "ResourceNotFoundException" ||
    e.name === "QueueDoesNotExist" ||
    e.Error?.Code === "AWS.SimpleQueueService.NonExistentQueue" ||
    e.$metadata?.httpStatusCode === 404
  );
}
