import type { Logger } from "pino";
import type { z } from "zod";
import type { AwsClients } from "../aws/clients.js";
import type { ResourceError } from "../aws/errors.js";
import type { NamedAccount } from "./account.js";
import type { SharedListings } from "./mapping-listing.js";

/** One managed field that differs. `null` means absent in AWS / removed by the manifest. */
export interface FieldChange {
  field: string;
  actual: unknown;
  desired: unknown;
}

/** A lint finding on a valid manifest: never an error, always a stable code. */
export interface LintWarning {
  code: string;
  message: string;
  /** Path inside `spec`, used to point at a line. */
  path: (string | number)[];
}

/** What lint may know about the rest of the manifest set. */
export interface LintContext {
  region: string;
  /** True when some manifest in the set provides this fact (see `Kind.provides`). */
  provided(fact: string): boolean;
}

/**
 * The AWS objects a manifest touches, by name: the one it changes and the ones it
 * points at (a dead-letter queue, a destination function), so an allow-list can
 * refuse it before any AWS call. `accounts` and `regions` are those named inside
 * ARNs or queue URLs of the spec; the resource's own region is checked apart.
 */
export interface Scope {
  functions?: string[];
  queues?: string[];
  rules?: string[];
  accounts?: string[];
  regions?: string[];
}

export interface KindContext {
  aws: AwsClients;
  log: Logger;
  /** Region-wide mapping listings fleet discovery made in this sweep, for the mapping read to take. */
  mappingListings?: SharedListings;
}

/** A validated manifest as a kind sees it: region resolved, identity computed. */
export interface DesiredResource<S> {
  name: string;
  region: string;
  identity: string;
  spec: S;
}

/**
 * The result of one planned read, keyed by identity. An object that does not
 * exist (function, mapping, queue, rule, target) is a terminal ResourceError
 * with a kind-specific code such as `MappingNotFound`.
 */
export type ReadResult<A> = Map<string, A | ResourceError>;

/**
 * One manifest kind. The engine, the CLI and the controller know kinds only
 * through this interface; adding a kind is one module plus one registry line.
 */
export interface Kind<S extends { region?: string | undefined; account?: string | undefined }, A> {
  readonly kind: string;
  /** Strict zod schema of `spec`: the single source of the spec's TypeScript type. */
  readonly specSchema: z.ZodType<S>;
  /** Stable key of the AWS object inside this kind (region included); two manifests with one identity conflict. */
  identity(spec: S, region: string): string;
  /** The AWS guidance as warnings (design §2). */
  lint(spec: S, context: LintContext): LintWarning[];
  /**
   * The account named inside the ARN or URL that names this resource's own
   * object (a function ARN, a queue URL), if any. With `spec.account` it decides
   * the account the resource lives in (account.ts): the identity includes it and
   * an account other than the caller's is refused before any AWS call.
   */
  ownAccount?(spec: S): NamedAccount | undefined;
  /**
   * The AWS object a successful read found, as a key that is equal for every
   * manifest managing that object however it names it (a mapping's UUID, a
   * queue's ARN). Two manifests whose reads resolve to one object conflict like
   * two manifests with one identity: both are reported, neither is applied.
   */
  resolvedIdentity?(actual: A, resource: DesiredResource<S>): string | undefined;
  /**
   * What manifests that may resolve to one object share before they are read (a
   * function's region and bare name, however it is spelt). The controller reads manifests in separate batches, so a manifest writes only
   * once every manifest of its peer scope has been read and could be found to conflict.
   */
  peerScope?(spec: S, region: string): string;
  /**
   * What the object read targets, for the allow-list: what the manifest could
   * not name before the read (a uuid-only mapping's source and function).
   * Checked after the read and before any write.
   */
  actualScope?(actual: A): Scope;
  /**
   * Facts this manifest establishes for other manifests' lint, such as
   * "function X has a failure path" (facts.ts), so a warning about one kind can
   * take another kind's manifest into account without the loader knowing either.
   */
  provides?(spec: S, region: string): string[];
  /**
   * Where this manifest sends events that failed for good (an on-failure
   * destination, a DLQ), as the spec names them: ARNs, or the name of a queue
   * in the resource's own account and region. The controller reads the depth
   * of those that are SQS queues once per resync (design §11); an SNS topic, a
   * function or a bus is listed too and not read. Omitted or null fields name nothing.
   */
  failureDestinations?(spec: S): string[];
  /**
   * What the manifest targets (see `Scope`). A kind without it cannot be checked
   * against name patterns, so a policy that restricts names refuses it.
   */
  scope?(spec: S, region: string): Scope;
  /**
   * The planned read that serves this manifest (design §4, "reads are planned"):
   * manifests with one read group are read by one call (one listing page, one
   * list of a function's configs, one rule's targets), so the resync sweep
   * re-reads them together. Without it each manifest is its own group.
   */
  readGroup?(spec: S, region: string): string;
  /** Reads every resource of the batch with as few calls as the APIs allow (design §4, "reads are planned"). */
  read(ctx: KindContext, resources: DesiredResource<S>[]): Promise<ReadResult<A>>;
  /** Managed fields that differ, on normalised values; fields the manifest omits are never reported. */
  diff(spec: S, actual: A): FieldChange[];
  /** True when applying to this state creates the AWS object rather than updating it. */
  creates(actual: A): boolean;
  /** Makes AWS match for the given changes; throws ResourceError (classified) on failure. */
  apply(ctx: KindContext, resource: DesiredResource<S>, actual: A, changes: FieldChange[]): Promise<void>;
}

// biome-ignore lint/suspicious/noExplicitAny: the registry holds kinds of every spec type.
export type AnyKind = Kind<any, any>;
