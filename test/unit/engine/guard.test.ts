import pino from "pino";
import { describe, expect, it, vi } from "vitest";
import type { AwsClients } from "../../../src/aws/clients.js";
import { ResourceError } from "../../../src/aws/errors.js";
import { reconcile } from "../../../src/engine/reconcile.js";
import type { AnyKind, DesiredResource } from "../../../src/kinds/kind.js";
import type { Manifest } from "../../../src/manifests/manifest.js";
import { Guard } from "../../../src/policy/guard.js";

/** A kind whose reads are recorded: anything the guard refuses must never reach `read` or `apply`. */
function recordingKind() {
  const read = vi.fn(async (_ctx: unknown, resources: DesiredResource<{ functionName: string }>[]) => {
    return new Map(resources.map((r) => [r.identity, { value: 1 }]));
  });
  const apply = vi.fn(async () => undefined);
  const kind = {
    kind: "Widget",
    scope: (spec: { functionName: string }) => ({ functions: [spec.functionName] }),
    read,
    diff: () => [{ field: "value", actual: 1, desired: 2 }],
    creates: () => false,
    apply,
  } as unknown as AnyKind;
  return { kind, read, apply };
}

function manifest(kind: AnyKind, name: string, over: Partial<Manifest> = {}): Manifest {
  return {
    kind,
    name,
    region: "us-east-1",
    key: `Widget/us-east-1/${name}`,
    spec: { functionName: name },
    labels: {},
    annotations: {},
    suspended: false,
    source: { file: `${name}.yaml`, line: 1 },
    hash: name,
    ...over,
  };
}

const options = (guard: Guard) => ({
  aws: {} as AwsClients,
  log: pino({ level: "silent" }),
  mode: "enforce" as const,
  dryRun: false,
  concurrency: 4,
  waitTimeoutMs: 0,
  guard,
});

describe("the engine's guard check", () => {
  it("refuses before reading: a DeniedByPolicy error, terminal, and the resource never reaches the kind", async () => {
    const { kind, read, apply } = recordingKind();
    const guard = new Guard({
      policy: { apiVersion: "retryctl.dev/v1alpha1", kind: "Policy", allow: { functions: ["orders-*"] } },
    });
    const manifests = [manifest(kind, "orders-a"), manifest(kind, "payments-a"), manifest(kind, "orders-b")];
    const results = await reconcile(manifests, options(guard));
    expect(results.map((r) => [r.name, r.action, r.error?.code, r.error?.retry])).toEqual([
      ["orders-a", "update", undefined, undefined],
      ["payments-a", "error", "DeniedByPolicy", "terminal"],
      ["orders-b", "update", undefined, undefined],
    ]);
    expect(results[1]?.error?.message).toBe(
      'denied by policy: function "payments-a" does not match allow.functions [orders-*]',
    );
    const readNames = read.mock.calls.flatMap(([, resources]) => resources.map((r) => r.name));
    expect(readNames.sort()).toEqual(["orders-a", "orders-b"]);
    expect(apply).toHaveBeenCalledTimes(2);
  });

  it("asks for the account once per check that needs it and skips suspended manifests", async () => {
    const { kind, read } = recordingKind();
    const caller = vi.fn(async () => "123456789012");
    const guard = new Guard({ callerAccount: caller });
    const results = await reconcile(
      [
        manifest(kind, "pinned-here", { spec: { functionName: "pinned-here", account: "123456789012" } }),
        manifest(kind, "pinned-there", { spec: { functionName: "pinned-there", account: "210987654321" } }),
        manifest(kind, "suspended", {
          suspended: true,
          spec: { functionName: "s", account: "210987654321" },
        }),
        manifest(kind, "free"),
      ],
      options(guard),
    );
    expect(results.map((r) => [r.name, r.action, r.error?.code])).toEqual([
      ["pinned-here", "update", undefined],
      ["pinned-there", "error", "AccountNotConfigured"],
      ["suspended", "suspended", undefined],
      ["free", "update", undefined],
    ]);
    expect(caller).toHaveBeenCalledTimes(2);
    expect(read.mock.calls.flatMap(([, rs]) => rs.map((r) => r.name)).sort()).toEqual([
      "free",
      "pinned-here",
    ]);
  });

  it("scrubs credentials out of a failure message", async () => {
    const { kind } = recordingKind();
    const leaky = {
      ...kind,
      read: async () => {
        throw new ResourceError(
          "InvalidSignature",
          "canonical request: x-amz-security-token:IQoJb3JpZ2luSECRET",
        );
      },
    } as AnyKind;
    const [result] = await reconcile([manifest(leaky, "orders-a")], options(new Guard()));
    expect(result?.error?.message).toBe("canonical request: x-amz-security-token:[redacted]");
  });
});
