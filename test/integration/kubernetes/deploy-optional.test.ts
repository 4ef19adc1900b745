import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { DEPLOY, type Obj } from "../../ship/kubernetes.js";
import { kubectl, uniqueName } from "../../support/kube.js";
import { apply, applyDryRun, kubectlName, only, renderInto } from "./deploy.js";

/**
 * deploy/kubernetes/optional (ServiceMonitor, PrometheusRule) against the
 * Prometheus Operator's own CRDs, which the API server then validates every
 * object by (structural schemas, required fields, patterns, strict fields).
 * The CRDs come from the operator's published API types, generated with
 * controller-gen (scripts/ensure-tool.sh prometheus-operator-crds).
 */
let namespace: string;
let objects: Obj[];

beforeAll(async () => {
  const dir = inject("prometheusOperatorCrds");
  const crds: Obj[] = [];
  for (const plural of ["servicemonitors", "prometheusrules"]) {
    const text = await readFile(join(dir, `monitoring.coreos.com_${plural}.yaml`), "utf8");
    crds.push(...parseAllDocuments(text).map((d) => d.toJS() as Obj));
  }
  const installed = await apply(crds);
  expect(installed.code, installed.stderr).toBe(0);
  const established = await kubectl([
    "wait",
    "--for=condition=Established",
    "--timeout=30s",
    ...crds.map((c) => `crd/${c.metadata.name}`),
  ]);
  expect(established.code, established.stderr).toBe(0);

  namespace = uniqueName("retryctl");
  // The base's Namespace first, as `kubectl apply -k deploy/kubernetes` would have made it.
  const created = await apply([only(await renderInto(namespace), "Namespace")]);
  expect(created.code, created.stderr).toBe(0);
  objects = await renderInto(namespace, join(DEPLOY, "optional"));
});

const withChanged = (kind: string, change: (o: Obj) => void) =>
  objects.map((o) => {
    if (o.kind !== kind) return o;
    const copy = structuredClone(o);
    change(copy);
    return copy;
  });

describe("deploy/kubernetes/optional on a real API server with the Prometheus Operator's CRDs", () => {
  it("is accepted whole by `kubectl apply --dry-run=server --warnings-as-errors`", async () => {
    expect(objects.map((o) => o.kind).sort()).toEqual(["PrometheusRule", "ServiceMonitor"]);
    const result = await applyDryRun(objects);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe("");
    const accepted = result.stdout
      .trim()
      .split("\n")
      .map((line) => /^(\S+) created \(server dry run\)$/.exec(line)?.[1] ?? line);
    expect(accepted.sort()).toEqual(objects.map(kubectlName).sort());
  });
});

/** Broken copies, and what the CRDs' schemas say about each. */
const broken: { what: string; kind: string; change: (o: Obj) => void; message: RegExp }[] = [
  {
    what: "a rule with a misspelt field (expression)",
    kind: "PrometheusRule",
    change: (o) => {
      const rule = o.spec.groups[0].rules[0];
      rule.expression = rule.expr;
      delete rule.expr;
    },
    message: /unknown field "spec\.groups\[0\]\.rules\[0\]\.expression"/,
  },
  {
    what: "a rule group without a name",
    kind: "PrometheusRule",
    change: (o) => {
      delete o.spec.groups[0].name;
    },
    message: /spec\.groups\[0\]\.name: Required value/,
  },
  {
    what: "a scrape interval that is not a Prometheus duration",
    kind: "ServiceMonitor",
    change: (o) => {
      o.spec.endpoints[0].interval = "30 seconds";
    },
    message: /spec\.endpoints\[0\]\.interval: Invalid value: "30 seconds"/,
  },
];

describe("a broken copy of an optional object is refused", () => {
  it.each(broken)("$kind: $what", async ({ kind, change, message }) => {
    const result = await applyDryRun(withChanged(kind, change));
    expect(result.code, result.stdout).not.toBe(0);
    expect(result.stderr).toMatch(message);
  });
});
