import { z } from "zod";

/**
 * The CloudTrail `userIdentity` element, as far as attribution needs it
 * (AWS CloudTrail User Guide, "CloudTrail userIdentity element"). Every field
 * is optional: each identity type carries a different subset.
 */
export const userIdentitySchema = z.looseObject({
  type: z.string().optional(),
  principalId: z.string().optional(),
  arn: z.string().optional(),
  accountId: z.string().optional(),
  userName: z.string().optional(),
  invokedBy: z.string().optional(),
  identityProvider: z.string().optional(),
  sessionContext: z
    .looseObject({
      sessionIssuer: z
        .looseObject({
          type: z.string().optional(),
          arn: z.string().optional(),
          userName: z.string().optional(),
        })
        .optional(),
    })
    .optional(),
  // IAM Identity Center users: since January 2025 `userId` (and the identity store) instead of `userName`.
  onBehalfOf: z
    .looseObject({
      userId: z.string().optional(),
      identityStoreArn: z.string().optional(),
    })
    .optional(),
});
export type UserIdentity = z.infer<typeof userIdentitySchema>;

const parameters = z.record(z.string(), z.unknown());

/** The CloudTrail record that EventBridge puts in `detail` ("AWS API Call via CloudTrail"). */
export const cloudTrailDetailSchema = z.looseObject({
  eventSource: z.string(),
  eventName: z.string(),
  eventID: z.string().optional(),
  eventTime: z.string().optional(),
  awsRegion: z.string().optional(),
  userAgent: z.string().optional(),
  errorCode: z.string().optional(),
  readOnly: z.boolean().optional(),
  // CloudTrail writes null for calls without parameters.
  requestParameters: parameters.nullable().optional(),
  responseElements: parameters.nullable().optional(),
  userIdentity: userIdentitySchema.optional(),
});
export type CloudTrailDetail = z.infer<typeof cloudTrailDetailSchema>;

export const CLOUDTRAIL_DETAIL_TYPE = "AWS API Call via CloudTrail";

/** The EventBridge envelope around it, as the rule delivers it to the queue (no input transformer). */
export const driftEventSchema = z.looseObject({
  id: z.string(),
  "detail-type": z.literal(CLOUDTRAIL_DETAIL_TYPE),
  source: z.string(),
  account: z.string().regex(/^\d{12}$/),
  region: z.string().min(1),
  time: z.string(),
  detail: cloudTrailDetailSchema,
});
export type DriftEvent = z.infer<typeof driftEventSchema>;

export type ParsedMessage = { ok: true; event: DriftEvent } | { ok: false; problem: string };

/** Parses one SQS message body; never throws. `problem` says what is wrong, for a log line. */
export function parseDriftMessage(body: string | undefined): ParsedMessage {
  if (body === undefined || body === "") return { ok: false, problem: "empty message body" };
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, problem: "message body is not JSON" };
  }
  const parsed = driftEventSchema.safeParse(json);
  if (parsed.success) return { ok: true, event: parsed.data };
  const issue = parsed.error.issues[0];
  const where = issue && issue.path.length > 0 ? issue.path.join(".") : "(body)";
  return { ok: false, problem: `not an "${CLOUDTRAIL_DETAIL_TYPE}" event: ${where}: ${issue?.message}` };
}
