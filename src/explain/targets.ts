import { functionAddress, parseArn, parseFunctionRef } from "../aws/arn.js";
import { specAccount } from "../kinds/account.js";
import type { Manifest } from "../manifests/manifest.js";
import type { GuardTarget } from "../policy/guard.js";

/** A function explain reads, and the manifest that names it (its account is placed through that manifest). */
export interface ExplainTarget {
  region: string;
  /** The bare function name. */
  functionName: string;
  /** The account the manifest names (spec.account or the function ARN's), if any. */
  account?: string;
  /** How AWS is asked for it: the bare name, or the ARN when the manifest named it by ARN (see `functionAddress`). */
  address: string;
  /** The manifest whose guard check places it (hub or member account). */
  via: GuardTarget;
}

/**
 * The function a manifest is about: `spec.functionName` (invoke configs, DLQs,
 * mappings), or a subscription's `endpoint` when that is a function ARN.
 */
function namedFunction(spec: Record<string, unknown>): string | undefined {
  if (typeof spec.functionName === "string") return spec.functionName;
  if (typeof spec.endpoint === "string" && parseArn(spec.endpoint)?.service === "lambda")
    return spec.endpoint;
  return undefined;
}

/**
 * Every function the manifests name, once per (account, region, name), in
 * manifest order. The one place explain's set of functions is decided: the
 * functions fleet policies match join here.
 */
export function explainTargets(manifests: readonly Manifest[], only?: string): ExplainTarget[] {
  const targets = new Map<string, ExplainTarget>();
  const wanted = only === undefined ? undefined : (parseFunctionRef(only)?.name ?? only);
  for (const m of manifests) {
    const named = namedFunction(m.spec);
    const ref = named === undefined ? undefined : parseFunctionRef(named);
    if (!ref) continue;
    if (wanted !== undefined && ref.name !== wanted) continue;
    const region = ref.region ?? m.region;
    const account = specAccount(m.kind, m.spec) ?? ref.account;
    const key = `${account ?? ""}/${region}/${ref.name}`;
    if (targets.has(key)) continue;
    const address = functionAddress(named as string, region);
    const target: ExplainTarget = { region, functionName: ref.name, address, via: m };
    if (account !== undefined) target.account = account;
    targets.set(key, target);
  }
  return [...targets.values()];
}

/**
 * Targets that name the hub's own account by ARN and targets that name no
 * account are one function: once the hub's account is known, keep the first.
 */
export function oncePerFunction(targets: readonly ExplainTarget[], hubAccount: string): ExplainTarget[] {
  const seen = new Set<string>();
  return targets.filter((t) => {
    const key = `${t.account ?? hubAccount}/${t.region}/${t.functionName}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** True when some targets name an account and others do not: only the hub's account can tell whether they meet. */
export function mixesAccounts(targets: readonly ExplainTarget[]): boolean {
  return targets.some((t) => t.account !== undefined) && targets.some((t) => t.account === undefined);
}
