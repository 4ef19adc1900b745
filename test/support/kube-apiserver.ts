import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { request } from "node:https";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { stringify } from "yaml";

declare module "vitest" {
  export interface ProvidedContext {
    /** The run's Kubernetes API server (test/kube-setup.ts); read it with `kubeApiServer()` from test/support/kube.ts. */
    kubeApiServer: KubeApiServerInfo;
  }
}

/** What a test needs to reach the run's API server; plain data, so a globalSetup can `provide()` it. */
export interface KubeApiServerInfo {
  /** `https://127.0.0.1:<port>` */
  url: string;
  /** PEM file of the CA that signed the server's certificate. */
  caFile: string;
  /** Bearer token of a `system:masters` user ("admin"): may do anything. */
  token: string;
  /** A kubeconfig file for that admin user (server, CA file, token). */
  kubeconfig: string;
  /** The kube-apiserver process, for tests that pause it (SIGSTOP/SIGCONT). */
  apiServerPid: number;
  etcdPid: number;
}

export interface KubeApiServer extends KubeApiServerInfo {
  /** Stops kube-apiserver, then etcd, and removes their data, certificates and logs (kept when the start failed). */
  stop(): Promise<void>;
}

export interface StartKubeApiServerOptions {
  /** Paths of the binaries (scripts/ensure-tool.sh etcd / kube-apiserver). */
  etcd: string;
  kubeApiServer: string;
  readyTimeoutMs?: number;
}

const run = promisify(execFile);

/** The static token file's admin user; a fixed value is fine for a throwaway server on loopback. */
const ADMIN_TOKEN = "retryctl-test-admin";
/** No controller manager runs, so nothing allocates from it; it only has to be valid. */
const SERVICE_CIDR = "10.96.0.0/16";
export const SERVICE_ACCOUNT_ISSUER = "https://kubernetes.default.svc.cluster.local";

/** A port free right now: the kernel picks it, the listener is closed before the server binds it. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject()));
    });
  });
}

async function openssl(dir: string, ...args: string[]): Promise<void> {
  await run("openssl", args, { cwd: dir });
}

/** A CA, the server's certificate for 127.0.0.1 and localhost signed by it, and the service-account signing key. */
async function makeCertificates(dir: string): Promise<void> {
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  const ca = ["-subj", "/CN=retryctl-test-ca", "-days", "2"];
  await openssl(dir, "req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.crt", ...ca);
  await openssl(
    dir,
    "req",
    ...ec,
    "-keyout",
    "server.key",
    "-out",
    "server.csr",
    "-subj",
    "/CN=kube-apiserver",
  );
  await writeFile(
    join(dir, "server.ext"),
    "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n",
  );
  await openssl(
    dir,
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.crt",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-days",
    "2",
    "-extfile",
    "server.ext",
    "-out",
    "server.crt",
  );
  await openssl(
    dir,
    "genpkey",
    "-algorithm",
    "EC",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-out",
    "sa.key",
  );
  await openssl(dir, "pkey", "-in", "sa.key", "-pubout", "-out", "sa.pub");
}

/** A kubeconfig that reaches `server` as the bearer of `token`, with `namespace` as the default one. */
export function kubeconfigYaml(
  server: { url: string; caFile: string },
  token: string,
  namespace?: string,
): string {
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "test", cluster: { server: server.url, "certificate-authority": server.caFile } }],
    users: [{ name: "user", user: { token } }],
    contexts: [
      { name: "test", context: { cluster: "test", user: "user", ...(namespace ? { namespace } : {}) } },
    ],
    "current-context": "test",
  });
}

function startProcess(binary: string, args: string[], logFile: string): ChildProcess {
  const child = spawn(binary, args, { stdio: ["ignore", "ignore", "pipe"] });
  child.stderr?.pipe(createWriteStream(logFile));
  // Neither exits with its parent: a test run that dies without its teardown must not leave them running.
  const kill = () => child.kill("SIGKILL");
  process.once("exit", kill);
  child.once("exit", () => process.off("exit", kill));
  return child;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/** SIGTERM, then SIGKILL when it lingers: its data is thrown away, so a clean shutdown buys nothing. */
async function stopProcess(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  // A paused process (a test's SIGSTOP) would never act on SIGTERM.
  child.kill("SIGCONT");
  const force = setTimeout(() => child.kill("SIGKILL"), graceMs);
  child.kill("SIGTERM");
  await exited(child);
  clearTimeout(force);
}

async function tail(file: string, lines = 30): Promise<string> {
  const text = await readFile(file, "utf8").catch(() => "");
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

/** GET `url` with the CA and token; the status code, or undefined when nothing answered. */
function probe(url: string, ca: Buffer, token?: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = request(
      url,
      { ca, headers: token ? { authorization: `Bearer ${token}` } : {}, timeout: 2_000 },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode));
      },
    );
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(undefined));
    req.end();
  });
}

