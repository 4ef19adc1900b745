import type { TestProject } from "vitest/node";
import { type KubeApiServer, startKubeApiServer } from "./support/kube-apiserver.js";
import { ensureTool } from "./support/tools.js";

let server: KubeApiServer | undefined;

/**
 * Starts one Kubernetes API server (etcd + kube-apiserver on 127.0.0.1) for
 * the "kubernetes" project's run and provides it as `inject("kubeApiServer")`,
 * with a kubectl of the same version as `inject("kubectl")` and the folder of
 * the Prometheus Operator's CRDs as `inject("prometheusOperatorCrds")`. They are
 * built once per machine (scripts/ensure-tool.sh; ~6 min cold); vitest sets
 * no time limit on a globalSetup.
 */
export async function setup(project: TestProject): Promise<void> {
  // One after the other: a cold build of each takes both cores.
  const etcd = await ensureTool("etcd");
  const kubeApiServer = await ensureTool("kube-apiserver");
  project.provide("kubectl", await ensureTool("kubectl"));
  project.provide("prometheusOperatorCrds", await ensureTool("prometheus-operator-crds"));
  server = await startKubeApiServer({ etcd, kubeApiServer });
  const { stop: _, ...info } = server;
  project.provide("kubeApiServer", info);
}

export async function teardown(): Promise<void> {
  await server?.stop();
  server = undefined;
}
