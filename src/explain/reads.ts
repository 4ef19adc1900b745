import {
  ListEventBusesCommand,
  ListRuleNamesByTargetCommand,
  ListTargetsByRuleCommand,
  type Target,
} from "@aws-sdk/client-eventbridge";
import { DescribeStreamSummaryCommand } from "@aws-sdk/client-kinesis";
import {
  type EventSourceMappingConfiguration,
  type FunctionConfiguration,
  type FunctionEventInvokeConfig,
  GetFunctionCommand,
  ListEventSourceMappingsCommand,
  ListFunctionEventInvokeConfigsCommand,
} from "@aws-sdk/client-lambda";
import {
  DescribePipeCommand,
  type DescribePipeCommandOutput,
  ListPipesCommand,
  type Pipe,
} from "@aws-sdk/client-pipes";
import {
  GetScheduleCommand,
  type GetScheduleCommandOutput,
  ListSchedulesCommand,
  type ScheduleSummary,
} from "@aws-sdk/client-scheduler";
import {
  GetSubscriptionAttributesCommand,
  ListSubscriptionsCommand,
  type Subscription,
} from "@aws-sdk/client-sns";
import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import type { AwsClients } from "../aws/clients.js";
import { eachPage } from "../aws/pages.js";
import { parseQueueRef, queueUrl } from "../kinds/sqs-queue.js";

/**
 * The planned reads of `explain` for one account and region. Listings that
 * serve every function of the region (event buses, SNS subscriptions,
 * schedules, pipes) and reads of shared objects (a queue, a stream, a rule's
 * targets) are made once per run however many functions use them; the
 * function's own reads are one call each (plus pages). Only reads: explain
 * never writes.
 */
export class RegionReads {
  readonly #aws: AwsClients;
  readonly #region: string;
  readonly #memo = new Map<string, Promise<unknown>>();

  constructor(aws: AwsClients, region: string) {
    this.#aws = aws;
    this.#region = region;
  }

  get region(): string {
    return this.#region;
  }

