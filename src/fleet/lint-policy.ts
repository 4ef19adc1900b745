import { sqsQueueArn } from "../aws/arn.js";
import { kindWarnings } from "../manifests/lint.js";
import type { ManifestWarning } from "../manifests/manifest.js";
import type { PolicyCandidate } from "./policy-conflicts.js";
import { RETRY_POLICY_KIND, SECTIONS, type Section } from "./schema.js";
import { SECTION_KINDS } from "./sections.js";
import { substituteAll } from "./template.js";

const SAMPLE_ACCOUNT = "123456789012";
const SAMPLE_FUNCTION = "policy-sample";
const SAMPLE_QUEUE = "policy-sample-queue";

/**
 * The spec one expanded resource of the section would have, on a made-up
 * function: the kind's lint then says of the policy what it says of a manifest.
 */
function sampleSpec(
  section: Section,
  fields: Record<string, unknown>,
  region: string,
): Record<string, unknown> {
  const filled = substituteAll(fields, {
    account: SAMPLE_ACCOUNT,
    region,
    functionName: SAMPLE_FUNCTION,
    queueName: SAMPLE_QUEUE,
  }) as Record<string, unknown>;
  switch (section) {
    case "streamMappings":
      return {
        functionName: SAMPLE_FUNCTION,
        eventSourceArn: `arn:aws:kinesis:${region}:${SAMPLE_ACCOUNT}:stream/sample`,
        ...filled,
      };
    case "queueMappings":
      return {
        functionName: SAMPLE_FUNCTION,
        eventSourceArn: sqsQueueArn(region, SAMPLE_ACCOUNT, SAMPLE_QUEUE),
        ...filled,
      };
    case "sourceQueues":
      return { queue: SAMPLE_QUEUE, ...filled };
    default:
      return { functionName: SAMPLE_FUNCTION, ...filled };
  }
}

/** The AWS-guidance warnings of every section, pointed at the section's lines. */
export function lintPolicy(candidate: PolicyCandidate, defaultRegion: string | undefined): ManifestWarning[] {
  const { policy, document } = candidate;
  const region = defaultRegion ?? "us-east-1";
  const base = { file: policy.source.file, kind: RETRY_POLICY_KIND, name: policy.name };
  const samples = SECTIONS.flatMap((section) => {
    const fields = policy.spec[section];
    return fields === undefined ? [] : [{ section, spec: sampleSpec(section, fields, region) }];
  });
  // The policy's own deadLetterConfig or asyncInvoke gives every function it matches a failure path.
  const facts = new Set<string>();
  for (const { section, spec } of samples) {
    for (const fact of SECTION_KINDS[section].provides?.(spec, region) ?? []) facts.add(fact);
  }
  const context = { region, provided: (fact: string) => facts.has(fact) };
  return samples.flatMap(({ section, spec }) =>
    kindWarnings(SECTION_KINDS[section], spec, context, {
      base,
      document,
      prefix: ["spec", section],
      line: policy.source.line,
    }),
  );
}
