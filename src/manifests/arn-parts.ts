/** AWS region names: `us-east-1`, `us-gov-west-1`, `us-iso-east-1`. */
export const REGION_RE = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d{1,2}$/;

const PARTITIONS = [
  "aws",
  "aws-cn",
  "aws-us-gov",
  "aws-iso",
  "aws-iso-b",
  "aws-iso-e",
  "aws-iso-f",
  "aws-eusc",
];
/** Services whose ARNs leave region and account empty (`arn:aws:s3:::bucket`). */
const GLOBAL_NAMES = new Set(["s3", "iam", "cloudfront", "route53"]);

/**
 * Which part of a value written as an ARN (`arn:partition:service:region:account:resource`)
 * is malformed, in words that name the part; undefined when each part is well formed
 * (the value may still be the wrong kind of ARN, which the field's own message says).
 */
export function arnPartProblem(value: string): string | undefined {
  if (!value.startsWith("arn:")) return undefined;
  const parts = value.split(":");
  if (parts.length < 6) {
    return `an ARN has six parts separated by ":" (arn:partition:service:region:account:resource), this one has ${parts.length}`;
  }
  const [, partition = "", service = "", region = "", account = "", ...rest] = parts;
  const resource = rest.join(":");
  if (!PARTITIONS.includes(partition)) {
    return `the partition part "${partition}" must be aws (or aws-cn, aws-us-gov, another AWS partition)`;
  }
  if (!/^[a-z0-9-]+$/.test(service)) {
    return service === ""
      ? "the service part is empty (e.g. sqs, sns, lambda)"
      : `the service part "${service}" must be an AWS service name in lower case, such as sqs`;
  }
  const global = GLOBAL_NAMES.has(service);
  if (region === "" ? !global : !REGION_RE.test(region)) {
    return region === ""
      ? "the region part is empty; it must be an AWS region such as us-east-1"
      : `the region part "${region}" must be an AWS region such as us-east-1`;
  }
  if (account === "" ? !global : !/^\d{12}$/.test(account)) {
    return account === ""
      ? "the account part is empty; it must be 12 digits"
      : `the account part "${account}" must be 12 digits`;
  }
  if (resource === "") return "the resource part (after the account) is empty";
  return undefined;
}
