import { GetFunctionEventInvokeConfigCommand } from "@aws-sdk/client-lambda";
import {
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SetQueueAttributesCommand,
} from "@aws-sdk/client-sqs";
import { sdk } from "../../support/aws.js";

/** What AWS (moto) has, read with the plain SDK: the tests' second opinion. */
export async function retryAttempts(functionName: string): Promise<number | undefined> {
  const out = await sdk().lambda.send(
    new GetFunctionEventInvokeConfigCommand({ FunctionName: functionName }),
  );
  return out.MaximumRetryAttempts;
}

export async function maxReceiveCount(queueName: string): Promise<number | undefined> {
  const { sqs } = sdk();
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: queueName }));
  const out = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["RedrivePolicy"] }));
  const policy = out.Attributes?.RedrivePolicy;
  return policy ? Number((JSON.parse(policy) as { maxReceiveCount: unknown }).maxReceiveCount) : undefined;
}

/** Someone changes the redrive policy by hand. */
export async function setRedrive(queueName: string, deadLetterArn: string, count: number): Promise<void> {
  const { sqs } = sdk();
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: queueName }));
  await sqs.send(
    new SetQueueAttributesCommand({
      QueueUrl,
      Attributes: {
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deadLetterArn, maxReceiveCount: count }),
      },
    }),
  );
}
