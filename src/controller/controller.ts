import { realpath } from "node:fs/promises";
import type { Logger } from "pino";
import type { AccountStatus, Accounts } from "../aws/accounts.js";
import type { AwsClients } from "../aws/clients.js";
import { eventObjects, linesFor } from "../drift/event-objects.js";
import type { DriftFeedStatus } from "../drift/feed.js";
import { ObjectClaims } from "../engine/claims.js";
import type { EngineOptions } from "../engine/reconcile.js";
import type { ResourceResult } from "../engine/result.js";
import { specAccount } from "../kinds/account.js";
import type { ElectorStatus } from "../leader/elector.js";
import { scrubSecrets } from "../log/secrets.js";
import type { Mode } from "../manifests/envelope.js";
import type { LoadResult, Manifest, ManifestError } from "../manifests/manifest.js";
import type { Metrics } from "../metrics/metrics.js";
import type { Guard } from "../policy/guard.js";
import { revisionOf } from "../source/revision.js";
import type { DeadLetterQueueStatus } from "./dead-letters.js";
import { planRevision, relativeToRoot } from "./desired.js";
import { FailureWatch } from "./failure-watch.js";
import { initControllerMetrics, setResourceGauge } from "./gauges.js";
import { type LastDrift, type ResourceStatusEntry, StatusStore } from "./status.js";
import { Sweeper } from "./sweep.js";
import { WorkQueue } from "./work-queue.js";

export type ReconcileFn = (
  manifests: readonly Manifest[],
  options: EngineOptions,
) => Promise<ResourceResult[]>;
export type LoadFn = (root: string) => Promise<LoadResult>;

export interface ControllerOptions {
  dir: string;
  mode: Mode;
  aws: AwsClients;
  log: Logger;
  metrics: Metrics;
  /** Every kind name, so the per-kind gauges start at zero. */
  kinds: readonly string[];
  concurrency: number;
  /**
   * Most keys of one read group (such as the region's mapping listing)
   * reconciled in one batch, beyond its slots (see WorkQueue). They are read
   * once per batch, so a batch should hold a whole sweep unit; the engine
   * applies at most the batch's slots (half the concurrency) at once, so other
   * groups and commits run beside it. Keys without a read group go one by one.
   * @default 1000
   */
  maxBatch?: number;
  resyncIntervalMs: number;
  load: LoadFn;
  reconcile: ReconcileFn;
  /** Passed to the engine: allow-list and `spec.account` checks before any AWS call. */
  guard?: Guard;
  /** The member accounts the guard routes to, for `/status`; their failure queues are read with their clients. */
  accounts?: Accounts;
  /**
   * The hub's account (sts:GetCallerIdentity, memoised), asked only when a
   * failure queue is named by bare name and the account is not known yet.
   */
  hubAccount?: () => Promise<string>;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** How long a failed load waits before it is tried again. */
  reloadRetryMs?: number;
  /** Told where the tree really is after each load, so the watcher can follow a swap. */
  onTree?: (realDir: string) => void | Promise<void>;
  /**
   * How long a resource named by a CloudTrail event waits before its re-read, so
   * the write has settled (design §10).
   * @default 1000
   */
  driftSettleMs?: number;
}

/** A write seen in the CloudTrail feed (design §10). */
export interface DriftCall {
  account: string;
  region: string;
  source: string;
  eventName: string;
  requestParameters: Record<string, unknown>;
  responseElements: Record<string, unknown>;
  /** What `/status` shows as `lastDrift` when the re-read finds drift. */
  drift: LastDrift;
}

/** `/status` (design §3). */
export interface StatusDocument {
  revision: string | null;
  mode: Mode;
  lastSyncTime: string | null;
  ready: boolean;
  resources: ResourceStatusEntry[];
  manifestErrors: ManifestError[];
  /** The CloudTrail feed, when `--drift-events-queue` is set (added by run.ts). */
  driftEvents?: DriftFeedStatus;
  /** The member accounts of the policy's `access` and whether their role could be assumed (design §6). */
  accounts: AccountStatus[];
  /** The SQS queues managed resources send failed events to, with their depth (design §11). */
  deadLetterQueues: DeadLetterQueueStatus[];
  /** Whether this replica leads; null without `--leader-election` (design §12; added by run.ts). */
  leader?: boolean | null;
  /** The Lease, this replica's identity and the holder it last saw, with `--leader-election` (added by run.ts). */
  leaderElection?: ElectorStatus;
}