/** Resolves once `ready()` holds; rejects when a process exits first or the time is up. */
async function waitUntil(
  what: string,
  ready: () => Promise<boolean>,
  processes: { child: ChildProcess; name: string; log: string }[],
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const p of processes) {
      if (p.child.exitCode !== null || p.child.signalCode !== null) {
        throw new Error(
          `${p.name} exited (${p.child.exitCode ?? p.child.signalCode}) before ${what}; the end of ${p.log}:\n${await tail(p.log)}`,
        );
      }
    }
    if (await ready()) return;
    if (Date.now() > deadline) {
      const logs = await Promise.all(processes.map(async (p) => `--- ${p.log}\n${await tail(p.log)}`));
      throw new Error(`no ${what} after ${timeoutMs} ms\n${logs.join("\n")}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Starts etcd and kube-apiserver on free 127.0.0.1 ports with a fresh data
 * directory, TLS from a throwaway CA, a static admin token, RBAC, and
 * service-account tokens; resolves once /readyz answers 200. There is no
 * controller manager, scheduler or kubelet: objects are stored and admitted,
 * nothing is reconciled (no `default` ServiceAccount, no pods running, deleted
 * namespaces stay Terminating).
 */
export async function startKubeApiServer(opts: StartKubeApiServerOptions): Promise<KubeApiServer> {
  const dir = await mkdtemp(join(tmpdir(), "retryctl-kube-"));
  await makeCertificates(dir);
  await writeFile(join(dir, "tokens.csv"), `${ADMIN_TOKEN},admin,admin,"system:masters"\n`);
  const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const etcdUrl = `http://127.0.0.1:${etcdPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const url = `https://127.0.0.1:${apiPort}`;
  const caFile = join(dir, "ca.crt");
  const ca = await readFile(caFile);
  const timeoutMs = opts.readyTimeoutMs ?? 60_000;

  const etcdLog = join(dir, "etcd.log");
  const etcd = startProcess(
    opts.etcd,
    [
      "--name=test",
      `--data-dir=${join(dir, "etcd")}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=test=${peerUrl}`,
      // The data is thrown away after the run: durability only costs time.
      "--unsafe-no-fsync",
      "--log-level=warn",
    ],
    etcdLog,
  );
  const apiLog = join(dir, "kube-apiserver.log");
  let apiServer: ChildProcess | undefined;
  const stop = async () => {
    if (apiServer) await stopProcess(apiServer, 5_000);
    await stopProcess(etcd, 5_000);
  };
  try {
    const etcdProcess = { child: etcd, name: "etcd", log: etcdLog };
    const etcdHealthy = async () => (await fetch(`${etcdUrl}/health`).catch(() => undefined))?.ok === true;
    await waitUntil("etcd answered /health", etcdHealthy, [etcdProcess], timeoutMs);
    apiServer = startProcess(
      opts.kubeApiServer,
      [
        `--etcd-servers=${etcdUrl}`,
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        `--secure-port=${apiPort}`,
        `--cert-dir=${dir}`,
        `--tls-cert-file=${join(dir, "server.crt")}`,
        `--tls-private-key-file=${join(dir, "server.key")}`,
        `--token-auth-file=${join(dir, "tokens.csv")}`,
        "--authorization-mode=Node,RBAC",
        `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
        `--service-account-key-file=${join(dir, "sa.pub")}`,
        `--service-account-signing-key-file=${join(dir, "sa.key")}`,
        `--service-cluster-ip-range=${SERVICE_CIDR}`,
        // Without it the server exits: it refuses to publish 127.0.0.1 as the kubernetes Service's endpoint.
        "--endpoint-reconciler-type=none",
        "--profiling=false",
      ],
      apiLog,
    );
    await waitUntil(
      "kube-apiserver answered /readyz",
      async () => (await probe(`${url}/readyz`, ca, ADMIN_TOKEN)) === 200,
      [etcdProcess, { child: apiServer, name: "kube-apiserver", log: apiLog }],
      timeoutMs,
    );
  } catch (err) {
    await stop();
    throw new Error(
      `the test Kubernetes API server did not start (logs kept in ${dir}): ${(err as Error).message}`,
    );
  }

  const kubeconfig = join(dir, "admin.kubeconfig");
  await writeFile(kubeconfig, kubeconfigYaml({ url, caFile }, ADMIN_TOKEN));
  return {
    url,
    caFile,
    token: ADMIN_TOKEN,
    kubeconfig,
    apiServerPid: apiServer.pid!,
    etcdPid: etcd.pid!,
    stop: async () => {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
