import { cp, mkdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { MAX_FILE_BYTES } from "../../../src/manifests/read-file.js";
import { outOfRangeCases, type RangeCase } from "./hostile-cases.js";

/**
 * The hostile corpus on disk: the small committed cases of test/fixtures/hostile
 * plus the big, binary, deep, symlinked and schema-generated ones, written at
 * test time rather than committed.
 */
const COMMITTED = fileURLToPath(new URL("../../fixtures/hostile/", import.meta.url));
export const DEPTH = 10_000;

/** A valid async config named `name`, seven lines long. */
export function goodManifest(name: string): string {
  return [
    "apiVersion: retryctl.dev/v1alpha1",
    "kind: FunctionEventInvokeConfig",
    "metadata:",
    `  name: ${name}`,
    "spec:",
    `  functionName: ${name}`,
    `  onFailure: arn:aws:sqs:us-east-1:123456789012:${name}-failed`,
    "",
  ].join("\n");
}

export const BIG_FILE = `${goodManifest("big")}#${"x".repeat(2 * MAX_FILE_BYTES)}\n`;

export interface HostileCorpus {
  /** The manifest folder. */
  dir: string;
  /** A folder beside it that symlinks inside `dir` point to. */
  outside: string;
  ranges: RangeCase[];
}

/** Writes the corpus below `root` (an empty temporary folder). */
export async function writeHostileCorpus(root: string): Promise<HostileCorpus> {
  const dir = join(root, "manifests");
  const outside = join(root, "outside");
  await cp(COMMITTED, dir, { recursive: true });
  await mkdir(outside);
  await writeFile(join(outside, "secret.yaml"), goodManifest("outside-secret"));

  const deep = (open: string, close: string) => `${open.repeat(DEPTH)}${close.repeat(DEPTH)}`;
  await writeFile(
    join(dir, "deep-flow.yaml"),
    `${goodManifest("before-deep")}---\nspec: ${deep("[", "]")}\n---\n${goodManifest("after-deep")}`,
  );
  await writeFile(join(dir, "deep-mapping.yaml"), `spec: ${"{a: ".repeat(DEPTH)}1${"}".repeat(DEPTH)}\n`);
  await writeFile(join(dir, "deep-block.yaml"), `${"- ".repeat(DEPTH)}x\n`);
  await writeFile(join(dir, "big.yaml"), BIG_FILE);
  // The first bytes of an ELF executable: NUL bytes make it binary.
  await writeFile(join(dir, "binary.yaml"), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x00, 0x00]));
  const latin1 = Buffer.concat([Buffer.from(goodManifest("latin1")), Buffer.from("# caf\xe9\n", "latin1")]);
  await writeFile(join(dir, "latin1.yaml"), latin1);
  await symlink(join(outside, "secret.yaml"), join(dir, "escape.yaml"));
  await symlink(outside, join(dir, "escape-dir"));
  const ranges = outOfRangeCases();
  await mkdir(join(dir, "ranges"));
  for (const c of ranges) await writeFile(join(dir, "ranges", c.file), c.yaml);
  return { dir, outside, ranges };
}

/** Every file of the corpus that must be reported, with nothing else (symlinks included). */
export function hostileFiles(corpus: HostileCorpus): string[] {
  return [
    "alias-bomb.yaml",
    "api-version.yaml",
    "big.yaml",
    "binary.yaml",
    "deep-block.yaml",
    "deep-flow.yaml",
    "deep-mapping.yaml",
    "duplicate-key.yaml",
    "escape-dir",
    "escape.yaml",
    "latin1.yaml",
    "unknown-kind.yaml",
    "wrong-region-arn.yaml",
    "wrong-service-arn.yaml",
    ...corpus.ranges.map((c) => `ranges/${c.file}`),
  ].sort();
}
