import { writeSync } from "node:fs";
import { realpath } from "node:fs/promises";
import { constants } from "node:os";
import type { Logger } from "pino";
import { Accounts, type AccountsOptions } from "../aws/accounts.js";
import { callerAccount } from "../aws/caller.js";
import { AwsClients } from "../aws/clients.js";
import { RateLimiter, type RateLimits } from "../aws/rate-limiter.js";
import { DriftFeed } from "../drift/feed.js";
import { reconcile } from "../engine/reconcile.js";
import { Fleet } from "../fleet/fleet.js";
import type { MappingListings } from "../kinds/mapping-listing.js";
import { KINDS } from "../kinds/registry.js";
import { LeaderElector } from "../leader/elector.js";
import { holderIdentity } from "../leader/identity.js";
import { KubeLease, loadKubeConfig } from "../leader/kube-lease.js";
import type { LeaseClient } from "../leader/lease-client.js";
import { DEFAULT_TIMINGS, type ElectionTimings } from "../leader/record.js";
import { createLogger } from "../log/logger.js";
import type { LogFormat } from "../log/text-format.js";
import { type Mode, modeSchema } from "../manifests/envelope.js";
import { loadManifests } from "../manifests/load.js";
import { createMetrics, type Metrics } from "../metrics/metrics.js";
import { Guard } from "../policy/guard.js";
import { describePolicy, type Policy } from "../policy/policy.js";
import { StatusServer } from "../server/http.js";
import { type ListenAddress, parseListen } from "../server/listen.js";
import { USER_AGENT } from "../version.js";
import { Controller, type StatusDocument } from "./controller.js";
import { TreeWatcher } from "./watcher.js";

/**
 * How old discovery's mapping listing may be when a read takes it: long enough
 * for the reconcile that follows a load (start-up, a commit), short enough that
 * no read acts on a listing from before a change it was queued to see.
 */
const SHARED_LISTING_MAX_AGE_MS = 10_000;

export interface RunControllerOptions {
  /** The manifest folder, or a git-sync link (or a folder below one). */
  dir: string;
  /** Region of manifests without `spec.region`. */
  region: string;
  /** One endpoint for every AWS service (`--endpoint-url`). */
  endpoint?: string;
  mode: Mode;
  /** `host:port`, `[v6]:port` or `:port`; port 0 picks a free one. */
  listen: string;
  /** Resources reconciled at once. */
  concurrency: number;
  resyncIntervalMs: number;
  debounceMs: number;
  logLevel: string;
  /** @default "json" */
  logFormat?: LogFormat;
  /**
   * Allow-list of what manifests may target (`--policy`, already validated); a
   * resource outside it is an error and gets no AWS call. Read once at start.
   */
  policy?: Policy;
  /** How member accounts are reached (the assumed sessions' duration). */
  accessOptions?: AccountsOptions;
  /** Log here instead of stdout (tests). */
  logger?: Logger;
  /** Client-side AWS rate limits; the defaults sit below the AWS quotas. */
  rateLimits?: Partial<RateLimits>;
  /** How long one AWS HTTP attempt may take before it fails as a timeout. @default 30000 */
  awsRequestTimeoutMs?: number;
  /** Per-resource retry backoff. @default { baseMs: 1000, maxMs: 300000 } */
  backoff?: { baseMs?: number; maxMs?: number };
  /** How long SIGTERM waits for in-flight AWS calls. @default 20000 */
  shutdownTimeoutMs?: number;
  /**
   * How often the link is re-resolved as a backstop to file events (which some
   * file systems, e.g. network mounts, do not deliver). @default 5000
   */
  pollIntervalMs?: number;
  /**
   * SQS queue URL of the CloudTrail event feed (`--drift-events-queue`, design
   * §10): hand changes are re-read within seconds instead of at the next resync.
   */
  driftEventsQueue?: string;
  /** Wait between a feed event and the re-read it causes. @default 1000 */
  driftSettleMs?: number;
  /** Long-poll wait of the feed, in seconds (tests shorten it). @default 20 */
  driftWaitSeconds?: number;
  /**
   * Elect one leader among the replicas through a Lease (design §12): only the
   * leader watches, sweeps and writes; the others stand by.
   */
  leaderElection?: LeaderElectionOptions;
}

export interface LeaderElectionOptions {
  /** Namespace of the Lease. */
  namespace: string;
  /** Name of the Lease (`--leader-election-id`). */
  id: string;
  /** This replica's holderIdentity. @default the pod name and a random suffix */
  identity?: string;
  /** The Lease (tests); by default the API server's, from KUBECONFIG or the pod's ServiceAccount. */
  lease?: LeaseClient;
  /** @default controller-runtime's: lease 15 s, renew deadline 10 s, retry 2 s */
  timings?: Partial<ElectionTimings>;
}

