import { beforeAll, describe, expect, it } from "vitest";
import { flags, type Obj } from "../../ship/kubernetes.js";
import {
  createNamespace,
  createServiceAccount,
  kubeRequest,
  serviceAccountToken,
  uniqueName,
} from "../../support/kube.js";
import { apply, only, renderInto } from "./deploy.js";

/**
 * The shipped Role and RoleBinding, applied for real, decide what the
 * controller's ServiceAccount token may do: get, create and update its own
 * Lease, in its own namespace, and nothing else.
 */
let namespace: string;
let other: string;
let token: string;
let leaseName: string;

const leases = (ns: string) => `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases`;
const lease = (name: string, ns = namespace) => ({
  apiVersion: "coordination.k8s.io/v1",
  kind: "Lease",
  metadata: { name, namespace: ns },
  spec: { holderIdentity: "retryctl-0", leaseDurationSeconds: 15, leaseTransitions: 0 },
});

beforeAll(async () => {
  namespace = uniqueName("retryctl");
  const objects = await renderInto(namespace);
  const rbac = ["Namespace", "ServiceAccount", "Role", "RoleBinding"].map((kind) => only(objects, kind));
  const applied = await apply(rbac);
  expect(applied.code, applied.stderr).toBe(0);
  // The Lease the controller asks for: --leader-election-id, else the CLI's default (design §12).
  const container = (only(objects, "Deployment").spec.template.spec.containers as Obj[]).find(
    (c) => c.name === "retryctl",
  )!;
  leaseName = flags(container.args).get("leader-election-id") ?? "retryctl";
  const sa = only(objects, "Deployment").spec.template.spec.serviceAccountName as string;
  token = await serviceAccountToken(namespace, sa);
  other = await createNamespace({ prefix: "elsewhere" });
});

describe("the controller's ServiceAccount", () => {
  it("may get, create and update its Lease, which refuses a stale resourceVersion", async () => {
    expect((await kubeRequest("GET", `${leases(namespace)}/${leaseName}`, { token })).status).toBe(404);

    const created = await kubeRequest("POST", leases(namespace), { token, body: lease(leaseName) });
    expect(created.status, created.body?.message).toBe(201);

    const read = await kubeRequest("GET", `${leases(namespace)}/${leaseName}`, { token });
    expect(read.status).toBe(200);
    const renewed = structuredClone(read.body);
    renewed.spec.renewTime = new Date().toISOString().replace("Z", "000Z");
    const updated = await kubeRequest("PUT", `${leases(namespace)}/${leaseName}`, { token, body: renewed });
    expect(updated.status, updated.body?.message).toBe(200);

    // Optimistic concurrency: a write based on the old version loses.
    const stale = await kubeRequest("PUT", `${leases(namespace)}/${leaseName}`, { token, body: read.body });
    expect(stale.status).toBe(409);
  });

  it("may not list, watch, patch or delete leases, nor read or write another Lease", async () => {
    const path = `${leases(namespace)}/${leaseName}`;
    const denied = await Promise.all([
      kubeRequest("GET", leases(namespace), { token }),
      kubeRequest("GET", `${leases(namespace)}?watch=true`, { token }),
      kubeRequest("PATCH", path, { token, body: { spec: {} }, contentType: "application/merge-patch+json" }),
      kubeRequest("DELETE", path, { token }),
      kubeRequest("GET", `${leases(namespace)}/someone-elses`, { token }),
      kubeRequest("PUT", `${leases(namespace)}/someone-elses`, { token, body: lease("someone-elses") }),
    ]);
    expect(denied.map((a) => a.status)).toEqual([403, 403, 403, 403, 403, 403]);
  });

  it("gets 403 on leases in another namespace", async () => {
    const elsewhere = await Promise.all([
      kubeRequest("GET", `${leases(other)}/${leaseName}`, { token }),
      kubeRequest("POST", leases(other), { token, body: lease(leaseName, other) }),
      kubeRequest("PUT", `${leases(other)}/${leaseName}`, { token, body: lease(leaseName, other) }),
    ]);
    expect(elsewhere.map((a) => a.status)).toEqual([403, 403, 403]);
  });

  it("gets 403 on secrets, config maps, pods and events", async () => {
    const core = `/api/v1/namespaces/${namespace}`;
    const denied = await Promise.all([
      kubeRequest("GET", `${core}/secrets`, { token }),
      kubeRequest("GET", `${core}/secrets/anything`, { token }),
      kubeRequest("POST", `${core}/secrets`, {
        token,
        body: { metadata: { name: "x" }, stringData: { a: "b" } },
      }),
      kubeRequest("GET", `${core}/configmaps`, { token }),
      kubeRequest("GET", `${core}/pods`, { token }),
      kubeRequest("POST", `${core}/events`, { token, body: { metadata: { name: "x" } } }),
    ]);
    expect(denied.map((a) => a.status)).toEqual([403, 403, 403, 403, 403, 403]);
    expect(denied[0]!.body.message).toContain(`system:serviceaccount:${namespace}:`);
  });

  it("holds exactly the Lease rules in its namespace beyond what an unbound ServiceAccount has", async () => {
    expect(await extraRules(namespace, token)).toEqual(LEASE_RULES(leaseName));
  });
});

