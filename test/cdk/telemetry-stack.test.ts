import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { CURRENTLY_RECOMMENDED_FLAGS } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks } from 'cdk-nag';
import { z } from 'zod';
import { ENV } from '../../lambda/adapters/environment';
import { checkSchedules, createTelemetryApp, type JobShape } from '../../lib/app';
import { githubParameters } from '../../lib/parameters';
import { functionConfig } from '../../lib/telemetry-stack';
import { awsNames } from '../../src/config/aws-settings';
import { configSchema } from '../../src/config/config';
import { findJob as registeredJob } from '../../src/jobs/registry';
import { collectedTriggers } from '../../src/metrics/registry';

// Synthesised once per configuration (aws-cdk-lib is slow to load), with the feature flags of cdk.json as
// `cdk synth` and `cdk deploy` use them; bundling skipped (esbuild runs in `npm run synth` and the lambda
// benchmark).
const CDK_JSON = JSON.parse(readFileSync(join(__dirname, '..', '..', 'cdk.json'), 'utf8'));
const NO_BUNDLING = { context: { ...CDK_JSON.context, 'aws:cdk:bundling-stacks': [] } };
const backfill: JobShape = { input: z.object({ days: z.number().int().positive() }).strict() };
const findJob = (name: string) => (name === 'backfill' ? backfill : undefined);

const config = configSchema.parse({
  instance: 'acme',
  dataRepository: { owner: 'acme', name: 'telemetry-data' },
  schedules: [
    {
      name: 'nightly-backfill',
      cron: 'cron(15 2 * * ? *)',
      timezone: 'Europe/Paris',
      job: 'backfill',
      input: { days: 3 },
    },
  ],
  aws: {
    api: { allowedCidrs: ['192.30.252.0/22', '2a0a:a440::/29'] },
    worker: { batchSize: 500, maxBatchingWindowSeconds: 30, timeoutSeconds: 120, maxReceiveCount: 4 },
    webhook: { secretCacheTtlSeconds: 120, reservedConcurrency: 20 },
    alarmEmail: 'oncall@example.com',
    logRetentionDays: 30,
    queueAgeAlarmSeconds: 1800,
  },
  senders: {
    watch: ['jenkins', 'gitlab'],
    alarm: { refusedItems: 5, periodMinutes: 30, email: 'ci-owners@example.com' },
  },
});

const { app, stack } = createTelemetryApp({
  config,
  collectedTriggers: [...collectedTriggers()],
  findJob,
  appProps: NO_BUNDLING,
});
// Synthesising the app runs cdk-nag: any unacknowledged AwsSolutions finding throws here.
const assembly = app.synth();
const template = Template.fromStack(stack);

const parameterArn = (name: string) => ({
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':ssm:',
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      `:parameter${name}`,
    ],
  ],
});
const ref = (type: string, id: RegExp) => {
  const found = Object.keys(template.findResources(type)).filter((k) => id.test(k));
  expect(found).toHaveLength(1);
  return found[0] as string;
};
const queueId = ref('AWS::SQS::Queue', /^EventsQueue/);
const dlqId = ref('AWS::SQS::Queue', /^EventsDeadLetterQueue/);
const scheduleDlqId = ref('AWS::SQS::Queue', /^SchedulesDeadLetterQueue/);
const bucketId = ref('AWS::S3::Bucket', /^EventsClaimCheckBucket/);
const fnId = (name: string) => ref('AWS::Lambda::Function', new RegExp(`^${name}HandlerFunction[0-9A-F]+$`));
const policyOf = (name: string) => {
  const policies = template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: [{ Ref: Match.stringLikeRegexp(`^${name}HandlerFunctionServiceRole`) }] },
  });
  const docs = Object.values(policies).map((p) => p.Properties.PolicyDocument.Statement);
  expect(docs).toHaveLength(1);
  return docs[0] as { Action: string | string[]; Resource: unknown; Effect: string }[];
};

