import { createHash } from 'node:crypto';
import type { z } from 'zod';
import type { TelemetryConfig } from '../config/config';
import type { GitHubClient } from '../github/client';
import { errorMessage, type Logger } from '../log/logger';
import { isBetter, recordPath, type Standing, serializeRecord, standingOf } from '../pipeline/record';
import type { MetricRecord } from '../pipeline/types';
import { COLLECTOR_VERSION } from '../version';
import {
  blobAnswer,
  commitAnswer,
  commitListAnswer,
  createdAnswer,
  refAnswer,
  repositoryAnswer,
  treeAnswer,
} from './git-answers';
import { nameOf, parentOf, type TreeEntry, TreeMirror } from './tree-mirror';
import type { Store, WriteResult } from './types';
import { type Clock, systemClock, WritePacer } from './write-pacer';

export interface GitIdentity {
  name: string;
  email: string;
}

export interface GitHubRepoStoreOptions {
  /** The shared client (`createGitHubClient`) with a token that can write to the data repository. */
  github: GitHubClient;
  owner: string;
  repo: string;
  branch: string;
  /** Folder inside the repository that holds the records ('' = the root), as `dataRepository.path`. */
  path?: string;
  logger: Logger;
  /** Commit author; default `github-telemetry <github-telemetry@users.noreply.github.com>`. */
  author?: GitIdentity;
  /** Commit committer; default the author. */
  committer?: GitIdentity;
  /** Content-creating requests per minute (default 60; GitHub allows 80 per token). */
  writesPerMinute?: number;
  /** Content-creating requests per hour (default 450; GitHub allows 500 per token). */
  writesPerHour?: number;
  /** Longest the pacer may hold a write back before the write fails as retriable (default: no limit). */
  maxWaitMs?: number;
  /** A pacer shared by every store (and writer) using the same token; default one per store. */
  pacer?: WritePacer;
  /**
   * Largest `POST /git/trees` body; a bigger batch is split across commits (default 1.8 MB: GitHub builds
   * trees of about 2 MB, and times out on larger ones). Shrinks by itself when GitHub says it is too large.
   */
  maxTreeBytes?: number;
  /** Attempts per request on 5xx, timeouts and rate limits before the write fails (default 6). */
  maxAttempts?: number;
  /** Rebuilds after a lost ref race before the write fails (default 8). */
  maxConflictRetries?: number;
  /** Per-request timeout in ms (default 30,000). */
  requestTimeoutMs?: number;
  /** Cap of the exponential backoff between attempts, in ms (default 60,000). */
  maxBackoffMs?: number;
  /**
   * How often, at most, the store re-reads the last hour of commits to count other writers' spending
   * (default 60,000 ms; one read each time).
   */
  budgetSyncMs?: number;
  /** Tree entries kept in memory to know what exists without reading every record (default 500,000). */
  cacheEntries?: number;
  clock?: Clock;
  /** Random source for the backoff jitter. */
  random?: () => number;
}

/** A start-up check failed: the message says what is wrong and how to fix it. */
export class StoreSetupError extends Error {
  override readonly name = 'StoreSetupError';
}

/** A write that could not be completed (the caller retries the batch; nothing was half-written). */
export class StoreWriteError extends Error {
  override readonly name = 'StoreWriteError';
}

export const DEFAULT_AUTHOR: GitIdentity = {
  name: 'github-telemetry',
  email: 'github-telemetry@users.noreply.github.com',
};

/** One file to commit, with its git blob id computed locally (so equal content is recognised for free). */
interface Entry {
  /** Path inside the repository. */
  path: string;
  content: string;
  blobSha: string;
  /** Set for metric records; undefined for plain files (`writeFile`). */
  record?: MetricRecord;
}

interface Head {
  commit: string;
  tree: string;
}

class RefConflict extends Error {}

/** GitHub refused or could not build a tree this large (422 "input was too large", or 5xx to the end). */
class TreeTooLarge extends Error {
  constructor(override readonly cause: unknown) {
    super(errorMessage(cause));
  }
}

