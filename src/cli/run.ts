import { runControllerUntilSignal } from "../controller/run.js";
import { inClusterNamespace } from "../leader/kube-lease.js";
import { type GlobalOptions, readPolicy, requireRegion } from "./context.js";

export interface RunOptions extends GlobalOptions {
  dir: string;
  resyncInterval: number;
  mode: "enforce" | "observe";
  listen: string;
  concurrency: number;
  debounce: number;
  driftEventsQueue?: string;
  leaderElection: boolean;
  leaderElectionNamespace?: string;
  leaderElectionId: string;
}

/** `retryctl run`: the controller until SIGTERM/SIGINT (then exit 0). */
export async function runCommand(options: RunOptions): Promise<void> {
  const policy = await readPolicy(options);
  const region = await requireRegion(options);
  const leaderElection = options.leaderElection
    ? { namespace: leaseNamespace(options.leaderElectionNamespace), id: options.leaderElectionId }
    : undefined;
  await runControllerUntilSignal({
    ...(leaderElection ? { leaderElection } : {}),
    ...(policy ? { policy } : {}),
    dir: options.dir,
    region,
    ...(options.endpointUrl ? { endpoint: options.endpointUrl } : {}),
    mode: options.mode,
    listen: options.listen,
    concurrency: options.concurrency,
    resyncIntervalMs: options.resyncInterval,
    debounceMs: options.debounce,
    ...(options.driftEventsQueue ? { driftEventsQueue: options.driftEventsQueue } : {}),
    logLevel: options.logLevel ?? "info",
    logFormat: options.logFormat ?? "json",
  });
}

/** `--leader-election-namespace`, else the pod's own namespace; outside a pod it must be given. */
function leaseNamespace(given: string | undefined): string {
  const namespace = given || inClusterNamespace();
  if (namespace) return namespace;
  throw new Error(
    "--leader-election needs the namespace of its Lease: pass --leader-election-namespace <namespace> " +
      "(or set RETRYCTL_LEADER_ELECTION_NAMESPACE); in a pod it defaults to the pod's namespace, " +
      "read from /var/run/secrets/kubernetes.io/serviceaccount/namespace",
  );
}
