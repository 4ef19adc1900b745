import { isDeepStrictEqual } from "node:util";
import { parseArn } from "../aws/arn.js";
import { specAccount } from "../kinds/account.js";
import type { AnyKind } from "../kinds/kind.js";
import { MODE_ANNOTATION, type Mode, SUSPEND_ANNOTATION } from "../manifests/envelope.js";
import { canonicalJson, documentHash } from "../manifests/hash.js";
import { describeIssues, PARSE_OPTIONS } from "../manifests/issues.js";
import type { Manifest, ManifestError, ResourceIssue, SourceRef } from "../manifests/manifest.js";
import { formatPath } from "../manifests/path.js";
import type { DiscoveredFunction, DiscoveredMapping, DiscoveryTarget, Inventory } from "./inventory.js";
import { matchesSelector, selectedAccounts, selectedRegions } from "./match.js";
import { RETRY_POLICY_KIND, type RetryPolicy, type Section } from "./schema.js";
import { SECTION_KINDS } from "./sections.js";
import { substituteAll, type Variable } from "./template.js";

/** Error codes of fleet expansion (design §7). */
export const POLICY_CONFLICT = "PolicyConflict";
export const TOO_MANY_MATCHES = "TooManyMatches";
export const INVALID_EXPANSION = "InvalidExpansion";

export interface ExpandContext {
  /** The account of the credentials retryctl runs with: the selector's default account. */
  hubAccount: string;
  /** The controller's region: the selector's default region. */
  defaultRegion: string;
}

/** What one policy matched, for the one-line summary of diff/apply and the controller's log. */
export interface PolicyMatch {
  policy: string;
  source: SourceRef;
  functions: number;
  accounts: number;
  regions: number;
  /** Expanded resources (async configs, DLQs, mappings, source queues) this policy contributes to. */
  resources: number;
  /** Set when the policy applies nothing (TooManyMatches). */
  error?: { code: string; message: string };
}

export interface Expansion {
  /** The explicit manifests in their order (some merged with policy fields), then the expanded resources by key. */
  manifests: Manifest[];
  /** Policy-level errors (TooManyMatches), with their codes. */
  errors: ManifestError[];
  /** One per policy, by name. */
  matches: PolicyMatch[];
}

/** One policy's values for one expanded resource, variables filled in. */
interface Contribution {
  policy: RetryPolicy;
  section: Section;
  fields: Record<string, unknown>;
}

/** One AWS object that policies configure: its kind, identity fields and what each policy wants. */
interface Target {
  kind: AnyKind;
  /** The name's part after `<policy>/`. */
  suffix: string;
  region: string;
  /** The spec fields that say which object it is (account and region included). */
  identity: Record<string, unknown>;
  contributions: Contribution[];
}

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The higher priority first, then the policy name: the order that decides the name and every tie-free field. */
function ranked(a: Contribution, b: Contribution): number {
  return b.policy.spec.priority - a.policy.spec.priority || byString(a.policy.name, b.policy.name);
}

function where(policy: RetryPolicy): string {
  return `${policy.name} (priority ${policy.spec.priority}, ${policy.source.file}:${policy.source.line})`;
}

/** The key an object has whatever the manifest spells (hub account made explicit, mappings by source). */
function canonicalKey(kind: AnyKind, spec: Record<string, unknown>, region: string, hub: string): string {
  const account = specAccount(kind, spec) ?? hub;
  return `${kind.kind}/${kind.identity({ ...spec, account }, region)}`;
}

function uniqueFunctions(functions: readonly DiscoveredFunction[]): DiscoveredFunction[] {
  const byKey = new Map<string, DiscoveredFunction>();
  for (const f of functions) byKey.set(`${f.account}/${f.region}/${f.functionName}`, f);
  return [...byKey.entries()].sort(([a], [b]) => byString(a, b)).map(([, f]) => f);
}

function mappingsByFunction(mappings: readonly DiscoveredMapping[]): Map<string, DiscoveredMapping[]> {
  const unique = new Map<string, DiscoveredMapping>();
  for (const m of mappings) unique.set(`${m.account}/${m.region}/${m.uuid}`, m);
  const byFunction = new Map<string, DiscoveredMapping[]>();
  for (const m of [...unique.values()].sort((a, b) => byString(a.uuid, b.uuid))) {
    const key = `${m.account}/${m.region}/${m.functionName}`;
    byFunction.set(key, [...(byFunction.get(key) ?? []), m]);
  }
  return byFunction;
}

