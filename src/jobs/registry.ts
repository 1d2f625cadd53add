import { backfill } from './backfill';
import { compactJob } from './compact';
import { redeliver } from './redeliver';
import { toolingUsage } from './tooling-usage';
import type { Job } from './types';

/** Every job a schedule or the CLI can run. Adding a job = adding its module and one line here. */
// biome-ignore lint/suspicious/noExplicitAny: the registry holds jobs of different input types
export const jobs: readonly Job<any>[] = [backfill, redeliver, toolingUsage, compactJob];

// biome-ignore lint/suspicious/noExplicitAny: see above
export function findJob(name: string): Job<any> | undefined {
  return jobs.find((job) => job.name === name);
}
