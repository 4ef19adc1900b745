import type { Logger } from "pino";
import type { AwsClients } from "../aws/clients.js";
import { Fleet, type FleetLoad } from "../fleet/fleet.js";
import { loadManifests } from "../manifests/load.js";
import { isFolderProblem, type LoadResult } from "../manifests/manifest.js";
import type { Guard } from "../policy/guard.js";
import {
  createAws,
  createPlacement,
  type GlobalOptions,
  oneShotLogger,
  readPolicy,
  requireRegion,
} from "./context.js";
import type { Io } from "./program.js";
import { WaitReporter } from "./progress.js";

/** What `diff`, `apply` and `explain` share before their own work: the manifests, the clients, the guard. */
export interface OneShot {
  region: string;
  /** The manifests as loaded, before fleet expansion. */
  loaded: LoadResult;
  log: Logger;
  waits: WaitReporter;
  aws: AwsClients;
  guard: Guard;
  /** The credentials' account, learnt once and shared with the guard. */
  callerAccount: () => Promise<string>;
  /** The manifests with the fleet policies expanded (design §7): no AWS call without a RetryPolicy. */
  resolve(): Promise<FleetLoad>;
  /** Stops the wait reports and the clients; call once, when done. */
  close(): void;
}

/**
 * Reads the policy file and the region, loads `dir` (a folder problem is an
 * error before any AWS call), and starts the clients with their wait reports.
 */
export async function openOneShot(
  dir: string,
  io: Io,
  options: GlobalOptions & { progressIntervalMs?: number | undefined },
): Promise<OneShot> {
  const policy = await readPolicy(options);
  const region = await requireRegion(options);
  const loaded = await loadManifests([dir], { defaultRegion: region });
  // Nothing to compare with AWS: say so as for any bad argument, before any AWS call.
  const folder = loaded.errors.find(isFolderProblem);
  if (folder) throw new Error(folder.message);
  const log = oneShotLogger(options, io.stderr);
  // Straight to stderr, not through the logger: it is for the person at the terminal, at any log level.
  const waits = new WaitReporter({
    write: io.stderr,
    ...(options.progressIntervalMs ? { intervalMs: options.progressIntervalMs } : {}),
  });
  const aws = createAws(options, waits.request);
  waits.start();
  const { guard, accounts, callerAccount } = createPlacement(policy, aws, region);
  const fleet = new Fleet({ aws, accounts, callerAccount, defaultRegion: region, log });
  return {
    region,
    loaded,
    log,
    waits,
    aws,
    guard,
    callerAccount,
    resolve: () => fleet.resolve(loaded),
    close: () => {
      waits.stop();
      aws.destroy();
    },
  };
}
