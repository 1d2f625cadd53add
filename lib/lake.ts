import { Aws, CfnOutput, Duration, RemovalPolicy, Stack, TimeZone, Validations } from 'aws-cdk-lib';
import { CfnNamedQuery, CfnWorkGroup } from 'aws-cdk-lib/aws-athena';
import { CfnDatabase, CfnTable } from 'aws-cdk-lib/aws-glue';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { CfnFunction, Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type CfnBucket,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { Construct } from 'constructs';
import { ENV } from '../lambda/adapters/environment';
import type { AwsNames, LakeSettings } from '../src/config/aws-settings';
import {
  DT_PROJECTION_FORMAT,
  DT_PROJECTION_START,
  metricPrefix,
  RECORDS_PREFIX,
  STATE_PREFIX,
} from '../src/lake/layout';
import { lakeTables } from '../src/lake/tables';
import { viewSql } from '../src/lake/views';
import { TelemetryFunction } from './telemetry-function';

/** One Glue table over one metric's Parquet files. */
export interface LakeTableDefinition {
  /** The metric whose files the table reads (`records/metric=<metric>/`). */
  readonly metric: string;
  /** Glue table name. */
  readonly name: string;
  readonly description: string;
  /** Columns in the Parquet files, with their Glue (Hive) types: derived, never written by hand. */
  readonly columns: readonly { readonly name: string; readonly type: string }[];
}

/** A statement analysts run once in the workgroup (the views); saved as an Athena named query. */
export interface LakeNamedQuery {
  readonly name: string;
  readonly description: string;
  readonly sql: string;
}

export interface LakeProps {
  readonly databaseName: string;
  readonly workgroupName: string;
  readonly tables: readonly LakeTableDefinition[];
  readonly namedQueries: readonly LakeNamedQuery[];
  /** Days a record file is kept; undefined: kept until deleted. */
  readonly retentionDays?: number;
  readonly noncurrentVersionDays: number;
  readonly accessLogDays: number;
  readonly scanLimitGb: number;
  readonly resultsExpiryDays: number;
}

const GB = 1024 * 1024 * 1024;

/**
 * The S3 data lake: a versioned, encrypted, TLS-only bucket of Parquet records (access-logged to a log
 * bucket), a Glue database with one table per metric whose `dt` partitions are projected (no crawler, no
 * partition to add: the table's template is the writer's key layout), and an Athena workgroup with its own
 * encrypted results bucket and a per-query scan limit. Functions get exactly the prefixes they write.
 */
export class Lake extends Construct {
  readonly bucket: Bucket;
  readonly resultsBucket: Bucket;
  readonly accessLogBucket: Bucket;
  readonly database: CfnDatabase;
  readonly tables: CfnTable[] = [];
  readonly workgroup: CfnWorkGroup;
  readonly namedQueries: CfnNamedQuery[] = [];

  constructor(scope: Construct, id: string, props: LakeProps) {
    super(scope, id);
    // Access logs are delivered under a bucket policy (no ACLs, objects owned by the bucket owner), whatever
    // the app's feature flags say: set here, before the buckets exist, so it holds for this construct only.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    this.accessLogBucket = new Bucket(this, 'AccessLogBucket', {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(props.accessLogDays) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.accessLogBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This bucket receives the server access logs of the lake and results buckets; logging it too would log the logging.',
    });

    this.bucket = new Bucket(this, 'Bucket', {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogBucket,
      serverAccessLogsPrefix: 'lake/',
      lifecycleRules: [
        {
          id: 'expire-replaced-versions',
          noncurrentVersionExpiration: Duration.days(props.noncurrentVersionDays),
          expiredObjectDeleteMarker: true,
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
        ...(props.retentionDays === undefined
          ? []
          : [
              {
                id: 'expire-records',
                prefix: RECORDS_PREFIX,
                expiration: Duration.days(props.retentionDays),
              },
            ]),
      ],
      // The records are the organisation's history: deleting the stack never deletes them.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.resultsBucket = new Bucket(this, 'ResultsBucket', {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogBucket,
      serverAccessLogsPrefix: 'athena-results/',
      lifecycleRules: [
        {
          id: 'expire-query-results',
          expiration: Duration.days(props.resultsExpiryDays),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.database = new CfnDatabase(this, 'Database', {
      catalogId: Aws.ACCOUNT_ID,
      databaseInput: {
        name: props.databaseName,
        description: 'github-telemetry metric records (Parquet in S3, one table per metric)',
      },
    });
    for (const table of props.tables) this.tables.push(this.table(table));

    this.workgroup = new CfnWorkGroup(this, 'Workgroup', {
      name: props.workgroupName,
      description: 'Queries over the github-telemetry lake',
      state: 'ENABLED',
      // Deleting the stack deletes the workgroup with its saved queries and history, not the results bucket.
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: props.scanLimitGb * GB,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: this.resultsBucket.s3UrlForObject(),
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
        },
      },
    });
    for (const query of props.namedQueries) {
      const named = new CfnNamedQuery(this, `Query-${query.name}`, {
        name: query.name,
        description: query.description,
        database: this.database.ref,
        workGroup: this.workgroup.ref,
        queryString: query.sql,
      });
      this.namedQueries.push(named);
    }
  }

  private table(table: LakeTableDefinition): CfnTable {
    const location = `s3://${this.bucket.bucketName}/${metricPrefix(table.metric)}`;
    const cfn = new CfnTable(this, `Table-${table.metric}`, {
      catalogId: Aws.ACCOUNT_ID,
      databaseName: this.database.ref,
      tableInput: {
        name: table.name,
        description: table.description,
        tableType: 'EXTERNAL_TABLE',
        parameters: {
          EXTERNAL: 'TRUE',
          classification: 'parquet',
          'parquet.compression': 'ZSTD',
          // Partition projection: Athena computes the partitions from these settings; nothing to crawl or add.
          'projection.enabled': 'true',
          'projection.dt.type': 'date',
          'projection.dt.format': DT_PROJECTION_FORMAT,
          'projection.dt.range': `${DT_PROJECTION_START},NOW`,
          'projection.dt.interval': '1',
          'projection.dt.interval.unit': 'DAYS',
          'storage.location.template': `${location}dt=\${dt}/`,
        },
        partitionKeys: [{ name: 'dt', type: 'string', comment: 'UTC day of occurred_at (yyyy-mm-dd)' }],
        storageDescriptor: {
          location,
          columns: table.columns.map((c) => ({ name: c.name, type: c.type })),
          inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
          serdeInfo: {
            serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
          },
        },
      },
    });
    return cfn;
  }

  /**
   * The worker and the scheduled jobs: put batch files under `records/` (never compacted ones, never a
   * delete), and, when the lake is the only store, read and write job cursors under `_state/`.
   */
  grantWriteBatches(grantee: IGrantable, options: { state: boolean }): void {
    const actions = (resources: string[], verbs: string[]) =>
      grantee.grantPrincipal.addToPrincipalPolicy(new PolicyStatement({ actions: verbs, resources }));
    actions([this.bucket.arnForObjects(`${RECORDS_PREFIX}*/batch-*.parquet`)], ['s3:PutObject']);
    if (options.state) {
      actions([this.bucket.arnForObjects(`${STATE_PREFIX}*`)], ['s3:GetObject', 's3:PutObject']);
      // S3 answers a missing object with 404 (a job's first run: no cursor yet) only to a caller that may list
      // the bucket, else 403. A GetObject carries no s3:prefix to condition on: the listing is the bucket's
      // (key names only: metric, day, content hash).
      grantee.grantPrincipal.addToPrincipalPolicy(
        new PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.bucket.bucketArn] }),
      );
    }
  }

  /** The compaction job: list and read `records/`, put compacted files, delete the files it merged. */
  grantCompact(grantee: IGrantable): void {
    // Unconditioned, as for the writers: a file merged away since the listing must read as 404, not 403.
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.bucket.bucketArn] }),
    );
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:GetObject', 's3:DeleteObject'],
        resources: [this.bucket.arnForObjects(`${RECORDS_PREFIX}*`)],
      }),
    );
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects(`${RECORDS_PREFIX}*/compacted-*.parquet`)],
      }),
    );
  }

  /** The logical id of the lake bucket, as cdk-nag names it in IAM5 findings. */
  bucketLogicalId(): string {
    const stack = Stack.of(this);
    return stack.resolve(stack.getLogicalId(this.bucket.node.defaultChild as CfnBucket));
  }
}

