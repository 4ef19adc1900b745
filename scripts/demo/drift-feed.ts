import { createFeed, IDENTITIES, publishCloudTrailEvent } from "../../test/support/cloudtrail.js";

/**
 * The CloudTrail feed of the demo (README "Drift in seconds"): the shipped rule
 * and its queue in the emulator. Returns the queue URL for `--drift-events-queue`.
 */
export async function seedDriftFeed(endpoint: string): Promise<string> {
  return (await createFeed("retryctl-drift-events", endpoint)).url;
}

/**
 * Publishes the event CloudTrail would send for the demo's hand change. The
 * emulator has no CloudTrail, so the demo stands in for it; real EventBridge
 * takes `aws.*` sources from AWS services only.
 */
export async function publishHandChangeEvent(
  endpoint: string,
  say: (text: string) => void,
  functionName: string,
): Promise<void> {
  const who = IDENTITIES.assumedRole;
  say(
    `the emulator has no CloudTrail: publishing the "AWS API Call via CloudTrail" event AWS would send for ` +
      `that call (PutFunctionEventInvokeConfig20190925 by ${who.arn}); watch for "drift repaired" with changedBy`,
  );
  await publishCloudTrailEvent(
    {
      eventSource: "lambda.amazonaws.com",
      eventName: "PutFunctionEventInvokeConfig20190925",
      requestParameters: { functionName, maximumRetryAttempts: 0, maximumEventAgeInSeconds: 3600 },
      userIdentity: who,
    },
    endpoint,
  );
}
