import { createHash } from 'node:crypto';
import { forEachLimited } from '../concurrency';
import type { TelemetryConfig } from '../config/config';
import type { DataFiles, HotTier } from '../data/compact';
import { HOT_ROOT } from '../data/layout';
import { indexEntryContent, PACK_MAX_BYTES, packRecords } from '../data/packs';
import type { GitHubClient } from '../github/client';
import { errorMessage, type Logger } from '../log/logger';
import { isBetter, recordPath, type Standing, serializeRecord, standingOf } from '../pipeline/record';
import type { MetricRecord } from '../pipeline/types';
import { COLLECTOR_VERSION } from '../version';
import {
  blobAnswer,
  commitAnswer,
  createdAnswer,
  matchingRefsAnswer,
  refAnswer,
  treeAnswer,
} from './git-answers';
import {
  BudgetLedger,
  parseAnswer,
  RequestPolicy,
  StoreWriteError,
  statusOf,
  WRITES_TRAILER,
} from './request-policy';
import { type GitIdentity, StoreSetupError, verifyDataRepository } from './store-setup';
import { nameOf, parentOf, type TreeEntry, TreeMirror } from './tree-mirror';
import {
  type Store,
  StoreRefusedError,
  StoreUnavailableError,
  type WriteOptions,
  type WriteResult,
} from './types';
import { type Clock, systemClock, WritePacer } from './write-pacer';

export { StoreWriteError } from './request-policy';
export type { GitIdentity } from './store-setup';
export { StoreSetupError } from './store-setup';

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
  /** Content-creating requests that may go out back to back (the pacer's burst; default 30). */
  writeBurst?: number;
  /** Longest the pacer may hold a write back before the write fails as retriable (default: no limit). */
  maxWaitMs?: number;
  /** A pacer shared by every store (and writer) using the same token; default one per store. */
  pacer?: WritePacer;
  /**
   * Largest `POST /git/trees` body; a bigger batch is split across several tree requests (default 1.8 MB:
   * GitHub builds trees of about 2 MB, and times out on larger ones). Shrinks by itself when GitHub says it
   * is too large.
   */
  maxTreeBytes?: number;
  /**
   * Tree requests one commit may chain (each on the tree the previous one built) before the rest of a batch
   * goes to another commit (default 8, at most the pacer's burst less the commit and the ref update).
   */
  maxTreesPerCommit?: number;
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
  /**
   * Hot records (`hot/…`) go to a branch of their own per UTC day of writing, `<branch>-hot/<yyyy-mm-dd>`,
   * never to `branch`, which holds the compacted partitions and state (docs/ARCHITECTURE.md "hot-tier
   * decision"); compaction deletes a day's hot branch once its records are in Parquet (default true).
   */
  hotBranches?: boolean;
  /** Tree entries kept in memory to know what exists without reading every record (default 500,000). */
  cacheEntries?: number;
  clock?: Clock;
  /** Random source for the backoff jitter. */
  random?: () => number;
}

/** Stored records whose status is read at once when a batch must compare itself with them. */
const BLOB_READS_AT_ONCE = 8;
/** Tree requests one commit chains at most, by default (a 6 MB worker batch needs 2 to 3). */
const DEFAULT_TREES_PER_COMMIT = 8;
/** Commits at a shrunk tree size before the store tries twice the size again. */
const GROW_AFTER_COMMITS = 20;

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
  /**
   * Set for the one path per record id (`recordPath`): a hot record's index entry (its standing) or a
   * tombstone (the whole record); undefined for packs and plain files (`writeFile`).
   */
  record?: MetricRecord;
  /** Set for a pack: the hot records it holds, one per line. */
  pack?: readonly MetricRecord[];
}

interface Head {
  commit: string;
  tree: string;
}

/** A branch the store commits to: the data branch, or a day's hot branch (absent until its first commit). */
interface Target {
  branch: string;
  /** A hot branch: a missing ref means "no records yet", and the first commit creates it without parent. */
  hot: boolean;
  /** The mirror of this branch's head tree (the existence checks). */
  mirror: TreeMirror;
  /** Our last commit and the head it replaced: a ref read that still shows `before` is stale. */
  lastCommit: { before: string | undefined; after: Head } | undefined;
  /** Whether the branch existed at the last read of its ref. */
  exists?: boolean;
}

/** How long after its UTC day ends a hot branch may still receive a commit started before midnight. */
export const HOT_BRANCH_SETTLE_MS = 30 * 60_000;

/** `<branch>-hot/<yyyy-mm-dd>`: where a store on `branch` commits the hot records written on `day`. */
export function hotBranchName(branch: string, day: string): string {
  return `${branch}-hot/${day}`;
}

class RefConflict extends Error {}

/** GitHub refused to build a tree this large (422 "input was too large" / "timed out"). */
class TreeTooLarge extends Error {
  constructor(
    override readonly cause: unknown,
    /** The tree request GitHub refused. */
    readonly chunk: readonly Entry[],
  ) {
    super(errorMessage(cause));
  }
}

