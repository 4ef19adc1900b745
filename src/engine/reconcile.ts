import PQueue from "p-queue";
import type { Logger } from "pino";
import type { AwsClients } from "../aws/clients.js";
import { classifyAwsError, ResourceError } from "../aws/errors.js";
import { specAccount } from "../kinds/account.js";
import type { AnyKind, DesiredResource, FieldChange, KindContext } from "../kinds/kind.js";
import type { SharedListings } from "../kinds/mapping-listing.js";
import { scrubSecrets } from "../log/secrets.js";
import type { Mode } from "../manifests/envelope.js";
import type { Manifest } from "../manifests/manifest.js";
import type { Metrics } from "../metrics/metrics.js";
import type { Guard, Placement } from "../policy/guard.js";
import { backoffDelay, sleep } from "./backoff.js";
import { ObjectClaims } from "./claims.js";
import type { EngineProgress, ProgressTarget } from "./progress.js";
import type { ResourceResult } from "./result.js";

export interface EngineOptions {
  aws: AwsClients;
  log: Logger;
  /** Global mode; a resource's `retryctl.dev/mode` annotation wins. */
  mode: Mode;
  /** Plan only: read and diff, never write. */
  dryRun: boolean;
  /**
   * Resources applied at once, per kind (reads are already bounded by the rate limiter).
   * Per kind because kinds wait on different AWS rate buckets: with one shared pool,
   * resources queued for Lambda's 15/s bucket hold every slot while SQS and EventBridge
   * changes wait, and then those hold them while the Lambda bucket idles.
   */
  concurrency: number;
  /**
   * How long a resource in motion (function update InProgress, mapping Updating) or
   * hit by a transient fault is waited out before it is reported as failed. The
   * controller passes 0 and requeues with backoff instead.
   */
  waitTimeoutMs: number;
  metrics?: Metrics;
  revision?: string;
  /**
   * The caller prints every result itself (the plan of `diff` and `apply`), so
   * failures and observed drift are logged at info, not warn: the default log
   * level of a one-shot command does not say them a second time.
   */
  resultsPrinted?: boolean;
  /**
   * Once aborted, nothing new starts: a resource not yet applied gets the error
   * `Interrupted` (its changes listed, AWS untouched), waits end at once, and
   * calls already in flight finish.
   */
  signal?: AbortSignal;
  /**
   * Blast-radius check (allow-list policy, `spec.account`) run before a resource
   * is read: a refused resource is an error and no AWS call is made for it.
   */
  guard?: Guard;
  /** Told what each resource is doing until it has its result (the one-shot commands' wait reports). */
  progress?: EngineProgress;
  /**
   * The AWS objects manifests resolved to in earlier reconciles (the controller's
   * lifetime), so a conflict is found even when only one of the two is in this call.
   */
  claims?: ObjectClaims;
  /**
   * Who caused a re-read (the CloudTrail event of a hand change, design §10):
   * its fields go on the "drift repaired" / "drift detected" line.
   */
  driftCause?: (key: string) => { changedBy: string; eventName: string; eventId: string } | undefined;
  /** The region-wide mapping listings fleet discovery made for this reconcile (read once, not twice). */
  mappingListings?: SharedListings;
}

/**
 * Reconciles a set of manifests once: planned reads per kind, then for each
 * resource diff → (apply) with waits for things in motion. Never throws for a
 * resource's failure; every manifest gets exactly one result.
 */