/**
 * The GitHub data repository store. A batch of records becomes one commit through the Git Data API:
 * `POST /git/trees` (inline contents on `base_tree`), `POST /git/commits`, `PATCH /git/refs/heads/{branch}`
 * with `force: false`: three content-creating requests however many records, against GitHub's 80 a minute
 * and 500 an hour per token.
 *
 * - Idempotent: before building a tree it lists the touched month folders of the head (one
 *   `GET /git/trees/{sha}` per folder level the first time, then kept current across its own commits and
 *   cached by tree sha, which never changes) and drops records whose path holds an equal or better record.
 *   A batch of only such records makes no commit.
 * - Ref races (422/409): re-read the head, re-check, rebuild on it, retry with jittered backoff.
 * - Rate limits: a `WritePacer` holds writes back under the configured budgets; a 403/429 from GitHub
 *   waits for `retry-after` / `x-ratelimit-reset` (and pauses the pacer for everyone).
 * - Trees above `maxTreeBytes` are split across several commits.
 * - All-or-error: when a write ultimately fails it throws and the caller retries the batch; records already
 *   committed are found on the retry and not written twice.
 */
export class GitHubRepoStore implements Store {
  readonly owner: string;
  readonly repo: string;
  readonly branch: string;
  readonly root: string;
  readonly pacer: WritePacer;
  private readonly github: GitHubClient;
  private readonly logger: Logger;
  private readonly author: GitIdentity;
  private readonly committer: GitIdentity;
  /** Largest tree request; starts at `maxTreeBytes` and shrinks when GitHub cannot build one that large. */
  private treeBytes: number;
  private readonly maxAttempts: number;
  private readonly maxConflictRetries: number;
  private readonly requestTimeoutMs: number;
  private readonly maxBackoffMs: number;
  private readonly cacheEntries: number;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly commitTrees = new Map<string, string>();
  private readonly blobStatus = new Map<string, Standing>();
  private readonly mirror: TreeMirror;
  /** Commits of the last hour already counted by the pacer (ours and other writers'), by sha. */
  private readonly ledger = new Map<string, number>();
  private budgetSyncedAt = Number.NEGATIVE_INFINITY;
  private readonly budgetSyncMs: number;
  /** Writes are serialised: each builds on the head the previous one left. */
  private writing: Promise<unknown> = Promise.resolve();

  constructor(options: GitHubRepoStoreOptions) {
    this.github = options.github;
    this.owner = options.owner;
    this.repo = options.repo;
    this.branch = options.branch;
    this.root = (options.path ?? '').replace(/^\/+|\/+$/g, '');
    this.logger = options.logger;
    this.author = options.author ?? DEFAULT_AUTHOR;
    this.committer = options.committer ?? this.author;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.pacer =
      options.pacer ??
      new WritePacer({
        perMinute: options.writesPerMinute ?? 60,
        perHour: options.writesPerHour ?? 450,
        clock: this.clock,
        ...(options.maxWaitMs !== undefined ? { maxWaitMs: options.maxWaitMs } : {}),
      });
    this.treeBytes = options.maxTreeBytes ?? 1_800_000;
    this.maxAttempts = options.maxAttempts ?? 6;
    this.maxConflictRetries = options.maxConflictRetries ?? 8;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.maxBackoffMs = options.maxBackoffMs ?? 60_000;
    this.cacheEntries = options.cacheEntries ?? 500_000;
    this.budgetSyncMs = options.budgetSyncMs ?? 60_000;
    this.mirror = new TreeMirror((sha) => this.readTree(sha), this.cacheEntries);
  }

  /**
   * Start-up checks: the repository exists and the token can see it, the token can push, the branch exists.
   * An empty repository or a missing branch is created only with `createBranch` (the first commit holds a
   * README in the data folder); otherwise the error says how to create it.
   */
  async verify(options: { createBranch?: boolean } = {}): Promise<void> {
    const where = `${this.owner}/${this.repo}`;
    let repository: z.infer<typeof repositoryAnswer>;
    try {
      const read = await this.call('GET /repos/{owner}/{repo}', {}, false);
      repository = parseAnswer(repositoryAnswer, read.data, `GET /repos/${where}`);
    } catch (error) {
      const status = statusOf(error);
      if (status === 404)
        throw new StoreSetupError(
          `data repository ${where} does not exist or the token cannot see it: check dataRepository.owner/name and give the token access to it`,
        );
      if (status === 401) throw new StoreSetupError(`the token was refused by GitHub (401) reading ${where}`);
      throw new StoreSetupError(`cannot read data repository ${where}: ${errorMessage(error)}`);
    }
    // Installation tokens of GitHub Apps get no `permissions`: then the first write tells.
    if (repository.permissions && repository.permissions.push !== true)
      throw new StoreSetupError(
        `the token can read ${where} but cannot write to it: give it "Contents: read and write" (fine-grained token or GitHub App) or the "repo" scope (classic token)`,
      );

    const exists = await this.branchExists(where, repository.default_branch ?? 'main', options);
    if (!exists) return;
    try {
      await this.syncBudget();
    } catch (error) {
      // Not fatal: the pacer then starts afresh (until the next sync) and GitHub's 403s still hold it back.
      this.logger.warn('could not read the last hour of commits: write budget starts afresh', {
        error: errorMessage(error),
      });
    }
  }

