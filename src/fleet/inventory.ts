import type { ResourceError } from "../aws/errors.js";

/**
 * What fleet discovery found in AWS: the input of the pure expansion
 * (policies × explicit manifests × inventory → desired resources). Discovery
 * (discover.ts) fills it with planned, paged reads; expansion never calls AWS.
 */

/** One (account, region) to list, and which optional reads a policy there needs. */
export interface DiscoveryTarget {
  account: string;
  region: string;
  /** Some policy selecting here filters by tag: read tags in bulk (Resource Groups Tagging API). */
  tags: boolean;
  /** Some policy selecting here has streamMappings, queueMappings or sourceQueues: list the region's mappings. */
  mappings: boolean;
}

export interface DiscoveredFunction {
  account: string;
  region: string;
  functionName: string;
  functionArn: string;
  /** Empty when the target did not ask for tags, or the function has none. */
  tags: Record<string, string>;
}

/** The event source of a mapping, from its `EventSourceArn` service. */
export type MappingSource = "kinesis" | "dynamodb" | "sqs" | "other";

export interface DiscoveredMapping {
  account: string;
  region: string;
  uuid: string;
  /** Bare function name the mapping invokes (qualifier, if any, dropped). */
  functionName: string;
  eventSourceArn: string;
  source: MappingSource;
}

export interface Inventory {
  functions: DiscoveredFunction[];
  mappings: DiscoveredMapping[];
}

/** A target whose listing failed: its policies' matches there are unknown, so nothing there changes state. */
export interface DiscoveryFailure {
  account: string;
  region: string;
  error: ResourceError;
}

export interface DiscoveryResult {
  inventory: Inventory;
  failures: DiscoveryFailure[];
}
