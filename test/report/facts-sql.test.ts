import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type Duck, openDuck } from '../../src/data/duckdb';
import { partitionFolder } from '../../src/data/layout';
import { packRecords } from '../../src/data/packs';
import { writeParquet } from '../../src/data/parquet';
import type { MetricRecord } from '../../src/pipeline/types';
import { appendFileFacts, createCiTables, settleCi } from '../../src/report/ci';
import {
  appendFacts,
  createFactTables,
  FACT_TABLES,
  type FactOffer,
  settleFacts,
} from '../../src/report/fact-tables';
import { REPORTED_METRICS, toFact, type WorkflowJobFact, type WorkflowRunFact } from '../../src/report/facts';
import { readFacts } from '../../src/report/read';
import { defaultReportSettings } from '../../src/report/settings';
import { TeamResolver } from '../../src/report/teams';
import { tempDir } from '../support/temp';

// toFact, the real one, watched: the reader must not need it for valid records.
jest.mock('../../src/report/facts', () => {
  const actual = jest.requireActual('../../src/report/facts');
  return { ...actual, toFact: jest.fn(actual.toFact) };
});

/**
 * One definition of a fact, two implementations: `toFact` (JS, for the files DuckDB does not take) and
 * `factSql` (what DuckDB computes for every other record). Both are run on the example records of
 * METRICS.md (the metric tests keep them equal to what real @octokit/webhooks-examples payloads produce)
 * and on variants covering each branch of a fact (unmerged, revert, unknown reviews, nothing shipped,
 * still open, ...); the tables they fill must be equal, read from hot files and from Parquet partitions.
 */

function documentedExample(metric: string): MetricRecord<Record<string, unknown>> {
  const text = readFileSync(join(__dirname, '..', '..', 'METRICS.md'), 'utf8');
  const match = new RegExp(`<!-- example:${metric} -->\\n\`\`\`json\\n([\\s\\S]*?)\\n\`\`\``).exec(text);
  if (!match) throw new Error(`METRICS.md has no example of ${metric}`);
  return JSON.parse(match[1] as string) as MetricRecord<Record<string, unknown>>;
}

/** The example and its variants, each with its own id. */
function records(): MetricRecord<Record<string, unknown>>[] {
  const all: MetricRecord<Record<string, unknown>>[] = [];
  const variant = (
    metric: string,
    name: string,
    output: Record<string, unknown>,
    envelope: Partial<MetricRecord<unknown>> = {},
  ) => {
    const example = documentedExample(metric);
    all.push({
      ...example,
      ...envelope,
      id: `${example.id}-${name}`,
      output: { ...example.output, ...output },
    } as MetricRecord<Record<string, unknown>>);
  };
  for (const metric of REPORTED_METRICS) variant(metric, 'example', {});
  const pr = documentedExample('pull-request').output;
  variant('pull-request', 'revert', { title: 'Revert "Update the README with new information."' });
  variant('pull-request', 'revert-word', { title: 'Reverting the README' });
  variant('pull-request', 'closed-revert', { outcome: 'closed', merged_at: null, title: 'revert: x' });
  variant(
    'pull-request',
    'unknown-reviews',
    { first_review_at: null, reviews: null, labels: [], author_is_bot: true },
    { status: 'partial', errors: [{ call: 'GET reviews', message: 'no token' }] },
  );
  variant('pull-request', 'no-reviews', { first_review_at: null, reviews: 0, into_default_branch: false });
  variant('pull-request', 'no-stages', {
    stages: { ...(pr.stages as object), coding_ms: null, pickup_ms: null, review_ms: null },
  });
  variant('deployment-status', 'nothing-shipped', { shipped: null, state: 'failure', production: null });
  variant('deployment-status', 'no-lead-time', {
    shipped: { ...(documentedExample('deployment-status').output.shipped as object), lead_time_ms: null },
  });
  variant('incident', 'open', { closed_at: null, linked_sha: null, labels: [] });
  variant('push-incident', 'open', { resolved_at: null, service: null, sha: null, deployment_id: null });
  variant('push-deployment', 'in-progress', { status: 'in_progress', lead_time_ms: null, service: null });
  variant('workflow-job', 'queued-unknown', { queue_ms: null, workflow_name: null, conclusion: null });
  variant('workflow-run', 'rerun', { run_attempt: 2, workflow_path: null, queue_ms: null });
  variant('pipeline-run', 'running', { status: 'in_progress', queue_ms: null, duration_ms: null });
  return all;
}

const DEFAULT_REVERT = new RegExp(defaultReportSettings.revertTitlePattern, 'i');
const WINDOW = { start: 0, end: Date.parse('2100-01-01T00:00:00Z') };
const SETTLED = [...Object.values(FACT_TABLES).map((t) => t.settled), 'ci_runs', 'ci_jobs'];

async function settledTables(duck: Duck): Promise<Record<string, unknown[]>> {
  const tables: Record<string, unknown[]> = {};
  for (const table of SETTLED) tables[table] = await duck.all(`SELECT * FROM ${table} ORDER BY ALL`);
  return tables;
}

