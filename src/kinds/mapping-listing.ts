import {
  type EventSourceMappingConfiguration,
  type LambdaClient,
  ListEventSourceMappingsCommand,
} from "@aws-sdk/client-lambda";
import type { AwsClients } from "../aws/clients.js";
import { eachPage } from "../aws/pages.js";

/** Lambda returns at most 100 mappings per page whatever MaxItems says. */
const PAGE_SIZE = 100;

/** Every mapping of the client's account and region (or of one source): ⌈N/100⌉ calls. */
export async function listMappings(
  client: LambdaClient,
  eventSourceArn?: string,
): Promise<EventSourceMappingConfiguration[]> {
  const configs: EventSourceMappingConfiguration[] = [];
  await eachPage(
    "ListEventSourceMappings",
    (marker) =>
      client.send(
        new ListEventSourceMappingsCommand({
          EventSourceArn: eventSourceArn,
          Marker: marker,
          MaxItems: PAGE_SIZE,
        }),
      ),
    (page) => {
      configs.push(...(page.EventSourceMappings ?? []));
      return page.NextMarker;
    },
  );
  return configs;
}

type Listing = Promise<EventSourceMappingConfiguration[]>;

/** What a mapping read needs of the sweep's listings (`MappingListings`, or a view of them with a freshness bound). */
export interface SharedListings {
  take(aws: AwsClients, region: string): Listing | undefined;
}

/**
 * One sweep's region-wide mapping listings, shared by fleet discovery and the
 * EventSourceMapping kind's planned read: discovery lists a region's mappings
 * to expand policies over them, and the read of the expanded mappings that
 * follows takes that listing instead of paging the region a second time. A
 * listing serves one read only (`take`), so a later read of the same region
 * (the verify after a write, the next sweep) lists afresh; whoever runs the
 * sweep makes one of these per sweep.
 */
export class MappingListings implements SharedListings {
  readonly #listings = new Map<AwsClients, Map<string, { listing: Listing; at: number }>>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** The region's listing for discovery: made once, kept for the read that follows. */
  list(aws: AwsClients, region: string): Listing {
    const byRegion = this.#listings.get(aws) ?? new Map<string, { listing: Listing; at: number }>();
    this.#listings.set(aws, byRegion);
    const existing = byRegion.get(region);
    if (existing) return existing.listing;
    const listing = listMappings(aws.lambda(region));
    const entry = { listing, at: this.#now() };
    byRegion.set(region, entry);
    // A failed listing serves nobody: the read lists (and reports) for itself.
    listing.catch(() => {
      if (byRegion.get(region) === entry) byRegion.delete(region);
    });
    return listing;
  }

  /**
   * The listing discovery made of this region, handed over once; undefined when
   * there is none, or when it was started more than `maxAgeMs` ago (a reader
   * that may come long after discovery, as the controller's spread sweep does,
   * reads afresh rather than act on an old answer).
   */
  take(aws: AwsClients, region: string, maxAgeMs = Number.POSITIVE_INFINITY): Listing | undefined {
    const byRegion = this.#listings.get(aws);
    const entry = byRegion?.get(region);
    byRegion?.delete(region);
    if (!entry || this.#now() - entry.at > maxAgeMs) return undefined;
    return entry.listing;
  }
}
