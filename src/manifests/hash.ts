import { createHash } from "node:crypto";

/** JSON with object keys sorted at every level, so equal documents hash equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(v).sort()) sorted[key] = (v as Record<string, unknown>)[key];
    return sorted;
  });
}

export function documentHash(value: unknown): string {
  return createHash("sha256").update(canonicalJson(value)).digest("hex");
}

export interface HashedFile {
  /** Display path, stable across a git-sync symlink swap (never the resolved worktree path). */
  path: string;
  /** The bytes read, or a stand-in for a file that could not be read (e.g. its size when too large). */
  content: Uint8Array | string;
}

/** `sha256:…` over the sorted paths and bytes; lengths are framed so no two sets collide by concatenation. */
export function contentHash(files: readonly HashedFile[]): string {
  const hash = createHash("sha256");
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const file of sorted) {
    const path = Buffer.from(file.path);
    const marker = typeof file.content === "string";
    const content = marker ? Buffer.from(file.content as string) : (file.content as Uint8Array);
    hash
      .update(`${path.length}:`)
      .update(path)
      .update(`${marker ? "m" : "b"}${content.length}:`)
      .update(content);
  }
  return `sha256:${hash.digest("hex")}`;
}