describe("a broken copy of the Role", () => {
  it("that also grants secrets and more verbs is caught by the same checks", async () => {
    const ns = uniqueName("retryctl");
    const objects = await renderInto(ns);
    const role = only(objects, "Role");
    role.rules[0].verbs.push("list", "delete");
    role.rules.push({ apiGroups: [""], resources: ["secrets"], verbs: ["get", "list"] });
    const applied = await apply(
      ["Namespace", "ServiceAccount", "Role", "RoleBinding"].map((k) => only(objects, k)),
    );
    expect(applied.code, applied.stderr).toBe(0);
    const broad = await serviceAccountToken(ns, only(objects, "ServiceAccount").metadata.name);

    expect((await kubeRequest("GET", `/api/v1/namespaces/${ns}/secrets`, { token: broad })).status).toBe(200);
    expect(await extraRules(ns, broad)).not.toEqual(LEASE_RULES(leaseName));
  });
});

/** The shipped Role's rules, as a SelfSubjectRulesReview lists them. */
const LEASE_RULES = (name: string) => [
  { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["create"], resourceNames: [] },
  {
    apiGroups: ["coordination.k8s.io"],
    resources: ["leases"],
    verbs: ["get", "update"],
    resourceNames: [name],
  },
];

/**
 * The rules the bearer of `bearer` holds in namespace `ns` beyond those of a
 * ServiceAccount bound to nothing (discovery, self-reviews, trust bundles…:
 * what every authenticated identity gets), from SelfSubjectRulesReview.
 */
async function extraRules(ns: string, bearer: string): Promise<Obj[]> {
  const rules = async (as: string) => {
    const review = await kubeRequest("POST", "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", {
      token: as,
      body: {
        apiVersion: "authorization.k8s.io/v1",
        kind: "SelfSubjectRulesReview",
        spec: { namespace: ns },
      },
    });
    expect(review.status).toBe(201);
    expect(review.body.status.incomplete).toBe(false);
    return (review.body.status.resourceRules as Obj[]).map((r) =>
      JSON.stringify({ ...r, verbs: [...r.verbs].sort(), resourceNames: r.resourceNames ?? [] }),
    );
  };
  await createServiceAccount(ns, "nobody");
  const everyone = new Set(await rules(await serviceAccountToken(ns, "nobody")));
  return (await rules(bearer))
    .filter((r) => !everyone.has(r))
    .map((r) => JSON.parse(r) as Obj)
    .sort((a, b) => a.verbs.join().localeCompare(b.verbs.join()));
}
