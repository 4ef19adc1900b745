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
import { Controller } from "./controller.js";
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
  const aws = new AwsClients({
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    limiter: new RateLimiter(options.rateLimits),
    onRequest: metrics.countAwsRequest,
    ...(options.awsRequestTimeoutMs !== undefined ? { requestTimeoutMs: options.awsRequestTimeoutMs } : {}),
  });

  const accounts = options.policy?.access
    ? new Accounts(aws, options.policy.access, options.region, options.accessOptions)
    : undefined;

  let watcher: TreeWatcher | undefined;
  let currentRoot: string | undefined;
  const hubAccount = callerAccount(aws, options.region);
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
  const server = new StatusServer(statusSource(controller, metrics, feed), log);
  watcher = new TreeWatcher({
    dir: options.dir,
    debounceMs: options.debounceMs,
    onChange: () => void controller.sync(),
    log,
  });
  let address: ListenAddress;
  try {
    address = await server.listen(parseListen(options.listen));
    await watcher.start();
    await controller.sync();
  } catch (err) {
    // Leave nothing open behind a failed start, so the caller's process can exit.
    await Promise.allSettled([watcher.close(), controller.stop(0), server.close()]);
    aws.destroy();
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

  log.info(
    {
      dir: options.dir,
      revision: controller.revision ?? null,
      mode: options.mode,
      region: options.region,
      listen: `${address.host}:${address.port}`,
      concurrency: options.concurrency,
      resyncIntervalMs: options.resyncIntervalMs,
      debounceMs: options.debounceMs,
      policy: options.policy ? describePolicy(options.policy) : null,
      driftEventsQueue: options.driftEventsQueue ?? null,
      accounts: options.policy?.access?.map((a) => a.account) ?? [],
    },
    "controller started",
  );

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      log.info(
        { revision: controller.revision ?? null },
        "shutting down: no new work, finishing in-flight calls",
      );
      clearInterval(poll);
      clearInterval(rediscover);
      await feed?.stop();
      await watcher?.close();
      await controller.stop(options.shutdownTimeoutMs ?? 20_000);
      await server.close();
      aws.destroy();
      log.info("controller stopped");
      log.flush?.();
    })();
    return stopping;
  };
  return { stop, address };
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

function statusSource(controller: Controller, metrics: Metrics, feed: DriftFeed | undefined) {
  return {
    alive: () => controller.alive,
    readiness: () => controller.readiness(),
    status: () => (feed ? { ...controller.status(), driftEvents: feed.status() } : controller.status()),
    metrics: async () => ({
      contentType: metrics.registry.contentType,
      body: await metrics.registry.metrics(),
    }),
  };
}

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
  if (
    o.driftEventsQueue !== undefined &&
    !/^https?:\/\/[^/\s]+\/\d{12}\/[^/\s]+\/?$/.test(o.driftEventsQueue)
  ) {
    throw new TypeError(
      `driftEventsQueue must be an SQS queue URL (https://sqs.<region>.amazonaws.com/<account>/<name>), got ${o.driftEventsQueue}`,
    );
  }
}
