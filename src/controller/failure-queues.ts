import { parseArn, partitionOf, sqsQueueArn } from "../aws/arn.js";
import { specAccount } from "../kinds/account.js";
import { parseQueueRef } from "../kinds/sqs-queue.js";
import type { Manifest } from "../manifests/manifest.js";

/** What the collection needs of a managed manifest. */
export type Sender = Pick<Manifest, "kind" | "name" | "region" | "spec">;

/** An SQS queue that managed resources send failed events to (design §11): one entry however many name it. */
export interface FailureQueue {
  /** `arn:<partition>:sqs:<region>:<account>:<name>`, the key that makes two spellings of one queue one queue. */
  arn: string;
  /** "" for a queue named by bare name in the hub's account while that account is not known yet. */
  account: string;
  region: string;
  name: string;
  /** `<Kind>/<name>` of every resource that names it, sorted. */
  senders: string[];
}

/** How `/status` and the logs name a resource: names are unique per kind (design §1). */
export function senderKey(kind: string, name: string): string {
  return `${kind}/${name}`;
}

/**
 * The distinct SQS queues the manifests name as a DLQ or on-failure
 * destination (`Kind.failureDestinations`), sorted by ARN. A bare queue name
 * is in the resource's own account and region; other destinations (SNS
 * topics, functions, buses, S3 buckets) are not queues and are left out.
 */
export function failureQueues(senders: Iterable<Sender>, hubAccount: string | undefined): FailureQueue[] {
  const queues = new Map<string, { queue: Omit<FailureQueue, "senders">; senders: Set<string> }>();
  for (const m of senders) {
    for (const destination of m.kind.failureDestinations?.(m.spec) ?? []) {
      const ref = parseQueueRef(destination);
      if (!ref) continue;
      const region = ref.region ?? m.region;
      const account = ref.account ?? specAccount(m.kind, m.spec) ?? hubAccount ?? "";
      const partition = parseArn(destination)?.partition ?? partitionOf(region);
      const arn = sqsQueueArn(region, account, ref.name, partition);
      const entry = queues.get(arn) ?? {
        queue: { arn, account, region, name: ref.name },
        senders: new Set<string>(),
      };
      entry.senders.add(senderKey(m.kind.kind, m.name));
      queues.set(arn, entry);
    }
  }
  return [...queues.values()]
    .map(({ queue, senders: names }) => ({ ...queue, senders: [...names].sort() }))
    .sort((a, b) => (a.arn < b.arn ? -1 : a.arn > b.arn ? 1 : 0));
}
