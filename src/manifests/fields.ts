import { z } from "zod";
import { parseArn, parseFunctionRef } from "../aws/arn.js";
import { REGION_RE } from "./arn-parts.js";

/** Building blocks shared by the kinds' spec schemas. */

export const regionSchema = z.string().regex(REGION_RE, "must be an AWS region such as us-east-1");

/** A 12-digit AWS account ID. */
export const accountSchema = z
  .string()
  .regex(/^\d{12}$/, "must be a 12-digit AWS account ID such as 123456789012");

/**
 * Fields every kind's spec has, spread into each kind's strict schema so they are
 * defined once: `region` (default: the controller's) and `account`, which pins the
 * manifest to one AWS account: under any other caller identity it is refused
 * (`AccountMismatch`) before any AWS call for it.
 */
export const baseSpecShape = {
  region: regionSchema.optional(),
  account: accountSchema.optional(),
};

/**
 * An ARN of one of the given services (`what` names them for the message, e.g. "an SQS queue or SNS topic").
 * A wrong service is named; a malformed part is named for every ARN field alike (`describeIssues`).
 */
export function arnOf(services: readonly string[], what: string) {
  return z.string().superRefine((value, ctx) => {
    const arn = parseArn(value);
    if (arn !== undefined && services.includes(arn.service)) return;
    const wanted =
      services.length === 1 ? services[0] : `${services.slice(0, -1).join(", ")} or ${services.at(-1)}`;
    const service = arn === undefined ? "" : `: the service part "${arn.service}" must be ${wanted}`;
    ctx.addIssue({ code: "custom", message: `must be the ARN of ${what}${service}` });
  });
}

export const functionNameSchema = z
  .string()
  .min(1)
  .max(256)
  .refine((v) => parseFunctionRef(v) !== undefined, {
    message: "must be a function name, partial ARN (123456789012:function:name) or function ARN",
  });

export function intRange(min: number, max: number) {
  return z.int().min(min).max(max);
}

/**
 * Managed fields accept `null` ("make sure it is absent / back to the AWS default", design §1);
 * leaving the field out leaves AWS as it is.
 */
export function managed<T extends z.ZodType>(schema: T) {
  return schema.nullable().optional();
}

/** Reports an ARN whose region differs from the manifest's `spec.region`. */
export function checkArnRegion(
  ctx: z.RefinementCtx,
  region: string | undefined,
  value: unknown,
  path: string[],
): void {
  if (region === undefined || typeof value !== "string") return;
  const arn = parseArn(value);
  if (arn?.region && arn.region !== region) {
    ctx.addIssue({
      code: "custom",
      path,
      message: `is in region ${arn.region}, but the manifest's region is ${region}`,
    });
  }
}
