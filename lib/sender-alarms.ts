import { type Duration, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { SENDER_METRICS } from '../lambda/adapters/environment';

export interface SenderAlarmsProps {
  /** Prefix of every alarm name, e.g. `telemetry-default`. */
  readonly namePrefix: string;
  /** `senders.watch`: one alarm each. */
  readonly senders: readonly string[];
  /** Refused items within `period` that raise a sender's alarm. */
  readonly refusedItems: number;
  readonly period: Duration;
  /** Notify this address (its own SNS topic and email subscription); absent: the alarms only show in CloudWatch. */
  readonly email?: string;
}

/**
 * One alarm per watched sender on the `RefusedItems` metric the webhook publishes (EMF, dimensions `service`
 * and `Sender`): a sender that starts sending bad data is noticed even when its own CI log is not read.
 */
export class SenderAlarms extends Construct {
  readonly alarms: Alarm[] = [];
  readonly topic?: Topic;

  constructor(scope: Construct, id: string, props: SenderAlarmsProps) {
    super(scope, id);
    if (props.senders.length === 0) return;
    if (props.email) {
      this.topic = new Topic(this, 'Topic', {
        displayName: `${props.namePrefix} sender alarms`,
        enforceSSL: true,
      });
      this.topic.addSubscription(new EmailSubscription(props.email));
      Validations.of(this.topic).acknowledge({
        id: 'AwsSolutions-SNS2',
        reason:
          'Alarm notifications carry alarm names and states, no data. CloudWatch cannot publish to a topic under the AWS managed SNS key, and a customer key would cost at rest for nothing.',
      });
    }
    for (const sender of props.senders) {
      const alarm = new Alarm(this, `Refused-${sender}`, {
        alarmName: `${props.namePrefix}-sender-${sender}-refused`,
        alarmDescription: `Sender ${sender} had at least ${props.refusedItems} refused item(s) in ${props.period.toMinutes()} min: see \`telemetry senders\` and its refused-request log (_state/senders/${sender}.json)`,
        metric: new Metric({
          namespace: SENDER_METRICS.namespace,
          metricName: SENDER_METRICS.refusedItems,
          dimensionsMap: { service: SENDER_METRICS.service, [SENDER_METRICS.senderDimension]: sender },
          statistic: 'Sum',
          period: props.period,
        }),
        threshold: props.refusedItems,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      if (this.topic) alarm.addAlarmAction(new SnsAction(this.topic));
      this.alarms.push(alarm);
    }
  }
}
