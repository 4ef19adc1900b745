import { beforeAll, describe, expect, it } from "vitest";
import type { Obj } from "../../ship/kubernetes.js";
import { createServiceAccount, uniqueName } from "../../support/kube.js";
import { apply, applyDryRun, kubectlName, only, podOf, renderInto } from "./deploy.js";

/**
 * deploy/kubernetes as a real API server sees it: `kubectl apply
 * --dry-run=server --warnings-as-errors` runs schema and strict field
 * validation, defaulting and admission (Pod Security "restricted", enforced
 * by the shipped Namespace's label) without storing anything. Deployments
 * only earn a Pod Security *warning*, so a Pod of the Deployment's template is
 * dry-run too: that one admission rejects.
 */
let namespace: string;
let objects: Obj[];

beforeAll(async () => {
  namespace = uniqueName("retryctl");
  objects = await renderInto(namespace);
  // For real, first: a Namespace and its objects cannot be dry-run in one apply, and a
  // Pod's ServiceAccount must exist before admission looks at the Pod.
  const created = await apply([only(objects, "Namespace"), only(objects, "ServiceAccount")]);
  expect(created.code, created.stderr).toBe(0);
  await createServiceAccount(namespace, "default");
});

const deployment = () => structuredClone(only(objects, "Deployment"));
const withDeployment = (d: Obj) => objects.map((o) => (o.kind === "Deployment" ? d : o));

describe("deploy/kubernetes on a real API server", () => {
  it("the Namespace it ships enforces the restricted Pod Security Standard", () => {
    expect(only(objects, "Namespace").metadata).toMatchObject({
      name: namespace,
      labels: { "pod-security.kubernetes.io/enforce": "restricted" },
    });
  });

  it("is accepted whole by `kubectl apply --dry-run=server --warnings-as-errors`", async () => {
    const result = await applyDryRun(objects);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe("");
    // One line per object: "deployment.apps/retryctl created (server dry run)".
    const accepted = result.stdout
      .trim()
      .split("\n")
      .map((line) => /^(\S+) (?:created|unchanged) \(server dry run\)$/.exec(line)?.[1] ?? line);
    expect(accepted.sort()).toEqual(objects.map(kubectlName).sort());
  });

  it("a Pod of the Deployment's template is admitted in that namespace", async () => {
    const result = await applyDryRun([podOf(deployment())]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe("pod/retryctl-pod-check created (server dry run)");
  });
});

/** Broken copies of the Deployment, and what the API server says about each. */
const broken: { what: string; change: (d: Obj) => void; message: RegExp }[] = [
  {
    what: "without runAsNonRoot",
    change: (d) => {
      const pod = d.spec.template.spec;
      delete pod.securityContext.runAsNonRoot;
      for (const c of [...pod.initContainers, ...pod.containers]) delete c.securityContext.runAsNonRoot;
    },
    message: /PodSecurity "restricted:latest": runAsNonRoot != true/,
  },
  {
    what: "adding a capability",
    change: (d) => {
      d.spec.template.spec.containers[0].securityContext.capabilities.add = ["NET_RAW"];
    },
    message: /PodSecurity "restricted:latest": unrestricted capabilities/,
  },
  {
    what: "allowing privilege escalation",
    change: (d) => {
      d.spec.template.spec.initContainers[0].securityContext.allowPrivilegeEscalation = true;
    },
    message: /PodSecurity "restricted:latest": allowPrivilegeEscalation != false/,
  },
  {
    what: "without a seccomp profile",
    change: (d) => {
      delete d.spec.template.spec.securityContext.seccompProfile;
    },
    message: /PodSecurity "restricted:latest": seccompProfile/,
  },
  {
    what: "mounting a hostPath volume",
    change: (d) => {
      d.spec.template.spec.volumes[0] = {
        name: d.spec.template.spec.volumes[0].name,
        hostPath: { path: "/var" },
      };
    },
    message: /PodSecurity "restricted:latest": restricted volume types \(volume "config" uses .*"hostPath"\)/,
  },
  {
    what: "with a misspelt field (readOnlyRootFileSystem)",
    change: (d) => {
      const context = d.spec.template.spec.containers[0].securityContext;
      context.readOnlyRootFileSystem = context.readOnlyRootFilesystem;
      delete context.readOnlyRootFilesystem;
    },
    message:
      /unknown field "spec\.(template\.spec\.)?containers\[0\]\.securityContext\.readOnlyRootFileSystem"/,
  },
];

describe("a broken copy of the Deployment is refused", () => {
  it.each(broken)(
    "$what: the Deployment fails the dry-run and its Pod is rejected",
    async ({ change, message }) => {
      const copy = deployment();
      change(copy);

      const result = await applyDryRun(withDeployment(copy));
      expect(result.code, result.stdout).not.toBe(0);
      expect(result.stderr).toMatch(message);

      const pod = await applyDryRun([podOf(copy)]);
      expect(pod.code, pod.stdout).not.toBe(0);
      expect(pod.stderr).toMatch(message);
      expect(pod.stdout).not.toMatch(/created/);
    },
  );
});
