import { scrubSecrets } from "../log/secrets.js";
import { attemptsText, blocksUntilExpiry, humanSeconds, isBlocking, isDropped } from "./document.js";
import { shortArn } from "./mermaid.js";
import type { ExplainDocument, ExplainPath, Fact, FunctionExplanation } from "./model.js";

/**
 * A tree per function. Dropped paths and paths that block until their record
 * expires carry `!!` markers in capitals, so they stand out in a terminal
 * without colour and in a log.
 */
export function explainText(doc: ExplainDocument): string {
  const lines: string[] = [];
  for (const e of doc.manifestErrors)
    lines.push(`! ${e.file}:${e.line}: ${e.path ? `${e.path}: ` : ""}${e.message}`);
  if (doc.manifestErrors.length > 0) lines.push("");
  for (const f of doc.functions) lines.push(...functionLines(f), "");
  const s = doc.summary;
  lines.push(
    `${s.functions} function(s), ${s.paths} path(s): ${s.dropped} dropped, ${s.blocking} blocking, ${s.uninspected} not inspected, ${s.errors} error(s).`,
  );
  return `${scrubSecrets(lines.join("\n"))}\n`;
}

function functionLines(f: FunctionExplanation): string[] {
  const where = [f.account ? `account ${f.account}` : undefined, f.region].filter(Boolean).join(", ");
  const lines = [`${f.functionName} (${where})`];
  if (f.error) {
    lines.push(`└── ! ${f.error.code}: ${f.error.message}`);
    return lines;
  }
  const items: string[][] = f.paths.map(pathLines);
  if (f.uninspected.length > 0) {
    items.push([
      "not inspected",
      ...f.uninspected.map(
        (u) =>
          `${u.trigger} ${u.source}: ${u.reason}${u.error ? ` (${u.error.code}: ${u.error.message})` : ""}`,
      ),
    ]);
  }
  items.forEach((item, i) => {
    const last = i === items.length - 1;
    const [head, ...body] = item;
    lines.push(`${last ? "└──" : "├──"} ${head}`);
    for (const line of body) lines.push(`${last ? "    " : "│   "}  ${line}`);
  });
  return lines;
}

function pathLines(p: ExplainPath): string[] {
  const attempts = attemptsText(p.attempts);
  const within = p.maxAgeSeconds === null ? "" : ` within ${humanSeconds(p.maxAgeSeconds)}`;
  const end = isDropped(p) ? "!! DROPPED" : `${p.terminal.type} ${p.terminal.arn}`;
  const outcome = [`${attempts}${within}, then ${end}`];
  if (isBlocking(p)) {
    const what = p.facts.some((f) => f.field === "VisibilityTimeout") ? "message group" : "shard";
    const upTo = humanSeconds(p.blockingSeconds ?? 0);
    // Every stream path holds its shard while it retries; only one that ends by expiry is a finding.
    outcome.push(
      blocksUntilExpiry(p)
        ? `!! BLOCKS its ${what} for up to ${upTo}, until the record expires`
        : `blocks its ${what} for up to ${upTo}`,
    );
  }
  if (p.bisect !== undefined) outcome.push(`bisect ${p.bisect ? "on" : "off"}`);
  return [
    `${p.trigger} ${p.source}`,
    outcome.join("; "),
    ...p.facts.map((f) => factLine(f, p.source)),
    ...p.notes.map((n) => `note: ${n}`),
  ];
}

/** A fact and where it comes from: read (of the path's source unless named), or an AWS default and where it is documented. */
function factLine(f: Fact, source: string): string {
  const of = f.of === source ? "" : ` of ${shortArn(f.of)}`;
  const from = f.source === "aws" ? `read${of}` : `AWS default, ${f.reference ?? "documented by AWS"}`;
  return `· ${f.field} = ${f.value === null ? "none" : String(f.value)}  (${from})`;
}
