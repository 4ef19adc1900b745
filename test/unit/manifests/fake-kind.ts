import { z } from "zod";
import type { Kind, LintWarning } from "../../../src/kinds/kind.js";
import { intRange, managed, regionSchema } from "../../../src/manifests/fields.js";

/**
 * A test-only kind, so loader tests do not depend on the shape of the real kinds:
 * a strict spec with a range, a nested object, a list and a cross-field rule.
 */
export const widgetSpecSchema = z
  .strictObject({
    region: regionSchema.optional(),
    functionName: z.string().min(1),
    qualifier: z.string().optional(),
    maximumRetryAttempts: managed(intRange(0, 2)),
    onFailure: managed(z.string()),
    batching: z
      .strictObject({ size: intRange(1, 10), windowSeconds: intRange(0, 300).optional() })
      .optional(),
    tags: z.array(z.string()).optional(),
  })
  .superRefine((spec, ctx) => {
    if (spec.qualifier !== undefined && spec.functionName.includes(":")) {
      ctx.addIssue({
        code: "custom",
        path: ["qualifier"],
        message: "must not be set when functionName has one",
      });
    }
  });

export type WidgetSpec = z.infer<typeof widgetSpecSchema>;

function unused(): never {
  throw new Error("the fake kind has no AWS side");
}

export const widget: Kind<WidgetSpec, never> = {
  kind: "Widget",
  specSchema: widgetSpecSchema,
  identity: (spec, region) => `${region}/${spec.functionName}:${spec.qualifier ?? "$LATEST"}`,
  lint(spec) {
    const warnings: LintWarning[] = [];
    if (spec.onFailure === undefined || spec.onFailure === null) {
      warnings.push({
        code: "WidgetNoFailurePath",
        message: "failed events are dropped: set onFailure",
        path: [],
      });
    }
    if (spec.maximumRetryAttempts === 0) {
      warnings.push({
        code: "WidgetNoRetries",
        message: "a failed event is never retried",
        path: ["maximumRetryAttempts"],
      });
    }
    return warnings;
  },
  read: unused,
  diff: unused,
  creates: unused,
  apply: unused,
};

/** A second kind with a spec field that shares no name with Widget's. */
export const gadget: Kind<{ region?: string; queue: string }, never> = {
  kind: "Gadget",
  specSchema: z.strictObject({ region: regionSchema.optional(), queue: z.string() }),
  identity: (spec, region) => `${region}/${spec.queue}`,
  lint: () => [],
  read: unused,
  diff: unused,
  creates: unused,
  apply: unused,
};

export const FAKE_KINDS = [widget, gadget] as const;
