import { SingleBar } from 'cli-progress';
import { configFile, loadConfig, type TelemetryConfig } from '../config/config';
import { localGitHubSecrets, readLocalSecrets } from '../config/secrets';
import { createGitHubClient, createStoreClient } from '../github/client';
import { roleAuths } from '../github/credentials';
import type { JobContext, JobProgress, JobSummary } from '../jobs/types';
import { errorMessage, jsonLogger, type Logger } from '../log/logger';
import { FileStore } from '../store/file-store';
import { githubRepoStoreFromConfig } from '../store/github-repo-store';
import type { Store } from '../store/types';
import { CliError, dataRepositoryMissing } from './errors';

export interface JobCliOptions {
  data?: string;
  store: string;
  dryRun?: boolean;
  json?: boolean;
  verbose?: boolean;
}

/**
 * Builds what a job needs from the environment, as the schedule Lambda does from AWS: configuration,
 * GITHUB_TOKEN or the GitHub App (required: jobs read the GitHub API; `githubAuth` says which), the store (the local data directory, or the data
 * repository with `--store github`), an abort signal on Ctrl-C (the job stops cleanly and keeps its cursors).
 */
export async function jobContextFromCli(
  options: JobCliOptions,
): Promise<{ ctx: JobContext; config: TelemetryConfig; logger: Logger; dispose: () => void }> {
  const env = { ...process.env, ...(options.data ? { TELEMETRY_DATA_DIR: options.data } : {}) };
  const config = loadConfig({ env });
  const secrets = readLocalSecrets(env);
  const auths = roleAuths(config, localGitHubSecrets(secrets));
  if (!auths.source)
    throw new CliError(
      'jobs read the GitHub API: set GITHUB_TOKEN (or use the GitHub App: githubAuth.source "app")',
    );
  const logger = jsonLogger({
    level: options.verbose ? 'info' : 'warn',
    write: (line) => process.stderr.write(`${line}\n`),
  });
  const github = createGitHubClient({ ...auths.source, baseUrl: config.github.apiUrl, logger });
  let store: Store;
  if (options.store === 'github') {
    if (!config.dataRepository) throw dataRepositoryMissing(config, configFile({ env }));
    if (!auths.data) throw new CliError('--store github needs DATA_REPOSITORY_TOKEN (or GITHUB_TOKEN)');
    const repoStore = githubRepoStoreFromConfig(config, {
      github: createStoreClient({ ...auths.data, baseUrl: config.github.apiUrl, logger }),
      logger,
    });
    try {
      await repoStore.verify({ createBranch: config.store.createBranch });
    } catch (error) {
      throw new CliError(errorMessage(error));
    }
    store = repoStore;
  } else if (options.store === 'file') {
    store = new FileStore(config.server.dataDir);
  } else {
    throw new CliError(`--store must be "file" or "github", got ${JSON.stringify(options.store)}`);
  }
  const abort = new AbortController();
  const onSignal = () => {
    process.stderr.write('\nstopping after the current item; cursors are kept…\n');
    abort.abort();
  };
  process.once('SIGINT', onSignal);
  const ctx: JobContext = {
    github,
    store,
    config,
    logger,
    now: () => new Date(),
    signal: abort.signal,
    ...(options.dryRun ? { dryRun: true } : {}),
  };
  return { ctx, config, logger, dispose: () => process.off('SIGINT', onSignal) };
}

/** Where a job's progress goes: how often a line is written when stderr is not a terminal. */
export interface ProgressOptions {
  job: string;
  /** Write every update (`--verbose`), not one every `intervalMs`. */
  verbose?: boolean;
  intervalMs?: number;
  /** Defaults: process.stderr, its isTTY, Date.now. */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  now?: () => number;
}

/** What the progress display shows, computed from the job's updates and the clock. */
export interface ProgressLine {
  progress: string;
  phase: string;
  done: number;
  total: number | null;
  items: number;
  records: number;
  requests_left: number | null;
  elapsed_s: number;
  /** Items and records per second since the start. */
  items_per_s: number;
  records_per_s: number;
  /** Seconds left, from the time the finished repositories took; null until one has finished. */
  eta_s: number | null;
}

export function progressLine(job: string, p: JobProgress, startedAt: number, now: number): ProgressLine {
  const elapsed = Math.max(now - startedAt, 1) / 1000;
  const remaining = p.total === null ? null : Math.max(p.total - p.done, 0);
  const eta = remaining === 0 ? 0 : remaining !== null && p.done > 0 ? (elapsed / p.done) * remaining : null;
  const round = (x: number) => Math.round(x * 10) / 10;
  return {
    progress: job,
    phase: p.phase,
    done: p.done,
    total: p.total,
    items: p.items ?? 0,
    records: p.records ?? 0,
    requests_left: p.requestsLeft ?? null,
    elapsed_s: round(elapsed),
    items_per_s: round((p.items ?? 0) / elapsed),
    records_per_s: round((p.records ?? 0) / elapsed),
    eta_s: eta === null ? null : Math.round(eta),
  };
}

/** `1h 05m`, `3m 20s`, `42s`; "estimating" while no repository has finished. */
function etaText(seconds: number | null): string {
  if (seconds === null) return 'estimating';
  if (seconds < 60) return `${seconds}s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m}m ${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

/**
 * A job's progress on stderr. On a terminal: a bar (repositories, items, records, requests left, time left).
 * Elsewhere (CI logs, cron, a pipe): JSON lines, `{"progress":"backfill","done":…,"eta_s":…}`, one every
 * 10 seconds and a last one at the end; every update with `--verbose`.
 */
export function progressBar(options: ProgressOptions): {
  onProgress: (p: JobProgress) => void;
  stop: () => void;
} {
  const stream = options.stream ?? process.stderr;
  const now = options.now ?? Date.now;
  const startedAt = now();
  if (!stream.isTTY) {
    const interval = options.verbose ? 0 : (options.intervalMs ?? 10_000);
    let last: JobProgress | undefined;
    let writtenAt = Number.NEGATIVE_INFINITY;
    let pending = false;
    const write = (p: JobProgress) => {
      writtenAt = now();
      pending = false;
      stream.write(`${JSON.stringify(progressLine(options.job, p, startedAt, writtenAt))}\n`);
    };
    return {
      onProgress(p) {
        last = p;
        pending = true;
        if (now() - writtenAt >= interval) write(p);
      },
      stop: () => {
        if (last && pending) write(last);
      },
    };
  }
  const bar = new SingleBar({
    format:
      '{bar} {value}/{total} repositories | {items} items | {records} records | {requests} requests left | {eta_text} left',
    stream,
    hideCursor: true,
  });
  let started = false;
  return {
    onProgress(p) {
      const line = progressLine(options.job, p, startedAt, now());
      const payload = {
        items: line.items,
        records: line.records,
        requests: line.requests_left ?? '?',
        eta_text: etaText(line.eta_s),
      };
      if (!started) {
        bar.start(p.total ?? 0, p.done, payload);
        started = true;
      } else {
        bar.setTotal(p.total ?? 0);
        bar.update(p.done, payload);
      }
    },
    stop: () => {
      if (started) bar.stop();
      started = false;
    },
  };
}

/** Prints the summary: one readable block, or JSON for scripts. */
export function printSummary(summary: JobSummary, json: boolean | undefined): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    return;
  }
  const lines = [
    summary.message,
    ...Object.entries(summary.counts).map(([k, v]) => `  ${k.padEnd(18)} ${v}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
