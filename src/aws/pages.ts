import { ResourceError } from "./errors.js";

/**
 * Pages an AWS listing until its token runs out (absent, or "" as GetResources
 * ends); a token seen twice is an error rather than an endless loop or a
 * silently short list. `take` consumes a page and returns its next token.
 */
export async function eachPage<P>(
  operation: string,
  request: (token: string | undefined) => Promise<P>,
  take: (page: P) => string | undefined,
): Promise<void> {
  const seen = new Set<string>();
  let token: string | undefined;
  do {
    token = take(await request(token)) || undefined;
    if (token !== undefined) {
      if (seen.has(token))
        throw new ResourceError("ServiceError", `${operation} repeated a page token`, "transient");
      seen.add(token);
    }
  } while (token !== undefined);
}