export interface TelemetryLakeProps {
  readonly names: AwsNames;
  readonly settings: LakeSettings;
  /** The worker and schedule functions: they write batches when `settings.write` is not `repo-only`. */
  readonly writers: readonly LambdaFunction[];
  readonly logRetention: RetentionDays;
}

/**
 * `aws.lake` in the stack: the lake (bucket, Glue tables derived from the typed column declaration, Athena
 * workgroup and the views as named queries), the scheduled compaction function, the writers' grants and
 * environment, and the stack outputs analysts need.
 */
export class TelemetryLake extends Construct {
  readonly lake: Lake;
  readonly compaction: TelemetryFunction;
  readonly schedule: Schedule;

  constructor(scope: Construct, id: string, props: TelemetryLakeProps) {
    super(scope, id);
    const { settings, names } = props;
    const tables = lakeTables();
    this.lake = new Lake(this, 'Storage', {
      databaseName: names.lakeDatabase,
      workgroupName: names.lakeWorkgroup,
      tables: tables.map((t) => ({
        metric: t.metric,
        name: t.name,
        description: `${t.metric} records, one row per file row (the ${t.view} view keeps one per id)`,
        columns: t.columns,
      })),
      namedQueries: tables.map((t) => ({
        name: `create view ${t.view}`,
        description: `Creates the ${t.view} view: one ${t.metric} record per id, the better one (run once)`,
        sql: viewSql(t),
      })),
      ...(settings.retentionDays === undefined ? {} : { retentionDays: settings.retentionDays }),
      noncurrentVersionDays: settings.noncurrentVersionDays,
      accessLogDays: settings.accessLogDays,
      scanLimitGb: settings.athena.scanLimitGb,
      resultsExpiryDays: settings.athena.resultsExpiryDays,
    });

    if (settings.write !== 'repo-only') {
      for (const fn of props.writers) {
        this.lake.grantWriteBatches(fn, { state: settings.write === 'lake-only' });
        fn.addEnvironment(ENV.lakeBucket, this.lake.bucket.bucketName);
        fn.addEnvironment(ENV.lakeWrite, settings.write);
      }
    }

    this.compaction = new TelemetryFunction(this, 'Compaction', {
      entry: 'lake-compact',
      functionName: names.lakeCompactFunction,
      description: "Merges each recent day's small Parquet files in the lake, one record per id",
      memoryMb: 1024,
      timeout: Duration.minutes(15),
      logRetention: props.logRetention,
      environment: {
        [ENV.lakeBucket]: this.lake.bucket.bucketName,
        [ENV.lakeCompactMinFiles]: String(settings.compaction.minFiles),
        [ENV.lakeCompactLookbackDays]: String(settings.compaction.lookbackDays),
      },
    });
    this.lake.grantCompact(this.compaction.function);
    this.schedule = new Schedule(this, 'CompactionSchedule', {
      description: 'compacts the lake',
      schedule: ScheduleExpression.expression(settings.compaction.cron, TimeZone.ETC_UTC),
      target: new LambdaInvoke(this.compaction.function, {
        input: ScheduleTargetInput.fromObject({}),
        retryAttempts: 2,
        maxEventAge: Duration.hours(1),
      }),
    });

    const stack = Stack.of(this);
    new CfnOutput(stack, 'LakeBucketName', {
      value: this.lake.bucket.bucketName,
      description: 'Lake bucket: records/metric=<metric>/dt=<day>/*.parquet',
    });
    new CfnOutput(stack, 'LakeDatabase', {
      value: names.lakeDatabase,
      description: 'Glue database: one <metric>_records table per metric',
    });
    new CfnOutput(stack, 'LakeWorkgroup', {
      value: names.lakeWorkgroup,
      description: 'Athena workgroup (encrypted results, per-query scan limit)',
    });
    this.acknowledge();
  }

