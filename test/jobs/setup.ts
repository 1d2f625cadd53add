import { configSchema } from '../../src/config/config';
import { parseDataPath } from '../../src/data/layout';
import { createGitHubClient } from '../../src/github/client';
import type { JobContext } from '../../src/jobs/types';
import { silentLogger } from '../../src/log/logger';
import { recordPath } from '../../src/pipeline/record';
import type { MetricRecord } from '../../src/pipeline/types';
import { FileStore } from '../../src/store/file-store';
import { contentsRoutes } from '../fake-github/routes/contents';
import { deploymentRoutes } from '../fake-github/routes/deployments';
import { hookRoutes } from '../fake-github/routes/hooks';
import { listingRoutes } from '../fake-github/routes/listings';
import { FakeGitHub } from '../fake-github/server';
import { World } from '../fake-github/world';
import { storedRecords } from '../support/stored-records';
import { listFiles, tempDir } from '../support/temp';

export interface JobWorld {
  fake: FakeGitHub;
  world: World;
  clock: { now: number };
  context(dir: string, extra?: Partial<JobContext>): JobContext;
  stop(): Promise<void>;
}

/** A fake GitHub with the listing and hook endpoints, a movable clock, and job contexts on a FileStore. */
export async function startJobWorld(
  options: { primaryLimit?: number; now?: string } = {},
): Promise<JobWorld> {
  const clock = { now: Date.parse(options.now ?? '2026-11-20T12:00:00Z') };
  const fake = new FakeGitHub({ now: () => clock.now, primaryLimit: options.primaryLimit ?? 1_000_000 });
  const world = new World();
  listingRoutes(fake, world);
  hookRoutes(fake, world);
  deploymentRoutes(fake, world);
  contentsRoutes(fake, world);
  await fake.start();
  const github = createGitHubClient({
    token: 'test-token',
    baseUrl: fake.baseUrl,
    retries: 0,
    rateLimitRetries: 0,
    logger: silentLogger,
  });
  return {
    fake,
    world,
    clock,
    context: (dir, extra = {}) => ({
      github,
      store: new FileStore(dir),
      config: configSchema.parse({}),
      logger: silentLogger,
      now: () => new Date(clock.now),
      ...extra,
    }),
    stop: () => fake.stop(),
  };
}

export { tempDir };

/** The index entries of a data directory (one per stored hot record id and path), sorted. */
export async function indexEntries(dir: string, prefix = 'hot/'): Promise<string[]> {
  return (await listFiles(dir)).filter((f) => f.startsWith(prefix) && parseDataPath(f)?.kind === 'index');
}

/**
 * The hot records of a data directory by id, each with its index entry, sorted by id. Throws unless every
 * record (read from the packs) has its entry at its path and every entry names a record: an id stored
 * under two paths, or an entry without its record, is no store's output.
 */
export async function indexedRecords(
  dir: string,
  prefix = 'hot/',
): Promise<Map<string, { path: string; record: MetricRecord }>> {
  const entries = await indexEntries(dir, prefix);
  const out = new Map<string, { path: string; record: MetricRecord }>();
  for (const record of await storedRecords(dir, prefix))
    out.set(record.id, { path: recordPath(record), record });
  const paths = [...out.values()].map((r) => r.path).sort();
  if (JSON.stringify(paths) !== JSON.stringify(entries))
    throw new Error(`index entries ${JSON.stringify(entries)} are not the records' ${JSON.stringify(paths)}`);
  return out;
}
