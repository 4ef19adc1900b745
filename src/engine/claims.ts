/**
 * Which AWS object each manifest's last read resolved to (`Kind.resolvedIdentity`),
 * so two manifests that name one object differently (a mapping by `uuid` and by
 * function and source) are found to conflict after the read. The controller keeps
 * one for its lifetime, because a commit may reconcile one of the two alone; a
 * one-shot command starts with an empty one.
 */
export class ObjectClaims {
  readonly #byKey = new Map<string, { object: string; label: string }>();

  /** Records what the manifest `key` resolved to; `label` names it in the other manifests' errors. */
  record(key: string, object: string, label: string): void {
    this.#byKey.set(key, { object, label });
  }

  /** What the manifest `key` last resolved to (`<Kind>/<resolvedIdentity>`), if anything. */
  objectOf(key: string): string | undefined {
    return this.#byKey.get(key)?.object;
  }

  /** The manifest no longer claims anything (gone, refused, or its object not found). */
  release(key: string): void {
    this.#byKey.delete(key);
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
