import type { Duration } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ENV } from '../lambda/adapters/environment';
import type { EventQueue } from './event-queue';
import { type GitHubParameters, grantReadParameters } from './parameters';
import { storeMaxWaitMs, TelemetryFunction } from './telemetry-function';

export interface WorkerProps {
  readonly functionName: string;
  readonly events: EventQueue;
  /** The validated configuration as JSON (metric settings, data repository). */
  readonly configJson: string;
  /** The SSM parameters of the GitHub credentials `githubAuth` uses (lib/parameters.ts). */
  readonly github: GitHubParameters;
  readonly secretCacheTtl: Duration;
  /** Messages per invocation, and how long SQS gathers them first. */
  readonly batchSize: number;
  readonly maxBatchingWindow: Duration;
  /** Invocations at once (2 keeps commits to the data repository from racing each other much). */
  readonly maxConcurrency: number;
  readonly memoryMb: number;
  /** Must be at most a sixth of the queue's visibility timeout (EventQueue's `consumerTimeout`). */
  readonly timeout: Duration;
  readonly logRetention: RetentionDays;
  /** The queue's redrive count and retention: the worker requeues transient failures before the first. */
  readonly maxReceiveCount: number;
  readonly queueRetention: Duration;
}

/**
 * Consumes the event queue in batches: collects every event's records and stores them in one write, reporting
 * partial batch failures so SQS retries only the messages that failed.
 */
export class Worker extends Construct {
  readonly handler: TelemetryFunction;
  readonly eventSource: SqsEventSource;

  constructor(scope: Construct, id: string, props: WorkerProps) {
    super(scope, id);
    const { events } = props;
    this.handler = new TelemetryFunction(this, 'Handler', {
      entry: 'worker',
      functionName: props.functionName,
      description: 'Collects queued events into metric records and commits them to the data repository',
      memoryMb: props.memoryMb,
      timeout: props.timeout,
      logRetention: props.logRetention,
      environment: {
        [ENV.config]: props.configJson,
        [ENV.deadLetterQueueUrl]: events.deadLetterQueue.queueUrl,
        [ENV.queueUrl]: events.queue.queueUrl,
        [ENV.maxReceiveCount]: String(props.maxReceiveCount),
        [ENV.queueRetentionSeconds]: String(props.queueRetention.toSeconds()),
        [ENV.claimCheckBucket]: events.claimCheckBucket.bucketName,
        ...props.github.environment,
        [ENV.storeMaxWaitMs]: String(storeMaxWaitMs(props.timeout)),
        [ENV.secretCacheTtlSeconds]: String(props.secretCacheTtl.toSeconds()),
      },
    });
    const fn = this.handler.function;
    this.eventSource = new SqsEventSource(events.queue, {
      batchSize: props.batchSize,
      maxBatchingWindow: props.maxBatchingWindow,
      maxConcurrency: props.maxConcurrency,
      reportBatchItemFailures: true,
    });
    fn.addEventSource(this.eventSource);
    // Permanent failures are parked in the dead-letter queue at once instead of being retried; transient
    // ones are sent to the queue again before SQS would dead-letter them (src/worker/retry-policy.ts).
    events.deadLetterQueue.grantSendMessages(fn);
    events.queue.grantSendMessages(fn);
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [events.claimCheckBucket.arnForObjects('claim-checks/*')],
      }),
    );
    grantReadParameters(fn, this, props.github.read);
  }
}
