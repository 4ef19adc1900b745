import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { parseAllDocuments, stringify } from "yaml";
import { DEPLOY, kustomize, type Obj, ROOT } from "../../ship/kubernetes.js";
import { type KubectlResult, kubectl } from "../../support/kube.js";

/**
 * What `kustomize build` makes of `dir` (a folder of deploy/kubernetes) when
 * an overlay moves it into `namespace`: the shipped objects, renamed the way a
 * user's own overlay would (the Namespace object, every metadata.namespace and
 * the RoleBinding's subject). Each test takes a namespace of its own: without
 * a controller manager a namespace can never be deleted here.
 */
export async function renderInto(namespace: string, dir = DEPLOY): Promise<Obj[]> {
  await mkdir(join(ROOT, ".tmp"), { recursive: true });
  const overlay = await mkdtemp(join(ROOT, ".tmp", "k8s-overlay-"));
  try {
    const kustomization = {
      apiVersion: "kustomize.config.k8s.io/v1beta1",
      kind: "Kustomization",
      namespace,
      resources: [relative(overlay, dir)],
    };
    await writeFile(join(overlay, "kustomization.yaml"), stringify(kustomization));
    return parseAllDocuments(await kustomize(overlay)).map((d) => d.toJS() as Obj);
  } finally {
    await rm(overlay, { recursive: true, force: true });
  }
}

export const toYaml = (objects: readonly Obj[]) => objects.map((o) => stringify(o)).join("---\n");

/** `kubectl apply` of `objects` for real (the admin's kubeconfig unless given). */
export async function apply(objects: readonly Obj[], kubeconfig?: string): Promise<KubectlResult> {
  return kubectl(["apply", "-f", "-"], { input: toYaml(objects), ...(kubeconfig ? { kubeconfig } : {}) });
}

/**
 * `kubectl apply --dry-run=server --warnings-as-errors`: the API server runs
 * validation, defaulting and every admission plugin (Pod Security among them)
 * and stores nothing; a warning, such as Pod Security's for a Deployment whose
 * pods it would reject, fails the command.
 */
export async function applyDryRun(objects: readonly Obj[]): Promise<KubectlResult> {
  return kubectl(["apply", "--dry-run=server", "--warnings-as-errors", "-f", "-"], {
    input: toYaml(objects),
  });
}

export function only(objects: readonly Obj[], kind: string): Obj {
  const found = objects.filter((o) => o.kind === kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, found ${found.length}`);
  return found[0]!;
}

/** A Pod of the Deployment's template, as its ReplicaSet would create it (no controller manager does here). */
export function podOf(deployment: Obj, name = `${deployment.metadata.name}-pod-check`): Obj {
  const template = structuredClone(deployment.spec.template);
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { ...template.metadata, name, namespace: deployment.metadata.namespace },
    spec: template.spec,
  };
}

/** `kind/name` as kubectl prints it, e.g. `deployment.apps/retryctl`. */
export function kubectlName(o: Obj): string {
  const group = String(o.apiVersion).includes("/") ? `.${String(o.apiVersion).split("/")[0]}` : "";
  return `${String(o.kind).toLowerCase()}${group}/${o.metadata.name}`;
}