  /** True when the branch exists; creates it (or the first commit) when allowed, else explains how. */
  private async branchExists(
    where: string,
    fallback: string,
    options: { createBranch?: boolean },
  ): Promise<boolean> {
    try {
      await this.call('GET /repos/{owner}/{repo}/git/ref/{ref}', { ref: `heads/${this.branch}` }, false);
      return true;
    } catch (error) {
      const status = statusOf(error);
      if (status === 409) {
        if (!options.createBranch)
          throw new StoreSetupError(
            `data repository ${where} is empty: create its first commit (on github.com "Add a README", or push any commit to ${this.branch}), or set store.createBranch to true to let the collector create it`,
          );
        await this.createFirstCommit();
        return false;
      }
      if (status !== 404)
        throw new StoreSetupError(`cannot read branch ${this.branch} of ${where}: ${errorMessage(error)}`);
    }
    if (!options.createBranch)
      throw new StoreSetupError(
        `branch ${this.branch} does not exist in ${where} (default branch: ${fallback}): create it, set dataRepository.branch to an existing branch, or set store.createBranch to true to let the collector branch it from ${fallback}`,
      );
    const base = await this.call(
      'GET /repos/{owner}/{repo}/git/ref/{ref}',
      { ref: `heads/${fallback}` },
      false,
    );
    const sha = parseAnswer(refAnswer, base.data, `GET ref heads/${fallback}`).object.sha;
    await this.call('POST /repos/{owner}/{repo}/git/refs', { ref: `refs/heads/${this.branch}`, sha }, true);
    this.logger.info('data branch created', { repository: where, branch: this.branch, from: fallback });
    return false;
  }

  /**
   * Counts in the pacer the writes other processes made with the same committer in the last hour, as the
   * branch's history shows them (every commit cost three content-creating requests). The history is the
   * ledger every writer shares: a restarted Lambda resumes the budget where the previous one left it, and
   * concurrent writers (a second worker, the scheduled jobs) see each other's spending. Returns how many
   * writes it added.
   */
  async syncBudget(): Promise<number> {
    const now = this.clock.now();
    this.budgetSyncedAt = now;
    for (const [sha, at] of this.ledger) if (at < now - 3_600_000) this.ledger.delete(sha);
    const since = new Date(now - 3_600_000).toISOString();
    const times: number[] = [];
    for (let page = 1; page <= 10; page += 1) {
      const read = await this.call(
        'GET /repos/{owner}/{repo}/commits',
        { sha: this.branch, since, committer: this.committer.email, per_page: 100, page },
        false,
      );
      const commits = parseAnswer(commitListAnswer, read.data, 'GET /repos/{owner}/{repo}/commits');
      for (const c of commits) {
        const at = Date.parse(c.commit.committer?.date ?? '');
        if (Number.isNaN(at) || this.ledger.has(c.sha)) continue;
        this.ledger.set(c.sha, at);
        times.push(at, at, at);
      }
      if (commits.length < 100) break;
    }
    if (times.length > 0) {
      this.pacer.seed(times);
      this.logger.info('write budget: writes of other processes counted', {
        writes: times.length,
        used_last_hour: this.pacer.usedLastHour,
      });
    }
    return times.length;
  }

