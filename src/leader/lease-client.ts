import type { LeaseRecord, VersionedRecord } from "./record.js";

/**
 * Reads and writes one Lease. `update` names the `resourceVersion` it read and
 * fails with `LeaseConflict` when the Lease changed since (HTTP 409), as
 * `create` does when the Lease already exists.
 */
export interface LeaseClient {
  /** `namespace/name`, for logs and `/status`. */
  readonly name: string;
  /** The Lease, or undefined when there is none yet. */
  get(): Promise<VersionedRecord | undefined>;
  /** Creates the Lease; resolves to its resourceVersion. */
  create(record: LeaseRecord): Promise<string>;
  /** Replaces the Lease's spec if it is still at `version`; resolves to the new resourceVersion. */
  update(record: LeaseRecord, version: string): Promise<string>;
}

/** Someone else wrote the Lease first (409 Conflict): read it again, and it is not ours. */
export class LeaseConflict extends Error {
  override readonly name = "LeaseConflict";
}
