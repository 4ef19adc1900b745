import type { AnyKind } from "../kinds/kind.js";

/**
 * Which AWS object each manifest's last read resolved to (`Kind.resolvedIdentity`),
 * so two manifests that name one object differently (a mapping by `uuid` and by
 * function and source) are found to conflict after the read. The controller keeps
 * one for its lifetime, because a commit may reconcile one of the two alone; a
 * one-shot command starts with an empty one.
 */
export class ObjectClaims {
  readonly #byKey = new Map<string, { object: string; label: string; resolved: string }>();
  /** Manifests not read since they appeared or changed, by peer scope (see `Kind.peerScope`). */
  readonly #unread = new Map<string, string>();

  /**
   * The manifest `key` is new or changed and not read yet: until it is, a manifest
   * of the same peer scope must not write, or two manifests of one object could both
   * write before their reads met (the controller reads them in separate batches).
   */
  expect(key: string, kind: AnyKind, spec: Record<string, unknown>, region: string): void {
    const scope = kind.peerScope?.(spec, region);
    if (scope === undefined) this.#unread.delete(key);
    else this.#unread.set(key, `${kind.kind}/${scope}`);
  }

  /** The manifest was read (whatever it found): it no longer holds its peers back. */
  read(key: string): void {
    this.#unread.delete(key);
  }

  /** How many other manifests of `key`'s peer scope are still unread. */
  unreadPeers(key: string, kind: AnyKind, spec: Record<string, unknown>, region: string): number {
    const own = kind.peerScope?.(spec, region);
    if (own === undefined) return 0;
    const mine = `${kind.kind}/${own}`;
    let count = 0;
    for (const [other, scope] of this.#unread) {
      if (other !== key && scope === mine) count++;
    }
    return count;
  }

  /**
   * Records what the manifest `key` resolved to: `object` is the key two manifests conflict on (kind and
   * account included), `resolved` the kind's `resolvedIdentity`; `label` names it in the other manifests' errors.
   */
  record(key: string, object: string, label: string, resolved: string): void {
    this.#byKey.set(key, { object, label, resolved });
  }

  /** The `Kind.resolvedIdentity` the manifest `key` last resolved to, if anything. */
  resolvedOf(key: string): string | undefined {
    return this.#byKey.get(key)?.resolved;
  }

  /** The manifest no longer claims anything (gone, refused, or its object not found). */
  release(key: string): void {
    this.#byKey.delete(key);
    this.#unread.delete(key);
  }

  /** The other manifests that claim the object `key` claims, by label. */
  rivals(key: string): string[] {
    const mine = this.#byKey.get(key);
    if (!mine) return [];
    const out: string[] = [];
    for (const [other, claim] of this.#byKey) {
      if (other !== key && claim.object === mine.object) out.push(claim.label);
    }
    return out;
  }
}