/**
 * The GitHub data repository store. A batch of records becomes one commit through the Git Data API:
 * `POST /git/trees` (inline contents on `base_tree`), `POST /git/commits`, `PATCH /git/refs/heads/{branch}`
 * with `force: false`: three content-creating requests however many records, against GitHub's 80 a minute
 * and 500 an hour per token.
 *
 * - Hot records are written as packs (src/data/packs.ts): one `<hash>.ndjson` per hour folder and write
 *   holding the records, one per line, beside an index entry `<mm>/<id>.idx` per record id holding its
 *   standing. Why: a reader opens one file per write and hour rather than one per record (`npm run bench --
 *   hot-packing`: 6.1 times faster loading), while the index entries keep a path per id for the checks
 *   below. Each pack goes right before its records' index entries in the tree requests, so a batch split
 *   across commits commits each pack in the same commit as its index entries or an earlier one: a failure
 *   between commits may leave records packed but not indexed (the retry packs them once more; readers keep
 *   one per id), never an index entry whose record is in no pack. Tombstones stay whole record files.
 * - Idempotent: before building a tree it lists the touched minute folders of the head (one
 *   `GET /git/trees/{sha}` per folder level the first time, then kept current across its own commits and
 *   cached by tree sha, which never changes) and drops records whose index entry holds an equal or better
 *   standing. A batch of only such records makes no commit. Packs are named by their content: one already
 *   in the head is not sent again.
 * - Ref races (422/409): re-read the head, re-check, rebuild on it, retry with jittered backoff.
 * - Rate limits: a `WritePacer` holds writes back under the configured budgets; a 403/429 from GitHub
 *   waits for `retry-after` / `x-ratelimit-reset` (and pauses the pacer for everyone).
 * - Trees above `maxTreeBytes` are split across several commits.
 * - All-or-error: when a write ultimately fails it throws and the caller retries the batch; records already
 *   committed are found on the retry and not written twice.
 */