  async write(records: readonly MetricRecord[]): Promise<WriteResult> {
    const result: WriteResult = { written: [], unchanged: [] };
    // Within a batch, the better of two records for the same path wins (the FileStore's rule).
    const byPath = new Map<string, MetricRecord>();
    for (const record of records) {
      const path = this.inRoot(recordPath(record));
      const seen = byPath.get(path);
      if (!seen || isBetter(record, seen)) {
        if (seen) result.unchanged.push(seen.id);
        byPath.set(path, record);
      } else result.unchanged.push(record.id);
    }
    const entries = [...byPath].map(([path, record]) => entry(path, serializeRecord(record), record));
    const committed = await this.serialised(() =>
      this.commitEntries(entries, (e, existing) => this.recordWanted(e, existing)),
    );
    for (const e of entries) {
      const id = (e.record as MetricRecord).id;
      (committed.has(e.path) ? result.written : result.unchanged).push(id);
    }
    return result;
  }

  async readFile(path: string): Promise<string | undefined> {
    const full = this.inRoot(checkedPath(path));
    return this.serialised(async () => {
      const head = await this.readHead();
      const sha = await this.blobAt(head, full);
      if (!sha) return undefined;
      return (await this.readBlob(sha)).toString('utf8');
    });
  }

  async writeFile(path: string, content: string): Promise<void> {
    const file = entry(this.inRoot(checkedPath(path)), content);
    await this.serialised(() =>
      this.commitEntries([file], async (_e, existing) => existing !== file.blobSha),
    );
  }

  /**
   * Commits `entries` that `wanted` keeps, on the branch head, in as many commits as the tree size needs.
   * Returns the paths committed. Re-checks against the new head after every lost race.
   */
  private async commitEntries(
    entries: readonly Entry[],
    wanted: (entry: Entry, existingBlob: string | undefined) => Promise<boolean>,
  ): Promise<Set<string>> {
    const committed = new Set<string>();
    let pending = [...entries];
    let conflicts = 0;
    let shrinks = 0;
    while (pending.length > 0) {
      const head = await this.readHead();
      const toWrite: Entry[] = [];
      for (const e of pending) {
        const existing = await this.blobAt(head, e.path);
        if (existing !== e.blobSha && (await wanted(e, existing))) toWrite.push(e);
      }
      if (toWrite.length === 0) break;
      if (this.clock.now() - this.budgetSyncedAt >= this.budgetSyncMs) await this.syncBudget();
      const chunk = takeChunk(toWrite, this.treeBytes);
      try {
        await this.commit(head, chunk, toWrite.length);
      } catch (error) {
        if (error instanceof TreeTooLarge && shrinks < 4) {
          // GitHub builds big trees with a deadline: halve what one request carries, for good.
          shrinks += 1;
          this.treeBytes = Math.max(10_000, Math.floor(treeRequestBytes(chunk) / 2));
          this.logger.warn('tree request too large for GitHub: splitting smaller', {
            tree_bytes: this.treeBytes,
            error: error.message,
          });
          pending = toWrite;
          continue;
        }
        if (error instanceof TreeTooLarge) throw error.cause;
        if (!(error instanceof RefConflict)) throw error;
        conflicts += 1;
        if (conflicts > this.maxConflictRetries)
          throw new StoreWriteError(
            `${this.owner}/${this.repo}@${this.branch}: the branch kept moving under the write (${conflicts} lost ref races)`,
          );
        const wait = this.backoff(conflicts, 250);
        this.logger.warn('data branch moved: rebuilding on the new head', { conflicts, wait_ms: wait });
        await this.clock.sleep(wait);
        pending = toWrite;
        continue;
      }
      for (const e of chunk) committed.add(e.path);
      pending = toWrite.slice(chunk.length);
    }
    return committed;
  }

  /** Is a record worth writing over what the head holds at its path? */
  private async recordWanted(e: Entry, existingBlob: string | undefined): Promise<boolean> {
    if (existingBlob === undefined) return true;
    const record = e.record as MetricRecord;
    // A partial record never beats anything (isBetter): skip reading what is stored.
    if (record.status === 'partial') return false;
    return isBetter(record, await this.standingOfBlob(existingBlob));
  }

