import { Annotations, CfnOutput, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { CfnBucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { type AwsSettings, awsNames } from '../src/config/aws-settings';
import type { TelemetryConfig } from '../src/config/config';
import { githubEventsOf } from '../src/github/permissions';
import { TelemetryAlarms } from './alarms';
import { EventQueue } from './event-queue';
import { TelemetryLake } from './lake';
import { type GitHubParameters, githubParameters } from './parameters';
import { Schedules } from './schedules';
import { SenderAlarms } from './sender-alarms';
import { WebhookApi } from './webhook-api';
import { Worker } from './worker';

export interface TelemetryStackProps extends StackProps {
  /** The validated configuration (`loadConfig`); `instance` names every resource and SSM path. */
  readonly config: TelemetryConfig;
  /** Triggers at least one registered metric collects (`collectedTriggers()`). */
  readonly collectedTriggers: readonly string[];
}

/** Lambda's limit on all environment variables of a function together. */
const ENVIRONMENT_LIMIT_BYTES = 4096;

/**
 * One installation of the collector: function URL → webhook λ → SQS (+ DLQ, claim-check bucket) → worker λ →
 * data repository, EventBridge Scheduler → schedule λ → jobs, and the alarms. Environment-agnostic; the
 * instance name suffixes resource names and SSM paths, so several installations share an account.
 */
export class TelemetryStack extends Stack {
  readonly events: EventQueue;
  readonly webhook: WebhookApi;
  readonly worker: Worker;
  readonly schedules: Schedules;
  readonly alarms: TelemetryAlarms;
  /** The S3 data lake, when `aws.lake.enabled`. */
  readonly lake: TelemetryLake | undefined;
  readonly senderAlarms: SenderAlarms;

  constructor(scope: Construct, id: string, props: TelemetryStackProps) {
    super(scope, id, {
      description: `github-telemetry collector (instance ${props.config.instance})`,
      ...props,
    });
    const { config } = props;
    const aws: AwsSettings = config.aws;
    const names = awsNames(config.instance);
    const logRetention = aws.logRetentionDays as RetentionDays;
    const secretCacheTtl = Duration.seconds(aws.webhook.secretCacheTtlSeconds);
    const configJson = functionConfig(config);

    this.events = new EventQueue(this, 'Events', {
      queueName: names.queue,
      deadLetterQueueName: names.deadLetterQueue,
      consumerTimeout: Duration.seconds(aws.worker.timeoutSeconds),
      maxReceiveCount: aws.worker.maxReceiveCount,
      retention: Duration.days(aws.worker.queueRetentionDays),
      claimCheckExpiry: Duration.days(aws.claimCheckExpiryDays),
    });
    this.webhook = new WebhookApi(this, 'Webhook', {
      functionName: names.function('webhook'),
      events: this.events,
      webhookSecretsPath: names.webhookSecretsPath,
      sendersPath: names.sendersPath,
      collectedTriggers: props.collectedTriggers,
      maxBodyBytes: config.server.maxBodyBytes,
      pushMaxSkewSeconds: config.push.maxSkewSeconds,
      secretCacheTtl,
      memoryMb: aws.webhook.memoryMb,
      timeout: Duration.seconds(aws.webhook.timeoutSeconds),
      reservedConcurrency: aws.webhook.reservedConcurrency,
      allowedCidrs: aws.api.allowedCidrs,
      logRetention,
    });
    this.worker = new Worker(this, 'Worker', {
      functionName: names.function('worker'),
      events: this.events,
      configJson,
      github: githubParameters(config, names),
      secretCacheTtl,
      batchSize: aws.worker.batchSize,
      maxBatchingWindow: Duration.seconds(aws.worker.maxBatchingWindowSeconds),
      maxConcurrency: aws.worker.maxConcurrency,
      memoryMb: aws.worker.memoryMb,
      timeout: Duration.seconds(aws.worker.timeoutSeconds),
      maxReceiveCount: aws.worker.maxReceiveCount,
      queueRetention: Duration.days(aws.worker.queueRetentionDays),
      logRetention,
    });
    this.schedules = new Schedules(this, 'Schedules', {
      functionName: names.function('schedule'),
      scheduleGroupName: names.scheduleGroup,
      deadLetterQueueName: names.scheduleDeadLetterQueue,
      schedules: config.schedules,
      configJson,
      github: githubParameters(config, names),
      secretCacheTtl,
      memoryMb: aws.schedule.memoryMb,
      timeout: Duration.seconds(aws.schedule.timeoutSeconds),
      retryAttempts: aws.schedule.retryAttempts,
      logRetention,
    });
    this.alarms = new TelemetryAlarms(this, 'Alarms', {
      namePrefix: `telemetry-${config.instance}`,
      queue: this.events.queue,
      deadLetterQueue: this.events.deadLetterQueue,
      scheduleDeadLetterQueue: this.schedules.deadLetterQueue,
      worker: this.worker.handler.function,
      webhook: this.webhook.handler.function,
      oldestMessageAge: Duration.seconds(aws.queueAgeAlarmSeconds),
      ...(aws.alarmEmail ? { email: aws.alarmEmail } : {}),
    });
    const senders = config.senders;
    this.senderAlarms = new SenderAlarms(this, 'SenderAlarms', {
      namePrefix: `telemetry-${config.instance}`,
      senders: senders.watch,
      refusedItems: senders.alarm.refusedItems,
      period: Duration.minutes(senders.alarm.periodMinutes),
      ...(senders.alarm.email ? { email: senders.alarm.email } : {}),
    });

    this.lake = aws.lake.enabled
      ? new TelemetryLake(this, 'Lake', {
          names,
          settings: aws.lake,
          writers: [this.worker.handler.function, this.schedules.handler.function],
          logRetention,
        })
      : undefined;

    if (!config.dataRepository && !(aws.lake.enabled && aws.lake.write === 'lake-only')) {
      Annotations.of(this).addWarningV2(
        'telemetry:no-data-repository',
        'dataRepository is not configured: the worker cannot store records and will park every event in the dead-letter queue (docs/DEPLOYMENT.md, step 2)',
      );
    }
    this.acknowledgeSharedFindings();
    this.outputs(names, props.collectedTriggers, githubParameters(config, names));
  }

  private outputs(
    names: ReturnType<typeof awsNames>,
    triggers: readonly string[],
    github: GitHubParameters,
  ): void {
    const out = (id: string, value: string, description: string) =>
      new CfnOutput(this, id, { value, description });
    out('WebhookUrl', this.webhook.webhookUrl, 'Payload URL of the GitHub organisation webhook');
    out(
      'WebhookEvents',
      githubEventsOf(triggers).join(', ') || 'none',
      'Events to tick on the organisation webhook',
    );
    out(
      'WebhookSecretsPath',
      `${names.webhookSecretsPath}/`,
      'SSM path: one SecureString per accepted webhook secret',
    );
    out(
      'SourceTokenParameter',
      names.sourceTokenParameter,
      'SSM SecureString: token reading the source organisation',
    );
    out(
      'DataTokenParameter',
      names.dataTokenParameter,
      'SSM SecureString: token committing to the data repository',
    );
    out(
      'GitHubCredentialParameters',
      github.read.join(', '),
      'SSM parameters the functions read GitHub credentials from (githubAuth: tokens or the GitHub App)',
    );
    out('SendersPath', `${names.sendersPath}/`, 'SSM path: one SecureString per push sender');
    out('QueueName', this.events.queue.queueName, 'Event queue');
    out(
      'DeadLetterQueueName',
      this.events.deadLetterQueue.queueName,
      'Parked events (`telemetry redrive` moves them back)',
    );
    out('ScheduleDeadLetterQueueName', this.schedules.deadLetterQueue.queueName, 'Failed scheduled job runs');
    out(
      'ClaimCheckBucketName',
      this.events.claimCheckBucket.bucketName,
      'Bodies of events above the SQS message limit',
    );
    if (this.alarms.topic) out('AlarmTopicArn', this.alarms.topic.topicArn, 'SNS topic the alarms notify');
  }

  /** Findings several constructs share, acknowledged once with their reasons. */
  private acknowledgeSharedFindings(): void {
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: 'The AWS managed basic execution policy only lets a function write its own CloudWatch logs.',
    });
    const bucket = this.resolve(
      this.getLogicalId(this.events.claimCheckBucket.node.defaultChild as CfnBucket),
    );
    Validations.of(this).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${bucket}.Arn>/claim-checks/*]`,
      reason:
        'Claim checks are objects with generated keys under claim-checks/: the functions read or write only that prefix.',
    });
  }
}

/**
 * The configuration the worker and schedule functions need, as JSON for an environment variable. The local
 * server's settings and the deployment's own stay out: the functions do not read them, and Lambda allows
 * 4 KB of environment in all.
 */
export function functionConfig(config: TelemetryConfig): string {
  const { server: _server, aws: _aws, ...needed } = config;
  const json = JSON.stringify(needed);
  if (Buffer.byteLength(json) > ENVIRONMENT_LIMIT_BYTES - 1024) {
    throw new Error(
      `the configuration is ${Buffer.byteLength(json)} bytes as JSON; the functions receive it as an environment variable, which Lambda limits to about 3 KB here: shorten schedules' inputs or metric settings`,
    );
  }
  return json;
}
