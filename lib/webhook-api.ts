import { Duration, Validations } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  EndpointType,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  ResponseType,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import { AnyPrincipal, Effect, PolicyDocument, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ENV } from '../lambda/adapters/environment';
import type { EventQueue } from './event-queue';
import { grantReadPaths } from './parameters';
import { TelemetryFunction } from './telemetry-function';

export interface WebhookApiProps {
  readonly apiName: string;
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
  /** Stage throttling: steady requests per second, and burst. */
  readonly rateLimit: number;
  readonly burstLimit: number;
  /** Only these CIDRs may call the API (resource policy); empty or absent: no resource policy. */
  readonly allowedCidrs?: readonly string[];
  /** Create the account-level CloudWatch role API Gateway execution logging needs (`AWS::ApiGateway::Account`). */
  readonly createCloudWatchRole: boolean;
  readonly logRetention: RetentionDays;
}

/** The stage the webhook URL lives on: `https://<id>.execute-api.<region>.amazonaws.com/v1/telemetry`. */
export const STAGE_NAME = 'v1';

/**
 * `POST /telemetry`: a regional REST API (throttled, access-logged as JSON, execution errors logged, optionally
 * limited to configured CIDRs) proxying to the webhook function, which verifies, identifies and enqueues.
 */
export class WebhookApi extends Construct {
  readonly api: RestApi;
  readonly handler: TelemetryFunction;
  readonly accessLogs: LogGroup;

  constructor(scope: Construct, id: string, props: WebhookApiProps) {
    super(scope, id);
    const { events } = props;
    this.handler = new TelemetryFunction(this, 'Handler', {
      entry: 'webhook',
      functionName: props.functionName,
      description: 'POST /telemetry: verifies GitHub deliveries and queues them',
      memoryMb: props.memoryMb,
      timeout: props.timeout,
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

    this.accessLogs = new LogGroup(this, 'AccessLogs', { retention: props.logRetention });
    const cidrs = props.allowedCidrs ?? [];
    this.api = new RestApi(this, 'Api', {
      restApiName: props.apiName,
      description: 'github-telemetry webhook: POST /telemetry',
      endpointTypes: [EndpointType.REGIONAL],
      // Every body reaches the function base64-encoded, byte for byte: the HMAC is over the exact bytes.
      binaryMediaTypes: ['*/*'],
      cloudWatchRole: props.createCloudWatchRole,
      deployOptions: {
        stageName: STAGE_NAME,
        throttlingRateLimit: props.rateLimit,
        throttlingBurstLimit: props.burstLimit,
        accessLogDestination: new LogGroupLogDestination(this.accessLogs),
        accessLogFormat: AccessLogFormat.jsonWithStandardFields({
          caller: false,
          httpMethod: true,
          ip: true,
          protocol: true,
          requestTime: true,
          resourcePath: true,
          responseLength: true,
          status: true,
          user: false,
        }),
        // Errors only, and never request or response bodies or headers (signatures, payloads).
        loggingLevel: MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        metricsEnabled: true,
      },
      ...(cidrs.length > 0 ? { policy: callersOnly(cidrs) } : {}),
    });
    this.api.root
      .addResource('telemetry')
      .addMethod('POST', new LambdaIntegration(fn, { proxy: true, timeout: Duration.seconds(29) }));
    // Any other path or method: a JSON 404 instead of API Gateway's misleading 403 "Missing Authentication Token".
    this.api.addGatewayResponse('UnknownRoute', {
      type: ResponseType.MISSING_AUTHENTICATION_TOKEN,
      statusCode: '404',
      templates: { 'application/json': '{"error":"no such route; POST /telemetry"}' },
    });

    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG2',
      reason:
        'Validation happens in the function, in the order of the HTTP contract (413, 415, 401, 400): an API Gateway validator would answer 400 before the signature is checked, and nothing may be parsed before it is.',
    });
    for (const id of ['AwsSolutions-APIG4', 'AwsSolutions-COG4']) {
      Validations.of(this.api).acknowledge({
        id,
        reason:
          'GitHub webhooks cannot send IAM, Cognito or token credentials: every delivery is authenticated by its HMAC-SHA256 signature in the function.',
      });
    }
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG3',
      reason:
        'One signed POST route behind stage throttling and an optional CIDR resource policy (aws.api.allowedCidrs); WAF would add cost at rest without protecting more.',
    });
  }
}

/** Allows `POST /telemetry` from the given CIDRs only. */
function callersOnly(cidrs: readonly string[]): PolicyDocument {
  return new PolicyDocument({
    statements: [
      new PolicyStatement({
        effect: Effect.ALLOW,
        principals: [new AnyPrincipal()],
        actions: ['execute-api:Invoke'],
        resources: ['execute-api:/*/POST/telemetry'],
      }),
      new PolicyStatement({
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ['execute-api:Invoke'],
        resources: ['execute-api:/*'],
        conditions: { NotIpAddress: { 'aws:SourceIp': [...cidrs] } },
      }),
    ],
  });
}
