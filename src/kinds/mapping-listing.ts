import {
  type EventSourceMappingConfiguration,
  type LambdaClient,
  ListEventSourceMappingsCommand,
} from "@aws-sdk/client-lambda";
import type { AwsClients } from "../aws/clients.js";
import { ResourceError } from "../aws/errors.js";

/** Lambda returns at most 100 mappings per page whatever MaxItems says. */
const PAGE_SIZE = 100;

/** Every mapping of the client's account and region (or of one source): ⌈N/100⌉ calls. */
export async function listMappings(
  client: LambdaClient,
  eventSourceArn?: string,
): Promise<EventSourceMappingConfiguration[]> {
  const configs: EventSourceMappingConfiguration[] = [];
  const seen = new Set<string>();
  let marker: string | undefined;
  do {
    const page = await client.send(
      new ListEventSourceMappingsCommand({
        EventSourceArn: eventSourceArn,
        Marker: marker,
        MaxItems: PAGE_SIZE,
      }),
    );
    configs.push(...(page.EventSourceMappings ?? []));
    marker = page.NextMarker || undefined;
    if (marker !== undefined) {
      // A marker seen twice would page forever.
      if (seen.has(marker))
        throw new ResourceError(
          "ServiceError",
          "ListEventSourceMappings repeated a page marker",
          "transient",
        );
      seen.add(marker);
    }
  } while (marker !== undefined);
  return configs;
}

type Listing = Promise<EventSourceMappingConfiguration[]>;

/**
 * One sweep's region-wide mapping listings, shared by fleet discovery and the
 * EventSourceMapping kind's planned read: discovery lists a region's mappings
 * to expand policies over them, and the read of the expanded mappings that
 * follows takes that listing instead of paging the region a second time. A
 * listing serves one read only (`take`), so a later read of the same region
 * (the verify after a write, the next sweep) lists afresh; whoever runs the
 * sweep makes one of these per sweep.
 */
export class MappingListings {
  readonly #listings = new Map<AwsClients, Map<string, Listing>>();

  /** The region's listing for discovery: made once, kept for the read that follows. */
  list(aws: AwsClients, region: string): Listing {
    const byRegion = this.#listings.get(aws) ?? new Map<string, Listing>();
    this.#listings.set(aws, byRegion);
    const existing = byRegion.get(region);
    if (existing) return existing;
    const listing = listMappings(aws.lambda(region));
    byRegion.set(region, listing);
    // A failed listing serves nobody: the read lists (and reports) for itself.
    listing.catch(() => {
      if (byRegion.get(region) === listing) byRegion.delete(region);
    });
    return listing;
  }

  /** The listing discovery made of this region, handed over once; undefined when there is none. */
  take(aws: AwsClients, region: string): Listing | undefined {
    const byRegion = this.#listings.get(aws);
    const listing = byRegion?.get(region);
    byRegion?.delete(region);
    return listing;
  }
}