// Statements list their actions and resources sorted (flag @aws-cdk/aws-iam:minimizePolicies).
describe('TelemetryStack', () => {
  it('passes cdk-nag AwsSolutions with every acknowledgement carrying a reason, and no warnings', () => {
    expect(assembly.getStackArtifact(stack.artifactId).messages.filter((m) => m.level !== 'info')).toEqual(
      [],
    );
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
    const acknowledged = stack.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
      .flatMap((m) => Object.entries(m.data as Record<string, string>));
    expect(acknowledged.map(([id]) => id)).toEqual(
      expect.arrayContaining(['Annotation::AwsSolutions-SQS3', 'Annotation::AwsSolutions-S1']),
    );
    for (const [, reason] of acknowledged) expect(reason.length).toBeGreaterThan(40);
  });

  it('cdk.json sets every feature flag the installed aws-cdk-lib recommends, as `cdk init` writes them', () => {
    const flags = Object.fromEntries(
      Object.entries(CDK_JSON.context).filter(([name]) => name.startsWith('@aws-cdk')),
    );
    expect(flags).toEqual(CURRENTLY_RECOMMENDED_FLAGS);
    expect(Object.keys(flags)).toEqual(Object.keys(flags).sort());
  });

  it('fails the synth on an unacknowledged finding (the nag check is live)', () => {
    const bare = new App(NO_BUNDLING);
    Validations.of(bare).addPlugins(new AwsSolutionsChecks(bare));
    new Queue(new Stack(bare, 'Bare'), 'Plain', { enforceSSL: false });
    expect(() => bare.synth()).toThrow(/AwsSolutions-SQS/);
  });

  it('fronts the webhook with its function URL: auth NONE (the HMAC is the authentication), throttled by reserved concurrency', () => {
    template.resourceCountIs('AWS::ApiGateway::RestApi', 0);
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 0);
    template.resourceCountIs('AWS::ApiGateway::Account', 0);
    template.resourceCountIs('AWS::Lambda::Url', 1);
    template.hasResourceProperties('AWS::Lambda::Url', {
      AuthType: 'NONE',
      InvokeMode: 'BUFFERED',
      TargetFunctionArn: { 'Fn::GetAtt': [fnId('Webhook'), 'Arn'] },
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunctionUrl',
      FunctionName: { 'Fn::GetAtt': [fnId('Webhook'), 'Arn'] },
      Principal: '*',
      FunctionUrlAuthType: 'NONE',
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'telemetry-acme-webhook',
      ReservedConcurrentExecutions: 20,
    });
  });

  it('hands the function the CIDR allow-list it enforces before any work', () => {
    const fn = template.findResources('AWS::Lambda::Function')[fnId('Webhook')]?.Properties;
    expect(fn.Environment.Variables[ENV.allowedCidrs]).toBe('192.30.252.0/22,2a0a:a440::/29');
  });

  it('queues durably: encrypted TLS-only queues, redrive to the DLQ, visibility six times the worker timeout', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'telemetry-acme-events',
      VisibilityTimeout: 6 * 120,
      MaximumMessageSize: 1048576,
      MessageRetentionPeriod: 4 * 86400,
      SqsManagedSseEnabled: true,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] }, maxReceiveCount: 4 },
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'telemetry-acme-events-dlq',
      MessageRetentionPeriod: 14 * 86400,
      SqsManagedSseEnabled: true,
    });
    for (const id of [queueId, dlqId, scheduleDlqId]) {
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: id }],
        PolicyDocument: {
          Statement: [
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ],
        },
      });
    }
  });

  it('keeps claim checks in an encrypted, private, TLS-only bucket that expires them', () => {
    template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 30, Status: 'Enabled' })] },
      },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: [
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ],
      },
    });
  });

  it('runs every function on nodejs24.x arm64 with JSON logs in a log group with retention', () => {
    for (const [name, physical, timeout] of [
      ['Webhook', 'telemetry-acme-webhook', 10],
      ['Worker', 'telemetry-acme-worker', 120],
      ['Schedules', 'telemetry-acme-schedule', 900],
    ] as const) {
      template.hasResourceProperties('AWS::Lambda::Function', {
        FunctionName: physical,
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        Timeout: timeout,
        LoggingConfig: {
          LogFormat: 'JSON',
          LogGroup: { Ref: Match.stringLikeRegexp(`^${name}HandlerLogs`) },
        },
        Environment: { Variables: Match.objectLike({ NODE_OPTIONS: '--enable-source-maps' }) },
      });
      template.hasResource('AWS::Logs::LogGroup', {
        DeletionPolicy: 'Delete',
        Properties: { LogGroupName: `/aws/lambda/${physical}`, RetentionInDays: 30 },
      });
    }
  });

  it('hands the webhook its queue, bucket, secret path, cache TTL and the collected triggers', () => {
    const fn = template.findResources('AWS::Lambda::Function')[fnId('Webhook')]?.Properties;
    const env = fn.Environment.Variables;
    expect(env[ENV.queueUrl]).toEqual({ Ref: queueId });
    expect(env[ENV.claimCheckBucket]).toEqual({ Ref: bucketId });
    expect(env[ENV.webhookSecretsPath]).toBe('/telemetry/acme/webhook-secrets');
    expect(env[ENV.sendersPath]).toBe('/telemetry/acme/senders');
    expect(env[ENV.secretCacheTtlSeconds]).toBe('120');
    expect(env[ENV.maxBodyBytes]).toBe(String(config.server.maxBodyBytes));
    expect(env[ENV.collectedTriggers].split(',').sort()).toEqual([...collectedTriggers()].sort());
  });

  it('grants the webhook exactly: send to the queue, put claim checks, read its two SSM paths', () => {
    expect(policyOf('Webhook')).toEqual([
      {
        Effect: 'Allow',
        Action: ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'],
        Resource: { 'Fn::GetAtt': [queueId, 'Arn'] },
      },
      {
        Effect: 'Allow',
        Action: 's3:PutObject',
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/claim-checks/*']] },
      },
      {
        Effect: 'Allow',
        Action: 'ssm:GetParametersByPath',
        Resource: [parameterArn('/telemetry/acme/senders'), parameterArn('/telemetry/acme/webhook-secrets')],
      },
    ]);
  });

  it('grants the worker exactly: consume and requeue on the queue, park in the DLQ, read claim checks and its two tokens', () => {
    expect(policyOf('Worker')).toEqual([
      {
        Effect: 'Allow',
        Action: [
          'sqs:ChangeMessageVisibility',
          'sqs:DeleteMessage',
          'sqs:GetQueueAttributes',
          'sqs:GetQueueUrl',
          'sqs:ReceiveMessage',
          // Transient failures are sent again before SQS would dead-letter them (one statement with the
          // consumer's actions: cdk.json's @aws-cdk/aws-iam:minimizePolicies merges them).
          'sqs:SendMessage',
        ],
        Resource: { 'Fn::GetAtt': [queueId, 'Arn'] },
      },
      {
        Effect: 'Allow',
        Action: ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'],
        Resource: { 'Fn::GetAtt': [dlqId, 'Arn'] },
      },
      {
        Effect: 'Allow',
        Action: 's3:GetObject',
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/claim-checks/*']] },
      },
      {
        Effect: 'Allow',
        Action: 'ssm:GetParameter',
        Resource: [
          parameterArn('/telemetry/acme/data-repository-token'),
          parameterArn('/telemetry/acme/source-repository-token'),
        ],
      },
    ]);
    const env =
      template.findResources('AWS::Lambda::Function')[fnId('Worker')]?.Properties.Environment.Variables;
    expect(env[ENV.deadLetterQueueUrl]).toEqual({ Ref: dlqId });
    expect(env[ENV.queueUrl]).toEqual({ Ref: queueId });
    expect(env[ENV.maxReceiveCount]).toBe(String(config.aws.worker.maxReceiveCount));
    expect(env[ENV.queueRetentionSeconds]).toBe(String(config.aws.worker.queueRetentionDays * 86_400));
    // The write pacer gives up a minute before the 120 s timeout: SQS retries instead of a timeout.
    expect(env[ENV.storeMaxWaitMs]).toBe('60000');
    expect(JSON.parse(env[ENV.config])).toEqual(
      expect.objectContaining({
        instance: 'acme',
        dataRepository: config.dataRepository,
        metrics: config.metrics,
      }),
    );
    expect(JSON.parse(env[ENV.config])).not.toHaveProperty('aws');
  });

  it('feeds the worker in batches: size, window, maximum concurrency 2, partial batch failures', () => {
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      FunctionName: { Ref: fnId('Worker') },
      BatchSize: 500,
      MaximumBatchingWindowInSeconds: 30,
      ScalingConfig: { MaximumConcurrency: 2 },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('schedules jobs with EventBridge Scheduler: cron, time zone, input, retries and a DLQ', () => {
    template.hasResourceProperties('AWS::Scheduler::ScheduleGroup', { Name: 'telemetry-acme' });
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Name: 'nightly-backfill',
      GroupName: 'telemetry-acme',
      ScheduleExpression: 'cron(15 2 * * ? *)',
      ScheduleExpressionTimezone: 'Europe/Paris',
      State: 'ENABLED',
      Target: {
        Arn: { 'Fn::GetAtt': [fnId('Schedules'), 'Arn'] },
        Input: JSON.stringify({ schedule: 'nightly-backfill', job: 'backfill', input: { days: 3 } }),
        RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [scheduleDlqId, 'Arn'] } },
      },
    });
    // The scheduler's own role may invoke the schedule function and write to its DLQ, nothing else.
    const schedulerPolicies = Object.values(
      template.findResources('AWS::IAM::Policy', {
        Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^SchedulerRoleForTarget') }] },
      }),
    );
    expect(schedulerPolicies.map((p) => p.Properties.PolicyDocument.Statement)).toEqual([
      [
        {
          Effect: 'Allow',
          Action: 'lambda:InvokeFunction',
          Resource: [
            { 'Fn::GetAtt': [fnId('Schedules'), 'Arn'] },
            { 'Fn::Join': ['', [{ 'Fn::GetAtt': [fnId('Schedules'), 'Arn'] }, ':*']] },
          ],
        },
        { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': [scheduleDlqId, 'Arn'] } },
      ],
    ]);
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: fnId('Schedules') },
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [scheduleDlqId, 'Arn'] } } },
    });
    expect(policyOf('Schedules')).toEqual(
      expect.arrayContaining([
        {
          Effect: 'Allow',
          Action: 'ssm:GetParameter',
          Resource: [
            parameterArn('/telemetry/acme/data-repository-token'),
            parameterArn('/telemetry/acme/source-repository-token'),
          ],
        },
      ]),
    );
  });

  it('alarms per watched sender on its refused items (the webhook EMF metric), with its own topic and email', () => {
    const topic = ref('AWS::SNS::Topic', /^SenderAlarmsTopic/);
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ci-owners@example.com',
      TopicArn: { Ref: topic },
    });
    for (const sender of ['jenkins', 'gitlab']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: `telemetry-acme-sender-${sender}-refused`,
        AlarmActions: [{ Ref: topic }],
        Namespace: 'GithubTelemetry',
        MetricName: 'RefusedItems',
        Dimensions: [
          { Name: 'Sender', Value: sender },
          { Name: 'service', Value: 'telemetry-webhook' },
        ],
        Statistic: 'Sum',
        Period: 1800,
        Threshold: 5,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
    }
    const topics = template.findResources('AWS::SNS::Topic');
    expect(Object.keys(topics)).toHaveLength(2); // the operational alarms' and the senders'
    for (const t of Object.values(topics)) expect(t.Properties.DisplayName).toMatch(/^telemetry-acme /);
  });

  it('alarms on parked events, worker errors, webhook 5xx and queue age, notifying the configured email', () => {
    const topic = ref('AWS::SNS::Topic', /^AlarmsTopic/);
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
      TopicArn: { Ref: topic },
    });
    const alarm = (name: string, props: Record<string, unknown>) =>
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: name,
        AlarmActions: [{ Ref: topic }],
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        ...props,
      });
    const queueDimension = (id: string) => [
      { Name: 'QueueName', Value: { 'Fn::GetAtt': [id, 'QueueName'] } },
    ];
    alarm('telemetry-acme-dead-letters', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 1,
      Dimensions: queueDimension(dlqId),
    });
    alarm('telemetry-acme-schedule-dead-letters', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 1,
      Dimensions: queueDimension(scheduleDlqId),
    });
    alarm('telemetry-acme-worker-errors', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Threshold: 1,
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: fnId('Worker') } }],
    });
    alarm('telemetry-acme-webhook-5xx', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Url5xxCount',
      Statistic: 'Sum',
      Threshold: 1,
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: fnId('Webhook') } }],
    });
    alarm('telemetry-acme-queue-behind', {
      MetricName: 'ApproximateAgeOfOldestMessage',
      Threshold: 1800,
      Dimensions: queueDimension(queueId),
    });
  });

  it('outputs the webhook URL, parameter names and queue names', () => {
    const outputs = template.findOutputs('*');
    expect(Object.keys(outputs).sort()).toEqual([
      'AlarmTopicArn',
      'ClaimCheckBucketName',
      'DataTokenParameter',
      'DeadLetterQueueName',
      'GitHubCredentialParameters',
      'QueueName',
      'ScheduleDeadLetterQueueName',
      'SendersPath',
      'SourceTokenParameter',
      'WebhookEvents',
      'WebhookSecretsPath',
      'WebhookUrl',
    ]);
    const events = [
      ...new Set(
        [...collectedTriggers()]
          .filter((t) => t.startsWith('github::'))
          .map((t) => t.replace(/^github::/, '').split('.')[0]),
      ),
    ].sort();
    expect(outputs.WebhookEvents?.Value).toBe(events.join(', '));
    expect(outputs.WebhookEvents?.Value).toContain('workflow_job');
    expect(outputs.WebhookSecretsPath?.Value).toBe('/telemetry/acme/webhook-secrets/');
    expect(outputs.DataTokenParameter?.Value).toBe('/telemetry/acme/data-repository-token');
    expect(outputs.GitHubCredentialParameters?.Value).toBe(
      '/telemetry/acme/source-repository-token, /telemetry/acme/data-repository-token',
    );
    // The function URL (it ends with a slash) followed by the route: https://<id>.lambda-url.<region>.on.aws/telemetry
    expect(outputs.WebhookUrl?.Value).toEqual({
      'Fn::Join': [
        '',
        [
          { 'Fn::GetAtt': [ref('AWS::Lambda::Url', /^WebhookHandlerFunctionFunctionUrl/), 'FunctionUrl'] },
          'telemetry',
        ],
      ],
    });
  });
});

describe('TelemetryStack with the default configuration', () => {
  const defaults = configSchema.parse({});
  const built = createTelemetryApp({
    config: defaults,
    collectedTriggers: ['github::workflow_job.completed'],
    findJob,
    appProps: NO_BUNDLING,
  });
  built.app.synth();
  const t = Template.fromStack(built.stack);

  it('is sized for batching and cheap at rest: no allow-list, no topic, no schedules', () => {
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 2500,
      MaximumBatchingWindowInSeconds: 300,
      ScalingConfig: { MaximumConcurrency: 2 },
    });
    t.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'telemetry-default-events',
      VisibilityTimeout: 1800,
    });
    const webhook = Object.values(t.findResources('AWS::Lambda::Function')).find(
      (f) => f.Properties.FunctionName === 'telemetry-default-webhook',
    );
    expect(webhook?.Properties.Environment.Variables[ENV.allowedCidrs]).toBe('');
    expect(webhook?.Properties.ReservedConcurrentExecutions).toBe(10);
    t.resourceCountIs('AWS::SNS::Topic', 0);
    t.resourceCountIs('AWS::Scheduler::Schedule', 0);
    t.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
    expect(Object.keys(t.findOutputs('*'))).not.toContain('AlarmTopicArn');
  });

  it('warns when no data repository is configured', () => {
    Annotations.fromStack(built.stack).hasWarning(
      '*',
      Match.stringLikeRegexp('dataRepository is not configured'),
    );
  });
});

describe('configuration handed to the functions', () => {
  it('refuses a configuration too large for the Lambda environment, saying what to shorten', () => {
    const huge = configSchema.parse({
      schedules: Array.from({ length: 40 }, (_, i) => ({
        name: `s${i}`,
        cron: 'rate(1 day)',
        job: 'backfill',
        input: { days: 1, note: 'x'.repeat(100) },
      })),
    });
    expect(() => functionConfig(huge)).toThrow(/environment variable.*shorten schedules' inputs/);
    expect(JSON.parse(functionConfig(configSchema.parse({ instance: 'acme' })))).toMatchObject({
      instance: 'acme',
    });
  });
});

describe('schedule checks at synth time', () => {
  const withSchedule = (schedule: Record<string, unknown>) =>
    configSchema.parse({
      schedules: [{ name: 's', cron: 'rate(1 day)', job: 'backfill', input: { days: 1 }, ...schedule }],
    });

  it('refuses an unknown job, an invalid input and an unknown time zone, naming the schedule', () => {
    expect(() => checkSchedules(withSchedule({ job: 'nope' }), findJob)).toThrow(
      'schedules[0] (s): no job named nope',
    );
    expect(() => checkSchedules(withSchedule({ input: { days: -1 } }), findJob)).toThrow(
      'schedules[0] (s): input.days',
    );
    expect(() => checkSchedules(withSchedule({ timezone: 'Mars/Olympus' }), findJob)).toThrow(
      'unknown time zone Mars/Olympus',
    );
    expect(() => checkSchedules(withSchedule({}), findJob)).not.toThrow();
  });

  it("refuses a schedule the configuration cannot run, as `telemetry job run` would (the registry's jobs)", () => {
    const appHook = { job: 'redeliver', input: { app: true } };
    expect(() => checkSchedules(withSchedule(appHook), registeredJob)).toThrow(
      "schedules[0] (s): redelivering the App's hook authenticates as the App",
    );
    const asApp = configSchema.parse({
      ...withSchedule(appHook),
      githubAuth: { source: 'app', data: 'app' },
    });
    expect(() => checkSchedules(asApp, registeredJob)).not.toThrow();
  });
});

describe('GitHub credentials the functions read and are granted (githubAuth, least privilege)', () => {
  const names = awsNames('acme');
  const of = (githubAuth: Record<string, unknown>) =>
    githubParameters(configSchema.parse({ githubAuth }), names);

  it('tokens for both roles: the two token parameters only', () => {
    expect(of({})).toEqual({
      environment: {
        [ENV.sourceTokenParameter]: '/telemetry/acme/source-repository-token',
        [ENV.dataTokenParameter]: '/telemetry/acme/data-repository-token',
      },
      read: ['/telemetry/acme/source-repository-token', '/telemetry/acme/data-repository-token'],
    });
  });

  it('one App for both roles: its id and key, no token parameter', () => {
    expect(of({ source: 'app', data: 'app' }).read).toEqual([
      '/telemetry/acme/github-app/app-id',
      '/telemetry/acme/github-app/private-key',
    ]);
  });

  it('the App reads, a second App writes: both Apps, nothing else', () => {
    const github = of({ source: 'app', data: 'data-app' });
    expect(github.read).toEqual([
      '/telemetry/acme/github-app/app-id',
      '/telemetry/acme/github-app/private-key',
      '/telemetry/acme/data-github-app/app-id',
      '/telemetry/acme/data-github-app/private-key',
    ]);
    expect(Object.keys(github.environment)).toEqual([
      ENV.githubAppIdParameter,
      ENV.githubAppKeyParameter,
      ENV.dataAppIdParameter,
      ENV.dataAppKeyParameter,
    ]);
  });

  it('the App reads, a token writes', () => {
    expect(of({ source: 'app', data: 'token' }).read).toEqual([
      '/telemetry/acme/data-repository-token',
      '/telemetry/acme/github-app/app-id',
      '/telemetry/acme/github-app/private-key',
    ]);
  });
});