export async function reconcile(
  manifests: readonly Manifest[],
  options: EngineOptions,
): Promise<ResourceResult[]> {
  const results = new Map<Manifest, ResourceResult>();
  const candidates: Manifest[] = [];
  for (const m of manifests) {
    if (m.suspended) {
      const result = base(m, "suspended", accountOf(m, options.aws));
      results.set(m, result);
      report(options, m, result, 0);
    } else candidates.push(m);
  }
  const { progress } = options;
  // The guard may ask STS for the caller's account: an AWS read like the others.
  for (const m of candidates) progress?.step(target(m), "reading");
  const claims = options.claims ?? new ObjectClaims();
  for (const m of manifests) if (m.suspended) claims.release(m.key);
  // A resource that expansion found invalid is refused like one the guard refuses: no AWS call for it.
  const placements = await Promise.all(
    candidates.map((m) => blockingIssue(m) ?? options.guard?.place(m) ?? {}),
  );
  // Per account: its own clients (credentials, limiter buckets), so accounts reconcile side by side.
  const accounts = new Map<AwsClients, { ctx: KindContext; manifests: Manifest[] }>();
  candidates.forEach((m, i) => {
    const placed = placements[i] as ResourceError | Placement;
    if (!(placed instanceof ResourceError)) {
      const aws = placed.aws ?? options.aws;
      const ctx: KindContext = { aws, log: options.log };
      if (options.mappingListings) ctx.mappingListings = options.mappingListings;
      const entry = accounts.get(aws) ?? { ctx, manifests: [] };
      entry.manifests.push(m);
      accounts.set(aws, entry);
      return;
    }
    claims.release(m.key);
    const result = errorResult(m, [], placed, accountOf(m, options.aws));
    results.set(m, result);
    progress?.done(target(m));
    report(options, m, result, 0);
  });

  const groups = [...accounts.values()].flatMap(({ ctx, manifests: placed }) =>
    [...Map.groupBy(placed, (m) => m.kind)].map(([kind, group]) => ({ ctx, kind, group })),
  );
  await Promise.all(
    groups.map(async ({ ctx, kind, group }) => {
      const queue = new PQueue({ concurrency: Math.max(1, options.concurrency) });
      const started = performance.now();
      const actuals = await readBatch(kind, ctx, group, options.signal);
      for (const m of group) progress?.step(target(m), "queued");
      claimObjects(kind, group, actuals, claims, options, ctx.aws.memberAccount ?? "hub");
      await Promise.all(
        group.map((m) =>
          queue.add(async () => {
            const result = withIssues(m, await reconcileResource(m, actuals.get(m.key), ctx, options));
            results.set(m, result);
            progress?.done(target(m));
            report(options, m, result, (performance.now() - started) / 1000);
          }),
        ),
      );
    }),
  );
  return manifests.map((m) => results.get(m) as ResourceResult);
}

/**
 * The account a result is about: the manifest's, else the clients' (a member's,
 * or the hub's once learnt); null when the hub's account was never needed.
 */
function accountOf(m: Manifest, aws: AwsClients): string | null {
  return specAccount(m.kind, m.spec) ?? aws.account ?? null;
}

async function readBatch(
  kind: AnyKind,
  ctx: KindContext,
  group: Manifest[],
  signal: AbortSignal | undefined,
): Promise<Map<string, unknown>> {
  const resources = group.map(toDesired);
  if (signal?.aborted) {
    const error = new ResourceError("Interrupted", "interrupted before it was read", "transient");
    return new Map(group.map((m) => [m.key, error]));
  }
  try {
    const read = await kind.read(ctx, resources);
    const byKey = new Map<string, unknown>();
    for (const m of group) byKey.set(m.key, read.get(kindIdentity(m)));
    return byKey;
  } catch (err) {
    const error = classifyAwsError(err, `reading ${kind.kind}`);
    return new Map(group.map((m) => [m.key, error]));
  }
}

/**
 * Two manifests whose reads found one AWS object conflict like two with one
 * identity (design §1): both are reported and neither is applied. Each one's
 * read is replaced by the conflict, so the engine writes nothing for it.
 */
function claimObjects(
  kind: AnyKind,
  group: Manifest[],
  actuals: Map<string, unknown>,
  claims: ObjectClaims,
  options: EngineOptions,
  /** Objects of two accounts never conflict: the same name in each is two objects. */
  account: string,
): void {
  if (!kind.resolvedIdentity) return;
  for (const m of group) {
    const actual = actuals.get(m.key);
    if (actual === undefined) continue;
    if (actual instanceof ResourceError) {
      // A transient failure says nothing about which object the manifest names; keep its last claim.
      if (actual.retry === "terminal") claims.release(m.key);
      continue;
    }
    claims.read(m.key);
    const object = kind.resolvedIdentity(actual, toDesired(m));
    if (object === undefined) claims.release(m.key);
    else
      claims.record(
        m.key,
        `${kind.kind}/${account}/${object}`,
        `${m.name} (${m.source.file}:${m.source.line})`,
        object,
      );
  }
  for (const m of group) {
    const rivals = claims.rivals(m.key);
    if (rivals.length === 0) {
      holdForPeers(m, actuals, claims, options);
      continue;
    }
    const none = rivals.length > 1 ? "none of them is applied" : "neither is applied";
    actuals.set(
      m.key,
      new ResourceError(
        "Conflict",
        `${kind.kind} ${m.name} resolves to the same AWS object as ${rivals.join(", ")}; ${none}`,
        "terminal",
      ),
    );
  }
}

