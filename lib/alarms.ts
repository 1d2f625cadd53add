import { Duration, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, type IMetric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface TelemetryAlarmsProps {
  /** Prefix of every alarm name, e.g. `telemetry-default`. */
  readonly namePrefix: string;
  readonly queue: IQueue;
  readonly deadLetterQueue: IQueue;
  readonly scheduleDeadLetterQueue: IQueue;
  readonly worker: IFunction;
  /** The webhook function behind its URL (its `Url5xxCount` metric). */
  readonly webhook: IFunction;
  /** Alarm threshold for the age of the oldest queued message. */
  readonly oldestMessageAge: Duration;
  /** Notify this address (SNS email subscription); absent: alarms only show in CloudWatch. */
  readonly email?: string;
}

/**
 * What an operator must hear about: deliveries parked (event or schedule dead-letter queue not empty), the
 * worker failing, the webhook answering 5xx (GitHub marks those deliveries failed), the queue falling behind.
 */
export class TelemetryAlarms extends Construct {
  readonly alarms: Alarm[] = [];
  readonly topic?: Topic;

  constructor(scope: Construct, id: string, props: TelemetryAlarmsProps) {
    super(scope, id);
    if (props.email) {
      this.topic = new Topic(this, 'Topic', { displayName: `${props.namePrefix} alarms`, enforceSSL: true });
      this.topic.addSubscription(new EmailSubscription(props.email));
      Validations.of(this.topic).acknowledge({
        id: 'AwsSolutions-SNS2',
        reason:
          'Alarm notifications carry alarm names and states, no data. CloudWatch cannot publish to a topic under the AWS managed SNS key, and a customer key would cost at rest for nothing.',
      });
    }
    const fiveMinutes = Duration.minutes(5);
    this.add(
      'DeadLetters',
      `${props.namePrefix}-dead-letters`,
      'Events parked in the dead-letter queue: inspect, fix, then `telemetry redrive`',
      props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: 'Maximum',
      }),
      1,
    );
    this.add(
      'ScheduleDeadLetters',
      `${props.namePrefix}-schedule-dead-letters`,
      'A scheduled job failed after its retries (see the schedule dead-letter queue and the schedule function logs)',
      props.scheduleDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: 'Maximum',
      }),
      1,
    );
    this.add(
      'WorkerErrors',
      `${props.namePrefix}-worker-errors`,
      'The worker function failed whole invocations',
      props.worker.metricErrors({ period: fiveMinutes, statistic: 'Sum' }),
      1,
    );
    this.add(
      'WebhookServerErrors',
      `${props.namePrefix}-webhook-5xx`,
      'The webhook answered 5xx: GitHub marked those deliveries failed (the redelivery job recovers them)',
      props.webhook.metric('Url5xxCount', { period: fiveMinutes, statistic: 'Sum' }),
      1,
    );
    this.add(
      'OldestMessage',
      `${props.namePrefix}-queue-behind`,
      `The oldest queued event waited longer than ${props.oldestMessageAge.toSeconds()} s`,
      props.queue.metricApproximateAgeOfOldestMessage({ period: fiveMinutes, statistic: 'Maximum' }),
      props.oldestMessageAge.toSeconds(),
    );
  }

  private add(id: string, alarmName: string, description: string, metric: IMetric, threshold: number): void {
    const alarm = new Alarm(this, id, {
      alarmName,
      alarmDescription: description,
      metric,
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    if (this.topic) alarm.addAlarmAction(new SnsAction(this.topic));
    this.alarms.push(alarm);
  }
}