  /** IAM5: the object grants are wildcards within the prefixes each function writes, and no wider. */
  private acknowledge(): void {
    const bucket = this.lake.bucketLogicalId();
    const stack = Stack.of(this);
    const reasons: [string, string][] = [
      [
        `${RECORDS_PREFIX}*/batch-*.parquet`,
        'Writers put batch files with content-derived keys below records/ (metric and day partitions); they cannot overwrite compacted files or delete.',
      ],
      [
        `${STATE_PREFIX}*`,
        'With the lake as the only store, the jobs keep their cursors and parked deliveries as objects below _state/.',
      ],
      [
        `${RECORDS_PREFIX}*`,
        'Compaction reads and deletes the partition files it merges, anywhere below records/ (partitions are created by the writers).',
      ],
      [
        `${RECORDS_PREFIX}*/compacted-*.parquet`,
        'Compaction puts merged files with content-derived keys below records/; it writes no other keys.',
      ],
    ];
    // At stack level: the writers' policies belong to the worker and schedule constructs.
    for (const [prefix, reason] of reasons) {
      Validations.of(stack).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${bucket}.Arn>/${prefix}]`,
        reason,
      });
    }
    const compactionId = stack.resolve(
      stack.getLogicalId(this.compaction.function.node.defaultChild as CfnFunction),
    );
    Validations.of(stack).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${compactionId}.Arn>:*]`,
      reason: 'EventBridge Scheduler may invoke the compaction function and its versions; nothing else.',
    });
  }
}