  #once<T>(key: string, read: () => Promise<T>): Promise<T> {
    let p = this.#memo.get(key) as Promise<T> | undefined;
    if (!p) {
      p = read();
      this.#memo.set(key, p);
    }
    return p;
  }

  /** GetFunction (its own 100/s quota): ARN, timeout and DeadLetterConfig of the function or a qualifier. */
  async function(address: string, qualifier?: string): Promise<FunctionConfiguration> {
    const out = await this.#aws
      .lambda(this.#region)
      .send(
        new GetFunctionCommand({ FunctionName: address, ...(qualifier ? { Qualifier: qualifier } : {}) }),
      );
    return out.Configuration ?? {};
  }

  /** Every qualifier's async config, 50 per page. */
  async invokeConfigs(address: string): Promise<FunctionEventInvokeConfig[]> {
    return pages("ListFunctionEventInvokeConfigs", async (marker) => {
      const page = await this.#aws
        .lambda(this.#region)
        .send(
          new ListFunctionEventInvokeConfigsCommand({ FunctionName: address, MaxItems: 50, Marker: marker }),
        );
      return [page.FunctionEventInvokeConfigs ?? [], page.NextMarker];
    });
  }

  /** The function's event source mappings, 100 per page. */
  async mappings(address: string): Promise<EventSourceMappingConfiguration[]> {
    return pages("ListEventSourceMappings", async (marker) => {
      const page = await this.#aws
        .lambda(this.#region)
        .send(new ListEventSourceMappingsCommand({ FunctionName: address, MaxItems: 100, Marker: marker }));
      return [page.EventSourceMappings ?? [], page.NextMarker];
    });
  }

  /** Names of the region's event buses (the default one included). */
  eventBuses(): Promise<string[]> {
    return this.#once("buses", () =>
      pages("ListEventBuses", async (token) => {
        const page = await this.#aws
          .events(this.#region)
          .send(new ListEventBusesCommand({ Limit: 100, NextToken: token }));
        return [(page.EventBuses ?? []).flatMap((b) => (b.Name ? [b.Name] : [])), page.NextToken];
      }),
    );
  }

  /** Rules on `bus` with a target whose ARN is exactly `targetArn`. */
  async ruleNamesByTarget(bus: string, targetArn: string): Promise<string[]> {
    return pages("ListRuleNamesByTarget", async (token) => {
      const page = await this.#aws.events(this.#region).send(
        new ListRuleNamesByTargetCommand({
          TargetArn: targetArn,
          EventBusName: bus,
          Limit: 100,
          NextToken: token,
        }),
      );
      return [page.RuleNames ?? [], page.NextToken];
    });
  }

  ruleTargets(bus: string, rule: string): Promise<Target[]> {
    return this.#once(`targets/${bus}/${rule}`, () =>
      pages("ListTargetsByRule", async (token) => {
        const page = await this.#aws
          .events(this.#region)
          .send(
            new ListTargetsByRuleCommand({ Rule: rule, EventBusName: bus, Limit: 100, NextToken: token }),
          );
        return [page.Targets ?? [], page.NextToken];
      }),
    );
  }

  /** Every SNS subscription of the region, 100 per page: one listing, not one per topic. */
  subscriptions(): Promise<Subscription[]> {
    return this.#once("subscriptions", () =>
      pages("ListSubscriptions", async (token) => {
        const page = await this.#aws
          .sns(this.#region)
          .send(new ListSubscriptionsCommand({ NextToken: token }));
        return [page.Subscriptions ?? [], page.NextToken];
      }),
    );
  }

  async subscriptionAttributes(arn: string): Promise<Record<string, string>> {
    const out = await this.#aws
      .sns(this.#region)
      .send(new GetSubscriptionAttributesCommand({ SubscriptionArn: arn }));
    return out.Attributes ?? {};
  }

  /** Every schedule of every group in the region, 100 per page (the summaries name each target's ARN). */
  schedules(): Promise<ScheduleSummary[]> {
    return this.#once("schedules", () =>
      pages("ListSchedules", async (token) => {
        const page = await this.#aws
          .scheduler(this.#region)
          .send(new ListSchedulesCommand({ MaxResults: 100, NextToken: token }));
        return [page.Schedules ?? [], page.NextToken];
      }),
    );
  }

  schedule(group: string, name: string): Promise<GetScheduleCommandOutput> {
    return this.#aws.scheduler(this.#region).send(new GetScheduleCommand({ GroupName: group, Name: name }));
  }

  /** Every pipe of the region, 100 per page (the summaries name source and target). */
  pipes(): Promise<Pipe[]> {
    return this.#once("pipes", () =>
      pages("ListPipes", async (token) => {
        const page = await this.#aws
          .pipes(this.#region)
          .send(new ListPipesCommand({ Limit: 100, NextToken: token }));
        return [page.Pipes ?? [], page.NextToken];
      }),
    );
  }

  pipe(name: string): Promise<DescribePipeCommandOutput> {
    return this.#aws.pipes(this.#region).send(new DescribePipeCommand({ Name: name }));
  }

  /** A source queue's retry attributes: one GetQueueUrl (cached per process) and one GetQueueAttributes. */
  queue(arn: string): Promise<Record<string, string>> {
    return this.#once(`queue/${arn}`, async () => {
      const ref = parseQueueRef(arn);
      if (!ref) throw new Error(`${arn} is not an SQS queue ARN`);
      const url = await queueUrl(this.#aws, this.#region, ref);
      const out = await this.#aws.sqs(this.#region).send(
        new GetQueueAttributesCommand({
          QueueUrl: url,
          AttributeNames: ["VisibilityTimeout", "MessageRetentionPeriod", "RedrivePolicy"],
        }),
      );
      return out.Attributes ?? {};
    });
  }

  /** A Kinesis stream's retention in hours. */
  streamRetentionHours(arn: string): Promise<number | undefined> {
    return this.#once(`stream/${arn}`, async () => {
      const out = await this.#aws
        .kinesis(this.#region)
        .send(new DescribeStreamSummaryCommand({ StreamARN: arn }));
      return out.StreamDescriptionSummary?.RetentionPeriodHours;
    });
  }
}

/** Follows a listing's pages; a token that comes back twice would page forever, so it ends there. */
async function pages<T>(
  operation: string,
  read: (token: string | undefined) => Promise<[T[], string | undefined]>,
): Promise<T[]> {
  const all: T[] = [];
  await eachPage(operation, read, ([items, next]) => {
    all.push(...items);
    return next;
  });
  return all;
}

/** One RegionReads per (clients, region) for a run, so shared listings are read once. */
export class ExplainReads {
  readonly #byClients = new Map<AwsClients, Map<string, RegionReads>>();

  for(aws: AwsClients, region: string): RegionReads {
    let regions = this.#byClients.get(aws);
    if (!regions) {
      regions = new Map();
      this.#byClients.set(aws, regions);
    }
    let reads = regions.get(region);
    if (!reads) {
      reads = new RegionReads(aws, region);
      regions.set(region, reads);
    }
    return reads;
  }
}
