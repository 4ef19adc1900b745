import { z } from "zod";
import { parseArn } from "../aws/arn.js";
import { API_VERSION, metadataSchema } from "../manifests/envelope.js";
import { accountSchema, regionSchema } from "../manifests/fields.js";
import { describeIssues, PARSE_OPTIONS } from "../manifests/issues.js";
import type { ManifestError } from "../manifests/manifest.js";
import { parseManifestYaml } from "../manifests/parse.js";
import { formatPath } from "../manifests/path.js";
import { readManifestFile } from "../manifests/read-file.js";
import { lineAt } from "../manifests/yaml-position.js";

export const POLICY_KIND = "Policy";

/** A name or a glob (`orders-*`, `orders-?`) over the characters AWS allows in function, queue and rule names. */
export const namePattern = z
  .string()
  .min(1)
  .max(256)
  .regex(
    /^[A-Za-z0-9_.*?-]+$/,
    "must be a name or a glob pattern of letters, digits, '-', '_', '.', '*' (any run) and '?' (one character)",
  );

/**
 * What manifests may target. A list that is left out does not restrict its
 * dimension; an empty list allows nothing in it.
 */
export const allowSchema = z.strictObject({
  accounts: z.array(accountSchema).optional(),
  regions: z.array(regionSchema).optional(),
  functions: z.array(namePattern).optional(),
  queues: z.array(namePattern).optional(),
  rules: z.array(namePattern).optional(),
});

/** An IAM role ARN (`arn:aws:iam::123456789012:role/path/name`). */
const roleArnSchema = z.string().superRefine((value, ctx) => {
  const arn = parseArn(value);
  if (arn?.service === "iam" && arn.region === "" && /^role\/./.test(arn.resource)) return;
  ctx.addIssue({
    code: "custom",
    message: "must be an IAM role ARN such as arn:aws:iam::111111111111:role/retryctl",
  });
});

/** How the hub reaches another account (design §6): STS AssumeRole of `roleArn`, with `externalId` when given. */
export const accessSchema = z
  .strictObject({
    account: accountSchema,
    roleArn: roleArnSchema,
    // STS: 2–1224 characters of [\w+=,.@:/-].
    externalId: z
      .string()
      .regex(/^[\w+=,.@:/-]{2,1224}$/, "must be 2 to 1224 letters, digits or +=,.@:/-")
      .optional(),
  })
  .superRefine((entry, ctx) => {
    const inArn = parseArn(entry.roleArn)?.account;
    if (inArn !== undefined && inArn !== entry.account) {
      ctx.addIssue({
        code: "custom",
        path: ["roleArn"],
        message: `names account ${inArn}, but account is ${entry.account}: a member role lives in its own account`,
      });
    }
  });

export const policySchema = z
  .strictObject({
    apiVersion: z.literal(API_VERSION, { error: `must be ${API_VERSION}` }),
    kind: z.literal(POLICY_KIND, { error: `must be ${POLICY_KIND}` }),
    metadata: metadataSchema.optional(),
    allow: allowSchema,
    access: z.array(accessSchema).optional(),
  })
  .superRefine((policy, ctx) => {
    const seen = new Set<string>();
    policy.access?.forEach((entry, i) => {
      if (seen.has(entry.account)) {
        ctx.addIssue({
          code: "custom",
          path: ["access", i, "account"],
          message: `account ${entry.account} is listed twice`,
        });
      }
      seen.add(entry.account);
    });
  });

export type Policy = z.infer<typeof policySchema>;
export type Allow = Policy["allow"];
export type Access = NonNullable<Policy["access"]>[number];

export type PolicyLoad = { ok: true; policy: Policy } | { ok: false; errors: ManifestError[] };

/**
 * Reads and validates a policy file with the manifests' rules (size cap, UTF-8,
 * duplicate keys, alias bombs, strict fields) and their error format: file,
 * line, field path, message.
 */
export async function loadPolicyFile(path: string): Promise<PolicyLoad> {
  const fail = (line: number, fieldPath: string, message: string): PolicyLoad => ({
    ok: false,
    errors: [{ file: path, line, path: fieldPath, message }],
  });
  const content = await readManifestFile(path);
  if (!content.ok) {
    return fail(1, "", content.vanished ? "policy file not found" : `policy file: ${content.message}`);
  }
  let parsed: ReturnType<typeof parseManifestYaml>;
  try {
    parsed = parseManifestYaml(content.text);
  } catch (error) {
    return fail(1, "", `cannot parse the policy file: ${error instanceof Error ? error.message : error}`);
  }
  if (parsed.errors.length > 0) {
    return { ok: false, errors: parsed.errors.map((e) => ({ file: path, ...e })) };
  }
  const [document, extra] = parsed.documents;
  if (document === undefined) return fail(1, "", "the policy file is empty");
  if (extra !== undefined) return fail(extra.line, "", "a policy file holds one document, found another");
  const result = policySchema.safeParse(document.value, PARSE_OPTIONS);
  if (result.success) return { ok: true, policy: result.data };
  const issues = describeIssues(result.error.issues, { schema: policySchema, data: document.value });
  return {
    ok: false,
    errors: issues.map((issue) => ({
      file: path,
      line: lineAt(document, issue.path),
      path: formatPath(issue.path),
      message: issue.message,
    })),
  };
}

/** The policy in one line for the startup log: each restricted dimension and its patterns. */
export function describePolicy(policy: Policy): Record<string, string[]> {
  return Object.fromEntries(Object.entries(policy.allow).filter(([, list]) => list !== undefined));
}
