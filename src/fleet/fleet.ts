import type { Logger } from "pino";
import type { Accounts } from "../aws/accounts.js";
import type { AwsClients } from "../aws/clients.js";
import { classifyAwsError } from "../aws/errors.js";
import { specAccount } from "../kinds/account.js";
import { MappingListings } from "../kinds/mapping-listing.js";
import { scrubSecrets } from "../log/secrets.js";
import type { LoadResult, Manifest, ManifestError } from "../manifests/manifest.js";
import { discoverInventory } from "./discover.js";
import { discoveryTargets, type ExpandContext, expand, type PolicyMatch } from "./expand.js";
import type { DiscoveryFailure } from "./inventory.js";
import { matchesPlace } from "./match.js";
import { RETRY_POLICY_KIND, type RetryPolicy } from "./schema.js";

export interface FleetOptions {
  aws: AwsClients;
  /** The member accounts of the policy file's `access`. */
  accounts?: Accounts | undefined;
  /** The hub credentials' account (memoised sts:GetCallerIdentity, shared with the guard). */
  callerAccount: () => Promise<string>;
  /** The controller's region: a selector's default. */
  defaultRegion: string;
  log: Logger;
}

/** A load with its policies expanded: what the engine reconciles, and what the policies matched. */
export interface FleetLoad extends LoadResult {
  matches: PolicyMatch[];
  failures: DiscoveryFailure[];
  /** The region mapping listings discovery made, for the reconcile that follows to take instead of listing again. */
  mappingListings?: MappingListings;
}

/** Code of a policy whose (account, region) could not be listed. */
export const DISCOVERY_FAILED = "DiscoveryFailed";

/**
 * Manifests → discover → expand (design §7), between the loader and the
 * engine. It remembers the last expansion, so that a failed discovery leaves
 * the resources of that account and region as they were instead of dropping
 * them (no unmanage storm), and so that the log says which resources a policy
 * stopped matching.
 */
export class Fleet {
  readonly #o: FleetOptions;
  #last: Manifest[] = [];
  #lastMatches = new Map<string, string>();
  #active = false;

  constructor(options: FleetOptions) {
    this.#o = options;
  }

  /** True when the last load had policies: the controller then re-discovers at every resync, not only on a new revision. */
  get active(): boolean {
    return this.#active;
  }