  /** One commit: tree on the head's tree, commit, fast-forward the branch. Throws RefConflict on a lost race. */
  private async commit(head: Head, chunk: readonly Entry[], remaining: number): Promise<void> {
    let tree: { data: unknown };
    try {
      tree = await this.call(
        'POST /repos/{owner}/{repo}/git/trees',
        {
          base_tree: head.tree,
          tree: chunk.map((e) => ({ path: e.path, mode: '100644', type: 'blob', content: e.content })),
        },
        true,
      );
    } catch (error) {
      const status = statusOf(error);
      const tooLarge = status === 422 && /too large|timed out/i.test(errorMessage(error));
      if (chunk.length > 1 && (tooLarge || status === undefined || status >= 500))
        throw new TreeTooLarge(error);
      throw error;
    }
    const treeSha = parseAnswer(createdAnswer, tree.data, 'POST /git/trees').sha;
    const now = new Date(this.clock.now()).toISOString();
    const created = await this.call(
      'POST /repos/{owner}/{repo}/git/commits',
      {
        message: commitMessage(chunk, remaining),
        tree: treeSha,
        parents: [head.commit],
        author: { ...this.author, date: now },
        committer: { ...this.committer, date: now },
      },
      true,
    );
    const commitSha = parseAnswer(createdAnswer, created.data, 'POST /git/commits').sha;
    try {
      await this.call(
        'PATCH /repos/{owner}/{repo}/git/refs/{ref}',
        { ref: `heads/${this.branch}`, sha: commitSha, force: false },
        true,
      );
    } catch (error) {
      const status = statusOf(error);
      if (status !== 422 && status !== 409) throw error;
      // An earlier attempt of this very update may have landed before its answer was lost.
      const now = await this.readHead();
      if (now.commit !== commitSha) throw new RefConflict(errorMessage(error));
    }
    this.commitTrees.set(commitSha, treeSha);
    // Our own commit: its writes are already counted by the pacer.
    this.ledger.set(commitSha, this.clock.now());
    this.afterCommit(head, { commit: commitSha, tree: treeSha }, chunk);
    this.logger.info('committed', {
      repository: `${this.owner}/${this.repo}`,
      branch: this.branch,
      commit: commitSha,
      files: chunk.length,
    });
  }

  /** Keeps the mirror of the head's tree exact across our own commit, so the next batch needs no reads. */
  private afterCommit(before: Head, after: Head, chunk: readonly Entry[]): void {
    for (const e of chunk) if (e.record) this.rememberStanding(e.blobSha, standingOf(e.record));
    if (!this.mirror.applyCommit(before.commit, after.commit, after.tree, chunk))
      this.logger.debug('tree mirror restarted', { commit: after.commit });
  }

  private async readHead(): Promise<Head> {
    const ref = await this.call(
      'GET /repos/{owner}/{repo}/git/ref/{ref}',
      { ref: `heads/${this.branch}` },
      false,
    );
    const commit = parseAnswer(refAnswer, ref.data, `GET ref heads/${this.branch}`).object.sha;
    let tree = this.commitTrees.get(commit);
    if (!tree) {
      const read = await this.call(
        'GET /repos/{owner}/{repo}/git/commits/{commit_sha}',
        { commit_sha: commit },
        false,
      );
      tree = parseAnswer(commitAnswer, read.data, `GET /git/commits/${commit}`).tree.sha;
      if (this.commitTrees.size > 1000) this.commitTrees.clear();
      this.commitTrees.set(commit, tree);
    }
    return { commit, tree };
  }

  /** The blob id at `path` in the head's tree, or undefined when there is no file there. */
  private async blobAt(head: Head, path: string): Promise<string | undefined> {
    await this.mirror.moveTo(head.commit, head.tree);
    const entry = (await this.mirror.list(parentOf(path), head.tree))?.get(nameOf(path));
    return entry?.type === 'blob' ? entry.sha : undefined;
  }

  private async readTree(sha: string): Promise<Map<string, TreeEntry>> {
    const read = await this.call('GET /repos/{owner}/{repo}/git/trees/{tree_sha}', { tree_sha: sha }, false);
    const data = parseAnswer(treeAnswer, read.data, `GET /git/trees/${sha}`);
    if (data.truncated)
      throw new StoreWriteError(
        `a folder of ${this.owner}/${this.repo} (tree ${sha}) holds more entries than GitHub lists (100,000): the store cannot tell which records exist there`,
      );
    return new Map(data.tree.map((e) => [e.path, { mode: e.mode, type: e.type, sha: e.sha }]));
  }

  private async readBlob(sha: string): Promise<Buffer> {
    const read = await this.call('GET /repos/{owner}/{repo}/git/blobs/{file_sha}', { file_sha: sha }, false);
    const data = parseAnswer(blobAnswer, read.data, `GET /git/blobs/${sha}`);
    return data.encoding === 'base64'
      ? Buffer.from(data.content, 'base64')
      : Buffer.from(data.content, 'utf8');
  }

