import { SingleBar } from 'cli-progress';
import { loadConfig, type TelemetryConfig } from '../config/config';
import { readLocalSecrets } from '../config/secrets';
import { createGitHubClient, createStoreClient } from '../github/client';
import type { JobContext, JobProgress, JobSummary } from '../jobs/types';
import { errorMessage, jsonLogger, type Logger } from '../log/logger';
import { FileStore } from '../store/file-store';
import { githubRepoStoreFromConfig } from '../store/github-repo-store';
import type { Store } from '../store/types';
import { CliError } from './errors';

export interface JobCliOptions {
  data?: string;
  store: string;
  dryRun?: boolean;
  json?: boolean;
  verbose?: boolean;
}

/** The options every job command shares. */
export const JOB_OPTION_HELP = {
  data: 'data directory of the file store (overrides TELEMETRY_DATA_DIR)',
  store: 'where records and cursors go: "file" (the data directory) or "github" (config dataRepository)',
  dryRun: 'read GitHub and collect, but write nothing (no records, no cursors, no redeliveries)',
  json: 'print the summary as JSON',
  verbose: 'log every step (JSON lines on stderr)',
};

/**
 * Builds what a job needs from the environment, as the schedule Lambda does from AWS: configuration,
 * GITHUB_TOKEN (required: jobs read the GitHub API), the store (the local data directory, or the data
 * repository with `--store github`), an abort signal on Ctrl-C (the job stops cleanly and keeps its cursors).
 */
export async function jobContextFromCli(
  options: JobCliOptions,
): Promise<{ ctx: JobContext; config: TelemetryConfig; logger: Logger; dispose: () => void }> {
  const env = { ...process.env, ...(options.data ? { TELEMETRY_DATA_DIR: options.data } : {}) };
  const config = loadConfig({ env });
  const secrets = readLocalSecrets(env);
  if (!secrets.githubToken) throw new CliError('jobs read the GitHub API: set GITHUB_TOKEN');
  const logger = jsonLogger({
    level: options.verbose ? 'info' : 'warn',
    write: (line) => process.stderr.write(`${line}\n`),
  });
  const github = createGitHubClient({ token: secrets.githubToken, baseUrl: config.github.apiUrl, logger });
  let store: Store;
  if (options.store === 'github') {
    const token = secrets.dataRepositoryToken ?? secrets.githubToken;
    const repoStore = githubRepoStoreFromConfig(config, {
      github: createStoreClient({ token, baseUrl: config.github.apiUrl, logger }),
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

/** A progress bar on stderr (only on a terminal): repositories, items, records, requests left, time left. */
export function progressBar(): { onProgress: (p: JobProgress) => void; stop: () => void } {
  if (!process.stderr.isTTY) return { onProgress: () => {}, stop: () => {} };
  const bar = new SingleBar({
    format:
      '{bar} {value}/{total} repositories | {items} items | {records} records | {requests} requests left | {eta_formatted} left',
    stream: process.stderr,
    hideCursor: true,
    etaBuffer: 20,
  });
  let started = false;
  return {
    onProgress(p) {
      const payload = { items: p.items ?? 0, records: p.records ?? 0, requests: p.requestsLeft ?? '?' };
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