  /** Expands the load's policies against what AWS has now; a load without policies is passed through untouched (no AWS call). */
  async resolve(load: LoadResult): Promise<FleetLoad> {
    const policies = load.policies ?? [];
    // A policy whose new version is invalid keeps its resources as they were, as a broken manifest does.
    const broken = new Set(
      load.errors.filter((e) => e.kind === RETRY_POLICY_KIND && e.name !== undefined).map((e) => e.name),
    );
    const isBroken = (m: Manifest) => m.policy !== undefined && broken.has(m.policy);
    this.#active = policies.length > 0;
    if (policies.length === 0) {
      if (broken.size === 0) this.#lastMatches.clear();
      return {
        ...load,
        manifests: this.#carry(load.manifests, isBroken, undefined),
        matches: [],
        failures: [],
      };
    }
    let hubAccount: string;
    try {
      hubAccount = await this.#o.callerAccount();
    } catch (err) {
      const error = classifyAwsError(err, "learning the hub account for the fleet policies");
      const errors = policies.map((p) =>
        policyError(p, {
          code: error.code,
          message: `cannot expand: ${scrubSecrets(error.message)}; its resources keep their last state`,
        }),
      );
      // Nothing can be matched: every resource a policy made stays as it was.
      const names = new Set(policies.map((p) => p.name));
      const kept = this.#carry(
        load.manifests,
        (m) => m.policy !== undefined && names.has(m.policy),
        undefined,
      );
      return { ...load, manifests: kept, errors: [...load.errors, ...errors], matches: [], failures: [] };
    }
    const ctx: ExpandContext = { hubAccount, defaultRegion: this.#o.defaultRegion };
    const mappingListings = new MappingListings();
    const discovered = await discoverInventory(this.#o.aws, discoveryTargets(policies, ctx), {
      accounts: this.#o.accounts,
      callerAccount: this.#o.callerAccount,
      mappingListings,
    });
    const expansion = expand(policies, load.manifests, discovered.inventory, ctx);
    const failureErrors = discovered.failures.flatMap((f) => failureErrorsOf(f, policies, ctx));
    const names = new Set(policies.map((p) => p.name));
    const failed = (m: Manifest) =>
      isBroken(m) ||
      (m.policy !== undefined &&
        names.has(m.policy) &&
        discovered.failures.some(
          (f) => f.region === m.region && f.account === (specAccount(m.kind, m.spec) ?? hubAccount),
        ));
    const manifests = this.#carry(expansion.manifests, failed, hubAccount);
    this.#logMatches(expansion.matches, discovered.failures);
    return {
      ...load,
      manifests,
      errors: [...load.errors, ...expansion.errors, ...failureErrors],
      matches: expansion.matches,
      failures: discovered.failures,
      mappingListings,
    };
  }

  /**
   * The new desired set, with the last expansion's resources put back where
   * discovery failed (`keep`), and a line for each resource a policy no longer matches.
   */
  #carry(next: Manifest[], keep: (m: Manifest) => boolean, hub: string | undefined): Manifest[] {
    const byKey = new Map(next.map((m) => [m.key, m]));
    for (const m of this.#last) if (m.policy !== undefined && keep(m)) byKey.set(m.key, m);
    for (const m of this.#last) {
      if (m.policy === undefined || byKey.has(m.key)) continue;
      this.#o.log.info(
        {
          kind: m.kind.kind,
          name: m.name,
          region: m.region,
          account: specAccount(m.kind, m.spec) ?? hub,
          policy: m.policy,
        },
        "no longer matched by its policy; resource no longer managed, AWS left as it is",
      );
    }
    // The load's order stands (the engine and the plan follow it); what is carried over comes after.
    const out = [...byKey.values()];
    this.#last = out;
    return out;
  }

  /** One info line per policy whenever what it matches changes (not on every resync). */
  #logMatches(matches: PolicyMatch[], failures: DiscoveryFailure[]): void {
    const seen = new Set<string>();
    for (const match of matches) {
      seen.add(match.policy);
      const summary = summaryLine(match);
      if (this.#lastMatches.get(match.policy) === summary) continue;
      this.#lastMatches.set(match.policy, summary);
      const fields = {
        policy: match.policy,
        functions: match.functions,
        accounts: match.accounts,
        regions: match.regions,
        resources: match.resources,
      };
      if (match.error) this.#o.log.warn({ ...fields, code: match.error.code }, summary);
      else this.#o.log.info(fields, summary);
    }
    for (const policy of this.#lastMatches.keys()) if (!seen.has(policy)) this.#lastMatches.delete(policy);
    for (const f of failures) {
      this.#o.log.warn(
        { account: f.account, region: f.region, code: f.error.code, error: scrubSecrets(f.error.message) },
        "fleet discovery failed; the policies' resources there keep their last state",
      );
    }
  }
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** `payments-defaults: 37 functions in 2 accounts, 3 regions` (design: diff/apply group by policy). */
export function summaryLine(match: PolicyMatch): string {
  const head = `${match.policy}: ${plural(match.functions, "function")} in ${plural(match.accounts, "account")}, ${plural(match.regions, "region")}`;
  return match.error ? `${head}; ${match.error.code}: ${match.error.message}` : head;
}

function policyError(
  policy: RetryPolicy,
  { code, message, path = "" }: { code: string; message: string; path?: string },
): ManifestError {
  return {
    file: policy.source.file,
    line: policy.source.line,
    path,
    message,
    code,
    kind: RETRY_POLICY_KIND,
    name: policy.name,
  };
}

/** A failed listing, said on every policy that selects that (account, region). */
function failureErrorsOf(
  f: DiscoveryFailure,
  policies: readonly RetryPolicy[],
  ctx: ExpandContext,
): ManifestError[] {
  return policies
    .filter((p) => matchesPlace(p.spec.selector, f.account, f.region, ctx))
    .map((p) =>
      policyError(p, {
        code: DISCOVERY_FAILED,
        message: `discovery in account ${f.account}, region ${f.region} failed (${f.error.code}: ${scrubSecrets(f.error.message)}); the policy's resources there keep their last state`,
        path: "spec.selector",
      }),
    );
}
