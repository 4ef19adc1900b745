import { eventSourceMapping } from "../kinds/event-source-mapping.js";
import { functionDeadLetterConfig } from "../kinds/function-dead-letter-config.js";
import { functionEventInvokeConfig } from "../kinds/function-event-invoke-config.js";
import type { AnyKind } from "../kinds/kind.js";
import { queueRedrivePolicy } from "../kinds/queue-redrive-policy.js";
import type { Section } from "./schema.js";

/** The per-resource kind each section expands to (design §7). */
export const SECTION_KINDS: Record<Section, AnyKind> = {
  asyncInvoke: functionEventInvokeConfig,
  deadLetterConfig: functionDeadLetterConfig,
  streamMappings: eventSourceMapping,
  queueMappings: eventSourceMapping,
  sourceQueues: queueRedrivePolicy,
};
