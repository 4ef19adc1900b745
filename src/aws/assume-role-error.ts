/**
 * The assumed credentials of a member account could not be had (design §6,
 * `AssumeRoleFailed`): thrown by the member's credential provider, so every
 * call of that account fails with it and no other account is touched. `cause`
 * is STS's error (AccessDenied for a missing role, a trust policy that does not
 * name the hub, or a wrong external ID) or the hub chain's.
 */
export class AssumeRoleError extends Error {
  override readonly name = "AssumeRoleError";
  constructor(
    readonly account: string,
    readonly roleArn: string,
    cause: unknown,
  ) {
    const why = (cause as { name?: string; message?: string } | undefined) ?? {};
    super(
      `cannot assume ${roleArn} for account ${account}: ${why.name ?? "Error"}: ${why.message ?? String(cause)}`,
      {
        cause,
      },
    );
  }
}
