import { readFile } from "node:fs/promises";
import { join, posix } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { parseDuration } from "../../../src/cli/duration.js";
import { execForm, parseDockerfile } from "../../ship/dockerfile.js";
import {
  DEPLOY,
  type Doc,
  flags,
  kustomize,
  loadDeploy,
  MODELS,
  type Obj,
  ROOT,
  typeKey,
  unknownFieldErrors,
} from "../../ship/kubernetes.js";

/**
 * deploy/kubernetes: every object valid against the Kubernetes (and
 * Prometheus Operator) schemas, with no unknown field, and wired together:
 * git-sync's link is retryctl's --dir, probes hit the contract's endpoints,
 * selectors select, the pod passes the "restricted" Pod Security Standard.
 */
const docs = await loadDeploy();
const objects = docs.filter((d) => d.obj.kind !== "Kustomization");
const pkg = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as { version: string };

function one(kind: string): Obj {
  const found = objects.filter((d) => d.obj.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0]!.obj;
}

const deployment = one("Deployment");
const pod = deployment.spec.template.spec as Obj;
const gitSync = (pod.initContainers as Obj[]).find((c) => c.name === "git-sync")!;
const retryctl = (pod.containers as Obj[]).find((c) => c.name === "retryctl")!;
const allContainers = [...(pod.initContainers ?? []), ...pod.containers] as Obj[];

function kustomization(dir: string): Obj {
  const doc = docs.find((d) => d.obj.kind === "Kustomization" && posix.dirname(d.file) === dir);
  expect(doc, `${dir}/kustomization.yaml`).toBeDefined();
  return doc!.obj;
}

describe("deploy/kubernetes objects", () => {
  it("each validates against its Kubernetes or Prometheus Operator schema", () => {
    expect(objects.length).toBeGreaterThanOrEqual(9);
    for (const { file, obj } of objects) {
      const model = MODELS[typeKey(obj)];
      expect(model, `${file}: no schema for ${typeKey(obj)}`).toBeDefined();
      expect(() => model!.make(obj).validate(), `${file} ${obj.kind}/${obj.metadata?.name}`).not.toThrow();
    }
  });

  it("have no field the Kubernetes API does not know", async () => {
    expect(await unknownFieldErrors(objects)).toBe("");
  });

  it("all live in the kustomization's namespace, labelled app.kubernetes.io/name: retryctl", () => {
    const namespace = kustomization(".").namespace;
    expect(namespace).toBe("retryctl");
    for (const { file, obj } of objects) {
      expect(obj.metadata.labels?.["app.kubernetes.io/name"], file).toBe("retryctl");
      if (obj.kind === "Namespace") expect(obj.metadata.name).toBe(namespace);
      else expect(obj.metadata.namespace, file).toBe(namespace);
    }
  });
});

describe("kustomizations", () => {
  const filesIn = (dir: string) =>
    [...new Set(docs.filter((d) => posix.dirname(d.file) === dir).map((d) => posix.basename(d.file)))]
      .filter((f) => f !== "kustomization.yaml")
      .sort();

  it("the default one lists every base file and leaves the optional alerts out", () => {
    const { resources } = kustomization(".");
    expect([...resources].sort()).toEqual(filesIn("."));
    expect(resources.some((r: string) => r.includes("optional"))).toBe(false);
  });

  it("the optional one holds the monitoring objects only, and no kustomization reaches above itself", () => {
    const { resources } = kustomization("optional");
    expect([...resources].sort()).toEqual(filesIn("optional"));
    // Kustomize rejects a resource folder that contains the kustomization (a cycle).
    for (const d of docs.filter((doc) => doc.obj.kind === "Kustomization")) {
      for (const r of d.obj.resources as string[])
        expect(posix.normalize(r), d.file).not.toMatch(/^\.\.(\/|$)/);
    }
  });

  it("build with kustomize into the objects of the files, namespaced", async () => {
    for (const dir of [".", "optional"]) {
      const built = parseAllDocuments(await kustomize(join(DEPLOY, dir))).map((d) => d.toJS() as Obj);
      const expected = objects.filter((d) => posix.dirname(d.file) === dir).map((d) => d.obj);
      const id = (o: Obj) => `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`;
      expect(built.map(id).sort()).toEqual(expected.map(id).sort());
      for (const o of built) {
        expect(o, id(o)).toEqual(expected.find((e) => id(e) === id(o)));
      }
    }
  });

  it("sets the retryctl image to this version", () => {
    const { images } = kustomization(".");
    expect(images).toEqual([expect.objectContaining({ name: "retryctl", newTag: pkg.version })]);
    expect(retryctl.image).toBe(`retryctl:${pkg.version}`);
  });
});