export interface RunningController {
  /** Stops taking work, lets in-flight AWS calls finish (bounded), closes the server. Idempotent. */
  stop(): Promise<void>;
  /** Where the HTTP server listens (the real port when 0 was asked for). */
  address: ListenAddress;
}

/** Starts the long-running controller (`retryctl run`): watcher, work queue, engine and HTTP server. */
export async function runController(options: RunControllerOptions): Promise<RunningController> {
  validate(options);
  const log = options.logger ?? createLogger(options.logLevel, 1, options.logFormat);
  const metrics = createMetrics();
  metrics.collectDefaults();
  const elector = options.leaderElection ? makeElector(options.leaderElection, log, metrics) : undefined;
  metrics.leader.set(elector ? 0 : 1);
  metrics.leaderTransitions.inc(0);
  const aws = new AwsClients({
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    limiter: new RateLimiter(options.rateLimits),
    onRequest: metrics.countAwsRequest,
    ...(options.awsRequestTimeoutMs !== undefined ? { requestTimeoutMs: options.awsRequestTimeoutMs } : {}),
    // Every write waits for proof that this replica still leads (design §12).
    ...(elector ? { mayWrite: () => elector.mayWrite() } : {}),
  });

  const accounts = options.policy?.access
    ? new Accounts(aws, options.policy.access, options.region, options.accessOptions)
    : undefined;
  const hubAccount = callerAccount(aws, options.region);

  /** The watcher, loop and feed of one term: the whole run without leader election, each time leading with it. */
  const startTerm = async (): Promise<Term> => {
    let watcher: TreeWatcher | undefined;
    let currentRoot: string | undefined;
    // Fleet policies expand at every load (design §7): discovery runs between the loader and the engine.
    const fleet = new Fleet({ aws, accounts, callerAccount: hubAccount, defaultRegion: options.region, log });
    let listings: MappingListings | undefined;
    const controller = new Controller({
      dir: options.dir,
      mode: options.mode,
      aws,
      log,
      metrics,
      kinds: KINDS.map((k) => k.kind),
      concurrency: options.concurrency,
      resyncIntervalMs: options.resyncIntervalMs,
      backoffBaseMs: options.backoff?.baseMs,
      backoffMaxMs: options.backoff?.maxMs,
      load: async (root) => {
        const resolved = await fleet.resolve(await loadManifests([root], { defaultRegion: options.region }));
        listings = resolved.mappingListings;
        return resolved;
      },
      // The mapping read right after a load takes discovery's listing of the region instead of listing it
      // again; a later one (the spread sweep, a drift event's re-read) lists afresh.
      reconcile: (manifests, opts) =>
        reconcile(manifests, {
          ...opts,
          mappingListings: { take: (aws, region) => listings?.take(aws, region, SHARED_LISTING_MAX_AGE_MS) },
        }),
      guard: new Guard({ policy: options.policy, callerAccount: hubAccount, accounts }),
      ...(options.driftSettleMs !== undefined ? { driftSettleMs: options.driftSettleMs } : {}),
      ...(accounts ? { accounts } : {}),
      hubAccount,
      onTree: async (root) => {
        currentRoot = root;
        await watcher?.retarget(root);
      },
    });

    const feed = options.driftEventsQueue
      ? new DriftFeed({
          queueUrl: options.driftEventsQueue,
          region: options.region,
          aws,
          log,
          metrics,
          ownAgent: USER_AGENT,
          hubAccount,
          onEvent: (call, hub) => controller.driftEvent(call, hub),
          ...(options.driftWaitSeconds !== undefined ? { waitSeconds: options.driftWaitSeconds } : {}),
          ...(options.backoff?.baseMs !== undefined ? { backoffBaseMs: options.backoff.baseMs } : {}),
          ...(options.backoff?.maxMs !== undefined ? { backoffMaxMs: options.backoff.maxMs } : {}),
        })
      : undefined;
    watcher = new TreeWatcher({
      dir: options.dir,
      debounceMs: options.debounceMs,
      onChange: () => void controller.sync(),
      log,
    });
    try {
      await watcher.start();
      await controller.sync();
    } catch (err) {
      // Leave nothing open behind a failed start, so the caller's process can exit.
      await Promise.allSettled([watcher.close(), controller.stop(0)]);
      throw err;
    }
    controller.start();
    feed?.start();

    const poll = setInterval(async () => {
      const now = await realpath(options.dir).catch(() => undefined);
      if (now !== currentRoot) void controller.sync();
    }, options.pollIntervalMs ?? 5_000);
    // Matching is re-evaluated at every resync too, so a function created meanwhile is picked up (design §7).
    const rediscover = setInterval(() => {
      if (fleet.active) void controller.sync();
    }, options.resyncIntervalMs);

    return {
      controller,
      status: () => (feed ? { ...controller.status(), driftEvents: feed.status() } : controller.status()),
      stop: async (timeoutMs) => {
        clearInterval(poll);
        clearInterval(rediscover);
        await feed?.stop();
        await watcher?.close();
        await controller.stop(timeoutMs);
      },
    };
  };

  let term: Term | undefined;
  let stopping: Promise<void> | undefined;
  const server = new StatusServer(
    statusSource(
      () => term,
      () => stopping !== undefined,
      metrics,
      options.mode,
      elector,
    ),
    log,
  );
  let address: ListenAddress;
  try {
    address = await server.listen(parseListen(options.listen));
    if (!elector) term = await startTerm();
  } catch (err) {
    await server.close();
    aws.destroy();
    throw err;
  }

  // Leading starts a term and losing the lease ends it, one change at a time: a term that is
  // still winding down (its in-flight calls) is over before the next one starts.
  let changes = Promise.resolve();
  const retryMs = elector?.timings.retryPeriodMs ?? DEFAULT_TIMINGS.retryPeriodMs;
  const follow = (leading: boolean) => {
    changes = changes.then(async () => {
      if (leading) {
        while (elector?.leading && !term && !stopping) {
          try {
            term = await startTerm();
          } catch (err) {
            log.error({ err }, "starting the reconcile loop failed; trying again");
            await new Promise((r) => setTimeout(r, retryMs));
          }
        }
        return;
      }
      const ending = term;
      term = undefined;
      if (!ending) return;
      // The write gate has closed already; what is in flight gets a retry period to finish.
      await ending.stop(retryMs);
      clearTermMetrics(metrics);
    });
  };
  elector?.onLeading(follow);
  elector?.start();

  log.info(
    {
      dir: options.dir,
      revision: term?.controller.revision ?? null,
      mode: options.mode,
      region: options.region,
      listen: `${address.host}:${address.port}`,
      concurrency: options.concurrency,
      resyncIntervalMs: options.resyncIntervalMs,
      debounceMs: options.debounceMs,
      policy: options.policy ? describePolicy(options.policy) : null,
      driftEventsQueue: options.driftEventsQueue ?? null,
      accounts: options.policy?.access?.map((a) => a.account) ?? [],
      leaderElection: elector ? { lease: elector.status().lease, identity: elector.status().identity } : null,
    },
    "controller started",
  );

  const stop = () => {
    stopping ??= (async () => {
      log.info(
        { revision: term?.controller.revision ?? null },
        "shutting down: no new work, finishing in-flight calls",
      );
      await changes;
      await term?.stop(options.shutdownTimeoutMs ?? 20_000);
      term = undefined;
      // Only now that this replica's writes are over: the next leader may start at once.
      await elector?.stop();
      await server.close();
      aws.destroy();
      log.info("controller stopped");
      log.flush?.();
    })();
    return stopping;
  };
  return { stop, address };
}

