import { mkdir, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { stringify } from "yaml";
import { ALIAS, DESIRED, type KindName, type Scenario } from "./scenario.js";

export interface ManifestFile {
  /** Path relative to the manifest root. */
  path: string;
  kind: KindName;
  name: string;
  doc: Record<string, unknown>;
}

function manifest(kind: KindName, name: string, spec: Record<string, unknown>, dir: string): ManifestFile {
  return {
    path: `${dir}/${name}.yaml`,
    kind,
    name,
    doc: { apiVersion: "retryctl.dev/v1alpha1", kind, metadata: { name, labels: { bench: "true" } }, spec },
  };
}

/** One manifest file per resource, grouped in folders by kind, the way a GitOps repo usually is. */
export function scenarioManifests(s: Scenario): ManifestFile[] {
  const files: ManifestFile[] = [];
  const aliased = new Set(s.aliased);
  for (const fn of s.functions) {
    files.push(
      manifest(
        "FunctionEventInvokeConfig",
        `${fn.name}-async`,
        { functionName: fn.name, ...DESIRED.latest, onFailure: s.asyncFailedArn },
        "async",
      ),
    );
    if (aliased.has(fn.name)) {
      files.push(
        manifest(
          "FunctionEventInvokeConfig",
          `${fn.name}-${ALIAS}-async`,
          { functionName: fn.name, qualifier: ALIAS, ...DESIRED.alias, onFailure: s.asyncFailedArn },
          "async",
        ),
      );
    }
  }
  for (const name of s.withDlq) {
    files.push(
      manifest(
        "FunctionDeadLetterConfig",
        `${name}-dlq`,
        { functionName: name, targetArn: s.functionDlqArn },
        "dlq",
      ),
    );
  }
  for (const m of s.mappings) {
    const fields =
      m.source === "sqs" ? DESIRED.sqsMapping : { ...DESIRED.stream, onFailure: s.streamFailedArn };
    files.push(
      manifest(
        "EventSourceMapping",
        m.name,
        { functionName: m.fn, eventSourceArn: m.sourceArn, ...fields },
        `mappings/${m.source}`,
      ),
    );
  }
  for (const q of s.queues) {
    files.push(
      manifest(
        "QueueRedrivePolicy",
        `${q.name}-redrive`,
        { queue: q.name, deadLetterQueue: q.dlqArn, ...DESIRED.queue },
        "queues",
      ),
    );
  }
  for (const t of s.targets) {
    files.push(
      manifest(
        "EventTargetRetryPolicy",
        t.name,
        { rule: t.rule, targetId: t.id, ...DESIRED.target, deadLetterQueue: s.eventsDlqArn },
        "targets",
      ),
    );
  }
  return files;
}

export function toYaml(file: ManifestFile): string {
  return stringify(file.doc);
}

/** Writes the manifests below `root` (emptied first). */
export async function writeManifests(root: string, files: readonly ManifestFile[]): Promise<void> {
  await rm(root, { recursive: true, force: true });
  const dirs = new Set(files.map((f) => dirname(join(root, f.path))));
  for (const dir of dirs) await mkdir(dir, { recursive: true });
  // Bounded parallelism: thousands of concurrent writes only queue in libuv anyway.
  for (let i = 0; i < files.length; i += 64) {
    await Promise.all(files.slice(i, i + 64).map((f) => writeFile(join(root, f.path), toYaml(f))));
  }
}
