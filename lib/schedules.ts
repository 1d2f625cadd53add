import { Duration, Stack, TimeZone, Validations } from 'aws-cdk-lib';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Schedule, ScheduleExpression, ScheduleGroup, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '../lambda/adapters/environment';
import { type GitHubParameters, grantReadParameters } from './parameters';
import { storeMaxWaitMs, TelemetryFunction } from './telemetry-function';

/** One schedule of the configuration (`schedules[]`). */
export interface ScheduleDefinition {
  readonly name: string;
  /** `cron(...)` or `rate(...)` as EventBridge Scheduler writes it. */
  readonly cron: string;
  /** IANA time zone the cron expression is read in. */
  readonly timezone: string;
  /** A job registered in src/jobs/registry.ts. */
  readonly job: string;
  readonly input: Record<string, unknown>;
}

export interface SchedulesProps {
  readonly functionName: string;
  readonly scheduleGroupName: string;
  readonly deadLetterQueueName: string;
  readonly schedules: readonly ScheduleDefinition[];
  readonly configJson: string;
  /** The SSM parameters of the GitHub credentials `githubAuth` uses (lib/parameters.ts). */
  readonly github: GitHubParameters;
  readonly secretCacheTtl: Duration;
  readonly memoryMb: number;
  readonly timeout: Duration;
  /** Retries of a failed job run (0 to 2) before it goes to the dead-letter queue. */
  readonly retryAttempts: number;
  readonly logRetention: RetentionDays;
}

/**
 * EventBridge Scheduler schedules (cron with time zone) invoking the schedule function, which runs the
 * registered job each names. A schedule that cannot invoke the function, and a job run that still fails after
 * its retries, both land in the schedule dead-letter queue.
 */
export class Schedules extends Construct {
  readonly handler: TelemetryFunction;
  readonly group: ScheduleGroup;
  readonly deadLetterQueue: Queue;
  readonly schedules: Schedule[] = [];

  constructor(scope: Construct, id: string, props: SchedulesProps) {
    super(scope, id);
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      queueName: props.deadLetterQueueName,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        "This queue is the dead-letter queue of the schedules and of the schedule function's failed runs.",
    });
    this.handler = new TelemetryFunction(this, 'Handler', {
      entry: 'schedule',
      functionName: props.functionName,
      description: 'Runs the scheduled jobs (backfill, redelivery, ...)',
      memoryMb: props.memoryMb,
      timeout: props.timeout,
      logRetention: props.logRetention,
      environment: {
        [ENV.config]: props.configJson,
        ...props.github.environment,
        [ENV.storeMaxWaitMs]: String(storeMaxWaitMs(props.timeout)),
        [ENV.secretCacheTtlSeconds]: String(props.secretCacheTtl.toSeconds()),
      },
    });
    const fn = this.handler.function;
    fn.configureAsyncInvoke({
      retryAttempts: props.retryAttempts,
      maxEventAge: Duration.hours(6),
      onFailure: new SqsDestination(this.deadLetterQueue),
    });
    grantReadParameters(fn, this, props.github.read);

    this.group = new ScheduleGroup(this, 'Group', { scheduleGroupName: props.scheduleGroupName });
    for (const definition of props.schedules) {
      this.schedules.push(
        new Schedule(this, `Schedule-${definition.name}`, {
          scheduleName: definition.name,
          scheduleGroup: this.group,
          description: `runs job ${definition.job}`,
          schedule: ScheduleExpression.expression(definition.cron, TimeZone.of(definition.timezone)),
          target: new LambdaInvoke(fn, {
            input: ScheduleTargetInput.fromObject({
              schedule: definition.name,
              job: definition.job,
              input: definition.input,
            }),
            retryAttempts: 3,
            maxEventAge: Duration.hours(1),
            deadLetterQueue: this.deadLetterQueue,
          }),
        }),
      );
    }
    if (this.schedules.length > 0) {
      // The scheduler's role (created by LambdaInvoke at stack level) may invoke the function and its versions.
      const stack = Stack.of(this);
      const fnId = stack.resolve(stack.getLogicalId(fn.node.defaultChild as CfnFunction));
      Validations.of(stack).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${fnId}.Arn>:*]`,
        reason: 'EventBridge Scheduler may invoke the schedule function and its versions; nothing else.',
      });
    }
  }
}