/** One stretch of reconciling: the whole run without leader election, one lease term with it. */
interface Term {
  controller: Controller;
  status(): StatusDocument;
  /** Ends the term: no new work; in-flight reconciles get `timeoutMs`, then are abandoned. */
  stop(timeoutMs: number): Promise<void>;
}

function makeElector(o: LeaderElectionOptions, log: Logger, metrics: Metrics): LeaderElector {
  const timings = { ...DEFAULT_TIMINGS, ...o.timings };
  const lease =
    o.lease ??
    new KubeLease(loadKubeConfig(), {
      namespace: o.namespace,
      name: o.id,
      // A paused API server never answers: an attempt must end in time for the next one.
      requestTimeoutMs: 2 * timings.retryPeriodMs,
    });
  const elector = new LeaderElector({ lease, identity: o.identity ?? holderIdentity(), log, timings });
  elector.onLeading((leading) => {
    metrics.leader.set(leading ? 1 : 0);
    metrics.leaderTransitions.inc();
  });
  return elector;
}

/** A standby reports no resources: only the leader's count, so alerts on them fire once. */
function clearTermMetrics(metrics: Metrics): void {
  metrics.resources.reset();
  metrics.revisionInfo.reset();
  metrics.manifestErrors.set(0);
  metrics.workqueueDepth.set(0);
}