/**
 * The (account, region) pairs the policies select, with the optional reads
 * each needs: tags only where a selector filters by tag, mappings only where a
 * policy configures mappings or source queues.
 */
export function discoveryTargets(policies: readonly RetryPolicy[], ctx: ExpandContext): DiscoveryTarget[] {
  const targets = new Map<string, DiscoveryTarget>();
  for (const policy of policies) {
    const { spec } = policy;
    const tags = Object.keys(spec.selector?.tags ?? {}).length > 0;
    const mappings = Boolean(spec.streamMappings || spec.queueMappings || spec.sourceQueues);
    for (const account of selectedAccounts(spec.selector, ctx.hubAccount)) {
      for (const region of selectedRegions(spec.selector, ctx.defaultRegion)) {
        const key = `${account}/${region}`;
        const target = targets.get(key) ?? { account, region, tags: false, mappings: false };
        target.tags ||= tags;
        target.mappings ||= mappings;
        targets.set(key, target);
      }
    }
  }
  return [...targets.entries()].sort(([a], [b]) => byString(a, b)).map(([, t]) => t);
}

/**
 * Policies × explicit manifests × inventory → the desired resources of the
 * per-resource kinds (design §7). Pure: no AWS, no clock; the same inputs in any
 * order give the same result.
 */
export function expand(
  policies: readonly RetryPolicy[],
  manifests: readonly Manifest[],
  inventory: Inventory,
  ctx: ExpandContext,
): Expansion {
  const functions = uniqueFunctions(inventory.functions);
  const mappings = mappingsByFunction(inventory.mappings);
  const targets = new Map<string, Target>();
  const errors: ManifestError[] = [];
  const matches: PolicyMatch[] = [];

  for (const policy of [...policies].sort((a, b) => byString(a.name, b.name))) {
    const matched = functions.filter((f) => matchesSelector(policy.spec.selector, f, ctx));
    const summary: PolicyMatch = {
      policy: policy.name,
      source: policy.source,
      functions: matched.length,
      accounts: new Set(matched.map((f) => f.account)).size,
      regions: new Set(matched.map((f) => f.region)).size,
      resources: 0,
    };
    matches.push(summary);
    const { maxMatches } = policy.spec;
    if (maxMatches !== undefined && matched.length > maxMatches) {
      const message = `matches ${matched.length} functions, more than maxMatches ${maxMatches}: the policy applies nothing until its selector or maxMatches is changed`;
      summary.error = { code: TOO_MANY_MATCHES, message };
      errors.push({
        file: policy.source.file,
        line: policy.source.line,
        path: "spec.maxMatches",
        message,
        code: TOO_MANY_MATCHES,
        kind: RETRY_POLICY_KIND,
        name: policy.name,
      });
      continue;
    }
    const keys = new Set<string>();
    for (const f of matched) {
      for (const target of targetsOf(
        policy,
        f,
        mappings.get(`${f.account}/${f.region}/${f.functionName}`) ?? [],
      )) {
        const key = canonicalKey(target.kind, target.identity, target.region, ctx.hubAccount);
        const existing = targets.get(key);
        if (existing) existing.contributions.push(...target.contributions);
        else targets.set(key, target);
        keys.add(key);
      }
    }
    summary.resources = keys.size;
  }

  const keys = manifests.map((m) => explicitKey(m, ctx.hubAccount, inventory));
  const explicit = new Set(keys);
  // Explicit manifests keep the load's order; the expanded ones follow, by key.
  const out = manifests.map((m, i) => {
    const target = targets.get(keys[i] as string);
    return target ? merged(m, target) : m;
  });
  const added = [...targets].filter(([key]) => !explicit.has(key)).map(([, target]) => expanded(target));
  out.push(...added.sort((a, b) => byString(a.key, b.key)));
  return { manifests: out, errors, matches };
}

/**
 * The key of an explicit manifest in the terms of expanded resources. A mapping
 * named by uuid is found in the inventory, so it meets the policy's resource
 * for the same mapping (named by function and source).
 */
