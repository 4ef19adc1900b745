import type { ResourceResult } from "../../../src/engine/result.js";
import type { AnyKind } from "../../../src/kinds/kind.js";
import type { LoadResult, Manifest, ManifestError } from "../../../src/manifests/manifest.js";

/** A kind with no AWS side: controller tests fake the engine, so only the name is read. */
export const fakeKind = { kind: "Widget" } as unknown as AnyKind;
export const otherKind = { kind: "Gadget" } as unknown as AnyKind;

export function manifest(name: string, over: Partial<Manifest> = {}): Manifest {
  const kind = over.kind ?? fakeKind;
  return {
    kind,
    name,
    region: "us-east-1",
    key: `${kind.kind}/us-east-1/${name}`,
    spec: { functionName: name },
    labels: {},
    annotations: {},
    suspended: false,
    source: { file: `${name}.yaml`, line: 1 },
    hash: `h-${name}`,
    ...over,
  };
}

export function loaded(manifests: Manifest[], errors: ManifestError[] = []): LoadResult {
  return { manifests, errors, warnings: [], contentHash: `sha256:${manifests.map((m) => m.hash).join(",")}` };
}

export function result(m: Manifest, over: Partial<ResourceResult> = {}): ResourceResult {
  return {
    kind: m.kind.kind,
    name: m.name,
    region: m.region,
    account: null,
    key: m.key,
    action: "none",
    changes: [],
    applied: false,
    source: m.source,
    ...over,
  };
}