describe("the Deployment", () => {
  it("runs git-sync v4 as a native sidecar that publishes the link retryctl watches", () => {
    expect(gitSync.image).toMatch(/^registry\.k8s\.io\/git-sync\/git-sync:v4\.\d+\.\d+$/);
    expect(gitSync.restartPolicy).toBe("Always");
    const sync = flags(gitSync.args);
    for (const flag of ["repo", "ref", "root", "link", "period"]) expect(sync.get(flag), flag).toBeTruthy();

    // The same volume: git-sync's --root/--link, seen through retryctl's mount of it.
    const root = sync.get("root")!;
    const syncMount = (gitSync.volumeMounts as Obj[]).find((m) => root.startsWith(m.mountPath))!;
    expect(syncMount, "a volume mounted at or above --root").toBeDefined();
    const ownMount = (retryctl.volumeMounts as Obj[]).find((m) => m.name === syncMount.name)!;
    expect(ownMount, "retryctl mounts git-sync's volume").toBeDefined();
    expect(ownMount.readOnly).toBe(true);
    const link = posix.join(root, sync.get("link")!);
    const expectedDir = posix.join(ownMount.mountPath, posix.relative(syncMount.mountPath, link));
    const args = retryctl.args as string[];
    expect(args[0]).toBe("run");
    expect(flags(args).get("dir")).toBe(expectedDir);
    expect(expectedDir).toBe("/git/config");

    // Started (first sync done) before retryctl starts.
    const bind = sync.get("http-bind")!;
    const port = (gitSync.ports as Obj[]).find((p) => p.containerPort === Number(bind.split(":").pop()));
    expect(gitSync.startupProbe?.httpGet).toMatchObject({ path: "/", port: port?.name });
  });

  it("passes retryctl values its flags accept (image-recipe.test.ts checks the flags themselves)", () => {
    const args = flags(retryctl.args);
    expect(["enforce", "observe"]).toContain(args.get("mode"));
    expect(parseDuration(args.get("resync-interval")!)).toBeGreaterThan(0);
    // The image's own ENTRYPOINT runs the CLI; args replace only its CMD.
    expect(retryctl.command).toBeUndefined();
  });

  it("probes /healthz (liveness) and /readyz (readiness) on the port retryctl listens on", () => {
    const listen = flags(retryctl.args).get("listen") ?? "0.0.0.0:8080";
    const port = (retryctl.ports as Obj[]).find((p) => p.containerPort === Number(listen.split(":").pop()));
    expect(port?.name).toBe("http");
    expect(retryctl.livenessProbe.httpGet).toEqual({ path: "/healthz", port: "http" });
    expect(retryctl.readinessProbe.httpGet).toEqual({ path: "/readyz", port: "http" });
  });

  it("gives every container CPU and memory requests and limits", () => {
    for (const c of allContainers) {
      for (const bound of ["requests", "limits"]) {
        expect(Object.keys(c.resources?.[bound] ?? {}).sort(), `${c.name} ${bound}`).toEqual([
          "cpu",
          "memory",
        ]);
      }
    }
  });

  it("meets the restricted Pod Security Standard, as the image's non-root user", async () => {
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(pod.hostNetwork ?? false).toBe(false);
    for (const c of allContainers) {
      expect(c.securityContext, c.name).toMatchObject({
        runAsNonRoot: true,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ["ALL"] },
      });
      expect(c.securityContext.capabilities.add, c.name).toBeUndefined();
      expect(c.securityContext.runAsUser, c.name).toBeGreaterThan(0);
      expect(c.securityContext.privileged ?? false).toBe(false);
    }
    for (const v of pod.volumes as Obj[]) expect(Object.keys(v).sort(), v.name).toEqual(["emptyDir", "name"]);
    const mounted = new Set(allContainers.flatMap((c) => (c.volumeMounts as Obj[]).map((m) => m.name)));
    expect([...mounted].sort()).toEqual((pod.volumes as Obj[]).map((v) => v.name).sort());

    const finalStage = parseDockerfile(await readFile(join(ROOT, "Dockerfile"), "utf8")).at(-1)!;
    const user = finalStage.instructions.filter((i) => i.keyword === "USER").at(-1)!.args;
    expect(`${retryctl.securityContext.runAsUser}:${retryctl.securityContext.runAsGroup}`).toBe(user);
    expect(execForm(finalStage.instructions.find((i) => i.keyword === "ENTRYPOINT")!.args)?.[0]).toBe("node");
  });

  it("runs under the IRSA service account", () => {
    const sa = one("ServiceAccount");
    expect(pod.serviceAccountName).toBe(sa.metadata.name);
    expect(sa.metadata.annotations["eks.amazonaws.com/role-arn"]).toMatch(
      /^arn:aws:iam::\d{12}:role\/[\w+=,.@/-]+$/,
    );
  });
});