  /** What "better record wins" needs of a stored record: free when we wrote it, else read once (blobs are immutable). */
  private async standingOfBlob(sha: string): Promise<Standing> {
    const known = this.blobStatus.get(sha);
    if (known) return known;
    // A failed read (HTTP or network) throws: the batch is retried. Only content that is not JSON (edited by
    // hand?) counts as partial, so a good record repairs it.
    const text = (await this.readBlob(sha)).toString('utf8');
    let standing: Standing;
    try {
      standing = standingOf(JSON.parse(text));
    } catch {
      standing = { status: 'partial' };
    }
    this.rememberStanding(sha, standing);
    return standing;
  }

  private rememberStanding(sha: string, standing: Standing): void {
    if (this.blobStatus.size >= this.cacheEntries) this.blobStatus.clear();
    this.blobStatus.set(sha, standing);
  }

  /** The first commit of an empty repository (the Git Data API refuses to work on one): a README. */
  private async createFirstCommit(): Promise<void> {
    const path = this.inRoot('README.md');
    const text =
      '# Telemetry data\n\nMetric records written by github-telemetry: one JSON file per record, see docs/DATA.md.\n';
    await this.call(
      'PUT /repos/{owner}/{repo}/contents/{path}',
      {
        path,
        message: 'telemetry: create the data repository',
        content: Buffer.from(text).toString('base64'),
        branch: this.branch,
        author: this.author,
        committer: this.committer,
      },
      true,
    );
    this.logger.info('data repository initialised', {
      repository: `${this.owner}/${this.repo}`,
      branch: this.branch,
    });
  }

  /**
   * One request with the store's own retry policy (on its clock): content-creating requests wait for the
   * pacer; rate limits wait for GitHub's `retry-after` / `x-ratelimit-reset`; 5xx, timeouts and network
   * faults back off with jitter. Other 4xx answers are final.
   */
  private async call(
    route: string,
    params: Record<string, unknown>,
    contentCreating: boolean,
  ): Promise<{ data: unknown }> {
    for (let attempt = 1; ; attempt += 1) {
      if (contentCreating) await this.pacer.acquire();
      try {
        return await this.github.request(route, {
          owner: this.owner,
          repo: this.repo,
          ...params,
          // The store retries on its own clock: the client's retry plugin would sleep on the wall clock.
          request: { retries: 0, signal: AbortSignal.timeout(this.requestTimeoutMs) },
        });
      } catch (error) {
        const wait = this.retryDelay(error, attempt);
        if (wait === undefined || attempt >= this.maxAttempts) throw error;
        this.logger.warn('github request failed: retrying', {
          route,
          status: statusOf(error),
          attempt,
          wait_ms: wait,
          error: errorMessage(error),
        });
        await this.clock.sleep(wait);
      }
    }
  }

  /** How long to wait before retrying after `error`, or undefined when retrying cannot help. */
  private retryDelay(error: unknown, attempt: number): number | undefined {
    const status = statusOf(error);
    const headers = headersOf(error);
    if (status === 403 || status === 429) {
      const now = this.clock.now();
      let until: number | undefined;
      const retryAfter = Number(headers['retry-after']);
      if (headers['retry-after'] !== undefined && Number.isFinite(retryAfter))
        until = now + retryAfter * 1000;
      else if (headers['x-ratelimit-remaining'] === '0' && headers['x-ratelimit-reset'])
        until = Number(headers['x-ratelimit-reset']) * 1000 + 1000;
      else if (/secondary rate limit/i.test(errorMessage(error))) until = now + 60_000;
      if (until === undefined) return undefined; // a plain 403: no permission
      this.pacer.pauseUntil(until);
      return Math.max(0, until - now) + Math.floor(this.random() * 1000);
    }
    if (status === undefined || status >= 500) return this.backoff(attempt, 1000);
    return undefined;
  }

  /** Exponential backoff with full jitter in [base/2, base·2^(n-1)], capped. */
  private backoff(attempt: number, base: number): number {
    const ceiling = Math.min(this.maxBackoffMs, base * 2 ** (attempt - 1));
    return Math.round(ceiling / 2 + (this.random() * ceiling) / 2);
  }

  private inRoot(path: string): string {
    return this.root === '' ? path : `${this.root}/${path}`;
  }

