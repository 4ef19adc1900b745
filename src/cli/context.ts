import type { Logger } from "pino";
import { AwsClients, type RequestEvent } from "../aws/clients.js";
import { RateLimiter } from "../aws/rate-limiter.js";
import { createLogger } from "../log/logger.js";
import type { Metrics } from "../metrics/metrics.js";
import type { OutputFormat } from "./output.js";

export interface GlobalOptions {
  region?: string;
  endpointUrl?: string;
  logLevel?: string;
  output?: OutputFormat;
}

/** The region the SDK would pick, so `--region` is only needed to override it. */
export function resolveRegion(options: GlobalOptions): string {
  return options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "us-east-1";
}

/** One-shot commands log to stderr so that stdout carries only the plan or the JSON document. */
export function oneShotLogger(options: GlobalOptions, stderr: (text: string) => void): Logger {
  return createLogger(options.logLevel ?? "warn", { write: stderr });
}

export function createAws(options: GlobalOptions, metrics?: Metrics): AwsClients {
  const aws: { endpoint?: string; limiter: RateLimiter; onRequest?: (e: RequestEvent) => void } = {
    limiter: new RateLimiter(),
  };
  if (options.endpointUrl) aws.endpoint = options.endpointUrl;
  if (metrics) aws.onRequest = metrics.countAwsRequest;
  return new AwsClients(aws);
}