/** The tables `toFact` fills: each record's fact appended as a file judged in JS would be. */
async function byToFact(
  list: MetricRecord<Record<string, unknown>>[],
  revertPattern = DEFAULT_REVERT,
): Promise<Record<string, unknown[]>> {
  const duck = await openDuck();
  try {
    await createFactTables(duck);
    await createCiTables(duck);
    const offers: FactOffer[] = [];
    const runs: { id: string; revision: string | null; complete: boolean; fact: WorkflowRunFact }[] = [];
    const jobs: { id: string; revision: string | null; complete: boolean; fact: WorkflowJobFact }[] = [];
    for (const record of list) {
      const fact = toFact(record, {
        revertPattern,
      });
      const standing = {
        id: record.id,
        revision: record.revision ?? null,
        complete: record.status === 'complete',
      };
      if (fact.kind === 'workflow-run') runs.push({ ...standing, fact });
      else if (fact.kind === 'workflow-job') jobs.push({ ...standing, fact });
      else offers.push({ ...standing, metric: record.metric, fact });
    }
    await appendFacts(duck, offers);
    await appendFileFacts(duck, runs, jobs);
    await settleFacts(duck);
    await settleCi(duck, new TeamResolver());
    return await settledTables(duck);
  } finally {
    duck.close();
  }
}

/** The tables `readFacts` fills from a data directory. */
async function byReader(
  root: string,
  warnings: string[] = [],
  revertPattern = DEFAULT_REVERT,
): Promise<Record<string, unknown[]>> {
  const duck = await openDuck();
  try {
    const read = await readFacts(root, {
      window: WINDOW,
      revertPattern,
      duck,
      teams: new TeamResolver(),
    });
    expect(read.warnings).toEqual(warnings);
    expect(read.records.invalid).toBe(warnings.length);
    return await settledTables(duck);
  } finally {
    duck.close();
  }
}

/** Writes `list` as the Parquet partitions of a data directory. */
async function writePartitions(root: string, list: MetricRecord<Record<string, unknown>>[]): Promise<void> {
  for (const metric of new Set(list.map((r) => r.metric))) {
    const rows = list.filter((r) => r.metric === metric);
    const folder = join(root, partitionFolder(metric, rows[0]?.occurred_at.slice(0, 10) as string));
    mkdirSync(folder, { recursive: true });
    (await writeParquet(metric, rows)).forEach((bytes, i) => {
      writeFileSync(join(folder, `test-${i}.parquet`), bytes);
    });
  }
}

describe('facts in SQL agree with toFact', () => {
  let dir: { path: string; remove: () => Promise<void> };
  const list = records();
  let expected: Record<string, unknown[]>;
  beforeAll(async () => {
    dir = await tempDir();
    expected = await byToFact(list);
  });
  afterAll(() => dir.remove());

  it('covers every reported metric and every fact table', () => {
    expect(new Set(list.map((r) => r.metric))).toEqual(new Set(REPORTED_METRICS));
    for (const table of SETTLED) expect(expected[table]?.length).toBeGreaterThan(0);
    // The variants do what they say: one revert among the pull requests (a merged title), one unknown review.
    const pulls = expected.pull_requests as { revert: boolean; reviewed: boolean | null }[];
    expect(pulls.filter((p) => p.revert)).toHaveLength(1);
    expect(pulls.filter((p) => p.reviewed === null)).toHaveLength(1);
  });

  it('from hot packs, every record by SQL (none judged in JS)', async () => {
    const root = join(dir.path, 'hot');
    // Small packs: several records each, several packs per hour folder.
    for (const pack of packRecords(list, 2_000)) {
      const path = join(root, pack.path);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, pack.content);
    }
    jest.mocked(toFact).mockClear();
    expect(await byReader(root)).toEqual(expected);
    expect(toFact).not.toHaveBeenCalled();
  });

  it('from Parquet partitions, every row by SQL (none judged in JS)', async () => {
    const root = join(dir.path, 'parquet');
    await writePartitions(root, list);
    jest.mocked(toFact).mockClear();
    expect(await byReader(root)).toEqual(expected);
    expect(toFact).not.toHaveBeenCalled();
  });

  it('judges in JS a partition row that is not a valid fact: the same warning as its file would get', async () => {
    const root = join(dir.path, 'parquet-invalid');
    const bad = { ...list[0], id: 'deployment-status-no-environment' } as MetricRecord<
      Record<string, unknown>
    >;
    bad.output = { ...bad.output, environment: null };
    await writePartitions(root, [...list, bad]);
    jest.mocked(toFact).mockClear();
    expect(
      await byReader(root, [
        'parquet/deployment-status/deployment-status-no-environment: invalid deployment-status output: output.environment: Invalid input: expected string, received null',
      ]),
    ).toEqual(expected);
    expect(toFact).toHaveBeenCalledTimes(1);
  });

  it('leaves out a partition row without an id, with a warning (it could not be settled by id)', async () => {
    const root = join(dir.path, 'parquet-no-id');
    const bad = { ...list[0], id: '' } as MetricRecord<Record<string, unknown>>;
    await writePartitions(root, [...list, bad]);
    expect(await byReader(root, ['parquet/deployment-status: a partition row without an id'])).toEqual(
      expected,
    );
  });

  it('tests a revert pattern DuckDB cannot run (a lookahead) in JS, title by title', async () => {
    // RE2, DuckDB's regular expressions, has no lookahead; the titles are then tested by the JS RegExp.
    const pattern = /^(?=.*readme)/i;
    const mine = await byToFact(list, pattern);
    // Every merged pull request whose title names the README: more than the default pattern's one.
    expect((mine.pull_requests as { revert: boolean }[]).filter((p) => p.revert).length).toBeGreaterThan(1);
    expect(await byReader(join(dir.path, 'hot'), [], pattern)).toEqual(mine);
    expect(await byReader(join(dir.path, 'parquet'), [], pattern)).toEqual(mine);
  });
});