/**
 * A manifest that would write waits while a manifest that may name the same
 * object (`Kind.peerScope`) is still unread: otherwise the first of two reads
 * in separate batches would write before the second could find the conflict.
 */
function holdForPeers(
  m: Manifest,
  actuals: Map<string, unknown>,
  claims: ObjectClaims,
  options: EngineOptions,
): void {
  if (options.dryRun || (m.mode ?? options.mode) === "observe") return;
  const unread = claims.unreadPeers(m.key, m.kind, m.spec, m.region);
  if (unread === 0) return;
  actuals.set(
    m.key,
    new ResourceError(
      "AwaitingPeers",
      `waiting until ${unread} other ${m.kind.kind} manifest(s) for the same object are read, so two manifests of one AWS object are found before either writes`,
      "waiting",
    ),
  );
}

async function readOne(m: Manifest, ctx: KindContext, signal: AbortSignal | undefined): Promise<unknown> {
  return (await readBatch(m.kind, ctx, [m], signal)).get(m.key);
}

async function reconcileResource(
  m: Manifest,
  initial: unknown,
  ctx: KindContext,
  options: EngineOptions,
): Promise<ResourceResult> {
  const deadline = Date.now() + options.waitTimeoutMs;
  const mode = m.mode ?? options.mode;
  const account = accountOf(m, ctx.aws);
  const baseResult = (m: Manifest, action: ResourceResult["action"]) => base(m, action, account);
  let actual = initial;
  const { signal } = options;
  for (let attempt = 0; ; attempt++) {
    let changes: FieldChange[] = [];
    let applying = false;
    try {
      if (actual === undefined)
        throw new ResourceError("ReadFailed", "the kind returned no state for this resource");
      if (actual instanceof ResourceError) throw actual;
      const refused = options.guard?.afterRead(m, actual);
      if (refused) throw refused;
      changes = m.kind.diff(m.spec, actual);
      if (changes.length === 0) return baseResult(m, "none");
      const action = m.kind.creates(actual) ? "create" : "update";
      if (mode === "observe") return { ...baseResult(m, "observed"), changes };
      if (options.dryRun) return { ...baseResult(m, action), changes };
      if (signal?.aborted) return interrupted(m, changes, { when: "before it was applied" }, account);
      options.progress?.step(target(m), "applying");
      applying = true;
      await m.kind.apply(ctx, toDesired(m), actual, changes);
      return { ...baseResult(m, action), changes, applied: true };
    } catch (err) {
      const error = classifyAwsError(err, `${m.kind.kind}/${m.name}`);
      const delay = backoffDelay(attempt);
      if (error.retry === "terminal") return errorResult(m, changes, error, account);
      if (signal?.aborted) return interrupted(m, changes, interruptedWhile(error, applying), account);
      if (Date.now() + delay > deadline) return errorResult(m, changes, error, account);
      options.log.debug(
        { kind: m.kind.kind, name: m.name, code: error.code, retry: error.retry, delayMs: delay },
        "waiting before another attempt",
      );
      options.progress?.waiting(target(m), error, deadline);
      await sleep(delay, signal);
      if (signal?.aborted) return interrupted(m, changes, interruptedWhile(error, false), account);
      options.progress?.step(target(m), "reading");
      actual = await readOne(m, ctx, signal);
    }
  }
}

function report(options: EngineOptions, m: Manifest, result: ResourceResult, seconds: number): void {
  const { metrics, log, revision } = options;
  const kind = m.kind.kind;
  const cause = result.changes.length > 0 ? options.driftCause?.(m.key) : undefined;
  const fields = {
    kind,
    name: m.name,
    region: m.region,
    account: result.account,
    ...(m.policy === undefined ? {} : { policy: m.policy }),
    revision,
    action: result.action,
    ...cause,
  };
  if (result.changes.length > 0) metrics?.driftDetected.inc({ kind });
  if (metrics) {
    metrics.reconcileTotal.inc({ kind, result: metricResult(result) });
    if (result.action !== "suspended") metrics.reconcileDuration.observe({ kind }, seconds);
  }
  // Steady states (in sync, suspended) are debug: at info, every resource would log a line on every sweep.
  const notice = options.resultsPrinted ? "info" : "warn";
  if (result.error)
    log[notice]({ ...fields, changes: result.changes, error: result.error }, "reconcile failed");
  else if (result.action === "none") log.debug(fields, "in sync");
  else if (result.action === "suspended") log.debug(fields, "suspended; skipped");
  else if (result.action === "observed")
    log[notice]({ ...fields, changes: result.changes }, "drift detected (observe mode)");
  else if (result.applied) log.info({ ...fields, changes: result.changes }, "drift repaired");
  else log.info({ ...fields, changes: result.changes }, "change planned");
}

