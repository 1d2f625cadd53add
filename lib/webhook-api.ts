import { type Duration, Fn } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { type FunctionUrl, FunctionUrlAuthType, InvokeMode } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ENV, WEBHOOK_PATH } from '../lambda/adapters/environment';
import type { EventQueue } from './event-queue';
import { grantReadPaths } from './parameters';
import { TelemetryFunction } from './telemetry-function';

/**
 * What receives GitHub's deliveries: the webhook function's own URL. The soak bench prices the stack with the
 * front door named here (bench/soak.bench.ts), so the cost it reports is the deployed one.
 */
export const FRONT_DOOR = 'function_url' as const;
export type FrontDoor = 'rest_api' | 'http_api' | 'function_url';

export interface WebhookApiProps {
  readonly functionName: string;
  readonly events: EventQueue;
  /** SSM path holding one SecureString per accepted webhook secret. */
  readonly webhookSecretsPath: string;
  /** SSM path holding one SecureString per push sender (read by the push handler). */
  readonly sendersPath: string;
  /** Triggers at least one metric collects; every other delivery is acknowledged without queueing. */
  readonly collectedTriggers: readonly string[];
  readonly maxBodyBytes: number;
  /** Pushes signed further than this from the function's clock are refused as replays (`push.maxSkewSeconds`). */
  readonly pushMaxSkewSeconds: number;
  readonly secretCacheTtl: Duration;
  readonly memoryMb: number;
  readonly timeout: Duration;
  /** The function's reserved concurrency: the most deliveries handled at once (the front door's throttle). */
  readonly reservedConcurrency: number;
  /** Only these CIDRs are served (checked by the function before any work); empty or absent: anyone. */
  readonly allowedCidrs?: readonly string[];
  readonly logRetention: RetentionDays;
}

/**
 * `POST /telemetry` on the webhook function's URL (auth NONE: every delivery is authenticated by its HMAC
 * signature in the function, which also enforces the optional CIDR allow-list and answers other routes 404).
 * Reserved concurrency bounds how many deliveries run at once; Lambda answers 429 beyond it.
 */
export class WebhookApi extends Construct {
  readonly handler: TelemetryFunction;
  readonly functionUrl: FunctionUrl;
  /** The payload URL for GitHub: the function URL with `/telemetry`. */
  readonly webhookUrl: string;

  constructor(scope: Construct, id: string, props: WebhookApiProps) {
    super(scope, id);
    const { events } = props;
    this.handler = new TelemetryFunction(this, 'Handler', {
      entry: 'webhook',
      functionName: props.functionName,
      description: 'POST /telemetry: verifies GitHub deliveries and queues them',
      memoryMb: props.memoryMb,
      timeout: props.timeout,
      reservedConcurrency: props.reservedConcurrency,
      logRetention: props.logRetention,
      environment: {
        [ENV.queueUrl]: events.queue.queueUrl,
        [ENV.claimCheckBucket]: events.claimCheckBucket.bucketName,
        [ENV.webhookSecretsPath]: props.webhookSecretsPath,
        [ENV.sendersPath]: props.sendersPath,
        [ENV.secretCacheTtlSeconds]: String(props.secretCacheTtl.toSeconds()),
        [ENV.maxBodyBytes]: String(props.maxBodyBytes),
        [ENV.pushMaxSkewSeconds]: String(props.pushMaxSkewSeconds),
        [ENV.collectedTriggers]: [...props.collectedTriggers].sort().join(','),
        [ENV.allowedCidrs]: (props.allowedCidrs ?? []).join(','),
      },
    });
    const fn = this.handler.function;
    events.queue.grantSendMessages(fn);
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [events.claimCheckBucket.arnForObjects('claim-checks/*')],
      }),
    );
    grantReadPaths(fn, this, [props.webhookSecretsPath, props.sendersPath]);

    this.functionUrl = fn.addFunctionUrl({
      authType: FunctionUrlAuthType.NONE,
      invokeMode: InvokeMode.BUFFERED,
    });
    // The URL ends with a slash: https://<id>.lambda-url.<region>.on.aws/
    this.webhookUrl = Fn.join('', [this.functionUrl.url, WEBHOOK_PATH.slice(1)]);
  }
}
