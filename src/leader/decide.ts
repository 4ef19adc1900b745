import type { LeaseRecord } from "./record.js";

/** What a candidate does with the record it just read (client-go's tryAcquireOrRenew, steps 3 and 4). */
export type Decision =
  | { action: "update"; record: LeaseRecord; acquired: boolean }
  | { action: "wait"; holder: string };

export interface Observed {
  record: LeaseRecord;
  /**
   * When this candidate saw the record last change, on its own monotonic clock.
   * Expiry is measured from here, not from the record's renewTime, so clock
   * offsets between replicas do not matter (client-go's observedTime).
   */
  observedAt: number;
}

/**
 * Whether the lease in `observed` may still be in force for its holder at `now`:
 * a candidate must not take it before then.
 */
export function leaseValid(observed: Observed, now: number): boolean {
  return observed.observedAt + observed.record.leaseDurationSeconds * 1000 > now;
}

/** The record of the candidate that creates the Lease. */
export function firstRecord(identity: string, wallTime: Date, leaseDurationSeconds: number): LeaseRecord {
  return {
    holderIdentity: identity,
    leaseDurationSeconds,
    acquireTime: wallTime,
    renewTime: wallTime,
    leaseTransitions: 0,
  };
}

/**
 * Decides, from the record as read and when it was seen to change, whether
 * `identity` takes or renews the lease at `now` and with which record. Free (no
 * holder), expired or already ours: take or renew; held by another and still
 * valid: wait. `leaseTransitions` counts changes of holder, so it grows only
 * when the lease passes to someone else.
 */
export function decide(
  current: Observed,
  identity: string,
  now: number,
  wallTime: Date,
  leaseDurationSeconds: number,
): Decision {
  const { record } = current;
  const ours = record.holderIdentity === identity;
  if (record.holderIdentity !== "" && !ours && leaseValid(current, now)) {
    return { action: "wait", holder: record.holderIdentity };
  }
  if (ours) {
    return {
      action: "update",
      acquired: false,
      record: {
        holderIdentity: identity,
        leaseDurationSeconds,
        acquireTime: record.acquireTime ?? wallTime,
        renewTime: wallTime,
        leaseTransitions: record.leaseTransitions,
      },
    };
  }
  return {
    action: "update",
    acquired: true,
    record: {
      holderIdentity: identity,
      leaseDurationSeconds,
      acquireTime: wallTime,
      renewTime: wallTime,
      leaseTransitions: record.leaseTransitions + 1,
    },
  };
}

/**
 * The record a leader writes when it lets go (client-go's release): no holder
 * and a one-second duration, so a candidate takes the lease at its next attempt
 * instead of waiting out the lease duration.
 */
export function released(record: LeaseRecord, wallTime: Date): LeaseRecord {
  return {
    holderIdentity: "",
    leaseDurationSeconds: 1,
    acquireTime: wallTime,
    renewTime: wallTime,
    leaseTransitions: record.leaseTransitions,
  };
}
