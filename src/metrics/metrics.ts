import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** Every metric of the contract (design §3), in one registry per process. */
export function createMetrics() {
  const registry = new Registry();
  const reconcileTotal = new Counter({
    name: "retryctl_reconcile_total",
    help: "Reconciliations by kind and result.",
    labelNames: ["kind", "result"] as const,
    registers: [registry],
  });
  const reconcileDuration = new Histogram({
    name: "retryctl_reconcile_duration_seconds",
    help: "Time to reconcile one resource, AWS calls included.",
    labelNames: ["kind"] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  const driftDetected = new Counter({
    name: "retryctl_drift_detected_total",
    help: "Resources found to differ from their manifest.",
    labelNames: ["kind"] as const,
    registers: [registry],
  });
  const resources = new Gauge({
    name: "retryctl_resources",
    help: "Managed resources by kind, AWS account and status.",
    labelNames: ["kind", "account", "status"] as const,
    registers: [registry],
  });
  const awsRequests = new Counter({
    name: "retryctl_aws_requests_total",
    help: "AWS API requests sent (each attempt), by AWS account and outcome.",
    labelNames: ["service", "operation", "account", "outcome"] as const,
    registers: [registry],
  });
  const manifestErrors = new Gauge({
    name: "retryctl_manifest_errors",
    help: "Manifests that failed to load or validate in the current revision.",
    registers: [registry],
  });
  const workqueueDepth = new Gauge({
    name: "retryctl_workqueue_depth",
    help: "Resources waiting in the work queue.",
    registers: [registry],
  });
  const lastSync = new Gauge({
    name: "retryctl_last_sync_timestamp_seconds",
    help: "Unix time of the last completed full reconcile.",
    registers: [registry],
  });
  const revisionInfo = new Gauge({
    name: "retryctl_revision_info",
    help: "The revision being reconciled (value 1).",
    labelNames: ["revision"] as const,
    registers: [registry],
  });
  const driftEvents = new Counter({
    name: "retryctl_drift_events_total",
    help: "CloudTrail events read from the drift feed, by what they led to.",
    labelNames: ["result"] as const,
    registers: [registry],
  });
  const driftEventLag = new Histogram({
    name: "retryctl_drift_event_lag_seconds",
    help: "Time from a CloudTrail event to the re-read of a resource it affects.",
    buckets: [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900],
    registers: [registry],
  });
  const deadLetterMessages = new Gauge({
    name: "retryctl_dead_letter_messages",
    help:
      "Messages in an SQS queue that a managed resource names as its DLQ or on-failure destination " +
      "(ApproximateNumberOfMessages, read once per resync); no series while the queue cannot be read.",
    labelNames: ["account", "region", "queue"] as const,
    registers: [registry],
  });
  const leader = new Gauge({
    name: "retryctl_leader",
    help: "1 while this replica reconciles (the leader, or the only replica without --leader-election), 0 on a standby.",
    registers: [registry],
  });
  const leaderTransitions = new Counter({
    name: "retryctl_leader_transitions_total",
    help: "Times this replica started or stopped leading.",
    registers: [registry],
  });
  return {
    registry,
    deadLetterMessages,
    leader,
    leaderTransitions,
    driftEvents,
    driftEventLag,
    reconcileTotal,
    reconcileDuration,
    driftDetected,
    resources,
    awsRequests,
    manifestErrors,
    workqueueDepth,
    lastSync,
    revisionInfo,
    /** Node.js process defaults, only for the long-running controller. */
    collectDefaults: () => {
      collectDefaultMetrics({ register: registry });
      // prom-client's gauges with a `_total` suffix fail `promtool check metrics` (which the
      // contract's /metrics must pass); each only sums the same gauge without the suffix.
      for (const name of [
        "nodejs_active_handles_total",
        "nodejs_active_requests_total",
        "nodejs_active_resources_total",
      ]) {
        registry.removeSingleMetric(name);
      }
    },
    /** `AwsClients` `onRequest` hook that counts every attempt in retryctl_aws_requests_total. */
    countAwsRequest: (e: { service: string; operation: string; account?: string; outcome: string }) =>
      awsRequests.inc({
        service: e.service,
        operation: e.operation,
        account: e.account ?? "",
        outcome: e.outcome,
      }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
