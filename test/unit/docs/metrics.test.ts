import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { docFiles, lineOf, proseLines, ROOT, readDoc, sourceFiles } from "./markdown.js";

const METRICS_DOC = "docs/metrics.md";
const RULES = "deploy/kubernetes/optional/prometheus-rule.yaml";

/** Every metric src/ registers (`name: "retryctl_…"`), with where. */
function sourceMetrics(): Map<string, string> {
  const out = new Map<string, string>();
  for (const file of sourceFiles()) {
    const text = readFileSync(join(ROOT, file), "utf8");
    for (const m of text.matchAll(/\bname:\s*"(retryctl_[a-z0-9_]+)"/g)) {
      out.set(m[1] as string, `${file}:${lineOf(text, m.index)}`);
    }
  }
  return out;
}

/** Every alert of the shipped PrometheusRule. */
function shippedAlerts(): string[] {
  const names: string[] = [];
  for (const doc of parseAllDocuments(readFileSync(join(ROOT, RULES), "utf8"))) {
    const groups =
      (doc.toJS() as { spec?: { groups?: { rules?: { alert?: string }[] }[] } }).spec?.groups ?? [];
    for (const group of groups) for (const rule of group.rules ?? []) if (rule.alert) names.push(rule.alert);
  }
  return names;
}

/** The names in the first column of the doc's tables (`| \`name\` | …`), with their lines. */
function tableNames(file: string, pattern: RegExp): Map<string, number> {
  const out = new Map<string, number>();
  for (const l of proseLines(file)) {
    const m = /^\|\s*`([^`]+)`\s*\|/.exec(l.text);
    if (m && pattern.test(m[1] as string)) out.set(m[1] as string, l.line);
  }
  return out;
}

/** A histogram's series carry `_bucket`, `_sum` and `_count`: they name the histogram. */
const SERIES_SUFFIX = /_(bucket|sum|count)$/;

describe("metrics and alerts", () => {
  const metrics = sourceMetrics();

  it(`every metric src/ registers is a row of ${METRICS_DOC}'s table`, () => {
    const rows = tableNames(METRICS_DOC, /^retryctl_/);
    const missing = [...metrics].filter(([name]) => !rows.has(name)).map(([name, at]) => `${name} (${at})`);
    expect(
      missing,
      `add a row "| \`name\` | type | labels | meaning |" to the metrics table of ${METRICS_DOC}`,
    ).toEqual([]);
  });

  it("every retryctl_… metric the docs name exists", () => {
    const unknown: string[] = [];
    for (const doc of docFiles()) {
      readDoc(doc)
        .split("\n")
        .forEach((line, i) => {
          for (const m of line.matchAll(/\bretryctl_[a-z0-9_]*[a-z0-9]/g)) {
            const name = m[0];
            if (!metrics.has(name) && !metrics.has(name.replace(SERIES_SUFFIX, ""))) {
              unknown.push(`${doc}:${i + 1}: ${name}`);
            }
          }
        });
    }
    expect(unknown, "no metric of that name in src/ (src/metrics/metrics.ts): fix the name").toEqual([]);
  });

  it(`every alert of ${RULES} is a row of ${METRICS_DOC}'s alert table, and every row is an alert`, () => {
    const alerts = shippedAlerts();
    expect(alerts.length).toBeGreaterThan(0);
    const rows = tableNames(METRICS_DOC, /^Retryctl[A-Z]/);
    const missing = alerts.filter((a) => !rows.has(a)).map((a) => `${a} (${RULES})`);
    const stale = [...rows]
      .filter(([a]) => !alerts.includes(a))
      .map(([a, line]) => `${METRICS_DOC}:${line}: ${a}`);
    expect(
      { missing, stale },
      `the alert table of ${METRICS_DOC} must list exactly the alerts of ${RULES}`,
    ).toEqual({
      missing: [],
      stale: [],
    });
  });
});
