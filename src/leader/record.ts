/**
 * The part of a `coordination.k8s.io/v1` Lease that leader election reads and
 * writes: client-go's LeaderElectionRecord, as the Lease's spec holds it.
 */
export interface LeaseRecord {
  /** The holder; "" when the lease was released (or never held). */
  holderIdentity: string;
  leaseDurationSeconds: number;
  acquireTime: Date | undefined;
  renewTime: Date | undefined;
  leaseTransitions: number;
}

/** A record as read, with the `resourceVersion` an update must name (optimistic concurrency). */
export interface VersionedRecord {
  record: LeaseRecord;
  version: string;
}

/** The three timings of client-go's leader election, as controller-runtime sets them. */
export interface ElectionTimings {
  /** How long a candidate waits, after it last saw the record change, before it may take the lease. */
  leaseDurationMs: number;
  /** How long the leader keeps trying to renew before it gives up leading. */
  renewDeadlineMs: number;
  /** The wait between two attempts to acquire or renew. */
  retryPeriodMs: number;
}

export const DEFAULT_TIMINGS: ElectionTimings = {
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
};

/** A standby waits up to this many retry periods between attempts (client-go's JitterFactor), so candidates do not march in step. */
export const JITTER_FACTOR = 1.2;

/**
 * Checks that the timings leave the leader time to stop writing before another
 * replica can take over (client-go refuses the same combinations).
 */
export function checkTimings(t: ElectionTimings): void {
  for (const [name, value] of Object.entries(t)) {
    if (!(Number.isFinite(value) && value > 0))
      throw new TypeError(`${name} must be positive, got ${String(value)}`);
  }
  if (t.leaseDurationMs % 1000 !== 0)
    throw new TypeError(`leaseDurationMs must be whole seconds, got ${t.leaseDurationMs}`);
  if (!(t.leaseDurationMs > t.renewDeadlineMs))
    throw new TypeError(
      `leaseDurationMs (${t.leaseDurationMs}) must be greater than renewDeadlineMs (${t.renewDeadlineMs})`,
    );
  if (!(t.renewDeadlineMs > JITTER_FACTOR * t.retryPeriodMs))
    throw new TypeError(
      `renewDeadlineMs (${t.renewDeadlineMs}) must be greater than ${JITTER_FACTOR} × retryPeriodMs (${t.retryPeriodMs})`,
    );
}
