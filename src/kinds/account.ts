/**
 * The account a resource lives in, as far as its manifest says (design §6:
 * every identity includes the account). `spec.account` wins; else the account
 * inside the ARN or URL that names the resource's own object (a function ARN, a
 * queue URL, an event-bus ARN); else nothing is said and the resource is the
 * caller's. Both the identity and the account check (src/policy/account.ts)
 * read it from here, so they never disagree.
 */

/** An account named inside the spec, with the field that names it (for messages). */
export interface NamedAccount {
  account: string;
  field: string;
}

/** What the helpers need of a kind (see `Kind.ownAccount`). */
export interface AccountSource<S> {
  ownAccount?(spec: S): NamedAccount | undefined;
}

/** The account the spec puts its object in: `spec.account`, else the one its identity's ARN/URL names. */
export function specAccount<S extends { account?: string | undefined }>(
  kind: AccountSource<S>,
  spec: S,
): string | undefined {
  return spec.account ?? kind.ownAccount?.(spec)?.account;
}

/**
 * The leading part of an identity: the region, and `:account` when the spec
 * names one. A plain name keeps the key it always had (the caller's account is
 * implied), and the same name in two named accounts is two resources.
 */
export function identityPlace(region: string, account: string | undefined): string {
  return account === undefined ? region : `${region}:${account}`;
}