/** Keys already reconciled in a pass (a revision's first reconcile, or one sweep round). */
interface Pass {
  pending: Set<string>;
  startedAt: number;
  size: number;
}

/**
 * The reconcile loop: turns loaded trees into queue entries, feeds ready
 * entries to the engine in per-kind batches, and keeps status, readiness and
 * metrics. Knows AWS only through the engine.
 */
export class Controller {
  readonly #o: ControllerOptions;
  readonly #log: Logger;
  readonly #queue: WorkQueue;
  readonly #sweeper: Sweeper;
  readonly #status = new StatusStore();
  readonly #abort = new AbortController();
  readonly #inflight = new Set<Promise<void>>();

  #desired = new Map<string, Manifest>();
  /** The AWS object each manifest's last read found, so two manifests of one object conflict across batches. */
  readonly #claims = new ObjectClaims();
  /** Revision each managed manifest's content comes from (older than the current one for a retained manifest). */
  #manifestRevision = new Map<string, string>();
  #revision: string | undefined;
  #manifestErrors: ManifestError[] = [];
  #revisionPass: Pass | undefined;
  #sweepPass: Pass | undefined;
  #ready = false;
  #lastSync: Date | undefined;
  #stopping = false;
  #started = false;
  #syncing: Promise<void> | undefined;
  #syncAgain = false;
  #reloadTimer: NodeJS.Timeout | undefined;
  /** Keys queued by a CloudTrail event, with that event, until a reconcile that started after it finishes. */
  readonly #driftCauses = new Map<string, { drift: LastDrift; queuedAt: number }>();
  readonly #failures: FailureWatch;