export class GitHubRepoStore implements Store, DataFiles {
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
  private readonly maxTreeBytes: number;
  /** Commits since the tree size last changed (it grows back after `GROW_AFTER_COMMITS`). */
  private commitsAtSize = 0;
  private readonly maxConflictRetries: number;
  private readonly maxTreesPerCommit: number;
  private readonly cacheEntries: number;
  private readonly clock: Clock;
  private readonly requests: RequestPolicy;
  private readonly commitTrees = new Map<string, string>();
  /**
   * Blobs GitHub holds because a tree request of ours carried their content: a rebuild after a lost ref race
   * names them by id instead of sending them again (one small tree request, however large the batch).
   */
  private readonly sentBlobs = new Set<string>();
  private readonly blobStatus = new Map<string, Standing>();
  /** The data branch (state, tombstones, partitions). */
  private readonly main: Target;
  /** Today's hot branch (by the store's clock), when hot records have their own branches. */
  private hot: Target | undefined;
  private readonly hotBranches: boolean;
  private readonly ledger: BudgetLedger;
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
    this.pacer =
      options.pacer ??
      new WritePacer({
        perMinute: options.writesPerMinute ?? 60,
        perHour: options.writesPerHour ?? 450,
        ...(options.writeBurst !== undefined ? { burst: options.writeBurst } : {}),
        clock: this.clock,
        ...(options.maxWaitMs !== undefined ? { maxWaitMs: options.maxWaitMs } : {}),
      });
    this.maxTreeBytes = options.maxTreeBytes ?? 1_800_000;
    this.treeBytes = this.maxTreeBytes;
    this.maxConflictRetries = options.maxConflictRetries ?? 8;
    this.maxTreesPerCommit = Math.max(
      1,
      Math.min(options.maxTreesPerCommit ?? DEFAULT_TREES_PER_COMMIT, this.pacer.burstSize - 2),
    );
    this.cacheEntries = options.cacheEntries ?? 500_000;
    this.requests = new RequestPolicy({
      github: this.github,
      owner: this.owner,
      repo: this.repo,
      logger: this.logger,
      pacer: this.pacer,
      clock: this.clock,
      random: options.random ?? Math.random,
      maxAttempts: options.maxAttempts ?? 6,
      requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
      maxBackoffMs: options.maxBackoffMs ?? 60_000,
    });
    this.hotBranches = options.hotBranches ?? true;
    const store = this;
    this.ledger = new BudgetLedger({
      requests: this.requests,
      pacer: this.pacer,
      clock: this.clock,
      logger: this.logger,
      // The branch most commits go to: today's hot branch once it exists (before that, the data branch).
      get branch() {
        const hot = store.hotBranches ? store.hotTarget() : undefined;
        return hot?.exists ? hot.branch : store.branch;
      },
      committerEmail: this.committer.email,
      syncMs: options.budgetSyncMs ?? 60_000,
    });
    this.main = this.target(this.branch, false);
  }

  private target(branch: string, hot: boolean): Target {
    return {
      branch,
      hot,
      mirror: new TreeMirror((sha) => this.readTree(sha), this.cacheEntries),
      lastCommit: undefined,
    };
  }

  /** Today's hot branch (UTC, the store's clock): a new one at midnight. */
  private hotTarget(): Target {
    const branch = hotBranchName(this.branch, new Date(this.clock.now()).toISOString().slice(0, 10));
    if (this.hot?.branch !== branch) this.hot = this.target(branch, true);
    return this.hot;
  }

  /**
   * Start-up checks (`verifyDataRepository`): the repository exists and the token can see it, the token can
   * push, the branch exists (created only with `createBranch`).
   */
  async verify(options: { createBranch?: boolean } = {}): Promise<void> {
    await verifyDataRepository(
      {
        requests: this.requests,
        owner: this.owner,
        repo: this.repo,
        branch: this.branch,
        logger: this.logger,
        author: this.author,
        committer: this.committer,
        readmePath: this.inRoot('README.md'),
        syncBudget: async () => {
          // The budget is read from today's hot branch when it exists: look once.
          if (this.hotBranches) await this.readHead(this.hotTarget());
          return this.syncBudget();
        },
      },
      options,
    );
  }

  /** Counts in the pacer the writes other processes made in the last hour (`BudgetLedger`). */
  syncBudget(): Promise<number> {
    return this.ledger.sync();
  }

  /**
   * Stores `records` (see the class comment). Records the store can never hold (one larger than a tree
   * request) are `rejected` before any request, the rest is written. Within `options.deadline` or not at
   * all: `StoreUnavailableError` when GitHub, the write budget or the deadline stop it (retry later),
   * `StoreRefusedError` when GitHub refuses the content itself.
   */
  async write(records: readonly MetricRecord[], options: WriteOptions = {}): Promise<WriteResult> {
    const result: WriteResult = { written: [], unchanged: [], rejected: [] };
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
    const entries: Entry[] = [];
    for (const [path, record] of byPath) {
      // The record's line travels whole in one tree request: as a tombstone, or in a pack (alone at worst).
      const line = serializeRecord(record);
      const bytes = JSON.stringify(line).length + path.length + 128;
      if (bytes > this.maxTreeBytes)
        result.rejected?.push({
          id: record.id,
          reason: `record of ${bytes} bytes: larger than the largest tree request (${this.maxTreeBytes} bytes)`,
        });
      else
        entries.push(entry(path, record.status === 'retracted' ? line : indexEntryContent(record), record));
    }
    // Hot records go to today's hot branch; tombstones (never compacted) stay on the data branch.
    const hotPrefix = `${this.inRoot(HOT_ROOT)}/`;
    const isHot = (e: Entry) => this.hotBranches && e.path.startsWith(hotPrefix);
    /** Paths stored so far (committed, or found holding an equal or better record). */
    const settled = new Set<string>();
    let committed: Set<string>;
    try {
      committed = await this.serialised(() =>
        this.withDeadline(options, async () => {
          const done = new Set<string>();
          const groups: [() => Target, Entry[]][] = [
            [() => this.hotTarget(), entries.filter(isHot)],
            [() => this.main, entries.filter((e) => !isHot(e))],
          ];
          for (const [target, group] of groups) {
            if (group.length === 0) continue;
            const paths = await this.commitEntries(
              target(),
              group,
              (e, existing) => this.recordWanted(e, existing),
              settled,
            );
            for (const path of paths) done.add(path);
          }
          return done;
        }),
      );
    } catch (error) {
      // What was stored before the write stopped needs no retry (the worker acknowledges those events).
      if (error instanceof StoreUnavailableError)
        error.settled = records.filter((r) => settled.has(this.inRoot(recordPath(r)))).map((r) => r.id);
      throw error;
    }
    for (const e of entries) {
      const id = (e.record as MetricRecord).id;
      (committed.has(e.path) ? result.written : result.unchanged).push(id);
    }
    return result;
  }

  private async withDeadline<T>(options: WriteOptions, fn: () => Promise<T>): Promise<T> {
    this.requests.deadline = options.deadline;
    this.requests.maxBudgetWaitMs = options.maxBudgetWaitMs;
    try {
      return await fn();
    } finally {
      this.requests.deadline = undefined;
      this.requests.maxBudgetWaitMs = undefined;
    }
  }

  async readFile(path: string): Promise<string | undefined> {
    const full = this.inRoot(checkedPath(path));
    return this.serialised(async () => {
      const head = await this.mainHead();
      const sha = await this.blobAt(this.main, head, full);
      if (!sha) return undefined;
      return (await this.readBlob(sha)).toString('utf8');
    });
  }

  async writeFile(path: string, content: string): Promise<void> {
    const file = entry(this.inRoot(checkedPath(path)), content);
    await this.serialised(() =>
      this.commitEntries(this.main, [file], async (_e, existing) => existing !== file.blobSha),
    );
  }

  /** Every file below `prefix` (relative to the data root) at the branch head, from the tree mirror. */
  async listFiles(prefix: string): Promise<string[]> {
    return this.serialised(async () => this.listAt(this.main, prefix));
  }

  private async listAt(target: Target, prefix: string, at?: Head): Promise<string[]> {
    const start = this.inRoot(checkedPath(prefix));
    {
      const head = at ?? (await this.readHead(target));
      if (!head) return [];
      await target.mirror.moveTo(head.commit, head.tree);
      const files: string[] = [];
      const walk = async (folder: string): Promise<void> => {
        const entries = await target.mirror.list(folder, head.tree);
        for (const [name, e] of entries ?? []) {
          const path = `${folder}/${name}`;
          if (e.type === 'tree') await walk(path);
          else if (e.type === 'blob') files.push(this.root === '' ? path : path.slice(this.root.length + 1));
        }
      };
      await walk(start);
      return files.sort();
    }
  }

  /**
   * The hot branches compaction may take (`DataFiles.hotTiers`): those of UTC days that ended before
   * `before` and at least `HOT_BRANCH_SETTLE_MS` ago by the store's clock, so no commit started before
   * their midnight can still land. Each is read at the head it had when listed, and deleted (`retire`)
   * only while it still points there.
   */
  async hotTiers(before: Date): Promise<HotTier[]> {
    if (!this.hotBranches) return [];
    const prefix = `${this.branch}-hot/`;
    const refs = await this.serialised(async () => {
      const read = await this.requests.call(
        'GET /repos/{owner}/{repo}/git/matching-refs/{ref}',
        { ref: `heads/${prefix}` },
        false,
      );
      return parseAnswer(matchingRefsAnswer, read.data, `GET matching-refs heads/${prefix}`);
    });
    const limit = Math.min(before.getTime(), this.clock.now() - HOT_BRANCH_SETTLE_MS);
    const tiers: HotTier[] = [];
    for (const ref of refs) {
      const branch = ref.ref.replace(/^refs\/heads\//, '');
      const day = branch.slice(prefix.length);
      const start = /^\d{4}-\d{2}-\d{2}$/.test(day) ? Date.parse(`${day}T00:00:00Z`) : Number.NaN;
      if (Number.isNaN(start) || start + 86_400_000 > limit) continue;
      const target = this.target(branch, true);
      const head = await this.serialised(() => this.headAt(ref.object.sha));
      tiers.push({
        name: branch,
        listFiles: (path) => this.serialised(() => this.listAt(target, path, head)),
        readBytes: (path) =>
          this.serialised(async () => {
            const sha = await this.blobAt(target, head, this.inRoot(checkedPath(path)));
            return sha ? new Uint8Array(await this.readBlob(sha)) : undefined;
          }),
        retire: () => this.serialised(() => this.deleteHotBranch(target, head)),
      });
    }
    return tiers;
  }

  /** Deletes a hot branch that still points at `head`; false when it moved (a late commit landed). */
  private async deleteHotBranch(target: Target, head: Head): Promise<boolean> {
    const now = await this.readHead(target);
    if (!now) return true;
    if (now.commit !== head.commit) return false;
    try {
      await this.requests.call(
        'DELETE /repos/{owner}/{repo}/git/refs/{ref}',
        { ref: `heads/${target.branch}` },
        true,
      );
    } catch (error) {
      // Already gone (another compaction): nothing left to do.
      if (statusOf(error) !== 422 && statusOf(error) !== 404) throw error;
    }
    this.logger.info('hot branch compacted and deleted', { branch: target.branch, commit: head.commit });
    return true;
  }

  async readBytes(path: string): Promise<Uint8Array | undefined> {
    const full = this.inRoot(checkedPath(path));
    return this.serialised(async () => {
      const head = await this.mainHead();
      const sha = await this.blobAt(this.main, head, full);
      return sha ? new Uint8Array(await this.readBlob(sha)) : undefined;
    });
  }

  /**
   * Adds `add` (binary files: one blob request each) and removes `remove` in **one commit**, paced by the
   * write budget like every other write: the branch shows the old files or the new ones, never a mix. A
   * lost ref race rebuilds the commit on the new head (files another writer added meanwhile are kept).
   */
  async replaceFiles(
    add: ReadonlyMap<string, Uint8Array>,
    remove: readonly string[],
    options: { message?: string; onStep?: (step: string) => void | Promise<void> } = {},
  ): Promise<void> {
    await this.serialised(async () => {
      const blobs: { path: string; sha: string }[] = [];
      for (const [path, bytes] of add) {
        const created = await this.requests.call(
          'POST /repos/{owner}/{repo}/git/blobs',
          { content: Buffer.from(bytes).toString('base64'), encoding: 'base64' },
          true,
        );
        blobs.push({
          path: this.inRoot(checkedPath(path)),
          sha: parseAnswer(createdAnswer, created.data, 'POST /git/blobs').sha,
        });
        await options.onStep?.(`blob ${path}`);
      }
      for (let attempt = 0; ; attempt += 1) {
        const head = await this.mainHead();
        const gone: string[] = [];
        for (const path of remove) {
          const full = this.inRoot(checkedPath(path));
          if (await this.blobAt(this.main, head, full)) gone.push(full);
        }
        const tree = await this.requests.call(
          'POST /repos/{owner}/{repo}/git/trees',
          {
            base_tree: head.tree,
            tree: [
              ...blobs.map((b) => ({ path: b.path, mode: '100644', type: 'blob', sha: b.sha })),
              ...gone.map((path) => ({ path, mode: '100644', type: 'blob', sha: null })),
            ],
          },
          true,
        );
        const treeSha = parseAnswer(createdAnswer, tree.data, 'POST /git/trees').sha;
        await options.onStep?.('tree');
        const now = new Date(this.clock.now()).toISOString();
        const created = await this.requests.call(
          'POST /repos/{owner}/{repo}/git/commits',
          {
            message: `telemetry: ${options.message ?? `replace ${add.size + gone.length} files`}`,
            tree: treeSha,
            parents: [head.commit],
            author: { ...this.author, date: now },
            committer: { ...this.committer, date: now },
          },
          true,
        );
        const commitSha = parseAnswer(createdAnswer, created.data, 'POST /git/commits').sha;
        await options.onStep?.('commit');
        try {
          await this.requests.call(
            'PATCH /repos/{owner}/{repo}/git/refs/{ref}',
            { ref: `heads/${this.branch}`, sha: commitSha, force: false },
            true,
          );
        } catch (error) {
          const status = statusOf(error);
          if (status !== 422 && status !== 409) throw error;
          if ((await this.mainHead()).commit !== commitSha) {
            if (attempt >= this.maxConflictRetries) {
              throw new StoreWriteError(
                `${this.owner}/${this.repo}@${this.branch}: the branch kept moving under the compaction commit`,
              );
            }
            await this.clock.sleep(this.requests.backoff(attempt + 1, 250));
            continue;
          }
        }
        this.commitTrees.set(commitSha, treeSha);
        this.ledger.own(commitSha);
        await options.onStep?.('ref');
        return;
      }
    });
  }

  /**
   * Commits `entries` that `wanted` keeps, on the branch head, in as many commits as the tree size needs,
   * each pack of the kept hot records (`packsToWrite`) ahead of its records' index entries (`packedOrder`).
   * Returns the paths committed. Re-checks against the new head after every lost race.
   */
  private async commitEntries(
    target: Target,
    entries: readonly Entry[],
    wanted: (entry: Entry, existingBlob: string | undefined) => Promise<boolean>,
    settled: Set<string> = new Set(),
  ): Promise<Set<string>> {
    const committed = new Set<string>();
    /** The pack (of this write) holding each kept hot record, until its index entry is committed. */
    const packOf = new Map<MetricRecord, Entry>();
    let repack = false;
    let pending = [...entries];
    let conflicts = 0;
    let shrinks = 0;
    while (pending.length > 0) {
      const head = await this.readHead(target);
      if (head) {
        await target.mirror.moveTo(head.commit, head.tree);
        // The minute folders of the index entries; listing them lists their hour folders (the packs) too.
        await target.mirror.prefetch(
          pending.map((e) => parentOf(e.path)),
          head.tree,
        );
      }
      const existing = new Map<Entry, string | undefined>();
      for (const e of pending) existing.set(e, head && (await this.blobAt(target, head, e.path)));
      const keep = new Set<Entry>();
      // Stored standings are read a few at a time, never one by one without end.
      await forEachLimited(pending, BLOB_READS_AT_ONCE, async (e) => {
        const blob = existing.get(e);
        if (blob !== e.blobSha && (await wanted(e, blob))) keep.add(e);
      });
      const kept = pending.filter((e) => keep.has(e));
      for (const e of pending) if (!keep.has(e)) settled.add(e.path);
      if (kept.length === 0) break;
      const packs = await this.packsToWrite(target, head, kept, packOf, repack);
      repack = false;
      // Each pack right before the index entries of its records: however the tree requests and commits cut
      // this sequence, a pack lands in the same commit as its index entries or an earlier one, and each
      // commit settles the records whose packs it carries (a batch stopped by the budget keeps those).
      const toWrite = packedOrder(kept, packs, packOf);
      if (this.ledger.due) await this.syncBudgetQuietly();
      // One commit for the whole batch: its tree requests chained, each on the tree the previous one built.
      const trees: Entry[][] = [];
      let rest = toWrite;
      while (rest.length > 0 && trees.length < this.maxTreesPerCommit) {
        const next = takeChunk(rest, this.treeBytes, this.sentBlobs);
        trees.push(next);
        rest = rest.slice(next.length);
      }
      const chunk = trees.flat();
      try {
        await this.commit(target, head, trees, toWrite.length);
      } catch (error) {
        if (error instanceof TreeTooLarge && shrinks < 4) {
          // GitHub builds big trees with a deadline: halve what one request carries, until it grows back.
          shrinks += 1;
          this.treeBytes = Math.max(10_000, Math.ceil(treeRequestBytes(error.chunk, this.sentBlobs) / 2));
          this.commitsAtSize = 0;
          this.logger.warn('tree request too large for GitHub: splitting smaller', {
            tree_bytes: this.treeBytes,
            error: error.message,
          });
          // Packs not yet committed are cut again to the smaller size.
          repack = true;
          pending = kept;
          continue;
        }
        if (error instanceof TreeTooLarge) throw new StoreRefusedError(error.message);
        if (!(error instanceof RefConflict)) throw error;
        conflicts += 1;
        if (conflicts > this.maxConflictRetries)
          throw new StoreUnavailableError(
            `${this.owner}/${this.repo}@${target.branch}: the branch kept moving under the write (${conflicts} lost ref races)`,
            this.requests.backoff(conflicts, 250),
          );
        const wait = this.requests.backoff(conflicts, 250);
        this.logger.warn('data branch moved: rebuilding on the new head', { conflicts, wait_ms: wait });
        await this.clock.sleep(wait);
        // The kept set is decided again on the new head, and the packs with it.
        pending = kept;
        continue;
      }
      for (const e of chunk) {
        committed.add(e.path);
        if (!e.pack) settled.add(e.path);
      }
      const sent = new Set(chunk);
      pending = kept.filter((e) => !sent.has(e));
      this.growTree();
    }
    return committed;
  }

  /**
   * The packs to commit ahead of `kept`'s index entries: every kept hot record is in a pack at the head or in
   * one of these. A record whose pack (of an earlier round of this write) is in the head needs none; the
   * packs of the last round are reused while they hold exactly the records still unpacked (the rest of a
   * batch split across commits, or a rebuild after a lost race that kept the same records, which then names
   * their blobs instead of sending them again); otherwise the unpacked records are packed afresh. A pack
   * already in the head (same content, same name) is not sent.
   */
  private async packsToWrite(
    target: Target,
    head: Head | undefined,
    kept: readonly Entry[],
    packOf: Map<MetricRecord, Entry>,
    repack: boolean,
  ): Promise<Entry[]> {
    const inHead = async (pack: Entry) =>
      head !== undefined && (await this.blobAt(target, head, pack.path)) === pack.blobSha;
    const unpacked = new Set<MetricRecord>();
    const previous = new Set<Entry>();
    let reusable = !repack;
    for (const e of kept) {
      const record = e.record;
      if (!record || record.status === 'retracted') continue;
      const pack = packOf.get(record);
      if (pack && (await inHead(pack))) continue;
      unpacked.add(record);
      if (pack) previous.add(pack);
      else reusable = false;
    }
    if (unpacked.size === 0) return [];
    if (reusable && [...previous].every((p) => (p.pack ?? []).every((r) => unpacked.has(r))))
      return [...previous].sort((a, b) => (a.path < b.path ? -1 : 1));
    const packs: Entry[] = [];
    // A pack must fit in one tree request (JSON-escaped): cut smaller while one does not (GitHub shrank the
    // tree size), down to a record per pack, which always fits (larger records are rejected by `write`).
    let maxBytes = PACK_MAX_BYTES;
    let files = packRecords([...unpacked], maxBytes);
    const fits = (file: { path: string; content: string }) =>
      JSON.stringify(file.content).length + this.inRoot(file.path).length + 128 <= this.treeBytes;
    while (maxBytes > 1 && !files.every(fits)) {
      maxBytes = Math.floor(maxBytes / 2);
      files = packRecords([...unpacked], maxBytes);
    }
    for (const file of files) {
      const pack: Entry = { ...entry(this.inRoot(file.path), file.content), pack: file.records };
      for (const record of file.records) packOf.set(record, pack);
      if (!(await inHead(pack))) packs.push(pack);
    }
    return packs;
  }

  /**
   * After `GROW_AFTER_COMMITS` commits at a shrunk tree size, tries twice as large again (up to
   * `maxTreeBytes`): GitHub's "too large" depends on its load at the time, not on the repository for good.
   */
  private growTree(): void {
    if (this.treeBytes >= this.maxTreeBytes) return;
    this.commitsAtSize += 1;
    if (this.commitsAtSize < GROW_AFTER_COMMITS) return;
    this.commitsAtSize = 0;
    this.treeBytes = Math.min(this.maxTreeBytes, this.treeBytes * 2);
    this.logger.info('tree request size grown back', { tree_bytes: this.treeBytes });
  }

  /** The budget sync is optional: when it fails the pacer keeps its own count and GitHub's 403s still tell. */
  private async syncBudgetQuietly(): Promise<void> {
    try {
      await this.syncBudget();
    } catch (error) {
      if (error instanceof StoreUnavailableError && /deadline/.test(error.message)) throw error;
      this.logger.warn('could not read the last hour of commits: write budget kept as counted', {
        error: errorMessage(error),
      });
    }
  }

  /** Is a record worth writing over what the head holds at its path? */
  private async recordWanted(e: Entry, existingBlob: string | undefined): Promise<boolean> {
    if (existingBlob === undefined) return true;
    const record = e.record as MetricRecord;
    // A partial record without a revision never beats anything (isBetter): skip reading what is stored. One
    // with a revision beats a partial one of a lower revision (a pipeline run's end over its start).
    if (record.status === 'partial' && record.revision === undefined) return false;
    return isBetter(record, await this.standingOfBlob(existingBlob));
  }

  /**
   * One commit: its tree requests chained on the head's tree, the commit, the branch fast-forwarded. Every
   * write it needs is taken from the budget before the first (`RequestPolicy.reserve`): a commit that cannot
   * have them all within the write's budget wait fails at once with `StoreUnavailableError` carrying the
   * wait, before any request, and a commit that starts never waits for the budget halfway. Throws
   * RefConflict on a lost race.
   */
  private async commit(
    target: Target,
    head: Head | undefined,
    trees: readonly (readonly Entry[])[],
    remaining: number,
  ): Promise<void> {
    await this.requests.reserve(trees.length + 2);
    // A retried request (5xx, timeout) takes a write of its own: the commit finishes within the deadline
    // rather than leave its budget half spent for nothing.
    const budgetWait = this.requests.maxBudgetWaitMs;
    this.requests.maxBudgetWaitMs = undefined;
    try {
      await this.commitOnce(target, head, trees, remaining);
    } finally {
      this.requests.release();
      this.requests.maxBudgetWaitMs = budgetWait;
    }
  }

  private async commitOnce(
    target: Target,
    head: Head | undefined,
    trees: readonly (readonly Entry[])[],
    remaining: number,
  ): Promise<void> {
    let built = head?.tree;
    for (const part of trees) built = await this.createTree(built, part);
    const treeSha = built as string;
    const chunk = trees.flat();
    const now = new Date(this.clock.now()).toISOString();
    const created = await this.requests.call(
      'POST /repos/{owner}/{repo}/git/commits',
      {
        message: commitMessage(chunk, remaining, trees.length + 2),
        tree: treeSha,
        // A day's first hot commit has no parent: nothing of the data branch's history comes along.
        parents: head ? [head.commit] : [],
        author: { ...this.author, date: now },
        committer: { ...this.committer, date: now },
      },
      true,
    );
    const commitSha = parseAnswer(createdAnswer, created.data, 'POST /git/commits').sha;
    try {
      if (head)
        await this.requests.call(
          'PATCH /repos/{owner}/{repo}/git/refs/{ref}',
          { ref: `heads/${target.branch}`, sha: commitSha, force: false },
          true,
        );
      else
        await this.requests.call(
          'POST /repos/{owner}/{repo}/git/refs',
          { ref: `refs/heads/${target.branch}`, sha: commitSha },
          true,
        );
    } catch (error) {
      const status = statusOf(error);
      if (status !== 422 && status !== 409) throw error;
      // An earlier attempt of this very update may have landed before its answer was lost; a hot branch
      // another writer created meanwhile is a lost race like any other.
      const now = await this.readHead(target);
      if (now?.commit !== commitSha) throw new RefConflict(errorMessage(error));
    }
    this.commitTrees.set(commitSha, treeSha);
    this.ledger.own(commitSha);
    this.afterCommit(target, head, { commit: commitSha, tree: treeSha }, chunk);
    target.exists = true;
    target.lastCommit = { before: head?.commit, after: { commit: commitSha, tree: treeSha } };
    this.logger.info('committed', {
      repository: `${this.owner}/${this.repo}`,
      branch: target.branch,
      commit: commitSha,
      files: chunk.length,
    });
  }

  /** `POST /git/trees` of `chunk` on `base` (none: a tree of its own); the new tree's id. */
  private async createTree(base: string | undefined, chunk: readonly Entry[]): Promise<string> {
    let tree: { data: unknown };
    try {
      tree = await this.requests.call(
        'POST /repos/{owner}/{repo}/git/trees',
        {
          ...(base ? { base_tree: base } : {}),
          tree: chunk.map((e) =>
            namesBlob(e, this.sentBlobs)
              ? { path: e.path, mode: '100644', type: 'blob', sha: e.blobSha }
              : { path: e.path, mode: '100644', type: 'blob', content: e.content },
          ),
        },
        true,
      );
    } catch (error) {
      // Only GitHub's own "too large" (422) shrinks a tree: a 5xx or a network fault says nothing about its
      // size (it fails as unavailable, and the batch is retried as it is).
      const status = statusOf(error);
      if (status === 422 && /too large|timed out/i.test(errorMessage(error))) {
        // A pack of several records can be cut smaller: only a single record is refused for good.
        if (chunk.length > 1 || (chunk[0]?.pack?.length ?? 0) > 1) throw new TreeTooLarge(error, chunk);
        throw new StoreRefusedError(
          `GitHub cannot build a tree holding ${chunk[0]?.path}: ${errorMessage(error)}`,
        );
      }
      throw refusal(error);
    }
    const sha = parseAnswer(createdAnswer, tree.data, 'POST /git/trees').sha;
    if (this.sentBlobs.size + chunk.length > this.cacheEntries) this.sentBlobs.clear();
    for (const e of chunk) this.sentBlobs.add(e.blobSha);
    return sha;
  }

  /** Keeps the mirror of the head's tree exact across our own commit, so the next batch needs no reads. */
  private afterCommit(target: Target, before: Head | undefined, after: Head, chunk: readonly Entry[]): void {
    for (const e of chunk) if (e.record) this.rememberStanding(e.blobSha, standingOf(e.record));
    if (!target.mirror.applyCommit(before?.commit ?? '', after.commit, after.tree, chunk))
      this.logger.debug('tree mirror restarted', { commit: after.commit });
  }

  /** The data branch's head (it always exists: `verify` checks it). */
  private async mainHead(): Promise<Head> {
    return (await this.readHead(this.main)) as Head;
  }

  /** The head of `target`, or undefined when a hot branch does not exist (yet, or any more). */
  private async readHead(target: Target): Promise<Head | undefined> {
    let ref: { data: unknown };
    try {
      ref = await this.requests.call(
        'GET /repos/{owner}/{repo}/git/ref/{ref}',
        { ref: `heads/${target.branch}` },
        false,
      );
    } catch (error) {
      if (!target.hot || statusOf(error) !== 404) throw error;
      // A replica that has not seen the branch we just created yet.
      const last = target.lastCommit;
      if (last && last.before === undefined) return last.after;
      target.exists = false;
      return undefined;
    }
    target.exists = true;
    const commit = parseAnswer(refAnswer, ref.data, `GET ref heads/${target.branch}`).object.sha;
    // GitHub may serve the ref from a replica that has not seen our last update yet: the branch never moves
    // back (updates are fast-forward only), so the head is still the one we wrote.
    const last = target.lastCommit;
    if (last && commit === last.before) return last.after;
    return this.headAt(commit);
  }

  /** A commit and its tree (read once per commit: commits never change). */
  private async headAt(commit: string): Promise<Head> {
    let tree = this.commitTrees.get(commit);
    if (!tree) {
      const read = await this.requests.call(
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
  private async blobAt(target: Target, head: Head, path: string): Promise<string | undefined> {
    await target.mirror.moveTo(head.commit, head.tree);
    const entry = (await target.mirror.list(parentOf(path), head.tree))?.get(nameOf(path));
    return entry?.type === 'blob' ? entry.sha : undefined;
  }

  private async readTree(sha: string): Promise<Map<string, TreeEntry>> {
    const read = await this.requests.call(
      'GET /repos/{owner}/{repo}/git/trees/{tree_sha}',
      { tree_sha: sha },
      false,
    );
    const data = parseAnswer(treeAnswer, read.data, `GET /git/trees/${sha}`);
    if (data.truncated)
      throw new StoreWriteError(
        `a folder of ${this.owner}/${this.repo} (tree ${sha}) holds more entries than GitHub lists (100,000): the store cannot tell which records exist there`,
      );
    return new Map(data.tree.map((e) => [e.path, { mode: e.mode, type: e.type, sha: e.sha }]));
  }

  private async readBlob(sha: string): Promise<Buffer> {
    const read = await this.requests.call(
      'GET /repos/{owner}/{repo}/git/blobs/{file_sha}',
      { file_sha: sha },
      false,
    );
    const data = parseAnswer(blobAnswer, read.data, `GET /git/blobs/${sha}`);
    return data.encoding === 'base64'
      ? Buffer.from(data.content, 'base64')
      : Buffer.from(data.content, 'utf8');
  }

  /**
   * What "better record wins" needs of what a record's path holds (a hot record's index entry, a few bytes,
   * or a tombstone): free when we wrote it, else read once (blobs are immutable).
   */
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
    writeBurst: config.store.writeBurst,
    maxTreeBytes: config.store.maxTreeBytes,
    ...(config.store.author ? { author: config.store.author } : {}),
    ...(config.store.committer ? { committer: config.store.committer } : {}),
    ...deps,
  });
}

/**
 * The order a write sends `kept` and the `packs` to write: first the entries needing no pack of these
 * (tombstones, plain files, records whose pack the head holds), then each pack followed by the index
 * entries of its records.
 */
function packedOrder(
  kept: readonly Entry[],
  packs: readonly Entry[],
  packOf: ReadonlyMap<MetricRecord, Entry>,
): Entry[] {
  const toWrite = new Set(packs);
  const free: Entry[] = [];
  const after = new Map<Entry, Entry[]>();
  for (const e of kept) {
    const pack = e.record && packOf.get(e.record);
    if (pack && toWrite.has(pack)) after.set(pack, [...(after.get(pack) ?? []), e]);
    else free.push(e);
  }
  return [...free, ...packs.flatMap((pack) => [pack, ...(after.get(pack) ?? [])])];
}

function entry(path: string, content: string, record?: MetricRecord): Entry {
  return { path, content, blobSha: gitBlobSha(content), ...(record ? { record } : {}) };
}

/** The git object id of a blob: SHA-1 of `blob <bytes>\0<content>`. */
export function gitBlobSha(content: string): string {
  const bytes = Buffer.from(content, 'utf8');
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

/**
 * Whether a tree request names an entry's blob by id (GitHub holds it: `known`) rather than sending its
 * content: only when that is shorter. An index entry (`{"status":"complete"}`) is shorter than its id.
 */
function namesBlob(e: Entry, known?: ReadonlySet<string>): boolean {
  return known?.has(e.blobSha) === true && JSON.stringify(e.content).length + 64 > 120;
}

/** Bytes one entry adds to a tree request: its JSON-escaped content or blob id, its path and the fixed fields. */
function entryBytes(e: Entry, known?: ReadonlySet<string>): number {
  if (namesBlob(e, known)) return e.path.length + 120;
  return JSON.stringify(e.content).length + e.path.length + 64;
}

function treeRequestBytes(entries: readonly Entry[], known?: ReadonlySet<string>): number {
  return entries.reduce((n, e) => n + entryBytes(e, known), 64);
}

/** The first entries that fit in one tree request of at most `maxBytes` (always at least one). */
function takeChunk(entries: readonly Entry[], maxBytes: number, known?: ReadonlySet<string>): Entry[] {
  let size = 64;
  let count = 0;
  for (const e of entries) {
    const bytes = entryBytes(e, known);
    if (count > 0 && size + bytes > maxBytes) break;
    size += bytes;
    count += 1;
  }
  return entries.slice(0, count);
}

/**
 * `telemetry: 3 records (workflow-job 2, check-suite 1)` (counted by their index entries and tombstones), or
 * `telemetry: packs of 3 records (…)` for a commit of a split batch holding only packs, whose index entries
 * follow; plus how many files follow when a batch is split, and the `Telemetry-Writes` trailer: the
 * content-creating requests the commit cost, which other writers of the same token count in their budget
 * (`BudgetLedger`).
 */
export function commitMessage(chunk: readonly Entry[], remaining: number, writes = 3): string {
  const indexed = chunk.filter((e) => e.record).map((e) => e.record as MetricRecord);
  const records = indexed.length > 0 ? indexed : chunk.flatMap((e) => e.pack ?? []);
  const follow =
    remaining > chunk.length
      ? `\n\nBatch split across commits: ${remaining - chunk.length} more files follow.`
      : '';
  const footer = `\n\nWritten by github-telemetry ${COLLECTOR_VERSION}.\n\n${WRITES_TRAILER}: ${writes}`;
  if (records.length === 0) {
    const paths = chunk.map((e) => e.path);
    return `telemetry: update ${paths.length === 1 ? paths[0] : `${paths.length} files`}${follow}${footer}`;
  }
  const byMetric = new Map<string, number>();
  for (const record of records) byMetric.set(record.metric, (byMetric.get(record.metric) ?? 0) + 1);
  const metrics = [...byMetric]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([metric, n]) => `${metric} ${n}`)
    .join(', ');
  const noun = records.length === 1 ? 'record' : 'records';
  const what = indexed.length > 0 ? `${records.length} ${noun}` : `packs of ${records.length} ${noun}`;
  return `telemetry: ${what} (${metrics})${follow}${footer}`;
}

/** A relative path without empty, `.` or `..` segments (what `readFile`/`writeFile` accept). */
function checkedPath(path: string): string {
  const segments = path.split('/');
  if (path.includes('\0') || segments.some((s) => s === '' || s === '.' || s === '..'))
    throw new Error(`invalid store path: ${JSON.stringify(path)}`);
  return path;
}

/**
 * A final 4xx answer to a content-creating request: 400 and 422 say the content itself is refused (the
 * caller isolates the records); anything else (401/403 without a rate limit, 404) is about the token or the
 * repository, not the records, and is thrown as it is.
 */
function refusal(error: unknown): unknown {
  const status = statusOf(error);
  return status === 400 || status === 422 ? new StoreRefusedError(errorMessage(error)) : error;
}