function explicitKey(m: Manifest, hub: string, inventory: Inventory): string {
  try {
    const { spec } = m;
    if (m.kind === SECTION_KINDS.streamMappings && typeof spec.uuid === "string") {
      const account = specAccount(m.kind, spec) ?? hub;
      const found = inventory.mappings.find(
        (x) => x.uuid === spec.uuid && x.account === account && x.region === m.region,
      );
      if (found) {
        const bySource = { functionName: found.functionName, eventSourceArn: found.eventSourceArn, account };
        return canonicalKey(m.kind, bySource, m.region, hub);
      }
    }
    return canonicalKey(m.kind, spec, m.region, hub);
  } catch {
    // A kind that cannot compute the identity again keeps the manifest apart (it still reconciles as written).
    return m.key;
  }
}

/** The objects one matched function gives a policy to configure, with the policy's values filled in. */
function targetsOf(policy: RetryPolicy, f: DiscoveredFunction, ownMappings: DiscoveredMapping[]): Target[] {
  const { spec } = policy;
  const base = { account: f.account, region: f.region, functionName: f.functionName };
  const out: Target[] = [];
  const add = (
    section: Section,
    suffix: string,
    identity: Record<string, unknown>,
    variables: Partial<Record<Variable, string>>,
  ) => {
    const fields = substituteAll(spec[section], variables) as Record<string, unknown>;
    const region = identity.region as string;
    out.push({
      kind: SECTION_KINDS[section],
      suffix,
      region,
      identity,
      contributions: [{ policy, section, fields }],
    });
  };
  const fnVars = { account: f.account, region: f.region, functionName: f.functionName };
  if (spec.asyncInvoke) add("asyncInvoke", f.functionName, { ...base }, fnVars);
  if (spec.deadLetterConfig) add("deadLetterConfig", f.functionName, { ...base }, fnVars);
  for (const m of ownMappings) {
    const identity = { ...base, eventSourceArn: m.eventSourceArn };
    const suffix = `${f.functionName}/${m.uuid}`;
    const stream = m.source === "kinesis" || m.source === "dynamodb";
    if (stream && spec.streamMappings) add("streamMappings", suffix, identity, fnVars);
    if (m.source === "sqs" && spec.queueMappings) add("queueMappings", suffix, identity, fnVars);
    const queue = m.source === "sqs" ? parseArn(m.eventSourceArn) : undefined;
    if (queue && spec.sourceQueues) {
      // The source queue lives where its ARN says, which may be another account than the function's.
      add(
        "sourceQueues",
        queue.resource,
        { account: queue.account, region: queue.region, queue: m.eventSourceArn },
        {
          account: queue.account,
          region: queue.region,
          functionName: f.functionName,
          queueName: queue.resource,
        },
      );
    }
  }
  return out;
}

interface Resolved {
  fields: Record<string, unknown>;
  issues: ResourceIssue[];
}

/**
 * Field by field: a field the explicit manifest names is its own; else the
 * highest priority wins; two policies of equal priority that disagree are a
 * PolicyConflict and the field is left as AWS has it.
 */
function resolve(target: Target, explicitSpec: Record<string, unknown> | undefined): Resolved {
  const issues: ResourceIssue[] = [];
  const valid: Contribution[] = [];
  for (const c of [...target.contributions].sort(ranked)) {
    const problem = invalidContribution(target, c);
    if (problem) issues.push(problem);
    else valid.push(c);
  }
  const fieldNames = [...new Set(valid.flatMap((c) => Object.keys(c.fields)))].sort(byString);
  const fields: Record<string, unknown> = {};
  for (const field of fieldNames) {
    if (explicitSpec?.[field] !== undefined) continue;
    const setting = valid.filter((c) => c.fields[field] !== undefined);
    const top = setting[0]?.policy.spec.priority;
    const winners = setting.filter((c) => c.policy.spec.priority === top);
    const values = new Map(winners.map((c) => [canonicalJson(c.fields[field]), c]));
    if (values.size === 1) {
      fields[field] = winners[0]?.fields[field];
      continue;
    }
    const said = [...values.values()].map(
      (c) => `${where(c.policy)} sets ${JSON.stringify(c.fields[field])}`,
    );
    issues.push({
      code: POLICY_CONFLICT,
      message: `${field}: ${said.join(", ")}; at equal priority neither wins, so ${field} is left as AWS has it`,
      blocking: false,
    });
  }
  return { fields, issues };
}