  constructor(options: ControllerOptions) {
    this.#o = options;
    this.#log = options.log;
    this.#queue = new WorkQueue({
      concurrency: options.concurrency,
      maxBatch: options.maxBatch ?? DEFAULT_MAX_BATCH,
      // A 1,000-key batch runs for a minute at Lambda's 14/s: it must not hold every slot meanwhile.
      maxBatchSlots: Math.ceil(options.concurrency / 2),
      backoffBaseMs: options.backoffBaseMs,
      backoffMaxMs: options.backoffMaxMs,
      onReady: () => this.#pump(),
      onDepth: (depth) => options.metrics.workqueueDepth.set(depth),
    });
    this.#sweeper = new Sweeper({
      intervalMs: options.resyncIntervalMs,
      keys: () => [...this.#desired.keys()],
      onDue: (keys) => {
        for (const key of keys) if (this.#desired.has(key)) this.#queue.add(key, "sweep");
      },
      onRoundStart: (keys) => this.#startSweep(keys),
      groupOf: kindOfKey,
      unitOf: (key) => this.#unitOf(key),
    });
    this.#failures = new FailureWatch({
      aws: options.aws,
      accounts: options.accounts,
      hubAccount: options.hubAccount,
      guard: options.guard,
      metrics: options.metrics,
      log: options.log,
      manifests: () => this.#desired.values(),
    });
    initControllerMetrics(options.metrics, options.kinds);
    this.#updateGauges();
  }

  get revision(): string | undefined {
    return this.#revision;
  }

  get alive(): boolean {
    return !this.#stopping;
  }

  /**
   * `/readyz`: true once every resource queued for the current revision has had
   * its first reconcile, whatever the outcome (failures show in `/status` and the
   * metrics; a single broken resource must not keep the pod unready forever). A
   * new revision makes it false again until its changed resources have had
   * theirs, as Flux's Ready condition goes Unknown while a revision is applied.
   */
  get ready(): boolean {
    return this.#ready;
  }

  readiness(): { ready: boolean; detail: string } {
    if (this.#ready) return { ready: true, detail: `revision ${this.#revision} reconciled` };
    if (this.#revision === undefined) return { ready: false, detail: "manifests not loaded yet" };
    const pass = this.#revisionPass;
    const pending = pass ? pass.pending.size : 0;
    return {
      ready: false,
      detail: `reconciling revision ${this.#revision}: ${pending} of ${pass?.size ?? 0} resources not reconciled yet`,
    };
  }

  status(): StatusDocument {
    return {
      revision: this.#revision ?? null,
      mode: this.#o.mode,
      lastSyncTime: this.#lastSync?.toISOString() ?? null,
      ready: this.#ready,
      resources: this.#status.list().map((r) => {
        const queues = this.#failures.ofResource(r.kind, r.name);
        return queues ? { ...r, deadLetterQueues: queues } : r;
      }),
      manifestErrors: this.#manifestErrors.map((e) => ({ ...e })),
      accounts: this.#o.accounts?.status().map((a) => ({ ...a, message: scrubSecrets(a.message) })) ?? [],
      deadLetterQueues: this.#failures.status(),
    };
  }

  /**
   * Queues, after the settle delay and ahead of the sweep, the managed resources
   * a write seen in the CloudTrail feed may have changed, in the event's account
   * and region (`hubAccount` is the account of manifests that name none).
   * Returns their keys; none when nothing managed matches.
   */
  driftEvent(call: DriftCall, hubAccount: string | undefined): string[] {
    if (this.#stopping) return [];
    const lines = linesFor(call.source, call.eventName);
    const keys: string[] = [];
    for (const line of lines) {
      const named = eventObjects(line, call.requestParameters, call.responseElements);
      if (named.size === 0) continue;
      for (const [key, m] of this.#desired) {
        if (m.kind.kind !== line.kind || m.region !== call.region) continue;
        const account = specAccount(m.kind, m.spec) ?? hubAccount;
        if (account !== undefined && account !== call.account) continue;
        const resolved = this.#claims.resolvedOf(key);
        if (line.manifest(m.spec, resolved).some((n) => n !== "" && named.has(n))) keys.push(key);
      }
    }
    const queuedAt = Date.now();
    for (const key of keys) {
      this.#driftCauses.set(key, { drift: call.drift, queuedAt });
      this.#queue.addAfter(key, this.#o.driftSettleMs ?? 1_000);
    }
    return keys;
  }

  /**
   * Starts the periodic resync sweep, once the first revision has been
   * reconciled: the initial reconcile already reads everything.
   */
  start(): void {
    this.#started = true;
    if (this.#ready) this.#sweeper.start();
  }

  /**
   * Reads the tree and acts on what changed. Calls never overlap: one that
   * arrives during a load makes that load run once more afterwards.
   */
  sync(): Promise<void> {
    if (this.#stopping) return Promise.resolve();
    if (this.#syncing) {
      this.#syncAgain = true;
      return this.#syncing;
    }
    this.#syncing = (async () => {
      try {
        do {
          this.#syncAgain = false;
          try {
            await this.#syncOnce();
          } catch (err) {
            // Never fatal: the loop keeps the last good state and tries the tree again shortly.
            this.#o.log.error(
              { err, dir: this.#o.dir },
              "reading the manifest tree failed; keeping the current state",
            );
            this.#scheduleReload();
          }
        } while (this.#syncAgain && !this.#stopping);
      } finally {
        this.#syncing = undefined;
      }
    })();
    return this.#syncing;
  }

  /** Stops taking work and waits (at most `timeoutMs`) for in-flight reconciles. */
  async stop(timeoutMs: number): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#failures.stop();
    clearTimeout(this.#reloadTimer);
    this.#sweeper.stop();
    this.#queue.shutDown();
    const inflight = this.#inflight.size;
    if (inflight > 0) this.#log.info({ batches: inflight, timeoutMs }, "waiting for in-flight reconciles");
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      Promise.allSettled([...this.#inflight]).then(() => true),
      new Promise<boolean>((r) => {
        timer = setTimeout(() => r(false), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (!finished) {
      this.#log.warn({ timeoutMs }, "in-flight reconciles did not finish in time; abandoning them");
      this.#abort.abort();
    }
    await this.#syncing?.catch(() => undefined);
  }

  async #syncOnce(): Promise<void> {
    const { dir, log } = this.#o;
    let root: string;
    try {
      root = await realpath(dir);
    } catch (err) {
      log.warn({ dir, err: String(err) }, "manifest directory not readable; waiting for it to appear");
      this.#scheduleReload();
      return;
    }
    let loaded: LoadResult;
    try {
      loaded = relativeToRoot(await this.#o.load(root), root);
    } catch (err) {
      log.error({ dir, root, err }, "loading manifests failed; keeping the current state");
      this.#scheduleReload();
      return;
    }
    // A swap while the files were read would mix two commits: read the new tree whole instead.
    const after = await realpath(dir).catch(() => undefined);
    if (after !== root) {
      log.debug({ dir, root, now: after }, "tree swapped during the read; reading again");
      this.#syncAgain = true;
      return;
    }
    const revision = await revisionOf(root, loaded.contentHash);
    await this.#o.onTree?.(root);
    if (this.#stopping) return;
    this.#applyTree(revision, loaded);
  }

  #scheduleReload(): void {
    if (this.#stopping || this.#reloadTimer) return;
    this.#reloadTimer = setTimeout(() => {
      this.#reloadTimer = undefined;
      void this.sync();
    }, this.#o.reloadRetryMs ?? 5_000);
  }

  #applyTree(revision: string, loaded: LoadResult): void {
    const { log, metrics } = this.#o;
    const previousRevision = this.#revision;
    const plan = planRevision(this.#desired, loaded);
    const newRevision = revision !== previousRevision;
    const touched = plan.added.length + plan.changed.length + plan.removed.length;
    const errorsChanged = JSON.stringify(loaded.errors) !== JSON.stringify(this.#manifestErrors);
    if (!newRevision && touched === 0 && !errorsChanged) return;

    this.#revision = revision;
    this.#desired = plan.desired;
    this.#manifestErrors = loaded.errors;
    metrics.revisionInfo.reset();
    metrics.revisionInfo.set({ revision }, 1);
    metrics.manifestErrors.set(loaded.errors.length);

    log.info(
      {
        revision,
        previousRevision: previousRevision ?? null,
        resources: plan.desired.size,
        added: plan.added.length,
        changed: plan.changed.length,
        removed: plan.removed.length,
        invalid: loaded.errors.length,
        warnings: loaded.warnings.length,
      },
      previousRevision === undefined
        ? "manifests loaded"
        : newRevision
          ? "new revision"
          : "manifests changed",
    );

    for (const m of plan.removed) {
      this.#queue.remove(m.key);
      this.#driftCauses.delete(m.key);
      this.#claims.release(m.key);
      this.#status.remove(m.key);
      this.#manifestRevision.delete(m.key);
      this.#forget(m.key);
      log.info(
        { kind: m.kind.kind, name: m.name, region: m.region, revision, file: m.source.file },
        "manifest removed; resource no longer managed, AWS left as it is",
      );
    }

    const queued = new Set<string>();
    const added = new Set(plan.added);
    for (const key of [...plan.added, ...plan.changed]) {
      const m = plan.desired.get(key) as Manifest;
      const isNew = added.has(key);
      // A fixed manifest starts afresh instead of waiting out the broken one's long backoff.
      this.#queue.resetBackoff(key);
      this.#claims.expect(key, m.kind, m.spec, m.region);
      this.#status.track(m, revision, isNew ? "New" : "Changed");
      this.#manifestRevision.set(key, revision);
      queued.add(key);
      if (previousRevision !== undefined) {
        log.info(
          { kind: m.kind.kind, name: m.name, region: m.region, revision, file: m.source.file },
          isNew ? "manifest added" : "manifest changed",
        );
      }
    }

    const underWay = new Set<string>();
    const reported = new Set<ManifestError>();
    for (const [key, m] of plan.desired) {
      const errors = plan.retained.get(key) ?? [];
      if (errors.length === 0) this.#status.describe(m);
      for (const e of errors) reported.add(e);
      this.#status.setManifestErrors(
        key,
        errors,
        errors.length > 0 ? this.#manifestRevision.get(key) : undefined,
      );
      if (errors.length > 0) {
        log.warn(
          { kind: m.kind.kind, name: m.name, region: m.region, revision, errors },
          "manifest invalid; keeping its last valid state",
        );
      }
      // Anything not yet converged is tried again with the new revision, unless it is about to be
      // (waiting) or being reconciled with this very manifest (processing): that would run it twice.
      const status = this.#status.reconciled(key);
      if (status !== "Synced" && status !== "Suspended" && !queued.has(key)) {
        const state = this.#queue.stateOf(key);
        if (state === "waiting" || state === "processing") underWay.add(key);
        else queued.add(key);
      }
    }
    for (const e of loaded.errors) {
      if (!reported.has(e)) log.warn({ ...e, revision }, "manifest invalid");
    }

    const pending = newRevision ? new Set<string>() : (this.#revisionPass?.pending ?? new Set<string>());
    // The first load reads everything, as a sweep does: a commit that lands meanwhile goes ahead of it.
    const priority = previousRevision === undefined ? "sweep" : "change";
    for (const key of queued) {
      pending.add(key);
      this.#queue.add(key, priority);
    }
    // Their first reconcile, already under way or queued, counts for the new revision too.
    for (const key of underWay) pending.add(key);
    this.#revisionPass = { pending, startedAt: Date.now(), size: pending.size };
    this.#ready = false;
    this.#checkPasses();
    this.#updateGauges();
    // Queues no manifest names any more go now; new ones are read with the next resync.
    this.#refreshDeadLetters(false);
  }

  /** Keys whose kind reads them with one planned read share a sweep unit (`Kind.readGroup`). */
  #unitOf(key: string): string {
    const m = this.#desired.get(key);
    const group = m?.kind.readGroup?.(m.spec, m.region);
    // `@` never occurs in a kind name, so a unit never equals a key (`<Kind>/<identity>`).
    return group === undefined || m === undefined ? key : `${m.kind.kind}@${group}`;
  }

  #startSweep(keys: string[]): void {
    // Once per resync: each failure queue's depth, one read per queue however many resources name it.
    this.#refreshDeadLetters(true);
    if (keys.length === 0) return;
    if (this.#sweepPass && this.#sweepPass.pending.size > 0) {
      this.#log.debug({ unfinished: this.#sweepPass.pending.size }, "previous resync sweep not finished");
    }
    this.#sweepPass = { pending: new Set(keys), startedAt: Date.now(), size: keys.length };
    this.#log.info(
      { revision: this.#revision, resources: keys.length, intervalMs: this.#o.resyncIntervalMs },
      "resync sweep started",
    );
  }

  #pump(): void {
    while (!this.#stopping) {
      // One batch is one planned read: keys that share none gain nothing from riding together.
      const { keys, slots } = this.#queue.takeBatch((key) => this.#unitOf(key));
      if (keys.length === 0) return;
      const run = this.#run(keys, slots).finally(() => this.#inflight.delete(run));
      this.#inflight.add(run);
    }
  }

  async #run(keys: string[], slots: number): Promise<void> {
    const { log, metrics, mode, aws } = this.#o;
    const manifests: Manifest[] = [];
    for (const key of keys) {
      const m = this.#desired.get(key);
      if (m) manifests.push(m);
      else this.#queue.done(key);
    }
    if (manifests.length === 0) return;
    const revision = this.#revision ?? "";
    const startedAt = Date.now();
    let results: ResourceResult[];
    try {
      results = await this.#o.reconcile(manifests, {
        aws,
        log,
        mode,
        dryRun: false,
        // A batch may hold more keys than slots (one planned read); writes stay within its slots.
        concurrency: slots,
        // The queue waits things in motion out (with backoff), not the engine.
        waitTimeoutMs: 0,
        metrics,
        revision: this.#revision,
        signal: this.#abort.signal,
        ...(this.#o.guard ? { guard: this.#o.guard } : {}),
        claims: this.#claims,
        driftCause: (key) => {
          const drift = this.#driftCause(key, startedAt)?.drift;
          // Not its `time`: a log line's own time field must stay the line's.
          return drift && { changedBy: drift.changedBy, eventName: drift.eventName, eventId: drift.eventId };
        },
      });
    } catch (err) {
      log.error({ err, keys: manifests.map((m) => m.key) }, "reconcile failed unexpectedly; will retry");
      results = manifests.map((m) => internalError(m, err));
    }
    manifests.forEach((m, i) => {
      const result = results[i] ?? internalError(m, new Error("the engine returned no result"));
      this.#settle(m, result, revision, startedAt);
    });
    this.#checkPasses();
    this.#updateGauges();
  }

  /** Failure-path health (design §11); its AWS calls count as in flight for a graceful stop. */
  #refreshDeadLetters(read: boolean): void {
    const work = this.#failures.refresh(read);
    if (!work) return;
    this.#inflight.add(work);
    void work.finally(() => this.#inflight.delete(work));
  }

  /** The event that queued `key`, if the reconcile started at `startedAt` is its re-read. */
  #driftCause(key: string, startedAt: number): { drift: LastDrift; queuedAt: number } | undefined {
    const cause = this.#driftCauses.get(key);
    return cause && cause.queuedAt <= startedAt ? cause : undefined;
  }

  /** Ends a re-read that a CloudTrail event asked for: its lag is measured, and the drift it found attributed. */
  #settleDrift(key: string, result: ResourceResult, startedAt: number): void {
    const cause = this.#driftCause(key, startedAt);
    if (!cause) return;
    this.#driftCauses.delete(key);
    const eventTime = Date.parse(cause.drift.time);
    if (Number.isFinite(eventTime)) {
      this.#o.metrics.driftEventLag.observe(Math.max(0, Date.now() - eventTime) / 1000);
    }
    if (result.changes.length > 0) this.#status.setLastDrift(key, cause.drift);
  }

  #settle(m: Manifest, result: ResourceResult, revision: string, startedAt: number): void {
    // A manifest that changed or went away meanwhile is reconciled again (or not at all): this result is stale,
    // and an old manifest's failure must not lengthen the new one's backoff.
    const stale = this.#desired.get(m.key)?.hash !== m.hash;
    let retryInMs: number | undefined;
    if (result.error && !stale) retryInMs = this.#queue.retry(m.key);
    else this.#queue.done(m.key);
    if (stale) return;
    const before = this.#status.get(m.key);
    const transition = this.#status.record(m.key, result, revision, retryInMs);
    this.#settleDrift(m.key, result, startedAt);
    this.#forget(m.key);
    if (transition) {
      this.#log[transitionLevel(before, result)](
        {
          kind: transition.kind,
          name: transition.name,
          region: transition.region,
          account: transition.account,
          revision: this.#revision,
          status: transition.status,
          reason: transition.reason,
        },
        `status ${transition.status}: ${transition.message}`,
      );
    }
  }

  #forget(key: string): void {
    this.#revisionPass?.pending.delete(key);
    this.#sweepPass?.pending.delete(key);
  }

  #checkPasses(): void {
    const now = Date.now();
    const rev = this.#revisionPass;
    if (rev && !this.#ready && rev.pending.size === 0) {
      this.#ready = true;
      if (this.#started && !this.#stopping) this.#sweeper.start();
      this.#markSynced();
      this.#log.info(
        {
          revision: this.#revision,
          resources: rev.size,
          durationMs: now - rev.startedAt,
          ...this.#summary(),
        },
        "revision reconciled",
      );
    }
    const sweep = this.#sweepPass;
    if (sweep && sweep.pending.size === 0) {
      this.#sweepPass = undefined;
      this.#markSynced();
      this.#log.info(
        {
          revision: this.#revision,
          resources: sweep.size,
          durationMs: now - sweep.startedAt,
          ...this.#summary(),
        },
        "resync sweep finished",
      );
    }
  }

  #markSynced(): void {
    this.#lastSync = new Date();
    this.#o.metrics.lastSync.set(this.#lastSync.getTime() / 1000);
  }

  #summary(): Record<string, number> {
    const summary: Record<string, number> = {};
    for (const byStatus of this.#status.counts().values()) {
      for (const [status, n] of byStatus)
        summary[status.toLowerCase()] = (summary[status.toLowerCase()] ?? 0) + n;
    }
    return summary;
  }

  #updateGauges(): void {
    setResourceGauge(
      this.#o.metrics,
      this.#o.kinds,
      this.#status.countsByAccount(),
      this.#o.aws.account ?? "",
    );
  }
}

