import { loadConfig, NODE_REGION_CONFIG_FILE_OPTIONS, NODE_REGION_CONFIG_OPTIONS } from "@smithy/core/config";
import type { Logger } from "pino";
import { Accounts } from "../aws/accounts.js";
import { callerAccount } from "../aws/caller.js";
import { AwsClients, type RequestEvent } from "../aws/clients.js";
import { RateLimiter } from "../aws/rate-limiter.js";
import { createLogger } from "../log/logger.js";
import type { LogFormat } from "../log/text-format.js";
import { Guard } from "../policy/guard.js";
import { loadPolicyFile, type Policy } from "../policy/policy.js";
import type { Interrupt } from "./interrupt.js";
import { formatManifestError, type OutputFormat } from "./output.js";

export interface GlobalOptions {
  region?: string;
  endpointUrl?: string;
  logLevel?: string;
  logFormat?: LogFormat;
  output?: OutputFormat;
  /** Allow-list file (`--policy`, RETRYCTL_POLICY). */
  policy?: string;
  /** SIGINT/SIGTERM handling of a one-shot command (`interruptible`): its clients start no call once interrupted. */
  interrupt?: Interrupt;
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

/**
 * The blast-radius guard of a one-shot command: the policy, the caller's
 * account learnt only if needed, and the member accounts of its `access`.
 */
export function createGuard(policy: Policy | undefined, aws: AwsClients, region: string): Guard {
  return createPlacement(policy, aws, region).guard;
}

/** The guard with the caller's account and member accounts it uses, for fleet discovery to share. */
export function createPlacement(
  policy: Policy | undefined,
  aws: AwsClients,
  region: string,
): { guard: Guard; accounts: Accounts | undefined; callerAccount: () => Promise<string> } {
  const accounts = policy?.access ? new Accounts(aws, policy.access, region) : undefined;
  const caller = callerAccount(aws, region);
  return { guard: new Guard({ policy, callerAccount: caller, accounts }), accounts, callerAccount: caller };
}

/**
 * `--region`, then `RETRYCTL_REGION` (both in `options.region`: Commander reads
 * the env var), then the SDK's own chain: `AWS_REGION`, the profile's `region`
 * in the shared config files, the instance's region on EC2. Undefined when none
 * has one: no region is ever assumed.
 */
export async function resolveRegion(options: GlobalOptions): Promise<string | undefined> {
  if (options.region) return options.region;
  try {
    return await loadConfig(NODE_REGION_CONFIG_OPTIONS, NODE_REGION_CONFIG_FILE_OPTIONS)();
  } catch {
    // The chain's last link throws "Region is missing"; the caller says how to set one.
    return undefined;
  }
}

/** How to give retryctl a region, for the error (and the note of `validate`) when none is found. */
export function regionAdvice(env: NodeJS.ProcessEnv = process.env): string {
  const profile = env.AWS_PROFILE ? `[profile ${env.AWS_PROFILE}]` : "[default]";
  const cliOnly = env.AWS_DEFAULT_REGION
    ? "; AWS_DEFAULT_REGION is set, but only the AWS CLI reads it, not the AWS SDK retryctl uses"
    : "";
  return `pass --region, set RETRYCTL_REGION or AWS_REGION, or add \`region = …\` under ${profile} in ~/.aws/config${cliOnly}`;
}

/** The region of a command that talks to AWS: resolved, or an error that says how to set one. */
export async function requireRegion(options: GlobalOptions): Promise<string> {
  const region = await resolveRegion(options);
  if (region) return region;
  throw new Error(`no AWS region is configured: ${regionAdvice()}`);
}

/** One-shot commands log to stderr, as text unless told, so that stdout carries only the plan or the JSON document. */
export function oneShotLogger(options: GlobalOptions, stderr: (text: string) => void): Logger {
  return createLogger(options.logLevel ?? "warn", { write: stderr }, options.logFormat ?? "text");
}

/** The one-shot commands' clients: same limiter as the controller; each attempt told to `onRequest` (wait reports). */
export function createAws(options: GlobalOptions, onRequest?: (event: RequestEvent) => void): AwsClients {
  const aws = new AwsClients({
    limiter: new RateLimiter(),
    ...(options.endpointUrl ? { endpoint: options.endpointUrl } : {}),
    ...(onRequest ? { onRequest } : {}),
    ...(options.interrupt ? { signal: options.interrupt.signal } : {}),
  });
  options.interrupt?.countInFlight(() => aws.inFlight);
  return aws;
}
