import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { openDuck, sqlString } from '../data/duckdb';
import { DirectoryObjects } from './directory-objects';
import { lakeViewStatements } from './duckdb';
import { parseFileKey, RECORDS_PREFIX } from './layout';

/**
 * DuckDB setup for `s3://`: the httpfs extension (DuckDB installs it from its extension repository on first
 * use) and the AWS credential chain (environment, profile, SSO, instance role) through the aws extension.
 */
const S3_SETUP = [
  'INSTALL httpfs',
  'LOAD httpfs',
  'INSTALL aws',
  'LOAD aws',
  'CREATE OR REPLACE SECRET telemetry_lake (TYPE s3, PROVIDER credential_chain)',
];

/**
 * The statements `telemetry query --lake <location>` runs before the analyst's SQL: the lake's
 * `<metric>_records` tables and the views Athena has, over a local directory with the lake's layout (e.g.
 * `aws s3 sync s3://<LakeBucketName>/records ./lake/records`) or over `s3://<bucket>` directly.
 */
export async function lakeQueryStatements(
  location: string,
): Promise<{ location: string; statements: string[] }> {
  if (location.startsWith('s3://')) {
    const root = location.replace(/\/+$/, '');
    const duck = await openDuck();
    try {
      for (const statement of S3_SETUP) await duck.run(statement);
      const files = await duck.all(
        `SELECT file FROM glob(${sqlString(`${root}/${RECORDS_PREFIX}metric=*/dt=*/*.parquet`)})`,
      );
      const metrics = metricsOf(files.map((f) => String(f.file).slice(root.length + 1)));
      return { location: root, statements: [...S3_SETUP, ...lakeViewStatements(root, metrics)] };
    } finally {
      duck.close();
    }
  }
  const dir = resolve(location);
  let isDirectory = false;
  try {
    isDirectory = statSync(dir).isDirectory();
  } catch {
    isDirectory = false;
  }
  if (!isDirectory) throw new LakeLocationError(`lake directory ${dir} does not exist or is not a directory`);
  const keys = (await new DirectoryObjects(dir).list(RECORDS_PREFIX)).map((o) => o.key);
  return { location: dir, statements: lakeViewStatements(dir, metricsOf(keys)) };
}

export class LakeLocationError extends Error {
  override readonly name = 'LakeLocationError';
}

function metricsOf(keys: readonly string[]): Set<string> {
  const metrics = new Set<string>();
  for (const key of keys) {
    const parsed = parseFileKey(key);
    if (parsed) metrics.add(parsed.metric);
  }
  return metrics;
}
