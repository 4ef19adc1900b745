import { type Accounts, reachMember } from "../aws/accounts.js";
import type { AwsClients } from "../aws/clients.js";
import { classifyAwsError, ResourceError } from "../aws/errors.js";
import type { AnyKind, Scope } from "../kinds/kind.js";
import { UNRESOLVED_REGION } from "../manifests/validate.js";
import { namedAccount, resourceAccount } from "./account.js";
import { matchesAny } from "./match.js";
import type { Allow, Policy } from "./policy.js";

/** What the guard needs of a manifest: its kind, validated spec and resolved region. */
export interface GuardTarget {
  kind: AnyKind;
  spec: Record<string, unknown>;
  region: string;
}

export interface GuardOptions {
  policy?: Policy | undefined;
  /** The credentials' account (`sts:GetCallerIdentity`, memoised); asked only when a check needs it. */
  callerAccount?: (() => Promise<string>) | undefined;
  /** The member accounts of the policy's `access`, reached with their own clients (design §6). */
  accounts?: Accounts | undefined;
}

/**
 * Where the guard sends a resource it allows: `account` when known (named by
 * the manifest, or learnt for a check), and the member's clients when it is
 * not the hub's account (undefined: the hub's own clients).
 */
export interface Placement {
  account?: string;
  aws?: AwsClients;
}

const NAME_DIMENSIONS = [
  ["functions", "function"],
  ["queues", "queue"],
  ["rules", "rule"],
] as const;

function list(values: readonly string[]): string {
  return `[${values.join(", ")}]`;
}

function denied(message: string): ResourceError {
  return new ResourceError("DeniedByPolicy", `denied by policy: ${message}`, "terminal");
}

/**
 * The blast-radius check the engine runs before it reads a resource: the
 * allow-list of the policy and the manifest's `spec.account`. A refused
 * resource gets a terminal error and no AWS call is made for it.
 */
export class Guard {
  readonly #allow: Allow | undefined;
  readonly #callerAccount: (() => Promise<string>) | undefined;
  readonly #accounts: Accounts | undefined;

  constructor(options: GuardOptions = {}) {
    this.#allow = options.policy?.allow;
    this.#callerAccount = options.callerAccount;
    this.#accounts = options.accounts;
  }

  /** True when some check may need the caller's account (so a dry set of manifests makes no STS call). */
  needsAccount(target: GuardTarget): boolean {
    // With member accounts, every resource is told apart by account, the hub's included (design §6).
    return (
      this.#accounts !== undefined ||
      this.#allow?.accounts !== undefined ||
      namedAccount(target) !== undefined
    );
  }

  /** Everything that can be decided without AWS: regions, names and the accounts the manifest names. */
  offline(target: GuardTarget): ResourceError | undefined {
    const named = namedAccount(target);
    if (named instanceof ResourceError) return named;
    const allow = this.#allow;
    if (!allow) return undefined;
    const { kind, spec, region } = target;
    // `validate` without a region: the resource's region is unknown, so only ARN regions can be checked.
    if (allow.regions && region !== UNRESOLVED_REGION && !allow.regions.includes(region)) {
      return denied(`region ${region} is not in allow.regions ${list(allow.regions)}`);
    }
    const restrictsNames = NAME_DIMENSIONS.some(([field]) => allow[field] !== undefined);
    if (!kind.scope) {
      return restrictsNames
        ? denied(`${kind.kind} does not declare which functions, queues and rules it targets`)
        : undefined;
    }
    const scope: Scope = kind.scope(spec, region);
    const outside = refuseScope(allow, scope, "the spec");
    if (outside) return outside;
    if (allow.accounts) {
      const named = typeof spec.account === "string" ? [spec.account] : [];
      for (const account of [...named, ...(scope.accounts ?? [])]) {
        if (!allow.accounts.includes(account)) {
          return denied(
            `account ${account} named in the spec is not in allow.accounts ${list(allow.accounts)}`,
          );
        }
      }
    }
    return undefined;
  }

  /** The full check: `offline`, then the credentials' account against `spec.account` and `allow.accounts`. */
  async check(target: GuardTarget): Promise<ResourceError | undefined> {
    const placed = await this.place(target);
    return placed instanceof ResourceError ? placed : undefined;
  }

  /**
   * `check`, and where the resource goes when allowed: the hub, or the member
   * account it names. A member's account is confirmed from its assumed
   * credentials (their sts:GetCallerIdentity), not taken from configuration.
   */
  async place(target: GuardTarget): Promise<ResourceError | Placement> {
    const refused = this.offline(target);
    if (refused) return refused;
    if (!this.needsAccount(target)) return {};
    if (!this.#callerAccount) {
      return new ResourceError(
        "AccountUnknown",
        "the caller's AWS account is needed but cannot be learnt here",
      );
    }
    let caller: string;
    try {
      caller = await this.#callerAccount();
    } catch (err) {
      return classifyAwsError(err);
    }
    const members = this.#accounts;
    const route = await resourceAccount(
      target,
      async () => caller,
      (account) => members?.configured(account) ?? false,
    );
    if (route instanceof ResourceError) return route;
    if (route.member && members) return this.#member(route.account, members);
    const accounts = this.#allow?.accounts;
    if (accounts && !accounts.includes(caller)) {
      return denied(
        `account ${caller} (the credentials' account) is not in allow.accounts ${list(accounts)}`,
      );
    }
    return { account: caller };
  }

  async #member(account: string, members: Accounts): Promise<ResourceError | Placement> {
    const aws = await reachMember(members, account, "not touching it");
    if (aws instanceof ResourceError) return aws;
    const accounts = this.#allow?.accounts;
    if (accounts && !accounts.includes(account)) {
      return denied(
        `account ${account} (the assumed credentials' account) is not in allow.accounts ${list(accounts)}`,
      );
    }
    return { account, aws };
  }

  /**
   * The allow-list against what the read found (`Kind.actualScope`), before any
   * write: a uuid-only mapping names its source and function only through the
   * mapping, so the check before the read could not see them.
   */
  afterRead(target: GuardTarget, actual: unknown): ResourceError | undefined {
    const allow = this.#allow;
    if (!allow || !target.kind.actualScope) return undefined;
    return refuseScope(allow, target.kind.actualScope(actual), "the object read");
  }
}

/** The regions and names of a scope against the allow-list; `where` says whose scope it is. */
function refuseScope(allow: Allow, scope: Scope, where: string): ResourceError | undefined {
  for (const other of scope.regions ?? []) {
    if (allow.regions && !allow.regions.includes(other)) {
      return denied(
        `an ARN in ${where} names region ${other}, which is not in allow.regions ${list(allow.regions)}`,
      );
    }
  }
  for (const [field, noun] of NAME_DIMENSIONS) {
    const patterns = allow[field];
    if (!patterns) continue;
    for (const name of scope[field] ?? []) {
      if (!matchesAny(name, patterns)) {
        const found = where === "the spec" ? "" : ` (found in ${where})`;
        return denied(`${noun} "${name}"${found} does not match allow.${field} ${list(patterns)}`);
      }
    }
  }
  return undefined;
}
