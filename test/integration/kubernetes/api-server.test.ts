import { describe, expect, it } from "vitest";
import {
  createNamespace,
  createServiceAccount,
  kubeApiServer,
  kubectl,
  kubeRequest,
  serviceAccountToken,
  writeKubeconfig,
} from "../../support/kube.js";

/**
 * The harness itself (test/kube-setup.ts, test/support/kube-apiserver.ts): a
 * real kube-apiserver of the pinned version, with RBAC deciding what a
 * ServiceAccount token may do.
 */
describe("the test Kubernetes API server", () => {
  it("is kube-apiserver v1.37.2 on 127.0.0.1 over TLS, and kubectl of its version reaches it", async () => {
    const server = kubeApiServer();
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const version = await kubeRequest("GET", "/version");
    expect(version.status).toBe(200);
    expect(version.body.gitVersion).toBe("v1.37.2");

    const client = await kubectl(["version", "--output=json"]);
    expect(client.code, client.stderr).toBe(0);
    const both = JSON.parse(client.stdout);
    expect(both.serverVersion.gitVersion).toBe("v1.37.2");
    expect(both.clientVersion.minor).toMatch(/^3[6-8]$/);
  });

  it("authenticates the admin token only", async () => {
    expect((await kubeRequest("GET", "/api/v1/namespaces")).status).toBe(200);
    const anonymous = await kubeRequest("GET", "/api/v1/namespaces", { token: "not-a-token" });
    expect(anonymous.status).toBe(401);
  });

  it("creates namespaces with their default ServiceAccount, which nothing else would make here", async () => {
    const name = await createNamespace({ prefix: "harness", labels: { team: "retryctl" } });
    const ns = await kubeRequest("GET", `/api/v1/namespaces/${name}`);
    expect(ns.body.metadata.labels).toMatchObject({ team: "retryctl", "kubernetes.io/metadata.name": name });
    const sa = await kubeRequest("GET", `/api/v1/namespaces/${name}/serviceaccounts/default`);
    expect(sa.status).toBe(200);
  });

  it("issues ServiceAccount tokens that carry the account's identity, and RBAC denies what nothing grants", async () => {
    const namespace = await createNamespace({ prefix: "harness" });
    await createServiceAccount(namespace, "robot");
    const token = await serviceAccountToken(namespace, "robot");

    const review = await kubeRequest("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", {
      token,
      body: { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" },
    });
    expect(review.status).toBe(201);
    expect(review.body.status.userInfo.username).toBe(`system:serviceaccount:${namespace}:robot`);

    const denied = await kubeRequest("GET", `/api/v1/namespaces/${namespace}/configmaps`, { token });
    expect(denied.status).toBe(403);
    expect(denied.body.message).toContain(`system:serviceaccount:${namespace}:robot`);

    // The same through kubectl with a kubeconfig for that token.
    const kubeconfig = await writeKubeconfig(token, namespace);
    const viaKubectl = await kubectl(["get", "configmaps"], { kubeconfig });
    expect(viaKubectl.code).toBe(1);
    expect(viaKubectl.stderr).toMatch(/forbidden/i);
  });
});
