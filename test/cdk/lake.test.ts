import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { ENV } from '../../lambda/adapters/environment';
import { createTelemetryApp } from '../../lib/app';
import { configSchema } from '../../src/config/config';
import { columnMetrics } from '../../src/data/columns';
import { openDuck } from '../../src/data/duckdb';
import { findJob } from '../../src/jobs/registry';
import { DirectoryObjects } from '../../src/lake/directory-objects';
import { parseFileKey } from '../../src/lake/layout';
import { LakeStore } from '../../src/lake/store';
import { collectedTriggers } from '../../src/metrics/registry';
import type { MetricRecord } from '../../src/pipeline/types';
import { listFiles, tempDir } from '../support/temp';

// Three synths in this file (aws-cdk-lib is slow to load: keep lake assertions here): the lake enabled
// (lake-only, no data repository: the organisation-scale case), the lake section present but disabled,
// and no lake section at all. Bundling skipped, as in telemetry-stack.test.ts.
const NO_BUNDLING = { context: { 'aws:cdk:bundling-stacks': [] } };
const synth = (raw: Record<string, unknown>) => {
  const { app, stack } = createTelemetryApp({
    config: configSchema.parse(raw),
    collectedTriggers: [...collectedTriggers()],
    findJob,
    appProps: NO_BUNDLING,
  });
  // Synthesising runs cdk-nag: any unacknowledged AwsSolutions finding throws here.
  const assembly = app.synth();
  return { stack, assembly, template: Template.fromStack(stack) };
};

const base = { instance: 'acme', dataRepository: { owner: 'acme', name: 'telemetry-data' } };
const enabled = synth({
  instance: 'acme',
  aws: { lake: { enabled: true, write: 'lake-only', retentionDays: 3650, athena: { scanLimitGb: 5 } } },
});
const template = enabled.template;
const resources = (type: string) => Object.entries(template.findResources(type));

/** Every example record of METRICS.md (the metric tests keep them equal to what real payloads produce). */
function documentedExamples(): MetricRecord[] {
  const text = readFileSync(join(__dirname, '..', '..', 'METRICS.md'), 'utf8');
  return [...text.matchAll(/<!-- example:([^ ]+) -->\n```json\n([\s\S]*?)\n```\n<!-- \/example:\1 -->/g)].map(
    (match) => JSON.parse(match[2] as string) as MetricRecord,
  );
}

/** A DuckDB column type as Glue (Hive DDL) spells it: `STRUCT("a" INTEGER, b VARCHAR[])` → `struct<a:int,b:array<string>>`. */
function hiveType(duckdb: string): string {
  let at = 0;
  const text = duckdb.trim();
  const parse = (): string => {
    let out: string;
    if (text.startsWith('STRUCT(', at)) {
      at += 'STRUCT('.length;
      const fields: string[] = [];
      while (text[at] !== ')') {
        while (text[at] === ' ' || text[at] === ',') at++;
        let name: string;
        if (text[at] === '"') {
          const end = text.indexOf('"', at + 1);
          name = text.slice(at + 1, end);
          at = end + 1;
        } else {
          const end = text.indexOf(' ', at);
          name = text.slice(at, end);
          at = end;
        }
        at++; // the space before the type
        fields.push(`${name}:${parse()}`);
      }
      at++;
      out = `struct<${fields.join(',')}>`;
    } else {
      const match = /^(VARCHAR|JSON|INTEGER|BIGINT|DOUBLE|BOOLEAN|TIMESTAMP WITH TIME ZONE|TIMESTAMP)/.exec(
        text.slice(at),
      );
      if (!match) throw new Error(`unexpected DuckDB type at ${text.slice(at)}`);
      at += (match[1] as string).length;
      out = {
        VARCHAR: 'string',
        JSON: 'string',
        INTEGER: 'int',
        BIGINT: 'bigint',
        DOUBLE: 'double',
        BOOLEAN: 'boolean',
        TIMESTAMP: 'timestamp',
        'TIMESTAMP WITH TIME ZONE': 'timestamp',
      }[match[1] as string] as string;
    }
    while (text.startsWith('[]', at)) {
      at += 2;
      out = `array<${out}>`;
    }
    return out;
  };
  const result = parse();
  if (at !== text.length) throw new Error(`unparsed DuckDB type rest: ${text.slice(at)}`);
  return result;
}