describe("high availability (design §12)", () => {
  const args = () => flags(retryctl.args);

  it("runs two replicas, rolled one new pod at a time with none taken away first", () => {
    expect(deployment.spec.replicas).toBe(2);
    expect(deployment.spec.strategy).toEqual({
      type: "RollingUpdate",
      rollingUpdate: { maxUnavailable: 0, maxSurge: 1 },
    });
  });

  it("elects a leader through a Lease in the pod's own namespace (downward API)", () => {
    expect(args().get("leader-election")).toBe("");
    const namespaceArg = args().get("leader-election-namespace");
    const variable = /^\$\((\w+)\)$/.exec(namespaceArg ?? "")?.[1];
    expect(variable, `--leader-election-namespace ${namespaceArg}`).toBeDefined();
    // Kubernetes expands $(VAR) in args only for a variable the container's env defines.
    const env = (retryctl.env as Obj[]).find((e) => e.name === variable);
    expect(env?.valueFrom).toEqual({ fieldRef: { fieldPath: "metadata.namespace" } });
  });

  it("spreads the replicas across nodes without leaving one unscheduled on a single node", () => {
    const spread = pod.topologySpreadConstraints as Obj[];
    expect(spread).toHaveLength(1);
    expect(spread[0]).toMatchObject({
      maxSkew: 1,
      topologyKey: "kubernetes.io/hostname",
      whenUnsatisfiable: "ScheduleAnyway",
      labelSelector: { matchLabels: deployment.spec.selector.matchLabels },
    });
  });

  it("binds the service account to a Role for get, create and update of its Lease, and nothing else", () => {
    const role = one("Role");
    const binding = one("RoleBinding");
    const leaseName = args().get("leader-election-id") ?? "retryctl";
    expect(role.rules).toEqual([
      { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["create"] },
      {
        apiGroups: ["coordination.k8s.io"],
        resources: ["leases"],
        resourceNames: [leaseName],
        verbs: ["get", "update"],
      },
    ]);
    expect(binding.roleRef).toEqual({
      apiGroup: "rbac.authorization.k8s.io",
      kind: "Role",
      name: role.metadata.name,
    });
    expect(binding.subjects).toEqual([
      { kind: "ServiceAccount", name: pod.serviceAccountName, namespace: deployment.metadata.namespace },
    ]);
  });
});

describe("Service, PodDisruptionBudget and ServiceMonitor", () => {
  const podLabels = deployment.spec.template.metadata.labels as Record<string, string>;
  const selects = (selector: Record<string, string>) =>
    Object.entries(selector).every(([k, v]) => podLabels[k] === v) && Object.keys(selector).length > 0;

  it("the Service selects the pod and serves its metrics port", () => {
    const service = one("Service");
    expect(selects(service.spec.selector)).toBe(true);
    const [port] = service.spec.ports as Obj[];
    expect(port).toMatchObject({ name: "http", port: 8080, targetPort: "http" });
    expect(service.spec.publishNotReadyAddresses).toBe(true);
  });

  it("the PodDisruptionBudget keeps one replica through a drain, and never waits on an unhealthy one", () => {
    const pdb = one("PodDisruptionBudget");
    expect(pdb.spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
    expect(selects(pdb.spec.selector.matchLabels)).toBe(true);
    expect(pdb.spec.minAvailable).toBe(1);
    expect(pdb.spec.maxUnavailable).toBeUndefined();
    // Below the replica count, or a drain could never evict either pod.
    expect(pdb.spec.minAvailable).toBeLessThan(deployment.spec.replicas);
    expect(pdb.spec.unhealthyPodEvictionPolicy).toBe("AlwaysAllow");
  });

  it("the ServiceMonitor scrapes /metrics through the Service's port", () => {
    const monitor = one("ServiceMonitor");
    const service = one("Service");
    for (const [k, v] of Object.entries(monitor.spec.selector.matchLabels)) {
      expect(service.metadata.labels[k], k).toBe(v);
    }
    expect(monitor.spec.endpoints).toEqual([expect.objectContaining({ port: "http", path: "/metrics" })]);
  });

  it("only optional/ needs the Prometheus Operator's CRDs", () => {
    const crdObjects = (d: Doc) => d.obj.apiVersion.startsWith("monitoring.coreos.com/");
    expect(objects.filter(crdObjects).every((d) => d.file.startsWith("optional/"))).toBe(true);
  });
});
