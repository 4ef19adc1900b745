import type { Logger } from "pino";
import { callerAccount } from "../aws/caller.js";
import { AwsClients } from "../aws/clients.js";
import { RateLimiter } from "../aws/rate-limiter.js";
import { createLogger } from "../log/logger.js";
import type { LogFormat } from "../log/text-format.js";
import { Guard } from "../policy/guard.js";
import { loadPolicyFile, type Policy } from "../policy/policy.js";
import { formatManifestError, type OutputFormat } from "./output.js";

export interface GlobalOptions {
  region?: string;
  endpointUrl?: string;
  logLevel?: string;
  logFormat?: LogFormat;
  output?: OutputFormat;
  /** Allow-list file (`--policy`, RETRYCTL_POLICY). */
  policy?: string;
}

/**
 * The `--policy` file, validated; a bad file stops the command before any AWS
 * call (fail closed), with every error on its own line as for manifests.
 */
export async function readPolicy(options: GlobalOptions): Promise<Policy | undefined> {
  if (!options.policy) return undefined;
  const loaded = await loadPolicyFile(options.policy);
  if (loaded.ok) return loaded.policy;
  const lines = loaded.errors.map((e) => `  ${formatManifestError(e)}`);
  throw new Error(`invalid policy file ${options.policy}:\n${lines.join("\n")}`);
}

/** The blast-radius guard of a one-shot command: the policy, and the caller's account learnt only if needed. */
export function createGuard(policy: Policy | undefined, aws: AwsClients, region: string): Guard {
  return new Guard({ policy, callerAccount: callerAccount(aws, region) });
}

/** The region the SDK would pick, so `--region` is only needed to override it. */
export function resolveRegion(options: GlobalOptions): string {
  return options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "us-east-1";
}

/** One-shot commands log to stderr, as text unless told, so that stdout carries only the plan or the JSON document. */
export function oneShotLogger(options: GlobalOptions, stderr: (text: string) => void): Logger {
  return createLogger(options.logLevel ?? "warn", { write: stderr }, options.logFormat ?? "text");
}

/** The one-shot commands' clients: same limiter as the controller, nothing counted. */
export function createAws(options: GlobalOptions): AwsClients {
  return new AwsClients({
    limiter: new RateLimiter(),
    ...(options.endpointUrl ? { endpoint: options.endpointUrl } : {}),
  });
}
