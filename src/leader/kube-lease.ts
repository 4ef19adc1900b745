import { existsSync, readFileSync } from "node:fs";
import {
  ApiException,
  type ConfigurationOptions,
  CoordinationV1Api,
  KubeConfig,
  Observable,
  type ObservableMiddleware,
  type V1Lease,
  V1MicroTime,
} from "@kubernetes/client-node";
import { type LeaseClient, LeaseConflict } from "./lease-client.js";
import type { LeaseRecord, VersionedRecord } from "./record.js";

const SERVICE_ACCOUNT = "/var/run/secrets/kubernetes.io/serviceaccount";

/** The namespace of the pod's ServiceAccount, when running in a cluster (`prefix`: a test's fake root). */
export function inClusterNamespace(prefix = ""): string | undefined {
  const file = `${prefix}${SERVICE_ACCOUNT}/namespace`;
  return existsSync(file) ? readFileSync(file, "utf8").trim() || undefined : undefined;
}

/**
 * How to reach the API server: the files `KUBECONFIG` names when it is set,
 * else the pod's ServiceAccount (token, CA and the KUBERNETES_SERVICE_* address).
 * Anything else is an error that says what to set, rather than client-node's
 * own last resort (an unauthenticated localhost:8080).
 */
export function loadKubeConfig(prefix = ""): KubeConfig {
  const kc = new KubeConfig();
  const files = process.env.KUBECONFIG;
  if (files) {
    try {
      kc.loadFromDefault();
    } catch (err) {
      throw new Error(`reading the kubeconfig in KUBECONFIG (${files}): ${(err as Error).message}`);
    }
    if (!kc.getCurrentCluster())
      throw new Error(`the kubeconfig in KUBECONFIG (${files}) names no current cluster`);
  } else if (existsSync(`${prefix}${SERVICE_ACCOUNT}/token`) && process.env.KUBERNETES_SERVICE_HOST) {
    kc.loadFromCluster(prefix);
  } else {
    throw new Error(
      "leader election needs the Kubernetes API: run in a pod with a ServiceAccount token, or set KUBECONFIG to a kubeconfig file",
    );
  }
  return kc;
}

export interface KubeLeaseOptions {
  namespace: string;
  name: string;
  /** How long one API request may take before it fails (a paused API server never answers). */
  requestTimeoutMs: number;
}

/** A Lease of `coordination.k8s.io/v1`, read and written with get, create and update (replace) only. */
export class KubeLease implements LeaseClient {
  readonly name: string;
  readonly #api: CoordinationV1Api;
  readonly #o: KubeLeaseOptions;
  readonly #options: ConfigurationOptions;
  /** The Lease as last read or written: an update sends it back whole, resourceVersion included. */
  #lease: V1Lease | undefined;

  constructor(kc: KubeConfig, options: KubeLeaseOptions) {
    this.#o = options;
    this.name = `${options.namespace}/${options.name}`;
    this.#api = kc.makeApiClient(CoordinationV1Api);
    const timeoutMs = options.requestTimeoutMs;
    const timeout: ObservableMiddleware = {
      pre: (context) => {
        context.setSignal(AbortSignal.timeout(timeoutMs));
        return new Observable(Promise.resolve(context));
      },
      post: (context) => new Observable(Promise.resolve(context)),
    };
    this.#options = { middleware: [timeout], middlewareMergeStrategy: "append" };
  }

  async get(): Promise<VersionedRecord | undefined> {
    const { namespace, name } = this.#o;
    try {
      return this.#keep(await this.#api.readNamespacedLease({ namespace, name }, this.#options));
    } catch (err) {
      if (err instanceof ApiException && err.code === 404) {
        this.#lease = undefined;
        return undefined;
      }
      throw apiError(err, "get", this.name);
    }
  }

  async create(record: LeaseRecord): Promise<string> {
    const { namespace, name } = this.#o;
    const body: V1Lease = {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { namespace, name },
      spec: toSpec(record),
    };
    try {
      return this.#keep(await this.#api.createNamespacedLease({ namespace, body }, this.#options)).version;
    } catch (err) {
      throw apiError(err, "create", this.name);
    }
  }

  async update(record: LeaseRecord, version: string): Promise<string> {
    const { namespace, name } = this.#o;
    const metadata = { ...this.#lease?.metadata, namespace, name, resourceVersion: version };
    const body: V1Lease = {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata,
      spec: toSpec(record),
    };
    try {
      return this.#keep(await this.#api.replaceNamespacedLease({ namespace, name, body }, this.#options))
        .version;
    } catch (err) {
      throw apiError(err, "update", this.name);
    }
  }

  #keep(lease: V1Lease): VersionedRecord {
    this.#lease = lease;
    const spec = lease.spec ?? {};
    return {
      version: lease.metadata?.resourceVersion ?? "",
      record: {
        holderIdentity: spec.holderIdentity ?? "",
        leaseDurationSeconds: spec.leaseDurationSeconds ?? 0,
        acquireTime: dateOf(spec.acquireTime),
        renewTime: dateOf(spec.renewTime),
        leaseTransitions: spec.leaseTransitions ?? 0,
      },
    };
  }
}

function toSpec(record: LeaseRecord): V1Lease["spec"] {
  return {
    // An empty holder is written as none at all: the lease is free.
    ...(record.holderIdentity ? { holderIdentity: record.holderIdentity } : {}),
    leaseDurationSeconds: record.leaseDurationSeconds,
    ...(record.acquireTime ? { acquireTime: new V1MicroTime(record.acquireTime.getTime()) } : {}),
    ...(record.renewTime ? { renewTime: new V1MicroTime(record.renewTime.getTime()) } : {}),
    leaseTransitions: record.leaseTransitions,
  };
}

function dateOf(value: unknown): Date | undefined {
  if (value instanceof Date) return value;
  if (typeof value === "string") {
    const t = Date.parse(value);
    return Number.isFinite(t) ? new Date(t) : undefined;
  }
  return undefined;
}

/** 409 (a stale resourceVersion, or a Lease created meanwhile) is a LeaseConflict; the rest says what failed. */
function apiError(err: unknown, verb: string, lease: string): Error {
  if (err instanceof ApiException) {
    if (err.code === 409)
      return new LeaseConflict(`${verb} lease ${lease}: conflict (someone else wrote it first)`);
    const reason = (err.body as { message?: string } | undefined)?.message ?? `HTTP ${err.code}`;
    const hint =
      err.code === 403 ? " (the ServiceAccount needs get, create and update on leases in the namespace)" : "";
    return new Error(`${verb} lease ${lease}: ${reason}${hint}`, { cause: err });
  }
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  const detail = e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
  return new Error(`${verb} lease ${lease}: ${e.name === "TimeoutError" ? "timed out" : detail}`, {
    cause: err,
  });
}
