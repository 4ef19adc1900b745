import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { request } from "node:https";
import { join } from "node:path";
import { inject } from "vitest";
import { type KubeApiServerInfo, kubeconfigYaml } from "./kube-apiserver.js";
import { REPO_ROOT } from "./moto-server.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** `kubectl` of the API server's version (test/kube-setup.ts). */
    kubectl: string;
    /** A folder of the Prometheus Operator's CRDs, `monitoring.coreos.com_<plural>.yaml` (test/kube-setup.ts). */
    prometheusOperatorCrds: string;
  }
}

/** The run's API server, started by test/kube-setup.ts (a globalSetup of the "kubernetes" project). */
export function kubeApiServer(): KubeApiServerInfo {
  const server = inject("kubeApiServer");
  if (!server)
    throw new Error("no Kubernetes API server: test/kube-setup.ts must be a globalSetup of this project");
  return server;
}

export interface KubeAnswer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: API objects are read by field, as their JSON has them.
  body: any;
}

const cas = new Map<string, Buffer>();

/**
 * One HTTPS request to the API server as the bearer of `token` (the admin's
 * when omitted); resolves to any status, so a test can assert 403 or 409.
 */
export function kubeRequest(
  method: string,
  path: string,
  opts: { body?: unknown; token?: string; server?: KubeApiServerInfo; contentType?: string } = {},
): Promise<KubeAnswer> {
  const server = opts.server ?? kubeApiServer();
  let ca = cas.get(server.caFile);
  if (!ca) {
    ca = readFileSync(server.caFile);
    cas.set(server.caFile, ca);
  }
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, server.url),
      {
        method,
        ca,
        headers: {
          authorization: `Bearer ${opts.token ?? server.token}`,
          accept: "application/json",
          ...(payload === undefined ? {} : { "content-type": opts.contentType ?? "application/json" }),
        },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () => {
          let body: unknown = text;
          try {
            body = text ? JSON.parse(text) : undefined;
          } catch {
            // Not JSON (a plain-text error): keep the text.
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

/** The answer's body when its status is 2xx; otherwise an error naming the request and the server's message. */
async function ok(method: string, path: string, answer: Promise<KubeAnswer>): Promise<KubeAnswer["body"]> {
  const { status, body } = await answer;
  if (status < 200 || status > 299) {
    throw new Error(`${method} ${path}: HTTP ${status}: ${typeof body === "string" ? body : body?.message}`);
  }
  return body;
}

/** A DNS-label name no other test of the run has used: namespaces cannot be deleted for good here. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString("hex")}`;
}

/**
 * Creates a namespace (a fresh name from `prefix` unless `name` is given) with
 * `labels`, and its `default` ServiceAccount, which no controller manager makes
 * here (a Pod without one is rejected before admission). Resolves to its name.
 */
export async function createNamespace(
  opts: { name?: string; prefix?: string; labels?: Record<string, string> } = {},
): Promise<string> {
  const name = opts.name ?? uniqueName(opts.prefix ?? "test");
  const path = "/api/v1/namespaces";
  await ok(
    "POST",
    path,
    kubeRequest("POST", path, { body: { metadata: { name, labels: opts.labels ?? {} } } }),
  );
  await createServiceAccount(name, "default");
  return name;
}

/** Creates ServiceAccount `name` in `namespace` (no-op when it exists). */
export async function createServiceAccount(namespace: string, name: string): Promise<void> {
  const path = `/api/v1/namespaces/${namespace}/serviceaccounts`;
  const answer = await kubeRequest("POST", path, { body: { metadata: { name } } });
  if (answer.status !== 409) await ok("POST", path, Promise.resolve(answer));
}

/**
 * A token for ServiceAccount `namespace/name` from the TokenRequest API (what
 * `kubectl create token` asks for, and what a pod's projected token is): its
 * requests carry that identity, so RBAC decides them by its bindings.
 */
export async function serviceAccountToken(
  namespace: string,
  name: string,
  opts: { expirationSeconds?: number; audiences?: string[] } = {},
): Promise<string> {
  const path = `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`;
  const body = {
    apiVersion: "authentication.k8s.io/v1",
    kind: "TokenRequest",
    spec: {
      expirationSeconds: opts.expirationSeconds ?? 3600,
      ...(opts.audiences ? { audiences: opts.audiences } : {}),
    },
  };
  const answer = await ok("POST", path, kubeRequest("POST", path, { body }));
  return answer.status.token as string;
}

/** Writes a kubeconfig for the bearer of `token` (default namespace `namespace`) and resolves to its path. */
export async function writeKubeconfig(token: string, namespace?: string): Promise<string> {
  await mkdir(join(REPO_ROOT, ".tmp"), { recursive: true });
  const dir = await mkdtemp(join(REPO_ROOT, ".tmp", "kubeconfig-"));
  const file = join(dir, "config");
  await writeFile(file, kubeconfigYaml(kubeApiServer(), token, namespace), { mode: 0o600 });
  return file;
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the provided kubectl against the run's API server (the admin kubeconfig unless `kubeconfig` is given). */
export function kubectl(
  args: string[],
  opts: { kubeconfig?: string; input?: string } = {},
): Promise<KubectlResult> {
  const bin = inject("kubectl");
  if (!bin) throw new Error("no kubectl: test/kube-setup.ts must be a globalSetup of this project");
  return new Promise((resolve) => {
    const child = execFile(
      bin,
      args,
      {
        cwd: REPO_ROOT,
        env: { ...process.env, KUBECONFIG: opts.kubeconfig ?? kubeApiServer().kubeconfig },
        maxBuffer: 16 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    child.stdin?.end(opts.input ?? "");
  });
}
