import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../../../src/cli/program.js";
import { runController } from "../../../src/controller/run.js";
import { holderIdentity } from "../../../src/leader/identity.js";
import { inClusterNamespace, loadKubeConfig } from "../../../src/leader/kube-lease.js";
import { setEnv } from "../../support/env.js";

describe("leader election configuration", () => {
  let root: string;
  let restore: () => void;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), "retryctl-leader-"));
    restore = setEnv({
      KUBECONFIG: undefined,
      KUBERNETES_SERVICE_HOST: undefined,
      KUBERNETES_SERVICE_PORT: undefined,
    });
  });
  afterEach(async () => {
    restore();
    await rm(root, { recursive: true, force: true });
  });

  async function serviceAccount(files: Record<string, string>): Promise<void> {
    const dir = join(root, "var/run/secrets/kubernetes.io/serviceaccount");
    await mkdir(dir, { recursive: true });
    for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  }

  it("takes the pod's namespace from its ServiceAccount, and none outside a pod", async () => {
    expect(inClusterNamespace(root)).toBeUndefined();
    await serviceAccount({ namespace: "retryctl\n" });
    expect(inClusterNamespace(root)).toBe("retryctl");
  });

  it("refuses to guess an API server: neither KUBECONFIG nor a ServiceAccount is an error saying what to set", () => {
    expect(() => loadKubeConfig(root)).toThrow(
      "leader election needs the Kubernetes API: run in a pod with a ServiceAccount token, or set KUBECONFIG to a kubeconfig file",
    );
  });

  it("uses the pod's ServiceAccount token and the service address in a cluster", async () => {
    await serviceAccount({ token: "t", "ca.crt": "", namespace: "retryctl" });
    setEnv({ KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "443" });
    const kc = loadKubeConfig(root);
    expect(kc.getCurrentCluster()?.server).toBe("https://10.96.0.1:443");
    expect(kc.getCurrentCluster()?.caFile).toBe(
      `${root}/var/run/secrets/kubernetes.io/serviceaccount/ca.crt`,
    );
  });

  it("prefers KUBECONFIG, and names the file when it cannot be read", async () => {
    await serviceAccount({ token: "t", namespace: "retryctl" });
    setEnv({ KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "443" });
    const file = join(root, "config");
    await writeFile(
      file,
      [
        "apiVersion: v1",
        "kind: Config",
        "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:6443'}}]",
        "users: [{name: u, user: {token: x}}]",
        "contexts: [{name: t, context: {cluster: c, user: u}}]",
        "current-context: t",
      ].join("\n"),
    );
    setEnv({ KUBECONFIG: file });
    expect(loadKubeConfig(root).getCurrentCluster()?.server).toBe("https://127.0.0.1:6443");
    setEnv({ KUBECONFIG: join(root, "missing") });
    expect(() => loadKubeConfig(root)).toThrow(
      `reading the kubeconfig in KUBECONFIG (${join(root, "missing")}): `,
    );
  });

  it("makes a holderIdentity from the pod name and a random suffix, new for each process", () => {
    const a = holderIdentity({ HOSTNAME: "retryctl-7d9f-abcde" });
    const b = holderIdentity({ HOSTNAME: "retryctl-7d9f-abcde" });
    expect(a).toMatch(/^retryctl-7d9f-abcde_[0-9a-f-]{36}$/);
    expect(a).not.toBe(b);
  });

  it("`run --leader-election` outside a pod without a namespace says how to give one", async () => {
    let err = "";
    const code = await runCli(["run", "--dir", root, "--region", "us-east-1", "--leader-election"], {
      stdout: () => undefined,
      stderr: (t) => {
        err += t;
      },
    });
    expect(code).toBe(1);
    expect(err).toContain(
      "retryctl: --leader-election needs the namespace of its Lease: pass --leader-election-namespace <namespace> (or set RETRYCTL_LEADER_ELECTION_NAMESPACE)",
    );
  });

  it("refuses a namespace or Lease name the API server would refuse, before starting anything", async () => {
    const base = {
      dir: root,
      region: "us-east-1",
      mode: "enforce" as const,
      listen: "127.0.0.1:0",
      concurrency: 1,
      resyncIntervalMs: 60_000,
      debounceMs: 0,
      logLevel: "silent",
      logger: pino({ level: "silent" }),
    };
    await expect(
      runController({ ...base, leaderElection: { namespace: "Retry_Ctl", id: "retryctl" } }),
    ).rejects.toThrow(
      `leader election namespace must be a DNS label (lower-case letters, digits and '-'), got "Retry_Ctl"`,
    );
    await expect(
      runController({ ...base, leaderElection: { namespace: "retryctl", id: "Retryctl Lease" } }),
    ).rejects.toThrow(`leader election id (the Lease's name) must be a DNS subdomain`);
    await expect(
      runController({ ...base, leaderElection: { namespace: "retryctl", id: "retryctl" } }),
    ).rejects.toThrow("set KUBECONFIG");
  });
});
