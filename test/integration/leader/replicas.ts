import { request } from "node:http";
import { type AwsService, isWriteOperation } from "../../../src/aws/clients.js";
import { type FaultProxy, startFaultProxy } from "../../support/fault-proxy.js";
import { kubeRequest } from "../../support/kube.js";
import { type CliController, startCli } from "../chaos/cli-process.js";

/** One `retryctl run --leader-election` process, with a fault proxy of its own: what it sends to AWS is its own record. */
export interface Replica {
  name: string;
  cli: CliController;
  proxy: FaultProxy;
  url: string;
  /** Its holderIdentity, as its "controller started" line says. */
  identity: string;
}

export interface ReplicaOptions {
  main: string;
  dir: string;
  kubeconfig: string;
  namespace: string;
  lease: string;
  extraArgs?: string[];
}

/** Starts replica `name` (its HOSTNAME, so its identity is `<name>_<uuid>`) and waits until it serves HTTP. */
export async function startReplica(name: string, o: ReplicaOptions): Promise<Replica> {
  const proxy = await startFaultProxy();
  const cli = startCli(
    o.main,
    [
      "--dir",
      o.dir,
      "--endpoint-url",
      proxy.endpoint,
      "--listen",
      "127.0.0.1:0",
      "--resync-interval",
      "1s",
      "--debounce",
      "50ms",
      "--leader-election",
      "--leader-election-namespace",
      o.namespace,
      "--leader-election-id",
      o.lease,
      ...(o.extraArgs ?? []),
    ],
    // Its own access key too: the emulator takes any, and the proxy's log could tell them apart by it.
    {
      HOSTNAME: name,
      KUBECONFIG: o.kubeconfig,
      AWS_ACCESS_KEY_ID: `AKIA${name.toUpperCase().replace(/[^A-Z]/g, "")}`,
    },
  );
  const url = await cli.url();
  const started = cli.lines.find((l) => l.msg === "controller started") as {
    leaderElection?: { identity?: string };
  };
  const identity = started.leaderElection?.identity;
  if (!identity?.startsWith(`${name}_`))
    throw new Error(`${name} logged no identity of its own: ${JSON.stringify(started)}`);
  return { name, cli, proxy, url, identity };
}

export async function getJson<T = Record<string, unknown>>(url: string): Promise<T> {
  return JSON.parse((await get(url)).body) as T;
}

/** A GET that fails fast: a replica must answer even while the API server is paused. */
export function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { timeout: 3_000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        body += c;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on("error", reject);
    req.end();
  });
}

export interface StatusLeader {
  leader: boolean | null;
  leaderElection?: { identity: string; holder: string | null; lease: string; leading: boolean };
}

export function leads(r: Replica): Promise<boolean> {
  return getJson<StatusLeader>(`${r.url}/status`).then((s) => s.leader === true);
}

/** A write the emulator accepted, by the replica that sent it. */
export interface Write {
  replica: string;
  at: number;
  operation: string;
  resource?: string;
}

/** The writes that reached AWS through `r`'s proxy (answered 2xx). */
export function writesOf(r: Replica): Write[] {
  return r.proxy
    .requests()
    .filter(
      (q) => isWriteOperation(q.service as AwsService, q.operation) && q.status >= 200 && q.status < 300,
    )
    .map((q) => ({
      replica: r.name,
      at: q.at,
      operation: q.operation,
      ...(q.resource ? { resource: q.resource } : {}),
    }));
}

/** One version of the Lease as the watcher saw it. */
export interface LeaseVersion {
  resourceVersion: string;
  holder: string;
  acquireTime: number | undefined;
  renewTime: number | undefined;
  leaseDurationSeconds: number;
  leaseTransitions: number;
  /** When the watcher read it (it reads every `intervalMs`). */
  seenAt: number;
}

/**
 * Reads the Lease every `intervalMs` as the admin and keeps each version (a
 * resourceVersion not seen before): the lease history the terms are checked
 * against. A paused API server holds a read until it is resumed.
 */
export class LeaseWatch {
  readonly versions: LeaseVersion[] = [];
  #stopped = false;
  readonly #loop: Promise<void>;

  constructor(
    readonly namespace: string,
    readonly name: string,
    intervalMs = 100,
  ) {
    this.#loop = (async () => {
      while (!this.#stopped) {
        await this.#read().catch(() => undefined);
        await new Promise((r) => setTimeout(r, intervalMs));
      }
    })();
  }

  async #read(): Promise<void> {
    const path = `/apis/coordination.k8s.io/v1/namespaces/${this.namespace}/leases/${this.name}`;
    const { status, body } = await kubeRequest("GET", path);
    if (status !== 200) return;
    const rv = body.metadata.resourceVersion as string;
    if (this.versions.at(-1)?.resourceVersion === rv) return;
    const time = (v: unknown) => (typeof v === "string" ? Date.parse(v) : undefined);
    this.versions.push({
      resourceVersion: rv,
      holder: body.spec.holderIdentity ?? "",
      acquireTime: time(body.spec.acquireTime),
      renewTime: time(body.spec.renewTime),
      leaseDurationSeconds: body.spec.leaseDurationSeconds,
      leaseTransitions: body.spec.leaseTransitions ?? 0,
      seenAt: Date.now(),
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#loop;
  }
}

/** A holder's stretch of the lease: from its acquireTime to when it could last have been in force. */
export interface Term {
  holder: string;
  start: number;
  /** The last renewal this holder wrote. */
  lastRenew: number;
  /** When the term ended at the latest: the next holder's acquisition, or the release. */
  end: number;
}

/**
 * The terms in a lease history: consecutive versions with one holder form a
 * term; it ends when the next holder acquired (its acquireTime) or when it was
 * released (the release's renewTime), and never later than its last renewal
 * plus the lease duration.
 */
export function termsOf(versions: readonly LeaseVersion[]): Term[] {
  const terms: Term[] = [];
  for (const v of versions) {
    const last = terms.at(-1);
    if (v.holder === "") {
      if (last && last.end === Number.POSITIVE_INFINITY) last.end = v.renewTime ?? v.seenAt;
      continue;
    }
    if (last?.holder === v.holder && last.end === Number.POSITIVE_INFINITY) {
      last.lastRenew = Math.max(last.lastRenew, v.renewTime ?? 0);
      continue;
    }
    const start = v.acquireTime ?? v.seenAt;
    if (last && last.end === Number.POSITIVE_INFINITY) last.end = start;
    terms.push({ holder: v.holder, start, lastRenew: v.renewTime ?? start, end: Number.POSITIVE_INFINITY });
  }
  for (const t of terms) {
    const durationMs = (versions.find((v) => v.holder === t.holder)?.leaseDurationSeconds ?? 15) * 1000;
    t.end = Math.min(t.end, t.lastRenew + durationMs);
  }
  return terms;
}
