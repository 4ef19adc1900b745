import { ResourceError } from "../../src/aws/errors.js";
import type { DesiredResource, Kind, KindContext } from "../../src/kinds/kind.js";

type AnySpec = { region?: string | undefined };

/** A desired resource of `kind` from a raw spec (parsed by the kind's schema), as the engine builds it. */
export function desired<S extends AnySpec>(
  kind: Kind<S, unknown>,
  spec: Record<string, unknown>,
  region: string,
  name = "test",
): DesiredResource<S> {
  const parsed = kind.specSchema.parse(spec);
  return { name, region, identity: kind.identity(parsed, region), spec: parsed };
}

/** The kind's read of one resource; a read error fails the test with that error. */
export async function readState<S extends AnySpec, A>(
  kind: Kind<S, A>,
  ctx: KindContext,
  resource: DesiredResource<S>,
): Promise<A> {
  const got = (await kind.read(ctx, [resource])).get(resource.identity);
  if (got === undefined || got instanceof ResourceError) {
    throw got ?? new Error(`no read result for ${resource.identity}`);
  }
  return got;
}
