import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { parseDuration } from "../../../src/cli/duration.js";
import { createMetrics } from "../../../src/metrics/metrics.js";
import { flags, loadDeploy, type Obj } from "../../ship/kubernetes.js";
import { provided } from "../../support/tools.js";

/**
 * The optional PrometheusRule: its expressions pass `promtool check rules`,
 * name only metrics retryctl exports, and fire when they should and not
 * before (`promtool test rules` on synthetic series).
 */
const run = promisify(execFile);
const docs = await loadDeploy();
const rule = docs.find((d) => d.obj.kind === "PrometheusRule")!.obj;
const deployment = docs.find((d) => d.obj.kind === "Deployment")!.obj;
const groups = rule.spec.groups as Obj[];
const rules = groups.flatMap((g) => g.rules as Obj[]);
const byName = (alert: string) => rules.find((r) => r.alert === alert)!;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "retryctl-rules-"));
  await writeFile(join(dir, "rules.yaml"), stringify({ groups }));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Runs the promtool the tools globalSetup provided (installed for the run if the machine had none). */
async function promtool(...args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run(provided("promtool"), args, { cwd: dir });
    return stdout + stderr;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    throw new Error(`promtool ${args.join(" ")} failed:\n${e.stdout ?? ""}${e.stderr ?? ""}`);
  }
}

/** The alert's annotations as Prometheus renders them for `labels` (the rules use only `{{ $labels.x }}`). */
function rendered(alert: string, labels: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, template] of Object.entries(byName(alert).annotations as Record<string, string>)) {
    out[key] = template.replace(/\{\{\s*\$labels\.(\w+)\s*\}\}/g, (_, name: string) => labels[name] ?? "");
    expect(out[key], `${alert} ${key}`).not.toContain("{{");
  }
  return out;
}

function firing(alert: string, ...series: Record<string, string>[]) {
  const severity = byName(alert).labels.severity as string;
  return series.map((labels) => ({
    exp_labels: { ...labels, severity },
    exp_annotations: rendered(alert, labels),
  }));
}

const target = { instance: "retryctl:8080", job: "retryctl" };

