import { z } from "zod";

export const API_VERSION = "retryctl.dev/v1alpha1";
export const SUSPEND_ANNOTATION = "retryctl.dev/suspend";
export const MODE_ANNOTATION = "retryctl.dev/mode";

export const modeSchema = z.enum(["enforce", "observe"]);
export type Mode = z.infer<typeof modeSchema>;

export const nameSchema = z
  .string()
  .max(253, "must be at most 253 characters")
  .regex(
    /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/,
    "must consist of lower-case letters, digits, '-' and '.', and start and end with a letter or digit",
  );

export const metadataSchema = z.strictObject({
  name: nameSchema,
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z
    .record(z.string(), z.string())
    .optional()
    .superRefine((annotations, ctx) => {
      if (!annotations) return;
      const suspend = annotations[SUSPEND_ANNOTATION];
      if (suspend !== undefined && suspend !== "true" && suspend !== "false") {
        ctx.addIssue({ code: "custom", path: [SUSPEND_ANNOTATION], message: 'must be "true" or "false"' });
      }
      const mode = annotations[MODE_ANNOTATION];
      if (mode !== undefined && !modeSchema.safeParse(mode).success) {
        ctx.addIssue({ code: "custom", path: [MODE_ANNOTATION], message: 'must be "enforce" or "observe"' });
      }
    }),
});

/** The outer shape every manifest shares; `spec` is checked by the kind's own schema. */
export const envelopeSchema = z.strictObject({
  apiVersion: z.literal(API_VERSION, { error: `must be ${API_VERSION}` }),
  kind: z.string(),
  metadata: metadataSchema,
  spec: z.record(z.string(), z.unknown(), { error: "must be a mapping" }),
});

export type Envelope = z.infer<typeof envelopeSchema>;
