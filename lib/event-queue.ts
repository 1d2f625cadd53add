import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** The queue's visibility timeout is this many times the consumer's timeout (AWS's rule for SQS → Lambda). */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

export interface EventQueueProps {
  /** Queue name; the dead-letter queue is `<queueName>-dlq`. */
  readonly queueName: string;
  readonly deadLetterQueueName: string;
  /** Timeout of the consuming function: the visibility timeout is six times it (AWS's rule for SQS → Lambda). */
  readonly consumerTimeout: Duration;
  /** Receives before a message is moved to the dead-letter queue. */
  readonly maxReceiveCount: number;
  /** How long a message waits in the queue. */
  readonly retention: Duration;
  /** Days a claim-checked body stays in the bucket; must outlast the dead-letter queue's 14 days. */
  readonly claimCheckExpiry: Duration;
}

/**
 * The durable hand-off between the webhook and the worker: an SQS queue with its dead-letter queue (both
 * encrypted and TLS-only) and the claim-check bucket for events above the 1 MiB SQS message limit.
 */
export class EventQueue extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly claimCheckBucket: Bucket;

  /** Dead-lettered messages are kept the longest SQS allows, for the operator to inspect and redrive. */
  static readonly DEAD_LETTER_RETENTION = Duration.days(14);

  constructor(scope: Construct, id: string, props: EventQueueProps) {
    super(scope, id);
    if (props.claimCheckExpiry.toDays() <= EventQueue.DEAD_LETTER_RETENTION.toDays()) {
      throw new Error(
        'the claim-check expiry must be longer than the 14 days the dead-letter queue keeps messages',
      );
    }
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      queueName: props.deadLetterQueueName,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: EventQueue.DEAD_LETTER_RETENTION,
      maxMessageSizeBytes: 1024 * 1024,
    });
    this.queue = new Queue(this, 'Queue', {
      queueName: props.queueName,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(props.consumerTimeout.toSeconds() * VISIBILITY_TIMEOUT_FACTOR),
      retentionPeriod: props.retention,
      maxMessageSizeBytes: 1024 * 1024,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount },
    });
    this.claimCheckBucket = new Bucket(this, 'ClaimCheckBucket', {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [
        {
          id: 'expire-claim-checks',
          expiration: props.claimCheckExpiry,
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      // A delivery parked in the dead-letter queue may still need its body: never delete it with the stack.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.claimCheckBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        "Short-lived claim checks written and read only by the stack's own functions through IAM; CloudTrail records the API calls. A second bucket for access logs would outlive and outcost the data.",
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is the dead-letter queue of the event queue.',
    });
  }
}
