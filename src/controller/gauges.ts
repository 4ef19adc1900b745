import type { Metrics } from "../metrics/metrics.js";
import { type ResourceStatus, STATUSES } from "./status.js";

/** What a message of the drift feed led to (`retryctl_drift_events_total{result}`). */
export const DRIFT_EVENT_RESULTS = ["matched", "unmatched", "own", "malformed"] as const;
export type DriftEventResult = (typeof DRIFT_EVENT_RESULTS)[number];

/**
 * Every per-kind series starts at zero (bounded label sets, as controller-runtime
 * does), so a dashboard sees a kind before its first reconcile and `rate()` works
 * from the first increment.
 */
export function initControllerMetrics(metrics: Metrics, kinds: readonly string[]): void {
  for (const kind of kinds) {
    for (const result of ["synced", "changed", "error", "skipped"] as const) {
      metrics.reconcileTotal.inc({ kind, result }, 0);
    }
    metrics.driftDetected.inc({ kind }, 0);
    metrics.reconcileDuration.zero({ kind });
  }
  for (const result of DRIFT_EVENT_RESULTS) metrics.driftEvents.inc({ result }, 0);
  metrics.manifestErrors.set(0);
  metrics.workqueueDepth.set(0);
  metrics.lastSync.set(0);
}

const SEEN = new WeakMap<Metrics, Set<string>>();

/**
 * `retryctl_resources{kind,account,status}`: exact counts, zero for every
 * status of a (kind, account) seen, and for every kind in the hub's account
 * (`hub`: its label, "" until learnt) so a dashboard sees each kind from the start.
 */
export function setResourceGauge(
  metrics: Metrics,
  kinds: readonly string[],
  counts: Map<string, Map<string, Map<ResourceStatus, number>>>,
  hub = "",
): void {
  // An account whose last resource went away keeps its series, at zero.
  const seen = SEEN.get(metrics) ?? new Set<string>();
  SEEN.set(metrics, seen);
  seen.add(hub);
  for (const byAccount of counts.values()) for (const account of byAccount.keys()) seen.add(account);
  for (const kind of new Set([...kinds, ...counts.keys()])) {
    const byAccount = counts.get(kind);
    for (const account of seen) {
      for (const status of STATUSES) {
        metrics.resources.set({ kind, account, status }, byAccount?.get(account)?.get(status) ?? 0);
      }
    }
  }
}
