import type { ResourceResult } from "../engine/result.js";
import { specAccount } from "../kinds/account.js";
import type { FieldChange } from "../kinds/kind.js";
import type { Manifest, ManifestError, SourceRef } from "../manifests/manifest.js";
import type { ResourceDeadLetterQueue } from "./dead-letters.js";

export const STATUSES = ["Synced", "Drifted", "Error", "Suspended", "Pending"] as const;
export type ResourceStatus = (typeof STATUSES)[number];

/** One resource in `/status` (design §3), with Flux-style reason and revisions (style §3). */
export interface ResourceStatusEntry {
  kind: string;
  name: string;
  region: string;
  /** The resource's AWS account (design §6); null while it is the hub's and the hub's account is not yet learnt. */
  account: string | null;
  status: ResourceStatus;
  /** Stable CamelCase reason, also used in the transition log lines. */
  reason: string;
  message: string;
  source: SourceRef;
  /** When `status` last changed (ISO 8601). */
  lastTransitionTime: string;
  /** Revision that was current when the last reconcile of this resource ran; null before the first one. */
  observedRevision: string | null;
  /** Revision whose desired state AWS last matched; null until it did once. */
  lastAppliedRevision: string | null;
  /** The RetryPolicy this resource was expanded from (design §7); `source` is then the policy's. */
  policy?: string;
  /** The last drift a CloudTrail event led to (design §10), once one did. */
  lastDrift?: LastDrift;
  /** The SQS queues this resource sends failed events to, with their depth (design §11); absent when none. */
  deadLetterQueues?: ResourceDeadLetterQueue[];
}

/** Who changed a resource by hand, from the CloudTrail event whose re-read found the drift. */
export interface LastDrift {
  /** When the call was made (the event's time). */
  time: string;
  changedBy: string;
  eventName: string;
  eventId: string;
}

export interface Condition {
  status: ResourceStatus;
  reason: string;
  message: string;
}

interface Entry {
  entry: ResourceStatusEntry;
  /** Validation errors of a newer version of the manifest, shown until the file is fixed. */
  manifestErrors: ManifestError[];
  /** Revision that the retained (last valid) manifest came from. */
  retainedFrom?: string;
}

/** What one reconcile result means for the resource, as status, reason and message. */
export function conditionOf(result: ResourceResult, retryInMs?: number): Condition {
  const retry = retryInMs === undefined ? "" : `; retrying in ${formatMs(retryInMs)}`;
  if (result.error) {
    const { code, message, retry: retryClass } = result.error;
    if (retryClass === "waiting") {
      return { status: "Pending", reason: code, message: `${message}; waiting for it to settle${retry}` };
    }
    return { status: "Error", reason: code, message: `${message}${retry}` };
  }
  switch (result.action) {
    case "none":
      return { status: "Synced", reason: "InSync", message: "AWS matches the manifest" };
    case "suspended":
      return {
        status: "Suspended",
        reason: "Suspended",
        message: "retryctl.dev/suspend is true; not reconciled",
      };
    case "observed":
      return {
        status: "Drifted",
        reason: "DriftDetected",
        message: `differs from the manifest (observe mode, left as is): ${describeChanges(result.changes)}`,
      };
    default:
      if (result.applied) {
        return { status: "Synced", reason: "Applied", message: `applied ${describeChanges(result.changes)}` };
      }
      return {
        status: "Pending",
        reason: "Planned",
        message: `change planned: ${describeChanges(result.changes)}`,
      };
  }
}

export function describeChanges(changes: readonly FieldChange[]): string {
  return changes
    .map((c) => `${c.field} ${JSON.stringify(c.actual)} -> ${JSON.stringify(c.desired)}`)
    .join(", ");
}

function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 120_000) return `${Math.round(ms / 100) / 10}s`;
  return `${Math.round(ms / 6000) / 10}m`;
}

/**
 * Per-resource status: what `/status` shows and `retryctl_resources` counts.
 * `lastTransitionTime` moves only when the status itself changes, as with
 * Kubernetes conditions.
 */
export class StatusStore {
  readonly #entries = new Map<string, Entry>();
  readonly #now: () => Date;

  constructor(now: () => Date = () => new Date()) {
    this.#now = now;
  }

  has(key: string): boolean {
    return this.#entries.has(key);
  }

  get(key: string): ResourceStatusEntry | undefined {
    const e = this.#entries.get(key);
    return e ? present(e) : undefined;
  }

  /** The status as reconciles left it, ignoring a pending manifest error. */
  reconciled(key: string): ResourceStatus | undefined {
    return this.#entries.get(key)?.entry.status;
  }

