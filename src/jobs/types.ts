import type { z } from 'zod';
import type { TelemetryConfig } from '../config/config';
import type { GitHubClient } from '../github/client';
import type { AppPermissions } from '../github/permissions';
import type { Logger } from '../log/logger';
import type { Metric } from '../metrics/types';
import type { Store } from '../store/types';

/** Progress a long job reports (the CLI draws a progress bar from it). */
export interface JobProgress {
  phase: string;
  done: number;
  total: number | null;
  /** Items listed so far (pull requests, runs, ...), for jobs that count them. */
  items?: number;
  /** Records collected so far. */
  records?: number;
  /** GitHub requests left in the current rate-limit window, when known. */
  requestsLeft?: number | null;
}

export interface JobContext {
  github: GitHubClient;
  store: Store;
  config: TelemetryConfig;
  logger: Logger;
  now: () => Date;
  dryRun?: boolean;
  /** The metrics events are collected with; the registry's when absent (tests and benchmarks narrow it). */
  metrics?: readonly Metric<unknown>[];
  onProgress?: (progress: JobProgress) => void;
  /** Stops the job cleanly (it saves its cursor and returns) when aborted. */
  signal?: AbortSignal;
}

export interface JobSummary {
  job: string;
  /** False when the job stopped early (rate limit budget, abort) and will resume from its cursor. */
  finished: boolean;
  /** Counters worth reporting, e.g. `{ records: 120, requests: 35 }`. */
  counts: Record<string, number>;
  message: string;
}

/**
 * A scheduled or CLI-run collection job. `input` validates what a schedule (configuration) or the CLI passes,
 * so a bad schedule input fails with a message naming the field.
 */
export interface Job<I = unknown> {
  name: string;
  description: string;
  input: z.ZodType<I>;
  /**
   * The GitHub App permissions a run with this input needs for its own API calls (the metrics it runs
   * declare theirs); the App manifest and `config check` take the union over the scheduled runs. Absent: the
   * job calls no GitHub API of its own.
   */
  permissions?(input: I): AppPermissions;
  run(input: I, ctx: JobContext): Promise<JobSummary>;
}