describe("deploy/kubernetes/optional/prometheus-rule.yaml", () => {
  it("passes `promtool check rules`", async () => {
    const out = await promtool("check", "rules", "rules.yaml");
    expect(out).toContain(`SUCCESS: ${rules.length} rules found`);
  });

  it("alerts on lasting drift, reconcile errors, resources in Error, bad manifests, a stale sync waiting DLQ messages and no leader", () => {
    expect(rules.map((r) => r.alert).sort()).toEqual([
      "RetryctlDeadLetterMessages",
      "RetryctlDriftPersists",
      "RetryctlManifestErrors",
      "RetryctlNoLeader",
      "RetryctlReconcileErrors",
      "RetryctlResourcesInError",
      "RetryctlSyncStale",
    ]);
    expect(byName("RetryctlDriftPersists")).toMatchObject({ for: "30m" });
    expect(byName("RetryctlDriftPersists").expr).toContain('retryctl_resources{status="Drifted"} > 0');
    expect(byName("RetryctlReconcileErrors").expr).toContain(
      'increase(retryctl_reconcile_total{result="error"}[15m]) > 0',
    );
    expect(byName("RetryctlDeadLetterMessages")).toMatchObject({
      expr: "max by (account, region, queue) (retryctl_dead_letter_messages) > 0",
      for: "15m",
    });
  });

  it("names only metrics retryctl exports", async () => {
    const metrics = createMetrics();
    metrics.collectDefaults();
    const exported = new Set((await metrics.registry.getMetricsAsJSON()).map((m) => m.name));
    const names = rules.flatMap((r) => [
      ...(r.expr as string).matchAll(/\b([a-z_]+_[a-z_]+)(?=\s*[{)>\s])/g),
    ]);
    const used = new Set(names.map((m) => m[1]!));
    expect([...used].sort()).toEqual([
      "process_start_time_seconds",
      "retryctl_dead_letter_messages",
      "retryctl_last_sync_timestamp_seconds",
      "retryctl_leader",
      "retryctl_manifest_errors",
      "retryctl_reconcile_total",
      "retryctl_resources",
    ]);
    for (const name of used) expect(exported.has(name), name).toBe(true);
  });

  it("calls a sync stale after three of the Deployment's resync intervals", () => {
    const container = (deployment.spec.template.spec.containers as Obj[]).find((c) => c.name === "retryctl")!;
    const resyncSeconds = parseDuration(flags(container.args).get("resync-interval")!) / 1000;
    const thresholds = [...(byName("RetryctlSyncStale").expr as string).matchAll(/> (\d+)/g)].map((m) =>
      Number(m[1]),
    );
    expect(thresholds).toEqual([3 * resyncSeconds, 3 * resyncSeconds]);
  });

  it("fires each alert when its condition has lasted, and not for a blip", async () => {
    // retryctl_resources is per account (design §6): each account's resources alert on their own.
    const drifted = { ...target, kind: "EventSourceMapping", account: "111111111111", status: "Drifted" };
    const repaired = { ...target, kind: "QueueRedrivePolicy", account: "111111111111", status: "Drifted" };
    const failing = { ...target, kind: "FunctionEventInvokeConfig", result: "error" };
    const blip = { ...target, kind: "EventTargetRetryPolicy", result: "error" };
    const inError = { ...target, kind: "QueueRedrivePolicy", account: "222222222222", status: "Error" };
    const stale = { instance: "stale:8080", job: "retryctl" };
    const never = { instance: "never:8080", job: "retryctl" };
    const restarted = { instance: "restarted:8080", job: "retryctl" };
    // retryctl_dead_letter_messages{account,region,queue} (design §11).
    const dlq = (queue: string) => ({ account: "111111111111", region: "us-east-1", queue });
    const waiting = dlq("orders-dlq");
    const standby = { instance: "standby:8080", job: "retryctl" };
    const drained = dlq("drained-dlq");
    const empty = dlq("empty-dlq");
    const unreadable = dlq("gone-dlq");
    const series = (name: string, labels: Record<string, string>, values: string) => ({
      series: `${name}{${Object.entries(labels)
        .map(([k, v]) => `${k}="${v}"`)
        .join(",")}}`,
      values,
    });
    const tests = {
      rule_files: ["rules.yaml"],
      evaluation_interval: "1m",
      tests: [
        {
          interval: "1m",
          input_series: [
            // Drifted from minute 1 on; another resource drifted for 5 minutes only.
            series("retryctl_resources", drifted, "0 1x60"),
            series("retryctl_resources", repaired, "1x5 0x55"),
            // Errors every minute; one lone error at minute 1.
            series("retryctl_reconcile_total", failing, "0 1+1x60"),
            series("retryctl_reconcile_total", blip, "0 1x60"),
            series("retryctl_resources", inError, "0 2x60"),
            series("retryctl_manifest_errors", target, "0 1x60"),
            // Full syncs at 1, 6, 11, 16 and 21 minutes, then none.
            series("retryctl_last_sync_timestamp_seconds", stale, "0 60x4 360x4 660x4 960x4 1260x40"),
            series("process_start_time_seconds", stale, "0x60"),
            // Never synced since it started at 0; a process restarted at 30m and not yet synced.
            series("retryctl_last_sync_timestamp_seconds", never, "0x60"),
            series("process_start_time_seconds", never, "0x60"),
            series("retryctl_last_sync_timestamp_seconds", restarted, "0x60"),
            series("process_start_time_seconds", restarted, "1800x60"),
            // Messages from minute 1 on; messages for 5 minutes, then handled; always empty; messages,
            // then the queue cannot be read (no series: its depth is unknown, not stale).
            // Two replicas export the waiting queue: still one alert.
            series("retryctl_dead_letter_messages", { ...target, ...waiting }, "0 3x10 7x50"),
            series("retryctl_dead_letter_messages", { ...standby, ...waiting }, "0 3x10 7x50"),
            series("retryctl_dead_letter_messages", { ...target, ...drained }, "0 4x5 0x55"),
            series("retryctl_dead_letter_messages", { ...target, ...empty }, "0x60"),
            series("retryctl_dead_letter_messages", { ...target, ...unreadable }, "0 2x5 _x55"),
          ],
          alert_rule_test: [
            { eval_time: "29m", alertname: "RetryctlDriftPersists", exp_alerts: [] },
            {
              eval_time: "32m",
              alertname: "RetryctlDriftPersists",
              exp_alerts: firing("RetryctlDriftPersists", drifted),
            },
            { eval_time: "14m", alertname: "RetryctlReconcileErrors", exp_alerts: [] },
            {
              eval_time: "20m",
              alertname: "RetryctlReconcileErrors",
              exp_alerts: firing("RetryctlReconcileErrors", failing),
            },
            { eval_time: "14m", alertname: "RetryctlResourcesInError", exp_alerts: [] },
            {
              eval_time: "17m",
              alertname: "RetryctlResourcesInError",
              exp_alerts: firing("RetryctlResourcesInError", inError),
            },
            { eval_time: "14m", alertname: "RetryctlManifestErrors", exp_alerts: [] },
            {
              eval_time: "17m",
              alertname: "RetryctlManifestErrors",
              exp_alerts: firing("RetryctlManifestErrors", target),
            },
            { eval_time: "15m", alertname: "RetryctlDeadLetterMessages", exp_alerts: [] },
            {
              eval_time: "17m",
              alertname: "RetryctlDeadLetterMessages",
              exp_alerts: firing("RetryctlDeadLetterMessages", waiting),
            },
            {
              eval_time: "60m",
              alertname: "RetryctlDeadLetterMessages",
              exp_alerts: firing("RetryctlDeadLetterMessages", waiting),
            },
            { eval_time: "14m", alertname: "RetryctlSyncStale", exp_alerts: [] },
            {
              eval_time: "17m",
              alertname: "RetryctlSyncStale",
              exp_alerts: firing("RetryctlSyncStale", never),
            },
            {
              eval_time: "35m",
              alertname: "RetryctlSyncStale",
              exp_alerts: firing("RetryctlSyncStale", never),
            },
            {
              eval_time: "37m",
              alertname: "RetryctlSyncStale",
              exp_alerts: firing("RetryctlSyncStale", never, stale),
            },
          ],
        },
      ],
    };
    await writeFile(join(dir, "tests.yaml"), stringify(tests));
    expect(await promtool("test", "rules", "tests.yaml")).toContain("SUCCESS");
  });

  it("alerts when no replica leads for two minutes, not for a handover, and not on a standby's stale sync", async () => {
    const a = { instance: "a:8080", job: "retryctl" };
    const b = { instance: "b:8080", job: "retryctl" };
    const standby = { instance: "standby:8080", job: "retryctl" };
    const stuck = { instance: "stuck:8080", job: "retryctl" };
    const series = (name: string, labels: Record<string, string>, values: string) => ({
      series: `${name}{${Object.entries(labels)
        .map(([k, v]) => `${k}="${v}"`)
        .join(",")}}`,
      values,
    });
    const tests = {
      rule_files: ["rules.yaml"],
      evaluation_interval: "1m",
      tests: [
        {
          interval: "1m",
          input_series: [
            // a leads until minute 9; a one-minute handover to b (minute 10); b leads 11–15; then neither; from
            // minute 30 neither is scraped at all.
            series("retryctl_leader", a, "1x9 0x20 _x30"),
            series("retryctl_leader", b, "0x10 1x4 0x14 _x30"),
            // A standby never syncs; a leader that does not sync either.
            series("retryctl_leader", standby, "0x60"),
            series("retryctl_last_sync_timestamp_seconds", standby, "0x60"),
            series("process_start_time_seconds", standby, "0x60"),
            series("retryctl_leader", stuck, "1x60"),
            series("retryctl_last_sync_timestamp_seconds", stuck, "0x60"),
            series("process_start_time_seconds", stuck, "0x60"),
          ],
          alert_rule_test: [
            {
              eval_time: "20m",
              alertname: "RetryctlSyncStale",
              exp_alerts: firing("RetryctlSyncStale", stuck),
            },
          ],
        },
        {
          interval: "1m",
          input_series: [
            series("retryctl_leader", a, "1x9 0x20 _x30"),
            series("retryctl_leader", b, "0x10 1x4 0x14 _x30"),
          ],
          alert_rule_test: [
            { eval_time: "11m", alertname: "RetryctlNoLeader", exp_alerts: [] },
            { eval_time: "16m", alertname: "RetryctlNoLeader", exp_alerts: [] },
            { eval_time: "18m", alertname: "RetryctlNoLeader", exp_alerts: firing("RetryctlNoLeader", {}) },
            { eval_time: "45m", alertname: "RetryctlNoLeader", exp_alerts: firing("RetryctlNoLeader", {}) },
          ],
        },
      ],
    };
    await writeFile(join(dir, "tests-leader.yaml"), stringify(tests));
    expect(await promtool("test", "rules", "tests-leader.yaml")).toContain("SUCCESS");
  });
});