function metricResult(result: ResourceResult): "synced" | "changed" | "error" | "skipped" {
  if (result.error) return "error";
  if (result.applied) return "changed";
  // Suspended, observed drift and dry-run plans all leave AWS as it is.
  return result.action === "none" ? "synced" : "skipped";
}

/** The result of a failed resource; the message may quote AWS, so credentials are scrubbed from it. */
function errorResult(
  m: Manifest,
  changes: FieldChange[],
  error: ResourceError,
  account: string | null,
): ResourceResult {
  return {
    ...base(m, "error", account),
    changes,
    error: { code: error.code, message: scrubSecrets(error.message), retry: error.retry },
  };
}

/** How far the interrupt let a resource get; `unsure` when a write may have taken effect without saying so. */
interface Reached {
  when: string;
  unsure?: boolean;
}

/** A resource the interrupt stopped short of converging: not failed, but not changed by this run either. */
function interrupted(
  m: Manifest,
  changes: FieldChange[],
  reached: Reached,
  account: string | null,
): ResourceResult {
  let outcome = changes.length > 0 ? "; not applied, AWS unchanged" : "; AWS unchanged";
  if (reached.unsure) outcome = "; AWS may or may not have applied it";
  return errorResult(
    m,
    changes,
    new ResourceError("Interrupted", `interrupted ${reached.when}${outcome}`, "transient"),
    account,
  );
}

/** Where the interrupt found a resource that had met `error` (its read refused, a wait, or a failed write). */
function interruptedWhile(error: ResourceError, applying: boolean): Reached {
  const cause = `${error.code}: ${error.message}`;
  // No answer (a timeout, a dropped connection) or a 5xx: the write may have been applied all the same.
  if (applying && (error.code === "NetworkError" || error.code === "ServiceError"))
    return { when: `while it was applied: its write got no clear answer (${cause})`, unsure: true };
  if (applying) return { when: `while it was applied: the write did not succeed (${cause})` };
  if (error.code === "Interrupted") return { when: "before it was read" };
  return { when: `while waiting (${cause})` };
}

/** The first issue that stops an expanded resource (design §7: a value invalid after substitution). */
function blockingIssue(m: Manifest): ResourceError | undefined {
  const issue = m.issues?.find((i) => i.blocking);
  return issue && new ResourceError(issue.code, issue.message, "terminal");
}

/**
 * An expansion issue that let the other fields apply (`PolicyConflict`) is
 * still the resource's error, after whatever it did: the conflict needs fixing.
 */
function withIssues(m: Manifest, result: ResourceResult): ResourceResult {
  const issue = m.issues?.find((i) => !i.blocking);
  if (!issue || result.error) return result;
  return {
    ...result,
    action: "error",
    error: { code: issue.code, message: scrubSecrets(issue.message), retry: "terminal" },
  };
}

function base(m: Manifest, action: ResourceResult["action"], account: string | null): ResourceResult {
  return {
    ...(m.policy === undefined ? {} : { policy: m.policy }),
    kind: m.kind.kind,
    name: m.name,
    region: m.region,
    account,
    key: m.key,
    action,
    changes: [],
    applied: false,
    source: m.source,
  };
}

function toDesired(m: Manifest): DesiredResource<Record<string, unknown>> {
  return { name: m.name, region: m.region, identity: kindIdentity(m), spec: m.spec };
}

function target(m: Manifest): ProgressTarget {
  return { key: m.key, label: `${m.kind.kind}/${m.name}` };
}

/** The kind's own identity (the manifest key without the `Kind/` prefix). */
function kindIdentity(m: Manifest): string {
  return m.key.slice(m.kind.kind.length + 1);
}