const DEFAULT_MAX_BATCH = 1000;

/**
 * The engine logs each change and each failure in a line of its own, so a
 * status transition is worth an info line only for what that line does not
 * say: suspended, or back in sync after an error, a wait or observed drift. A
 * new or changed manifest found in sync is no news ("revision reconciled"
 * counts them), nor is in sync again after a repair.
 */
function transitionLevel(before: ResourceStatusEntry | undefined, result: ResourceResult): "info" | "debug" {
  if (result.error || result.changes.length > 0) return "debug";
  if (result.action === "suspended") return "info";
  return before && before.status !== "Synced" && before.reason !== "Progressing" ? "info" : "debug";
}

/** The kind part of a manifest key (`<Kind>/<identity>`): entries of one kind share reads. */
export function kindOfKey(key: string): string {
  const slash = key.indexOf("/");
  return slash < 0 ? key : key.slice(0, slash);
}

function internalError(m: Manifest, err: unknown): ResourceResult {
  return {
    kind: m.kind.kind,
    name: m.name,
    region: m.region,
    account: specAccount(m.kind, m.spec) ?? null,
    key: m.key,
    action: "error",
    changes: [],
    applied: false,
    source: m.source,
    error: {
      code: "InternalError",
      message: scrubSecrets(err instanceof Error ? err.message : String(err)),
      retry: "transient",
    },
  };
}
