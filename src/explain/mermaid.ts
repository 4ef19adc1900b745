import { parseArn } from "../aws/arn.js";
import { attemptsText, humanSeconds, isBlocking, isDropped } from "./document.js";
import type { ExplainDocument, ExplainPath } from "./model.js";

/**
 * A flowchart to paste into a pull request: per function one node, per path a
 * source node with an edge to the function (attempts and time budget) and a
 * dotted edge to where the event ends when they run out. Node ids are stable
 * (`f<i>`, `f<i>p<j>`, `f<i>p<j>t`, `f<i>u<k>`), the order of the JSON.
 */
export function explainMermaid(doc: ExplainDocument): string {
  const lines = ["flowchart LR"];
  const dropped: string[] = [];
  const blocking: string[] = [];
  const uninspected: string[] = [];
  doc.functions.forEach((f, i) => {
    const fn = `f${i}`;
    const where = [f.account, f.region].filter(Boolean).join(" · ");
    lines.push(`  ${fn}["${label(`λ ${f.functionName}`)}<br/>${label(where)}"]:::fn`);
    if (f.error) {
      const id = `${fn}e`;
      lines.push(`  ${id}["${label(`${f.error.code}: ${f.error.message}`)}"] -.- ${fn}`);
      uninspected.push(id);
    }
    f.paths.forEach((p, j) => {
      const src = `${fn}p${j}`;
      const end = `${src}t`;
      lines.push(
        `  ${src}["${label(p.trigger)}<br/>${label(shortArn(p.source))}"] -->|"${label(budget(p))}"| ${fn}`,
      );
      lines.push(`  ${src} -.->|"${label(exhausted(p))}"| ${end}["${terminalLabel(p)}"]`);
      if (isDropped(p)) dropped.push(end);
      if (isBlocking(p)) blocking.push(src);
    });
    f.uninspected.forEach((u, k) => {
      const id = `${fn}u${k}`;
      const why = u.error ? `<br/>${label(u.error.code)}` : "";
      lines.push(
        `  ${id}["${label(`not inspected: ${u.trigger}`)}<br/>${label(shortArn(u.source))}${why}"] -.- ${fn}`,
      );
      uninspected.push(id);
    });
  });
  lines.push(
    "  classDef fn fill:#e8f0fe,stroke:#1a73e8",
    "  classDef dropped fill:#fde2e2,stroke:#c0392b,stroke-width:2px",
    "  classDef blocking stroke:#e67e22,stroke-width:3px",
    "  classDef uninspected fill:#eeeeee,stroke:#999999,stroke-dasharray:4",
  );
  if (dropped.length > 0) lines.push(`  class ${dropped.join(",")} dropped`);
  if (blocking.length > 0) lines.push(`  class ${blocking.join(",")} blocking`);
  if (uninspected.length > 0) lines.push(`  class ${uninspected.join(",")} uninspected`);
  return `${lines.join("\n")}\n`;
}

function budget(p: ExplainPath): string {
  const attempts = attemptsText(p.attempts);
  return p.maxAgeSeconds === null ? attempts : `${attempts} · ${humanSeconds(p.maxAgeSeconds)}`;
}

function exhausted(p: ExplainPath): string {
  return isBlocking(p) ? `blocks ${humanSeconds(p.blockingSeconds ?? 0)}, then` : "then";
}

function terminalLabel(p: ExplainPath): string {
  if (isDropped(p)) return "DROPPED";
  return `${label(p.terminal.type)}<br/>${label(shortArn(p.terminal.arn ?? ""))}`;
}

/** `sqs:orders-dlq` for an ARN (service and resource), the value itself for anything else. */
export function shortArn(value: string): string {
  const arn = parseArn(value);
  return arn ? `${arn.service}:${arn.resource}` : value;
}

/** Text inside a quoted mermaid label: quotes and the characters mermaid reads as markup become entities. */
function label(text: string): string {
  return text.replace(/[#"<>]/g, (c) => `#${c.charCodeAt(0)};`);
}
