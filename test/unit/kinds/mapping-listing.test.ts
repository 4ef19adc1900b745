import { describe, expect, it } from "vitest";
import { MappingListings } from "../../../src/kinds/mapping-listing.js";
import { fakeLambdaContext } from "./fake-lambda.js";

const REGION = "us-east-1";
const MAPPING = { UUID: "u-1", EventSourceArn: "arn:aws:sqs:us-east-1:123456789012:q", FunctionArn: "fn" };

function setup(answer: () => unknown = () => ({ EventSourceMappings: [MAPPING] })) {
  let now = 1_000;
  const { ctx, calls } = fakeLambdaContext(answer);
  const listings = new MappingListings(() => now);
  return { aws: ctx.aws, calls, listings, advance: (ms: number) => (now += ms) };
}

describe("a sweep's shared mapping listings", () => {
  it("list a region once for discovery and hand that listing to one read, then none", async () => {
    const { aws, calls, listings } = setup();
    await expect(listings.list(aws, REGION)).resolves.toEqual([MAPPING]);
    await expect(listings.list(aws, REGION)).resolves.toEqual([MAPPING]);
    expect(calls.map((c) => c.command)).toEqual(["ListEventSourceMappings"]);
    await expect(listings.take(aws, REGION)).resolves.toEqual([MAPPING]);
    expect(listings.take(aws, REGION)).toBeUndefined();
    expect(listings.take(aws, "eu-west-1")).toBeUndefined();
  });

  it("hand nothing to a read that comes later than its freshness bound (it lists afresh)", async () => {
    const { aws, listings, advance } = setup();
    await listings.list(aws, REGION);
    advance(10_001);
    expect(listings.take(aws, REGION, 10_000)).toBeUndefined();
    // Spent all the same: a read within the bound after that one lists for itself too.
    expect(listings.take(aws, REGION)).toBeUndefined();

    await listings.list(aws, REGION);
    advance(10_000);
    await expect(listings.take(aws, REGION, 10_000)).resolves.toEqual([MAPPING]);
  });

  it("keep no failed listing: the read after it lists and reports for itself", async () => {
    const { aws, listings } = setup(() => {
      throw new Error("throttled");
    });
    await expect(listings.list(aws, REGION)).rejects.toThrow("throttled");
    expect(listings.take(aws, REGION)).toBeUndefined();
  });
});