/** A policy's values that fail the kind's own schema once variables are filled in (design §7). */
function invalidContribution(target: Target, c: Contribution): ResourceIssue | undefined {
  const spec = { ...target.identity, ...c.fields };
  const parsed = target.kind.specSchema.safeParse(spec, PARSE_OPTIONS);
  if (parsed.success) return undefined;
  const described = describeIssues(parsed.error.issues, { schema: target.kind.specSchema, data: spec });
  const details = described.map(
    (i) => `spec.${c.section}${i.path.length ? `.${formatPath(i.path)}` : ""} ${i.message}`,
  );
  return {
    code: INVALID_EXPANSION,
    message: `policy ${c.policy.name} (${c.policy.source.file}:${c.policy.source.line}) gives ${target.kind.kind} an invalid value once its variables are filled in: ${details.join("; ")}`,
    blocking: true,
  };
}

/** The spec as the kind parses it, or the issue that says why the combination is invalid. */
function parseMerged(
  kind: AnyKind,
  spec: Record<string, unknown>,
  blame: string,
): { spec: Record<string, unknown> } | { issue: ResourceIssue } {
  const parsed = kind.specSchema.safeParse(spec, PARSE_OPTIONS);
  if (parsed.success) return { spec: parsed.data as Record<string, unknown> };
  const described = describeIssues(parsed.error.issues, { schema: kind.specSchema, data: spec });
  const details = described.map((i) => `spec.${formatPath(i.path)} ${i.message}`).join("; ");
  return {
    issue: {
      code: INVALID_EXPANSION,
      message: `${blame} together make an invalid ${kind.kind}: ${details}`,
      blocking: true,
    },
  };
}

function withIssues(m: Manifest, issues: ResourceIssue[]): Manifest {
  return issues.length === 0 ? m : { ...m, issues };
}

/** An explicit manifest that policies also match: its own fields win, the policies fill the rest. */
function merged(m: Manifest, target: Target): Manifest {
  const { fields, issues } = resolve(target, m.spec);
  const primary = [...target.contributions].sort(ranked)[0]?.policy as RetryPolicy;
  if (Object.keys(fields).length === 0 && issues.length === 0) return m;
  const parsed = parseMerged(
    m.kind,
    { ...m.spec, ...fields },
    `${m.kind.kind} ${m.name} and policy ${primary.name}`,
  );
  const hash = documentHash({ manifest: m.hash, fields, issues });
  if ("issue" in parsed) return withIssues({ ...m, policy: primary.name, hash }, [...issues, parsed.issue]);
  return withIssues({ ...m, spec: parsed.spec, policy: primary.name, hash }, issues);
}

/** A resource only policies name: `<policy>/<suffix>`, with the policy's source, labels and annotations. */
function expanded(target: Target): Manifest {
  const { fields, issues } = resolve(target, undefined);
  const primary = [...target.contributions].sort(ranked)[0]?.policy as RetryPolicy;
  const { kind, region } = target;
  let spec: Record<string, unknown> = { ...target.identity, ...fields };
  if (!issues.some((i) => i.blocking)) {
    const names = [...new Set(target.contributions.map((c) => c.policy.name))].sort(byString);
    const parsed = parseMerged(kind, spec, `the values of ${names.join(", ")}`);
    if ("issue" in parsed) issues.push(parsed.issue);
    else spec = parsed.spec;
  }
  // A resource blocked by an invalid value keeps only what says which object it is.
  if (issues.some((i) => i.blocking)) spec = { ...target.identity };
  const name = `${primary.name}/${target.suffix}`;
  const annotations = primary.annotations;
  const mode = annotations[MODE_ANNOTATION] as Mode | undefined;
  const manifest: Manifest = {
    kind,
    name,
    region,
    key: `${kind.kind}/${kind.identity(spec, region)}`,
    spec,
    labels: primary.labels,
    annotations,
    suspended: annotations[SUSPEND_ANNOTATION] === "true",
    ...(mode === undefined ? {} : { mode }),
    source: { ...primary.source },
    hash: documentHash({ kind: kind.kind, name, spec, policy: primary.hash, issues }),
    policy: primary.name,
  };
  return withIssues(manifest, issues);
}

/** Two desired sets are the same when every resource is (for tests and the controller's change check). */
export function sameManifests(a: readonly Manifest[], b: readonly Manifest[]): boolean {
  return isDeepStrictEqual(
    a.map((m) => [m.key, m.hash]),
    b.map((m) => [m.key, m.hash]),
  );
}