describe('the lake in the stack (aws.lake.enabled)', () => {
  it('passes cdk-nag with every acknowledgement carrying a reason, and no warnings', () => {
    const messages = enabled.assembly.getStackArtifact(enabled.stack.artifactId).messages;
    expect(messages.filter((m) => m.level !== 'info')).toEqual([]);
    // lake-only needs no data repository: no warning about one.
    expect(Annotations.fromStack(enabled.stack).findWarning('*', Match.anyValue())).toEqual([]);
    const acknowledged = enabled.stack.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
      .flatMap((m) => Object.entries(m.data as Record<string, string>));
    expect(acknowledged.map(([id]) => id)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /IAM5\[Resource::<LakeStorageBucket[0-9A-F]+\.Arn>\/records\/\*\/batch-\*\.parquet\]/,
        ),
      ]),
    );
    for (const [, reason] of acknowledged) expect(reason.length).toBeGreaterThan(40);
  });

  it('keeps the records in an encrypted, versioned, TLS-only, access-logged bucket that outlives the stack', () => {
    const [[lakeId, lake]] = resources('AWS::S3::Bucket').filter(([id]) => /^LakeStorageBucket/.test(id)) as [
      [string, { Properties: Record<string, unknown>; DeletionPolicy: string }],
    ];
    expect(lake.DeletionPolicy).toBe('Retain');
    expect(lake.Properties).toMatchObject({
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LoggingConfiguration: { LogFilePrefix: 'lake/' },
    });
    expect((lake.Properties.LifecycleConfiguration as { Rules: unknown[] }).Rules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ NoncurrentVersionExpiration: { NoncurrentDays: 30 }, Status: 'Enabled' }),
        expect.objectContaining({ Prefix: 'records/', ExpirationInDays: 3650, Status: 'Enabled' }),
      ]),
    );
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: lakeId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('has an Athena workgroup with encrypted results of its own and a per-query scan limit', () => {
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      Name: 'telemetry-acme',
      WorkGroupConfiguration: {
        EnforceWorkGroupConfiguration: true,
        BytesScannedCutoffPerQuery: 5 * 1024 ** 3,
        ResultConfiguration: {
          EncryptionConfiguration: { EncryptionOption: 'SSE_S3' },
          OutputLocation: {
            'Fn::Join': ['', ['s3://', { Ref: Match.stringLikeRegexp('^LakeStorageResultsBucket') }]],
          },
        },
      },
    });
    const outputs = template.toJSON().Outputs;
    expect(outputs.LakeDatabase.Value).toBe('telemetry_acme');
    expect(outputs.LakeWorkgroup.Value).toBe('telemetry-acme');
    expect(outputs.LakeBucketName.Value).toEqual({ Ref: expect.stringMatching(/^LakeStorageBucket/) });
  });

  it('saves one view per metric as a named query, with the view name telemetry query uses', () => {
    const queries = resources('AWS::Athena::NamedQuery').map(([, q]) => q.Properties);
    expect(queries.map((q) => q.Name).sort()).toEqual(
      columnMetrics()
        .map((m) => `create view ${m.replace(/-/g, '_')}`)
        .sort(),
    );
    const job = queries.find((q) => q.Name === 'create view workflow_job');
    expect(job.QueryString).toMatch(/^CREATE OR REPLACE VIEW "workflow_job" AS\n/);
    expect(job.QueryString).toContain('FROM "workflow_job_records"');
  });

  it('grants the writers only batch keys (and _state/ with lake-only), the compaction job only records/', () => {
    const statementsOf = (role: RegExp) =>
      resources('AWS::IAM::Policy')
        .filter(([, p]) => role.test(JSON.stringify(p.Properties.Roles)))
        .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Record<string, unknown>[])
        .filter((s) => JSON.stringify(s).includes('LakeStorageBucket'));
    const resource = (s: Record<string, unknown>) =>
      JSON.stringify(s.Resource).replace(/.*"Arn"\]\},"([^"]*)".*/, '$1');
    const summary = (role: RegExp) =>
      statementsOf(role).map((s) => [s.Action, resource(s), s.Condition ?? null]);
    for (const writer of [/WorkerHandlerFunctionServiceRole/, /SchedulesHandlerFunctionServiceRole/]) {
      expect(summary(writer)).toEqual([
        ['s3:PutObject', '/records/*/batch-*.parquet', null],
        [['s3:GetObject', 's3:PutObject'], '/_state/*', null],
        // Without ListBucket a missing object (a job's first run: no cursor) answers 403 instead of 404.
        ['s3:ListBucket', expect.any(String), null],
      ]);
    }
    expect(summary(/LakeCompactionFunctionServiceRole/)).toEqual([
      ['s3:ListBucket', expect.any(String), null],
      [['s3:GetObject', 's3:DeleteObject'], '/records/*', null],
      ['s3:PutObject', '/records/*/compacted-*.parquet', null],
    ]);
    const env = (name: RegExp) =>
      resources('AWS::Lambda::Function').find(([id]) => name.test(id))?.[1].Properties.Environment.Variables;
    expect(env(/^WorkerHandlerFunction/)).toMatchObject({
      [ENV.lakeBucket]: { Ref: expect.stringMatching(/^LakeStorageBucket/) },
      [ENV.lakeWrite]: 'lake-only',
    });
    expect(env(/^LakeCompactionFunction/)).toMatchObject({
      [ENV.lakeCompactMinFiles]: '4',
      [ENV.lakeCompactLookbackDays]: '7',
    });
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(30 3 * * ? *)',
      ScheduleExpressionTimezone: 'Etc/UTC',
      Target: Match.objectLike({
        Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^LakeCompactionFunction'), 'Arn'] },
      }),
    });
  });

  describe('Glue tables against the Parquet files the writer produces', () => {
    let dir: Awaited<ReturnType<typeof tempDir>>;
    let keys: string[];
    let described: Map<string, { name: string; type: string }[]>;
    beforeAll(async () => {
      dir = await tempDir('telemetry-lake-cdk-');
      await new LakeStore({ objects: new DirectoryObjects(dir.path) }).write(documentedExamples());
      keys = await listFiles(dir.path);
      described = new Map();
      const duck = await openDuck();
      try {
        for (const key of keys) {
          const metric = parseFileKey(key)?.metric as string;
          // Not as Hive partitions: the folders' `metric=` and `dt=` are Glue's business, the file's columns ours.
          const rows = await duck.all(
            `DESCRIBE SELECT * FROM read_parquet('${join(dir.path, key)}', hive_partitioning = false)`,
          );
          described.set(
            metric,
            rows.map((r) => ({ name: String(r.column_name), type: hiveType(String(r.column_type)) })),
          );
        }
      } finally {
        duck.close();
      }
    });
    afterAll(() => dir.remove());

    interface GlueTableInput {
      Name: string;
      Parameters: Record<string, unknown>;
      PartitionKeys: { Name: string; Type: string }[];
      StorageDescriptor: {
        Location: unknown;
        Columns: { Name: string; Type: string }[];
        SerdeInfo: { SerializationLibrary: string };
      };
    }
    const tables = () =>
      resources('AWS::Glue::Table').map(([, t]) => t.Properties.TableInput as GlueTableInput);

    it('has one table per metric, whose columns are exactly the names and types DuckDB reads back', () => {
      expect(
        tables()
          .map((t) => t.Name)
          .sort(),
      ).toEqual(
        columnMetrics()
          .map((m) => `${m.replace(/-/g, '_')}_records`)
          .sort(),
      );
      // Every metric has a documented example, so every table is checked.
      expect([...described.keys()].sort()).toEqual(columnMetrics());
      for (const table of tables()) {
        const metric = /metric=([a-z-]+)\//.exec(JSON.stringify(table.StorageDescriptor.Location))?.[1];
        expect({
          metric,
          columns: table.StorageDescriptor.Columns.map((c) => ({ name: c.Name, type: c.Type })),
        }).toEqual({
          metric,
          columns: described.get(metric as string),
        });
        expect(table.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe(
          'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
        );
      }
    });

    it("projects dt partitions onto exactly the writer's keys (no crawler, nothing to add)", () => {
      for (const key of keys) {
        const { metric, day } = parseFileKey(key) as { metric: string; day: string };
        const table = tables().find(
          (t) => t.Name === `${metric.replace(/-/g, '_')}_records`,
        ) as GlueTableInput;
        const p = table.Parameters;
        expect(p['projection.enabled']).toBe('true');
        expect(table.PartitionKeys).toEqual([expect.objectContaining({ Name: 'dt', Type: 'string' })]);
        expect(p['projection.dt.type']).toBe('date');
        expect(p['projection.dt.interval']).toBe('1');
        expect(p['projection.dt.interval.unit']).toBe('DAYS');
        // Java's yyyy-MM-dd is the ISO day the writer puts after dt=; the range reaches back before any record.
        expect(p['projection.dt.format']).toBe('yyyy-MM-dd');
        expect(day).toMatch(/^\d{4}-\d{2}-\d{2}$/);
        const [from, to] = String(p['projection.dt.range']).split(',');
        expect(to).toBe('NOW');
        expect(day >= (from as string)).toBe(true);
        // The location template, with the bucket and the day filled in, is the folder of the key.
        const render = (value: unknown) =>
          (value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1]
            .map((part) => (typeof part === 'string' ? part : 'BUCKET'))
            .join('');
        expect(render(p['storage.location.template']).replace(/\$\{dt\}/, day)).toBe(
          `s3://BUCKET/${key.slice(0, key.lastIndexOf('/') + 1)}`,
        );
        expect(`s3://BUCKET/${key}`.startsWith(render(table.StorageDescriptor.Location))).toBe(true);
      }
    });
  });
});

describe('aws.lake disabled', () => {
  it('leaves the template exactly as it is without the lake section', () => {
    const without = synth(base).template.toJSON();
    const disabled = synth({
      ...base,
      aws: { lake: { enabled: false, retentionDays: 30, athena: { scanLimitGb: 1 } } },
    }).template.toJSON();
    expect(disabled).toEqual(without);
    const types = Object.values(without.Resources as Record<string, { Type: string }>).map((r) => r.Type);
    expect(types.filter((t) => /Glue|Athena/.test(t))).toEqual([]);
    expect(JSON.stringify(without)).not.toContain(ENV.lakeBucket);
  });
});
