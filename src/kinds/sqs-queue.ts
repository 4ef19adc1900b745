import { GetQueueUrlCommand } from "@aws-sdk/client-sqs";
import { parseArn } from "../aws/arn.js";
import { type AwsClients, inBucket } from "../aws/clients.js";
import { ResourceError } from "../aws/errors.js";
import type { RateBucket } from "../aws/rate-limiter.js";

/** An SQS queue named by name, URL or ARN; parts the form does not carry are undefined. */
export interface QueueRef {
  name: string;
  account?: string;
  region?: string;
  url?: string;
}

const QUEUE_NAME_RE = /^(?=.{1,80}$)[A-Za-z0-9_-]+(\.fifo)?$/;
const QUEUE_URL_RE = /^https?:\/\/([^/\s]+)\/(\d{12})\/([^/\s]+?)\/?$/;
// sqs.<region>.amazonaws.com[.cn] and the legacy <region>.queue.amazonaws.com.
const URL_REGION_RE = /^(?:sqs\.([a-z0-9-]+)\.amazonaws\.|([a-z0-9-]+)\.queue\.amazonaws\.)/;

export function parseQueueRef(value: string): QueueRef | undefined {
  const arn = parseArn(value);
  if (arn) {
    if (arn.service !== "sqs" || !QUEUE_NAME_RE.test(arn.resource)) return undefined;
    return {
      name: arn.resource,
      ...(arn.account && { account: arn.account }),
      ...(arn.region && { region: arn.region }),
    };
  }
  const url = QUEUE_URL_RE.exec(value);
  if (url) {
    const [, host = "", account = "", name = ""] = url;
    if (!QUEUE_NAME_RE.test(name)) return undefined;
    const match = URL_REGION_RE.exec(host);
    const region = match?.[1] ?? match?.[2];
    return { name, account, url: value, ...(region && { region }) };
  }
  return QUEUE_NAME_RE.test(value) ? { name: value } : undefined;
}

export const isFifo = (name: string) => name.endsWith(".fifo");

// name → URL per client set: a long-running controller resolves each queue once, not on every sweep.
const urlCache = new WeakMap<AwsClients, Map<string, string>>();

function cacheFor(aws: AwsClients): Map<string, string> {
  let cache = urlCache.get(aws);
  if (!cache) {
    cache = new Map();
    urlCache.set(aws, cache);
  }
  return cache;
}

function cacheKey(region: string, ref: QueueRef): string {
  return `${region}/${ref.account ?? ""}/${ref.name}`;
}

/** The queue's URL: given, cached, or from one GetQueueUrl (from `bucket` when given, else the SQS one). */
export async function queueUrl(
  aws: AwsClients,
  region: string,
  ref: QueueRef,
  bucket?: RateBucket,
): Promise<string> {
  if (ref.url) return ref.url;
  const cache = cacheFor(aws);
  const key = cacheKey(region, ref);
  const cached = cache.get(key);
  if (cached) return cached;
  const command = new GetQueueUrlCommand({
    QueueName: ref.name,
    ...(ref.account && { QueueOwnerAWSAccountId: ref.account }),
  });
  const out = await aws.sqs(region).send(bucket ? inBucket(command, bucket) : command);
  if (!out.QueueUrl) throw new ResourceError("QueueNotFound", `GetQueueUrl returned no URL for ${ref.name}`);
  cache.set(key, out.QueueUrl);
  return out.QueueUrl;
}

/** Drops a cached URL, so a queue that was deleted and made again is looked up afresh. */
export function forgetQueueUrl(aws: AwsClients, region: string, ref: QueueRef): void {
  cacheFor(aws).delete(cacheKey(region, ref));
}

export interface ParsedPolicy {
  deadLetterQueue: string | null;
  maxReceiveCount: number | null;
  other: Record<string, unknown>;
}

/** Parses RedrivePolicy by meaning: key order is irrelevant and `"5"` is 5. */
export function parseRedrivePolicy(raw: string | undefined): ParsedPolicy {
  if (raw === undefined || raw.trim() === "")
    return { deadLetterQueue: null, maxReceiveCount: null, other: {} };
  const parsed: unknown = JSON.parse(raw);
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new SyntaxError("RedrivePolicy is not a JSON object");
  }
  const { deadLetterTargetArn, maxReceiveCount, ...other } = parsed as Record<string, unknown>;
  const count =
    typeof maxReceiveCount === "string" && maxReceiveCount.trim() !== ""
      ? Number(maxReceiveCount)
      : maxReceiveCount;
  return {
    deadLetterQueue:
      typeof deadLetterTargetArn === "string" && deadLetterTargetArn !== "" ? deadLetterTargetArn : null,
    maxReceiveCount: typeof count === "number" && Number.isFinite(count) ? count : null,
    other,
  };
}
