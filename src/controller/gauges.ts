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

/** `retryctl_resources{kind,status}`: exact counts, zero for every pair without resources. */
export function setResourceGauge(
  metrics: Metrics,
  kinds: readonly string[],
  counts: Map<string, Map<ResourceStatus, number>>,
): void {
  for (const kind of new Set([...kinds, ...counts.keys()])) {
    for (const status of STATUSES) {
      metrics.resources.set({ kind, status }, counts.get(kind)?.get(status) ?? 0);
    }
  }
}