/**
 * Runs the controller until SIGTERM or SIGINT, then shuts down gracefully.
 * Resolves once stopped; the caller exits 0. A second signal changes nothing
 * (Ctrl-C pressed twice, or a launcher forwarding what its process group got
 * too); a third exits at once, non-zero.
 */
export async function runControllerUntilSignal(options: RunControllerOptions): Promise<void> {
  const log = options.logger ?? createLogger(options.logLevel, 1, options.logFormat);
  // Handlers go in first, so a signal during startup also ends in a clean stop. They stay for
  // good: without one, the next signal would kill the process in the middle of its shutdown.
  let received = 0;
  const signalled = new Promise<NodeJS.Signals>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      received += 1;
      if (received === 1) {
        // Said at once, also during startup: a launcher reads it to know the signal arrived.
        log.info({ signal }, "signal received");
        resolve(signal);
      } else if (received === 2)
        log.warn({ signal }, "second signal: still shutting down gracefully; a third forces exit");
      else forceExit(signal);
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  });
  const running = await runController({ ...options, logger: log });
  await signalled;
  await running.stop();
}

/** Exits now, as a shell reports a process killed by `signal` (128 + its number). */
function forceExit(signal: NodeJS.Signals): never {
  // Written synchronously: nothing queued on a stream survives process.exit.
  writeSync(
    2,
    `retryctl: third signal (${signal}): exiting now, without finishing the shutdown; ` +
      "AWS calls in flight may or may not have taken effect\n",
  );
  process.exit(128 + (constants.signals[signal] ?? 0));
}

function statusSource(
  term: () => Term | undefined,
  stopping: () => boolean,
  metrics: Metrics,
  mode: Mode,
  elector: LeaderElector | undefined,
) {
  const standby = (): StatusDocument => ({
    revision: null,
    mode,
    lastSyncTime: null,
    ready: true,
    resources: [],
    manifestErrors: [],
    accounts: [],
    deadLetterQueues: [],
  });
  return {
    alive: () => term()?.controller.alive ?? !stopping(),
    readiness: () => {
      const current = term();
      if (current) return current.controller.readiness();
      // A standby is ready: a rolling update (maxUnavailable 0) waits for it before it stops the leader.
      const holder = elector?.status().holder;
      return { ready: true, detail: holder ? `standby; ${holder} leads` : "standby" };
    },
    status: (): StatusDocument => {
      const doc = term()?.status() ?? standby();
      if (!elector) return { ...doc, leader: null };
      return { ...doc, leader: elector.leading, leaderElection: elector.status() };
    },
    metrics: async () => ({
      contentType: metrics.registry.contentType,
      body: await metrics.registry.metrics(),
    }),
  };
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function validate(o: RunControllerOptions): void {
  if (!o.dir) throw new TypeError("dir is required");
  if (!o.region) throw new TypeError("region is required");
  if (!modeSchema.safeParse(o.mode).success)
    throw new TypeError(`mode must be enforce or observe, got ${o.mode}`);
  for (const [name, value] of [
    ["resyncIntervalMs", o.resyncIntervalMs],
    ["concurrency", o.concurrency],
  ] as const) {
    if (!(Number.isFinite(value) && value > 0))
      throw new TypeError(`${name} must be positive, got ${String(value)}`);
  }
  const timeout = o.awsRequestTimeoutMs;
  if (timeout !== undefined && !(Number.isFinite(timeout) && timeout > 0)) {
    throw new TypeError(`awsRequestTimeoutMs must be positive, got ${String(timeout)}`);
  }
  if (!(Number.isFinite(o.debounceMs) && o.debounceMs >= 0)) {
    throw new TypeError(`debounceMs must be zero or more, got ${String(o.debounceMs)}`);
  }
  parseListen(o.listen);
  const election = o.leaderElection;
  if (election) {
    // The API server would refuse these names on every attempt; saying so at start is clearer.
    if (!DNS_LABEL.test(election.namespace))
      throw new TypeError(
        `leader election namespace must be a DNS label (lower-case letters, digits and '-'), got "${election.namespace}"`,
      );
    if (!(DNS_SUBDOMAIN.test(election.id) && election.id.length <= 253))
      throw new TypeError(
        `leader election id (the Lease's name) must be a DNS subdomain (lower-case letters, digits, '-' and '.'), got "${election.id}"`,
      );
  }
  if (
    o.driftEventsQueue !== undefined &&
    !/^https?:\/\/[^/\s]+\/\d{12}\/[^/\s]+\/?$/.test(o.driftEventsQueue)
  ) {
    throw new TypeError(
      `driftEventsQueue must be an SQS queue URL (https://sqs.<region>.amazonaws.com/<account>/<name>), got ${o.driftEventsQueue}`,
    );
  }
}
