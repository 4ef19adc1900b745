import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { PrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule";
import { ServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { Role } from "kubernetes-models/rbac.authorization.k8s.io/v1/Role";
import { RoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { Service } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { parseAllDocuments } from "yaml";
import { provided } from "../support/tools.js";

export const ROOT = join(import.meta.dirname, "../..");
export const DEPLOY = join(ROOT, "deploy/kubernetes");

// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects are checked by schema, not by static type.
export type Obj = Record<string, any>;

/** A YAML document of deploy/kubernetes, with the file it came from (relative to DEPLOY). */
export interface Doc {
  file: string;
  obj: Obj;
}

/** Every document of every YAML file below deploy/kubernetes, kustomizations included. */
export async function loadDeploy(): Promise<Doc[]> {
  const entries = await readdir(DEPLOY, { recursive: true, withFileTypes: true });
  const files = entries
    .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
    .map((e) => relative(DEPLOY, join(e.parentPath, e.name)))
    .sort();
  const docs: Doc[] = [];
  for (const file of files) {
    for (const doc of parseAllDocuments(await readFile(join(DEPLOY, file), "utf8"))) {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join("; ")}`);
      const obj = doc.toJS() as Obj | null;
      if (obj) docs.push({ file, obj });
    }
  }
  return docs;
}

interface Model {
  validate(): void;
}

/**
 * The schema-backed model of each kind shipped, and the module whose interface
 * declares it (for the unknown-field check, which the JSON schemas do not make).
 */
export const MODELS: Record<string, { make: (o: Obj) => Model; module: string; type: string }> = {
  "v1/Namespace": {
    make: (o) => new Namespace(o),
    module: "kubernetes-models/v1/Namespace",
    type: "INamespace",
  },
  "v1/ServiceAccount": {
    make: (o) => new ServiceAccount(o),
    module: "kubernetes-models/v1/ServiceAccount",
    type: "IServiceAccount",
  },
  "v1/Service": { make: (o) => new Service(o), module: "kubernetes-models/v1/Service", type: "IService" },
  "apps/v1/Deployment": {
    make: (o) => new Deployment(o),
    module: "kubernetes-models/apps/v1/Deployment",
    type: "IDeployment",
  },
  "rbac.authorization.k8s.io/v1/Role": {
    make: (o) => new Role(o),
    module: "kubernetes-models/rbac.authorization.k8s.io/v1/Role",
    type: "IRole",
  },
  "rbac.authorization.k8s.io/v1/RoleBinding": {
    make: (o) => new RoleBinding(o as ConstructorParameters<typeof RoleBinding>[0]),
    module: "kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding",
    type: "IRoleBinding",
  },
  "policy/v1/PodDisruptionBudget": {
    make: (o) => new PodDisruptionBudget(o),
    module: "kubernetes-models/policy/v1/PodDisruptionBudget",
    type: "IPodDisruptionBudget",
  },
  "monitoring.coreos.com/v1/PrometheusRule": {
    make: (o) => new PrometheusRule(o as ConstructorParameters<typeof PrometheusRule>[0]),
    module: "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule",
    type: "IPrometheusRule",
  },
  "monitoring.coreos.com/v1/ServiceMonitor": {
    make: (o) => new ServiceMonitor(o as ConstructorParameters<typeof ServiceMonitor>[0]),
    module: "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor",
    type: "IServiceMonitor",
  },
};

/** `--name=value` and `--name value` flags, in order. */
export function flags(args: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith("--")) continue;
    const eq = arg.indexOf("=");
    if (eq !== -1) out.set(arg.slice(2, eq), arg.slice(eq + 1));
    else if (args[i + 1] !== undefined && !args[i + 1]!.startsWith("--")) out.set(arg.slice(2), args[++i]!);
    else out.set(arg.slice(2), "");
  }
  return out;
}

export const typeKey = (o: Obj) => `${o.apiVersion}/${o.kind}`;

const run = promisify(execFile);

/**
 * Type-checks each object as an object literal of its model's interface:
 * TypeScript's excess-property check then rejects any field the Kubernetes API
 * does not have (a misspelt `readOnlyRootFileSystem` passes the JSON schemas,
 * which allow unknown fields, and the API server would silently drop it).
 * Resolves to the compiler's complaints, empty when there are none.
 */
export async function unknownFieldErrors(docs: readonly Doc[]): Promise<string> {
  const lines: string[] = [];
  docs.forEach((doc, i) => {
    const model = MODELS[typeKey(doc.obj)];
    if (!model) return;
    lines.push(`import type { ${model.type} as T${i} } from "${model.module}";`);
    lines.push(`// ${doc.file} (${doc.obj.kind}/${doc.obj.metadata?.name})`);
    lines.push(`export const o${i}: T${i} = ${JSON.stringify(doc.obj, null, 2)};`);
  });
  // Below the repo (in its git-ignored .tmp/), so the module resolution finds node_modules.
  await mkdir(join(ROOT, ".tmp"), { recursive: true });
  const dir = await mkdtemp(join(ROOT, ".tmp", "ship-k8s-"));
  try {
    await writeFile(join(dir, "objects.ts"), `${lines.join("\n")}\n`);
    const tsconfig = {
      compilerOptions: {
        target: "ES2024",
        module: "NodeNext",
        moduleResolution: "NodeNext",
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        types: [],
      },
      files: ["objects.ts"],
    };
    await writeFile(join(dir, "tsconfig.json"), JSON.stringify(tsconfig));
    try {
      await run(join(ROOT, "node_modules/.bin/tsc"), ["-p", join(dir, "tsconfig.json")], { cwd: dir });
      return "";
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; message: string };
      const out = `${e.stdout ?? ""}${e.stderr ?? ""}`.trim();
      if (!out) throw err;
      return `${out}\n--- objects.ts ---\n${lines.join("\n")}`;
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The objects `kustomize build dir` renders, as YAML. */
export async function kustomize(dir: string): Promise<string> {
  // `kustomize build` or `kubectl kustomize`, else a pinned kustomize the tools globalSetup built for the run.
  const [bin, verb] = provided("kustomize") as [string, string];
  const { stdout } = await run(bin, [verb, dir]);
  return stdout;
}
