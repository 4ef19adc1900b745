import { eventSourceMapping } from "./event-source-mapping.js";
import { eventTargetRetryPolicy } from "./event-target-retry-policy.js";
import { functionDeadLetterConfig } from "./function-dead-letter-config.js";
import { functionEventInvokeConfig } from "./function-event-invoke-config.js";
import type { AnyKind } from "./kind.js";
import { pipeRetryPolicy } from "./pipe-retry-policy.js";
import { queueRedrivePolicy } from "./queue-redrive-policy.js";
import { scheduleRetryPolicy } from "./schedule-retry-policy.js";
import { subscriptionRedrivePolicy } from "./subscription-redrive-policy.js";

/** Every manifest kind retryctl knows. Adding a kind: one module, one line here. */
export const KINDS: readonly AnyKind[] = [
  functionEventInvokeConfig,
  functionDeadLetterConfig,
  eventSourceMapping,
  queueRedrivePolicy,
  eventTargetRetryPolicy,
  subscriptionRedrivePolicy,
  scheduleRetryPolicy,
  pipeRetryPolicy,
];

export function findKind(name: string): AnyKind | undefined {
  return KINDS.find((k) => k.kind === name);
}