  /**
   * Starts tracking a manifest, or notes that it changed: it is Pending until a
   * reconcile of the new desired state finishes.
   */
  track(manifest: Manifest, revision: string, reason: "New" | "Changed"): void {
    const existing = this.#entries.get(manifest.key);
    const message =
      reason === "New"
        ? `new in revision ${revision}; waiting to be reconciled`
        : `manifest changed in revision ${revision}; waiting to be reconciled`;
    if (!existing) {
      this.#entries.set(manifest.key, {
        entry: {
          kind: manifest.kind.kind,
          name: manifest.name,
          region: manifest.region,
          account: specAccount(manifest.kind, manifest.spec) ?? null,
          status: "Pending",
          reason: "Progressing",
          message,
          source: { ...manifest.source },
          lastTransitionTime: this.#now().toISOString(),
          observedRevision: null,
          lastAppliedRevision: null,
          ...(manifest.policy === undefined ? {} : { policy: manifest.policy }),
        },
        manifestErrors: [],
      });
      return;
    }
    Object.assign(existing.entry, {
      name: manifest.name,
      region: manifest.region,
      account: specAccount(manifest.kind, manifest.spec) ?? existing.entry.account,
      source: { ...manifest.source },
    });
    if (manifest.policy === undefined) delete existing.entry.policy;
    else existing.entry.policy = manifest.policy;
    this.#set(existing.entry, { status: "Pending", reason: "Progressing", message });
  }

  /** Follows a manifest that moved in its file (or to another file) without changing. */
  describe(manifest: Manifest): void {
    const e = this.#entries.get(manifest.key);
    if (e)
      Object.assign(e.entry, {
        name: manifest.name,
        region: manifest.region,
        source: { ...manifest.source },
      });
  }

  /**
   * Records a finished reconcile made while `revision` was current. Returns the
   * entry when its status or reason changed (worth a log line), else undefined.
   */
  record(
    key: string,
    result: ResourceResult,
    revision: string,
    retryInMs?: number,
  ): ResourceStatusEntry | undefined {
    const e = this.#entries.get(key);
    if (!e) return undefined;
    const { status, reason } = e.entry;
    if (result.account !== null) e.entry.account = result.account;
    this.#set(e.entry, conditionOf(result, retryInMs));
    e.entry.observedRevision = revision;
    if (e.entry.status === "Synced") e.entry.lastAppliedRevision = revision;
    return status === e.entry.status && reason === e.entry.reason ? undefined : present(e);
  }

  /**
   * Shows a newer, invalid version of the manifest (or clears it with an empty
   * list); the resource keeps being reconciled against `retainedFrom`'s manifest.
   */
  setManifestErrors(key: string, errors: ManifestError[], retainedFrom?: string): void {
    const e = this.#entries.get(key);
    if (!e) return;
    if (errors.length > 0 && e.manifestErrors.length === 0)
      e.entry.lastTransitionTime = this.#now().toISOString();
    if (errors.length === 0 && e.manifestErrors.length > 0)
      e.entry.lastTransitionTime = this.#now().toISOString();
    e.manifestErrors = errors;
    if (retainedFrom === undefined) delete e.retainedFrom;
    else e.retainedFrom = retainedFrom;
  }

  /** Notes that a re-read after a CloudTrail event found drift (kept until the next such drift). */
  setLastDrift(key: string, drift: LastDrift): void {
    const e = this.#entries.get(key);
    if (e) e.entry.lastDrift = { ...drift };
  }

  remove(key: string): void {
    this.#entries.delete(key);
  }

  keys(): string[] {
    return [...this.#entries.keys()];
  }

  /** Every resource, sorted by kind then name. */
  list(): ResourceStatusEntry[] {
    return [...this.#entries.values()]
      .map(present)
      .sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
  }

  /** Resources per kind and status, for the log summaries. */
  counts(): Map<string, Map<ResourceStatus, number>> {
    const counts = new Map<string, Map<ResourceStatus, number>>();
    for (const [kind, byAccount] of this.countsByAccount()) {
      const byStatus = counts.get(kind) ?? new Map<ResourceStatus, number>();
      for (const perAccount of byAccount.values()) {
        for (const [status, n] of perAccount) byStatus.set(status, (byStatus.get(status) ?? 0) + n);
      }
      counts.set(kind, byStatus);
    }
    return counts;
  }

  /** Resources per kind, account ("" for the hub's while unknown) and status: the `retryctl_resources` gauge. */
  countsByAccount(): Map<string, Map<string, Map<ResourceStatus, number>>> {
    const counts = new Map<string, Map<string, Map<ResourceStatus, number>>>();
    for (const e of this.#entries.values()) {
      const { kind, account, status } = present(e);
      const byAccount = counts.get(kind) ?? new Map<string, Map<ResourceStatus, number>>();
      const byStatus = byAccount.get(account ?? "") ?? new Map<ResourceStatus, number>();
      byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
      byAccount.set(account ?? "", byStatus);
      counts.set(kind, byAccount);
    }
    return counts;
  }

  #set(entry: ResourceStatusEntry, condition: Condition): void {
    if (entry.status !== condition.status) entry.lastTransitionTime = this.#now().toISOString();
    entry.status = condition.status;
    entry.reason = condition.reason;
    entry.message = condition.message;
  }
}

/** A pending manifest error outranks what the last reconcile said: the file needs fixing. */
function present(e: Entry): ResourceStatusEntry {
  if (e.manifestErrors.length === 0) return { ...e.entry, source: { ...e.entry.source } };
  const first = e.manifestErrors[0] as ManifestError;
  const where = `${first.file}:${first.line}${first.path ? ` ${first.path}` : ""}`;
  const more = e.manifestErrors.length > 1 ? ` (and ${e.manifestErrors.length - 1} more)` : "";
  const kept = e.retainedFrom ? ` from revision ${e.retainedFrom}` : "";
  return {
    ...e.entry,
    source: { ...e.entry.source },
    status: "Error",
    reason: "InvalidManifest",
    message:
      `${where}: ${first.message}${more}; keeping the last valid manifest${kept} ` +
      `(its last reconcile: ${e.entry.status}, ${e.entry.reason})`,
  };
}
