import { matchesAny } from "../policy/match.js";
import type { DiscoveredFunction } from "./inventory.js";
import type { Selector } from "./schema.js";

/** The accounts a selector names; the hub's own when it names none. */
export function selectedAccounts(selector: Selector | undefined, hubAccount: string): string[] {
  return selector?.accounts ?? [hubAccount];
}

/** The regions a selector names; the controller's when it names none. */
export function selectedRegions(selector: Selector | undefined, defaultRegion: string): string[] {
  return selector?.regions ?? [defaultRegion];
}

/** Whether a discovered function is one the selector means (design §7). */
export function matchesSelector(
  selector: Selector | undefined,
  f: DiscoveredFunction,
  ctx: { hubAccount: string; defaultRegion: string },
): boolean {
  if (!selectedAccounts(selector, ctx.hubAccount).includes(f.account)) return false;
  if (!selectedRegions(selector, ctx.defaultRegion).includes(f.region)) return false;
  if (selector?.functionNames && !matchesAny(f.functionName, selector.functionNames)) return false;
  if (selector?.excludeFunctionNames && matchesAny(f.functionName, selector.excludeFunctionNames))
    return false;
  for (const [key, value] of Object.entries(selector?.tags ?? {})) {
    if (!Object.hasOwn(f.tags, key)) return false;
    if (value !== "*" && f.tags[key] !== value) return false;
  }
  return true;
}

/** Whether a selector reaches into this account and region at all. */
export function matchesPlace(
  selector: Selector | undefined,
  account: string,
  region: string,
  ctx: { hubAccount: string; defaultRegion: string },
): boolean {
  return (
    selectedAccounts(selector, ctx.hubAccount).includes(account) &&
    selectedRegions(selector, ctx.defaultRegion).includes(region)
  );
}
