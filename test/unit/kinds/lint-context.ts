import type { LintContext } from "../../../src/kinds/kind.js";

/** A lint context for one manifest alone (no facts from others), or with the given facts. */
export function lintContext(facts: string[] = [], region = "us-east-1"): LintContext {
  return { region, provided: (fact) => facts.includes(fact) };
}
