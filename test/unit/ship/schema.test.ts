import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { manifestJsonSchema } from "../../../src/manifests/json-schema.js";
import { cli } from "../../support/cli.js";

/** Editors read schema/retryctl.schema.json; it must be what `retryctl schema` prints today. */
const COMMITTED = join(import.meta.dirname, "../../../schema/retryctl.schema.json");
const STALE = "schema/retryctl.schema.json is out of date: run `npm run schema` and commit the result";

describe("schema/retryctl.schema.json", () => {
  it("equals the JSON Schema generated from the zod schemas", async () => {
    const committed: unknown = JSON.parse(await readFile(COMMITTED, "utf8"));
    expect(committed, STALE).toEqual(manifestJsonSchema());
  });

  it("is byte for byte the output of `retryctl schema`", async () => {
    const run = await cli("schema");
    expect(run.code).toBe(0);
    expect(run.stderr).toBe("");
    expect(await readFile(COMMITTED, "utf8"), STALE).toBe(run.stdout);
  });
});