  private serialised<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.writing.then(fn, fn);
    this.writing = run.catch(() => undefined);
    return run;
  }
}

/**
 * The store the configuration describes (`dataRepository` + `store`), for the worker and `serve --store
 * github`. Call `verify({ createBranch: config.store.createBranch })` once at start-up.
 */
export function githubRepoStoreFromConfig(
  config: TelemetryConfig,
  deps: { github: GitHubClient; logger: Logger } & Partial<GitHubRepoStoreOptions>,
): GitHubRepoStore {
  const data = config.dataRepository;
  if (!data)
    throw new StoreSetupError(
      'dataRepository is not configured: set dataRepository.owner and dataRepository.name (and optionally branch, path)',
    );
  return new GitHubRepoStore({
    owner: data.owner,
    repo: data.name,
    branch: data.branch,
    path: data.path,
    writesPerMinute: config.store.writesPerMinute,
    writesPerHour: config.store.writesPerHour,
    maxTreeBytes: config.store.maxTreeBytes,
    ...(config.store.author ? { author: config.store.author } : {}),
    ...(config.store.committer ? { committer: config.store.committer } : {}),
    ...deps,
  });
}

function entry(path: string, content: string, record?: MetricRecord): Entry {
  return { path, content, blobSha: gitBlobSha(content), ...(record ? { record } : {}) };
}

/** The git object id of a blob: SHA-1 of `blob <bytes>\0<content>`. */
export function gitBlobSha(content: string): string {
  const bytes = Buffer.from(content, 'utf8');
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

/** Bytes one entry adds to a tree request: its JSON-escaped content, its path and the fixed fields. */
function entryBytes(e: Entry): number {
  return JSON.stringify(e.content).length + e.path.length + 64;
}

function treeRequestBytes(entries: readonly Entry[]): number {
  return entries.reduce((n, e) => n + entryBytes(e), 64);
}

/** The first entries that fit in one tree request of at most `maxBytes` (always at least one). */
function takeChunk(entries: readonly Entry[], maxBytes: number): Entry[] {
  let size = 64;
  let count = 0;
  for (const e of entries) {
    const bytes = entryBytes(e);
    if (count > 0 && size + bytes > maxBytes) break;
    size += bytes;
    count += 1;
  }
  return entries.slice(0, count);
}

/** `telemetry: 3 records (workflow-job 2, check-suite 1)`, plus how many follow when a batch is split. */
export function commitMessage(chunk: readonly Entry[], remaining: number): string {
  const records = chunk.filter((e) => e.record);
  const follow =
    remaining > chunk.length
      ? `\n\nBatch split across commits: ${remaining - chunk.length} more files follow.`
      : '';
  const footer = `\n\nWritten by github-telemetry ${COLLECTOR_VERSION}.`;
  if (records.length === 0) {
    const paths = chunk.map((e) => e.path);
    return `telemetry: update ${paths.length === 1 ? paths[0] : `${paths.length} files`}${follow}${footer}`;
  }
  const byMetric = new Map<string, number>();
  for (const e of records) {
    const metric = (e.record as MetricRecord).metric;
    byMetric.set(metric, (byMetric.get(metric) ?? 0) + 1);
  }
  const metrics = [...byMetric]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([metric, n]) => `${metric} ${n}`)
    .join(', ');
  const noun = records.length === 1 ? 'record' : 'records';
  return `telemetry: ${records.length} ${noun} (${metrics})${follow}${footer}`;
}

/** A relative path without empty, `.` or `..` segments (what `readFile`/`writeFile` accept). */
function checkedPath(path: string): string {
  const segments = path.split('/');
  if (path.includes('\0') || segments.some((s) => s === '' || s === '.' || s === '..'))
    throw new Error(`invalid store path: ${JSON.stringify(path)}`);
  return path;
}

/** Parses a GitHub answer, or fails the write (retriable) naming the call and what was wrong. */
function parseAnswer<T extends z.ZodType>(schema: T, data: unknown, call: string): z.infer<T> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const problems = result.error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
  throw new StoreWriteError(`unexpected answer to ${call}: ${problems}`);
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

function headersOf(error: unknown): Record<string, string | undefined> {
  return ((error as { response?: { headers?: Record<string, string> } } | null)?.response?.headers ??
    {}) as Record<string, string | undefined>;
}
