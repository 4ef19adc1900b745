import type { ResourceResult } from "../engine/result.js";
import type { PolicyMatch } from "../fleet/expand.js";
import { summaryLine } from "../fleet/fleet.js";
import type { ManifestError, ManifestWarning } from "../manifests/manifest.js";

export type OutputFormat = "text" | "json";

/** What produced the results: `diff`, `apply`, or `apply --dry-run` (which changed nothing). */
export type PlanVerb = "plan" | "apply" | "dry-run";

export interface Summary {
  create: number;
  update: number;
  none: number;
  error: number;
  observed: number;
  suspended: number;
  /** Of the errors, those the interrupt (SIGINT/SIGTERM) stopped before they converged (code `Interrupted`). */
  interrupted: number;
}

const isInterrupted = (r: ResourceResult) => r.error?.code === "Interrupted";

export function summarise(results: readonly ResourceResult[], manifestErrors: number): Summary {
  const summary: Summary = {
    create: 0,
    update: 0,
    none: 0,
    error: manifestErrors,
    observed: 0,
    suspended: 0,
    interrupted: 0,
  };
  for (const r of results) {
    summary[r.action] += 1;
    if (isInterrupted(r)) summary.interrupted += 1;
  }
  return summary;
}

/** The JSON document of `diff` and `apply` (design §2). */
export function planJson(
  revision: string,
  results: readonly ResourceResult[],
  manifestErrors: readonly ManifestError[],
  matches: readonly PolicyMatch[] = [],
  /** The signal that interrupted the run, if one did. */
  interrupted?: string,
): unknown {
  return {
    revision,
    ...(interrupted ? { interrupted } : {}),
    resources: results.map((r) => ({
      kind: r.kind,
      name: r.name,
      region: r.region,
      account: r.account,
      ...(r.policy === undefined ? {} : { policy: r.policy }),
      action: r.action,
      changes: r.changes.map((c) => ({
        field: c.field,
        actual: c.actual ?? null,
        desired: c.desired ?? null,
      })),
      // Always present, so that a dry run's create/update reads as not done.
      applied: r.applied,
      ...(r.error ? { error: { code: r.error.code, message: r.error.message } } : {}),
      source: r.source,
    })),
    manifestErrors,
    ...(matches.length > 0 ? { policies: matches } : {}),
    summary: summarise(results, manifestErrors.length),
  };
}

const SYMBOL: Record<ResourceResult["action"], string> = {
  create: "+",
  update: "~",
  observed: "~",
  error: "!",
  none: " ",
  suspended: "-",
};

/** A terraform-like plan: one block per resource that differs, `field: actual -> desired`. */
export function planText(
  revision: string,
  results: readonly ResourceResult[],
  manifestErrors: readonly ManifestError[],
  verb: PlanVerb,
  matches: readonly PolicyMatch[] = [],
  /** The signal that interrupted the run, if one did. */
  interrupted?: string,
): string {
  const lines: string[] = [`Revision: ${revision}`, ""];
  for (const e of manifestErrors) lines.push(`! ${formatManifestError(e)}`);
  if (manifestErrors.length > 0) lines.push("");
  const block = (r: ResourceResult, indent: string) => {
    if (r.action === "none") return;
    const account = r.account === null ? "" : `, account ${r.account}`;
    const where = `${r.kind}/${r.name} (${r.region}${account}, ${r.source.file}:${r.source.line})`;
    const note = describe(r, verb);
    lines.push(`${indent}${SYMBOL[r.action]} ${where}${note ? ` ${note}` : ""}`);
    for (const c of r.changes) lines.push(`${indent}    ${c.field}: ${show(c.actual)} -> ${show(c.desired)}`);
    if (r.error) lines.push(`${indent}    error ${r.error.code}: ${r.error.message}`);
  };
  const expanded = Map.groupBy(
    results.filter((r) => r.policy !== undefined),
    (r) => r.policy as string,
  );
  for (const r of results) if (r.policy === undefined) block(r, "");
  // Expanded resources under their policy, after a one-line summary of what it matched (design §7).
  for (const match of matches) {
    const own = expanded.get(match.policy) ?? [];
    const inSync = own.filter((r) => r.action === "none").length;
    const counts =
      own.length === 0 ? "" : ` (${own.length} resource${own.length === 1 ? "" : "s"}, ${inSync} in sync)`;
    lines.push("", `Policy ${summaryLine(match)}${counts}`);
    for (const r of own) block(r, "  ");
  }
  const s = summarise(results, manifestErrors.length);
  const parts = [
    `${s.create} to create`,
    `${s.update} to update`,
    `${s.none} in sync`,
    ...(s.observed ? [`${s.observed} drifted (observe only)`] : []),
    ...(s.suspended ? [`${s.suspended} suspended`] : []),
    ...(s.interrupted ? [`${s.interrupted} interrupted`] : []),
    `${s.error - s.interrupted} error${s.error - s.interrupted === 1 ? "" : "s"}`,
  ];
  let title = "Plan";
  if (verb === "apply") {
    title = "Apply";
    parts[0] = `${s.create} created`;
    parts[1] = `${s.update} updated`;
  } else if (verb === "dry-run") {
    title = "Dry run, nothing changed";
    parts[0] = `${s.create} would create`;
    parts[1] = `${s.update} would update`;
  }
  if (interrupted) title += `, interrupted (${interrupted})`;
  lines.push("", `${title}: ${parts.join(", ")}.`);
  return `${lines.join("\n")}\n`;
}

function describe(r: ResourceResult, verb: PlanVerb): string {
  switch (r.action) {
    case "create":
      if (verb === "dry-run") return "would create";
      return verb === "apply" && r.applied ? "created" : "will be created";
    case "update":
      if (verb === "dry-run") return "would update";
      return verb === "apply" && r.applied ? "updated" : "will be updated";
    case "observed":
      return "has drifted (observe mode: not changed)";
    case "suspended":
      return "is suspended";
    case "error":
      return isInterrupted(r) ? "interrupted" : "failed";
    default:
      return "";
  }
}

function show(value: unknown): string {
  return value === undefined || value === null ? "null" : JSON.stringify(value);
}

/** `file:line:column:` as compilers write it; nothing for a problem with a folder (line 0), whose message names it. */
function location(e: { file: string; line: number; column?: number }): string {
  if (e.line === 0) return "";
  return `${e.file}:${e.line}${e.column === undefined ? "" : `:${e.column}`}: `;
}

export function formatManifestError(e: ManifestError): string {
  return `${location(e)}${e.path ? `${e.path}: ` : ""}${e.message}`;
}

export function formatWarning(w: ManifestWarning): string {
  return `${location(w)}warning ${w.code}: ${w.message}`;
}
