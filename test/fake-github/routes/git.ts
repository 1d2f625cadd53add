import git from 'isomorphic-git';
import { MemoryFs } from '../memory-fs';
import { type FakeGitHub, type FakeRequest, type FakeResponse, paginate } from '../server';

// isomorphic-git deflates each object through a CompressionStream when the platform has one, which costs
// milliseconds per object in Node; its fallback (pako) takes microseconds. The fake is test-only: use pako.
(globalThis as { CompressionStream?: unknown }).CompressionStream = undefined;

/**
 * The Git Data API of the fake GitHub, with real git semantics: every data repository is a bare git
 * repository written by isomorphic-git (in memory, see memory-fs.ts), so object ids are git's own, and
 * `exportTo()` puts a repository on disk for `git log` / `git fsck`. Endpoints: `GET /repos/{owner}/{repo}`, refs (get, list by prefix, create, update with
 * the fast-forward rule, delete), trees (read, recursive, create on `base_tree` with nested paths and inline content),
 * commits, blobs, and `PUT …/contents/{path}` (the only way to give an empty repository its first commit).
 *
 * Faults specific to git: `injectRace()` makes "another writer" commit to the branch between a client's
 * read and its ref update, so the update is not a fast-forward and GitHub's 422 follows.
 */

export interface DataRepoOptions {
  defaultBranch?: string;
  /** No commit at all (GitHub answers 409 "Git Repository is empty." to the Git Data API). */
  empty?: boolean;
  /** `permissions.push` of the token (false: a read-only token). */
  push?: boolean;
}

export interface FakeDataRepo {
  owner: string;
  name: string;
  gitdir: string;
  defaultBranch: string;
  empty: boolean;
  push: boolean;
  id: number;
}

interface RaceFault {
  remaining: number;
  probability: number;
}

const EMPTY_MESSAGE = 'Git Repository is empty.';
const DOCS = 'https://docs.github.com/rest/git';

export class FakeGitData {
  readonly repos = new Map<string, FakeDataRepo>();
  /** Commits made by "another writer" (races), to tell them apart in assertions. */
  readonly foreignCommits: string[] = [];
  private readonly cache = {};
  /** Where the bare repositories live (in memory). */
  readonly fs = new MemoryFs();
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly races: RaceFault[] = [];
  private nextId = 7_000_000;

  constructor(
    readonly fake: FakeGitHub,
    private readonly random: () => number = Math.random,
  ) {}

  async createRepo(owner: string, name: string, options: DataRepoOptions = {}): Promise<FakeDataRepo> {
    const gitdir = `/${owner}/${name}.git`;
    this.fs.mkdirp(gitdir);
    this.nextId += 1;
    const repo: FakeDataRepo = {
      owner,
      name,
      gitdir,
      defaultBranch: options.defaultBranch ?? 'main',
      empty: options.empty ?? false,
      push: options.push ?? true,
      id: this.nextId,
    };
    await git.init({ fs: this.fs, dir: gitdir, bare: true, defaultBranch: repo.defaultBranch });
    if (!repo.empty) {
      const blob = await git.writeBlob({ fs: this.fs, gitdir, blob: Buffer.from(`# ${name}\n`) });
      const tree = await git.writeTree({
        fs: this.fs,
        gitdir,
        tree: [{ mode: '100644', path: 'README.md', oid: blob, type: 'blob' }],
      });
      const commit = await this.writeCommit(repo, tree, [], 'Initial commit');
      await git.writeRef({
        fs: this.fs,
        gitdir,
        ref: `refs/heads/${repo.defaultBranch}`,
        value: commit,
        force: true,
      });
    }
    this.repos.set(`${owner}/${name}`.toLowerCase(), repo);
    return repo;
  }

  /** Writes the bare repository to `target` on disk, for `git` to read. */
  exportTo(repo: FakeDataRepo, target: string): Promise<void> {
    return this.fs.exportTo(repo.gitdir, target);
  }

  repo(owner: string, name: string): FakeDataRepo | undefined {
    return this.repos.get(`${owner}/${name}`.toLowerCase());
  }

  /** The next `times` ref updates (each with `probability`) lose a race against another writer. */
  injectRace(fault: { times?: number; probability?: number } = {}): void {
    this.races.push({ remaining: fault.times ?? 1, probability: fault.probability ?? 1 });
  }

  clearRaces(): void {
    this.races.length = 0;
  }

  /** Another writer commits one file to the branch (moves the head). */
  async foreignCommit(repo: FakeDataRepo, branch: string, path?: string, content?: string): Promise<string> {
    return this.locked(repo, async () => {
      const n = this.foreignCommits.length + 1;
      const head = await this.resolve(repo, branch);
      if (!head) throw new Error(`no branch ${branch}`);
      const { commit } = await git.readCommit({
        fs: this.fs,
        gitdir: repo.gitdir,
        oid: head,
        cache: this.cache,
      });
      const tree = await this.buildTree(repo, commit.tree, [
        {
          path: path ?? `_other-writer/${n}.txt`,
          mode: '100644',
          type: 'blob',
          content: content ?? `write ${n}\n`,
        },
      ]);
      const sha = await this.writeCommit(repo, tree, [head], `another writer (${n})`);
      await git.writeRef({
        fs: this.fs,
        gitdir: repo.gitdir,
        ref: `refs/heads/${branch}`,
        value: sha,
        force: true,
      });
      this.foreignCommits.push(sha);
      return sha;
    });
  }

  /** The branch head commit id, or undefined. */
  async resolve(repo: FakeDataRepo, branch: string): Promise<string | undefined> {
    try {
      return await git.resolveRef({ fs: this.fs, gitdir: repo.gitdir, ref: `refs/heads/${branch}` });
    } catch {
      return undefined;
    }
  }

  /** The branches whose name starts with `prefix` (a data branch's hot branches: `main-hot/`), sorted. */
  async branches(repo: FakeDataRepo, prefix = ''): Promise<string[]> {
    return (await git.listBranches({ fs: this.fs, gitdir: repo.gitdir }))
      .filter((b) => b.startsWith(prefix))
      .sort();
  }

  /**
   * What a reader sees after fetching the data branch and its hot branches (docs/DATA.md): the files of
   * `branch` and of every `<branch>-hot/<day>` branch, path → content.
   */
  async dataFiles(repo: FakeDataRepo, branch = 'main'): Promise<Map<string, string>> {
    const out = await this.files(repo, branch);
    for (const hot of await this.branches(repo, `${branch}-hot/`))
      for (const [path, text] of await this.files(repo, hot)) if (!out.has(path)) out.set(path, text);
    return out;
  }

  /** Every file of the branch head: path → content (for assertions). */
  async files(repo: FakeDataRepo, branch: string): Promise<Map<string, string>> {
    const head = await this.resolve(repo, branch);
    return head ? this.filesAt(repo, head) : new Map();
  }

  /** Every file of a commit's tree: path → content (for assertions on a branch's history). */
  async filesAt(repo: FakeDataRepo, oid: string): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const { commit } = await git.readCommit({
      fs: this.fs,
      gitdir: repo.gitdir,
      oid,
      cache: this.cache,
    });
    const walk = async (oid: string, prefix: string): Promise<void> => {
      const { tree } = await git.readTree({ fs: this.fs, gitdir: repo.gitdir, oid, cache: this.cache });
      for (const e of tree) {
        if (e.type === 'tree') await walk(e.oid, `${prefix}${e.path}/`);
        else {
          const { blob } = await git.readBlob({
            fs: this.fs,
            gitdir: repo.gitdir,
            oid: e.oid,
            cache: this.cache,
          });
          out.set(`${prefix}${e.path}`, Buffer.from(blob).toString('utf8'));
        }
      }
    };
    await walk(commit.tree, '');
    return out;
  }

  /** Commits of the branch, newest first (first parent). */
  async log(
    repo: FakeDataRepo,
    branch: string,
  ): Promise<{ oid: string; message: string; author: string; committer: string }[]> {
    const entries = await git.log({
      fs: this.fs,
      gitdir: repo.gitdir,
      ref: `refs/heads/${branch}`,
      cache: this.cache,
    });
    return entries.map((e) => ({
      oid: e.oid,
      message: e.commit.message,
      author: `${e.commit.author.name} <${e.commit.author.email}>`,
      committer: `${e.commit.committer.name} <${e.commit.committer.email}>`,
    }));
  }

  /**
   * How many commits of the branch's first-parent history wrote each file (added or changed it), found by
   * diffing every commit's tree against its parent's and descending only into subtrees that differ. A path
   * written by more than one commit was written twice: a duplicate write.
   */
  async writesPerPath(repo: FakeDataRepo, branch: string, under = ''): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    const read = async (oid: string | undefined) =>
      oid ? (await git.readTree({ fs: this.fs, gitdir: repo.gitdir, oid, cache: this.cache })).tree : [];
    const diff = async (after: string, before: string | undefined, prefix: string): Promise<void> => {
      if (after === before) return;
      const old = new Map((await read(before)).map((e) => [e.path, e]));
      for (const e of await read(after)) {
        const was = old.get(e.path);
        if (was?.oid === e.oid) continue;
        const path = `${prefix}${e.path}`;
        if (e.type === 'tree') await diff(e.oid, was?.type === 'tree' ? was.oid : undefined, `${path}/`);
        else if (path.startsWith(under)) counts.set(path, (counts.get(path) ?? 0) + 1);
      }
    };
    const log = await git.log({
      fs: this.fs,
      gitdir: repo.gitdir,
      ref: `refs/heads/${branch}`,
      cache: this.cache,
    });
    for (const entry of log) {
      const parent = entry.commit.parent[0];
      const parentTree = parent
        ? (await git.readCommit({ fs: this.fs, gitdir: repo.gitdir, oid: parent, cache: this.cache })).commit
            .tree
        : undefined;
      await diff(entry.commit.tree, parentTree, '');
    }
    return counts;
  }

  // ---- internals used by the routes ----

  url(repo: FakeDataRepo, rest: string): string {
    return `${this.fake.baseUrl}/repos/${repo.owner}/${repo.name}${rest}`;
  }

  async writeCommit(
    repo: FakeDataRepo,
    tree: string,
    parents: string[],
    message: string,
    author?: { name: string; email: string; date?: string },
    committer?: { name: string; email: string; date?: string },
  ): Promise<string> {
    const person = (p?: { name: string; email: string; date?: string }) => ({
      name: p?.name ?? 'Fake GitHub',
      email: p?.email ?? 'noreply@github.com',
      timestamp: Math.floor((p?.date ? Date.parse(p.date) : this.fake.now()) / 1000),
      timezoneOffset: 0,
    });
    return git.writeCommit({
      fs: this.fs,
      gitdir: repo.gitdir,
      commit: {
        message,
        tree,
        parent: parents,
        author: person(author),
        committer: person(committer ?? author),
      },
    });
  }

  /**
   * GitHub's `POST /git/trees`: entries with nested paths are applied on `base` (content → a new blob, sha →
   * that object, sha null → delete), intermediate trees are created or rewritten, empty ones dropped.
   */
  async buildTree(repo: FakeDataRepo, base: string | undefined, entries: TreeInput[]): Promise<string> {
    return (await this.applyToTree(repo, base, entries)).oid;
  }

  private async applyToTree(
    repo: FakeDataRepo,
    base: string | undefined,
    entries: TreeInput[],
  ): Promise<{ oid: string; size: number }> {
    const current = new Map<string, { mode: string; oid: string; type: 'blob' | 'tree' | 'commit' }>();
    if (base) {
      const { tree } = await git.readTree({ fs: this.fs, gitdir: repo.gitdir, oid: base, cache: this.cache });
      for (const e of tree) current.set(e.path, { mode: e.mode, oid: e.oid, type: e.type });
    }
    const nested = new Map<string, TreeInput[]>();
    for (const e of entries) {
      const slash = e.path.indexOf('/');
      if (slash >= 0) {
        const head = e.path.slice(0, slash);
        const list = nested.get(head) ?? [];
        list.push({ ...e, path: e.path.slice(slash + 1) });
        nested.set(head, list);
        continue;
      }
      if (e.sha === null) {
        current.delete(e.path);
      } else if (e.content !== undefined) {
        const oid = await git.writeBlob({
          fs: this.fs,
          gitdir: repo.gitdir,
          blob: Buffer.from(e.content, 'utf8'),
        });
        current.set(e.path, { mode: e.mode, oid, type: 'blob' });
      } else {
        current.set(e.path, { mode: e.mode, oid: e.sha as string, type: e.type });
      }
    }
    for (const [name, list] of nested) {
      const existing = current.get(name);
      const sub = await this.applyToTree(repo, existing?.type === 'tree' ? existing.oid : undefined, list);
      if (sub.size === 0) current.delete(name);
      else current.set(name, { mode: '040000', oid: sub.oid, type: 'tree' });
    }
    const oid = await git.writeTree({
      fs: this.fs,
      gitdir: repo.gitdir,
      tree: [...current].map(([path, e]) => ({ path, mode: e.mode, oid: e.oid, type: e.type })),
    });
    return { oid, size: current.size };
  }

  /** Runs `fn` alone for this repository: ref check-and-set must not interleave. */
  locked<T>(repo: FakeDataRepo, fn: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(repo.gitdir) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    this.locks.set(
      repo.gitdir,
      run.catch(() => undefined),
    );
    return run;
  }

  takeRace(): boolean {
    for (const race of this.races) {
      if (race.remaining <= 0) continue;
      if (this.random() >= race.probability) continue;
      race.remaining -= 1;
      return true;
    }
    return false;
  }

  readonly gitCache = this.cache;
}

export interface TreeInput {
  path: string;
  mode: string;
  type: 'blob' | 'tree' | 'commit';
  sha?: string | null;
  content?: string;
}

/** Registers the Git Data API routes on `fake` and returns the controller that holds the repositories. */
export function gitRoutes(
  fake: FakeGitHub,
  options: {
    random?: () => number;
    /** Entries GitHub lists of one tree before it answers `truncated: true` (GitHub: 100,000). */
    treeEntryLimit?: number;
    /** Largest `POST /git/trees` body GitHub builds before its 422 "input was too large" (about 2 MB). */
    maxTreeRequestBytes?: number;
  } = {},
): FakeGitData {
  const treeEntryLimit = options.treeEntryLimit ?? 100_000;
  const maxTreeRequestBytes = options.maxTreeRequestBytes ?? 2_500_000;
  const data = new FakeGitData(fake, options.random);
  const cache = data.gitCache;
  const fs = data.fs;

  const repoOf = (request: FakeRequest): FakeDataRepo | undefined =>
    data.repo(request.params.owner ?? '', request.params.repo ?? '');
  const notFound: FakeResponse = { status: 404, body: { message: 'Not Found', documentation_url: DOCS } };
  const badRequest = (message: string): FakeResponse => ({
    status: 400,
    body: { message, documentation_url: DOCS },
  });
  const empty: FakeResponse = { status: 409, body: { message: EMPTY_MESSAGE, documentation_url: DOCS } };
  const invalid = (message: string): FakeResponse => ({
    status: 422,
    body: { message: `Invalid request.\n\n${message}`, documentation_url: DOCS, status: '422' },
  });

  // A repository that is not a data repository is left to other route modules (or the core's 404).
  const withRepo =
    (handler: (repo: FakeDataRepo, request: FakeRequest) => Promise<FakeResponse>) =>
    async (request: FakeRequest): Promise<FakeResponse | undefined> => {
      const repo = repoOf(request);
      if (!repo) return undefined;
      return handler(repo, request);
    };
  const writable = (handler: (repo: FakeDataRepo, request: FakeRequest) => Promise<FakeResponse>) =>
    withRepo(async (repo, request) => {
      if (!repo.push)
        return {
          status: 403,
          body: { message: 'Resource not accessible by personal access token', documentation_url: DOCS },
        };
      return handler(repo, request);
    });

  const refBody = (repo: FakeDataRepo, ref: string, sha: string) => ({
    ref,
    node_id: `REF_${Buffer.from(`${repo.id}:${ref}`).toString('base64url')}`,
    url: data.url(repo, `/git/${ref}`),
    object: { type: 'commit', sha, url: data.url(repo, `/git/commits/${sha}`) },
  });

  const commitBody = async (repo: FakeDataRepo, sha: string) => {
    const { commit } = await git.readCommit({ fs, gitdir: repo.gitdir, oid: sha, cache });
    const person = (p: { name: string; email: string; timestamp: number }) => ({
      name: p.name,
      email: p.email,
      date: new Date(p.timestamp * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    });
    return {
      sha,
      node_id: `C_${sha.slice(0, 20)}`,
      url: data.url(repo, `/git/commits/${sha}`),
      html_url: `https://github.com/${repo.owner}/${repo.name}/commit/${sha}`,
      author: person(commit.author),
      committer: person(commit.committer),
      tree: { sha: commit.tree, url: data.url(repo, `/git/trees/${commit.tree}`) },
      message: commit.message.replace(/\n$/, ''),
      parents: commit.parent.map((p) => ({
        sha: p,
        url: data.url(repo, `/git/commits/${p}`),
        html_url: `https://github.com/${repo.owner}/${repo.name}/commit/${p}`,
      })),
      verification: {
        verified: false,
        reason: 'unsigned',
        signature: null,
        payload: null,
        verified_at: null,
      },
    };
  };

  const treeBody = async (repo: FakeDataRepo, sha: string, recursive: boolean) => {
    const entries: Record<string, unknown>[] = [];
    const walk = async (oid: string, prefix: string): Promise<void> => {
      const { tree } = await git.readTree({ fs, gitdir: repo.gitdir, oid, cache });
      for (const e of tree) {
        const kind = e.type === 'tree' ? 'trees' : 'blobs';
        entries.push({
          path: `${prefix}${e.path}`,
          mode: e.mode,
          type: e.type,
          sha: e.oid,
          url: data.url(repo, `/git/${kind}/${e.oid}`),
        });
        if (recursive && e.type === 'tree') await walk(e.oid, `${prefix}${e.path}/`);
      }
    };
    await walk(sha, '');
    const truncated = entries.length > treeEntryLimit;
    return {
      sha,
      url: data.url(repo, `/git/trees/${sha}`),
      tree: truncated ? entries.slice(0, treeEntryLimit) : entries,
      truncated,
    };
  };

  const objectType = async (repo: FakeDataRepo, oid: string): Promise<string | undefined> => {
    if (!/^[0-9a-f]{40}$/.test(oid)) return undefined;
    try {
      return (await git.readObject({ fs, gitdir: repo.gitdir, oid, format: 'content', cache })).type;
    } catch {
      return undefined;
    }
  };

  fake.route(
    'GET',
    '/repos/{owner}/{repo}',
    withRepo(async (repo) => ({ status: 200, body: fullRepository(fake, repo) })),
  );

  fake.route(
    'GET',
    '/repos/{owner}/{repo}/git/ref/{ref}',
    withRepo(async (repo, request) => {
      const ref = request.params.ref ?? '';
      if (repo.empty) return empty;
      if (!ref.startsWith('heads/')) return notFound;
      const sha = await data.resolve(repo, ref.slice('heads/'.length));
      return sha ? { status: 200, body: refBody(repo, `refs/${ref}`, sha) } : notFound;
    }),
  );

  fake.route(
    'GET',
    '/repos/{owner}/{repo}/git/matching-refs/{ref}',
    withRepo(async (repo, request) => {
      const ref = request.params.ref ?? '';
      if (repo.empty || !ref.startsWith('heads/')) return { status: 200, body: [] };
      const branches = (await git.listBranches({ fs, gitdir: repo.gitdir })).sort();
      const body = [];
      for (const branch of branches) {
        const name = `refs/heads/${branch}`;
        if (!name.startsWith(`refs/${ref}`)) continue;
        const sha = await data.resolve(repo, branch);
        if (sha) body.push(refBody(repo, name, sha));
      }
      return { status: 200, body };
    }),
  );

  fake.route(
    'DELETE',
    '/repos/{owner}/{repo}/git/refs/{ref}',
    writable(async (repo, request) => {
      if (repo.empty) return empty;
      const branch = (request.params.ref ?? '').replace(/^(refs\/)?heads\//, '');
      return data.locked(repo, async () => {
        if (!(await data.resolve(repo, branch)))
          return {
            status: 422,
            body: { message: 'Reference does not exist', documentation_url: DOCS, status: '422' },
          };
        await git.deleteRef({ fs, gitdir: repo.gitdir, ref: `refs/heads/${branch}` });
        return { status: 204, body: undefined };
      });
    }),
  );

  fake.route(
    'POST',
    '/repos/{owner}/{repo}/git/refs',
    writable(async (repo, request) => {
      if (repo.empty) return empty;
      const body = request.body as { ref?: unknown; sha?: unknown };
      if (
        typeof body?.ref !== 'string' ||
        !/^refs\/heads\/[^\s]+$/.test(body.ref) ||
        typeof body.sha !== 'string'
      )
        return invalid('"ref" must be refs/heads/<name> and "sha" a commit id');
      if ((await objectType(repo, body.sha)) !== 'commit') return invalid('Object does not exist');
      return data.locked(repo, async () => {
        if (await data.resolve(repo, (body.ref as string).slice('refs/heads/'.length)))
          return {
            status: 422,
            body: { message: 'Reference already exists', documentation_url: DOCS, status: '422' },
          };
        await git.writeRef({
          fs,
          gitdir: repo.gitdir,
          ref: body.ref as string,
          value: body.sha as string,
          force: true,
        });
        return { status: 201, body: refBody(repo, body.ref as string, body.sha as string) };
      });
    }),
  );

  fake.route(
    'PATCH',
    '/repos/{owner}/{repo}/git/refs/{ref}',
    writable(async (repo, request) => {
      if (repo.empty) return empty;
      const ref = request.params.ref ?? '';
      const body = request.body as { sha?: unknown; force?: unknown };
      if (typeof body?.sha !== 'string') return invalid('"sha" is required');
      if ((await objectType(repo, body.sha)) !== 'commit') return invalid('Object does not exist');
      const branch = ref.replace(/^(refs\/)?heads\//, '');
      if (data.takeRace()) await data.foreignCommit(repo, branch);
      return data.locked(repo, async () => {
        const current = await data.resolve(repo, branch);
        if (!current)
          return {
            status: 422,
            body: { message: 'Reference does not exist', documentation_url: DOCS, status: '422' },
          };
        const fastForward =
          current === body.sha ||
          (await git.isDescendent({
            fs,
            gitdir: repo.gitdir,
            oid: body.sha as string,
            ancestor: current,
            depth: -1,
            cache,
          }));
        if (!fastForward && body.force !== true)
          return {
            status: 422,
            body: {
              message: 'Update is not a fast forward',
              documentation_url: `${DOCS}/refs#update-a-reference`,
              status: '422',
            },
          };
        await git.writeRef({
          fs,
          gitdir: repo.gitdir,
          ref: `refs/heads/${branch}`,
          value: body.sha as string,
          force: true,
        });
        return { status: 200, body: refBody(repo, `refs/heads/${branch}`, body.sha as string) };
      });
    }),
  );

  fake.route(
    'GET',
    '/repos/{owner}/{repo}/git/commits/{commit_sha}',
    withRepo(async (repo, request) => {
      const sha = request.params.commit_sha ?? '';
      if ((await objectType(repo, sha)) !== 'commit') return notFound;
      return { status: 200, body: await commitBody(repo, sha) };
    }),
  );

  fake.route(
    'POST',
    '/repos/{owner}/{repo}/git/commits',
    writable(async (repo, request) => {
      if (repo.empty) return empty;
      const body = request.body as {
        message?: unknown;
        tree?: unknown;
        parents?: unknown;
        author?: { name: string; email: string; date?: string };
        committer?: { name: string; email: string; date?: string };
      };
      if (typeof body?.message !== 'string' || typeof body.tree !== 'string')
        return invalid('"message" and "tree" are required');
      const parents = Array.isArray(body.parents) ? (body.parents as unknown[]) : [];
      if ((await objectType(repo, body.tree)) !== 'tree') return invalid('Tree SHA does not exist');
      for (const parent of parents)
        if (typeof parent !== 'string' || (await objectType(repo, parent)) !== 'commit')
          return invalid('Parent SHA does not exist or is not a commit object');
      const sha = await data.writeCommit(
        repo,
        body.tree,
        parents as string[],
        body.message,
        body.author,
        body.committer,
      );
      return { status: 201, body: await commitBody(repo, sha) };
    }),
  );

  fake.route(
    'GET',
    '/repos/{owner}/{repo}/git/trees/{tree_sha}',
    withRepo(async (repo, request) => {
      const sha = request.params.tree_sha ?? '';
      const type = await objectType(repo, sha);
      let tree = sha;
      if (type === 'commit')
        tree = (await git.readCommit({ fs, gitdir: repo.gitdir, oid: sha, cache })).commit.tree;
      else if (type !== 'tree') return notFound;
      const recursive = ['1', 'true'].includes(request.query.get('recursive') ?? '');
      return { status: 200, body: await treeBody(repo, tree, recursive) };
    }),
  );

  fake.route(
    'POST',
    '/repos/{owner}/{repo}/git/trees',
    writable(async (repo, request) => {
      if (repo.empty) return empty;
      const body = request.body as { base_tree?: unknown; tree?: unknown };
      if (!Array.isArray(body?.tree)) return invalid('"tree" must be an array');
      if (Buffer.byteLength(JSON.stringify(body)) > maxTreeRequestBytes)
        return {
          status: 422,
          body: {
            message:
              "Sorry, your request timed out.  It's likely that your input was too large to process.  Consider building the tree incrementally, or building the commits you need in a local clone of the repository and then pushing them to GitHub.",
            documentation_url: 'https://docs.github.com/rest/git/trees#create-a-tree',
            status: '422',
          },
        };
      if (body.base_tree !== undefined && (await objectType(repo, String(body.base_tree))) !== 'tree')
        return invalid('base_tree is not a valid tree oid');
      const entries: TreeInput[] = [];
      for (const raw of body.tree as Record<string, unknown>[]) {
        const path = raw?.path;
        if (
          typeof path !== 'string' ||
          path === '' ||
          path.split('/').some((s) => s === '' || s === '.' || s === '..')
        )
          return invalid(`tree.path ${JSON.stringify(path)} is not a valid path`);
        if (!['100644', '100755', '040000', '160000', '120000'].includes(String(raw.mode)))
          return invalid(`tree.mode ${JSON.stringify(raw.mode)} is not a valid mode`);
        if (!['blob', 'tree', 'commit'].includes(String(raw.type)))
          return invalid(`tree.type ${JSON.stringify(raw.type)} is not a valid type`);
        if (raw.content !== undefined && raw.sha !== undefined)
          return invalid('tree entries take "content" or "sha", not both');
        if (raw.content === undefined && raw.sha === undefined)
          return invalid('tree entries need "content" or "sha"');
        if (typeof raw.sha === 'string' && !(await objectType(repo, raw.sha)))
          return invalid(`tree.sha ${raw.sha} is not a valid object`);
        entries.push({
          path,
          mode: String(raw.mode),
          type: raw.type as TreeInput['type'],
          ...(raw.content !== undefined
            ? { content: String(raw.content) }
            : { sha: raw.sha as string | null }),
        });
      }
      const sha = await data.buildTree(repo, body.base_tree as string | undefined, entries);
      return { status: 201, body: await treeBody(repo, sha, false) };
    }),
  );

  fake.route(
    'GET',
    '/repos/{owner}/{repo}/git/blobs/{file_sha}',
    withRepo(async (repo, request) => {
      const sha = request.params.file_sha ?? '';
      if ((await objectType(repo, sha)) !== 'blob') return notFound;
      const { blob } = await git.readBlob({ fs, gitdir: repo.gitdir, oid: sha, cache });
      const base64 = Buffer.from(blob).toString('base64');
      return {
        status: 200,
        body: {
          sha,
          node_id: `B_${sha.slice(0, 20)}`,
          size: blob.length,
          url: data.url(repo, `/git/blobs/${sha}`),
          // GitHub wraps base64 at 60 characters.
          content: `${base64.replace(/.{60}/g, '$&\n')}\n`,
          encoding: 'base64',
        },
      };
    }),
  );

  fake.route(
    'POST',
    '/repos/{owner}/{repo}/git/blobs',
    writable(async (repo, request) => {
      if (repo.empty) return empty;
      const body = request.body as { content?: unknown; encoding?: unknown };
      if (typeof body?.content !== 'string') return invalid('"content" is required');
      const bytes = Buffer.from(body.content, body.encoding === 'base64' ? 'base64' : 'utf8');
      const sha = await git.writeBlob({ fs, gitdir: repo.gitdir, blob: bytes });
      return { status: 201, body: { sha, url: data.url(repo, `/git/blobs/${sha}`) } };
    }),
  );

  // The branch's history, newest first, filtered as GitHub filters it; paginated.
  fake.route(
    'GET',
    '/repos/{owner}/{repo}/commits',
    withRepo(async (repo, request) => {
      if (repo.empty) return empty;
      const time = (name: string): number | undefined | null => {
        const value = request.query.get(name);
        if (value === null) return undefined;
        const ms = Date.parse(value);
        return Number.isNaN(ms) ? null : ms;
      };
      const since = time('since');
      const until = time('until');
      if (since === null || until === null) return badRequest('Invalid time: since/until must be ISO 8601');
      const start = request.query.get('sha') ?? repo.defaultBranch;
      const head = /^[0-9a-f]{40}$/.test(start) ? start : await data.resolve(repo, start);
      if (!head) return notFound;
      const who = (name: string) => request.query.get(name)?.toLowerCase();
      const author = who('author');
      const committer = who('committer');
      const log = await git.log({ fs, gitdir: repo.gitdir, ref: head, cache });
      const items: Record<string, unknown>[] = [];
      for (const entry of log) {
        const c = entry.commit;
        const at = c.committer.timestamp * 1000;
        if (since !== undefined && at < since) continue;
        if (until !== undefined && at > until) continue;
        if (author && ![c.author.email, c.author.name].some((v) => v.toLowerCase() === author)) continue;
        if (committer && ![c.committer.email, c.committer.name].some((v) => v.toLowerCase() === committer))
          continue;
        const body = await commitBody(repo, entry.oid);
        items.push({
          url: data.url(repo, `/commits/${entry.oid}`),
          sha: entry.oid,
          node_id: body.node_id,
          html_url: body.html_url,
          comments_url: data.url(repo, `/commits/${entry.oid}/comments`),
          commit: {
            url: body.url,
            author: body.author,
            committer: body.committer,
            message: body.message,
            tree: body.tree,
            comment_count: 0,
            verification: body.verification,
          },
          author: null,
          committer: null,
          parents: body.parents,
        });
      }
      return paginate(request, items, fake.baseUrl);
    }),
  );

  // Create or replace one file in one commit; on an empty repository it creates the branch.
  fake.route(
    'PUT',
    '/repos/{owner}/{repo}/contents/{path}',
    writable(async (repo, request) => {
      const path = request.params.path ?? '';
      const body = request.body as {
        message?: unknown;
        content?: unknown;
        branch?: unknown;
        sha?: unknown;
        author?: { name: string; email: string };
        committer?: { name: string; email: string };
      };
      if (typeof body?.message !== 'string' || typeof body.content !== 'string')
        return invalid('"message" and "content" are required');
      const branch = typeof body.branch === 'string' ? body.branch : repo.defaultBranch;
      return data.locked(repo, async () => {
        const head = repo.empty ? undefined : await data.resolve(repo, branch);
        if (!repo.empty && !head) return notFound;
        const base = head
          ? (await git.readCommit({ fs, gitdir: repo.gitdir, oid: head, cache })).commit.tree
          : undefined;
        const content = Buffer.from(body.content as string, 'base64').toString('utf8');
        const existed =
          head !== undefined &&
          (await git.readBlob({ fs, gitdir: repo.gitdir, oid: head, filepath: path, cache }).then(
            () => true,
            () => false,
          ));
        const tree = await data.buildTree(repo, base, [{ path, mode: '100644', type: 'blob', content }]);
        const sha = await data.writeCommit(
          repo,
          tree,
          head ? [head] : [],
          body.message as string,
          body.author,
          body.committer,
        );
        await git.writeRef({ fs, gitdir: repo.gitdir, ref: `refs/heads/${branch}`, value: sha, force: true });
        if (repo.empty) {
          repo.empty = false;
          repo.defaultBranch = branch;
        }
        const commit = await commitBody(repo, sha);
        const name = path.slice(path.lastIndexOf('/') + 1);
        const blob = await git.writeBlob({ fs, gitdir: repo.gitdir, blob: Buffer.from(content) });
        return {
          status: existed ? 200 : 201,
          body: {
            content: {
              name,
              path,
              sha: blob,
              size: Buffer.byteLength(content),
              url: data.url(repo, `/contents/${path}?ref=${branch}`),
              html_url: `https://github.com/${repo.owner}/${repo.name}/blob/${branch}/${path}`,
              git_url: data.url(repo, `/git/blobs/${blob}`),
              download_url: `https://raw.githubusercontent.com/${repo.owner}/${repo.name}/${branch}/${path}`,
              type: 'file',
              _links: {
                self: data.url(repo, `/contents/${path}?ref=${branch}`),
                git: data.url(repo, `/git/blobs/${blob}`),
                html: `https://github.com/${repo.owner}/${repo.name}/blob/${branch}/${path}`,
              },
            },
            commit,
          },
        };
      });
    }),
  );

  return data;
}

/** `GET /repos/{owner}/{repo}` with every field GitHub's `full-repository` schema requires. */
function fullRepository(fake: FakeGitHub, repo: FakeDataRepo): Record<string, unknown> {
  const api = `${fake.baseUrl}/repos/${repo.owner}/${repo.name}`;
  const html = `https://github.com/${repo.owner}/${repo.name}`;
  const user = `${fake.baseUrl}/users/${repo.owner}`;
  const templated = Object.fromEntries(
    [
      ['archive_url', '/{archive_format}{/ref}'],
      ['assignees_url', '/assignees{/user}'],
      ['blobs_url', '/git/blobs{/sha}'],
      ['branches_url', '/branches{/branch}'],
      ['collaborators_url', '/collaborators{/collaborator}'],
      ['comments_url', '/comments{/number}'],
      ['commits_url', '/commits{/sha}'],
      ['compare_url', '/compare/{base}...{head}'],
      ['contents_url', '/contents/{+path}'],
      ['contributors_url', '/contributors'],
      ['deployments_url', '/deployments'],
      ['downloads_url', '/downloads'],
      ['events_url', '/events'],
      ['forks_url', '/forks'],
      ['git_commits_url', '/git/commits{/sha}'],
      ['git_refs_url', '/git/refs{/sha}'],
      ['git_tags_url', '/git/tags{/sha}'],
      ['hooks_url', '/hooks'],
      ['issue_comment_url', '/issues/comments{/number}'],
      ['issue_events_url', '/issues/events{/number}'],
      ['issues_url', '/issues{/number}'],
      ['keys_url', '/keys{/key_id}'],
      ['labels_url', '/labels{/name}'],
      ['languages_url', '/languages'],
      ['merges_url', '/merges'],
      ['milestones_url', '/milestones{/number}'],
      ['notifications_url', '/notifications{?since,all,participating}'],
      ['pulls_url', '/pulls{/number}'],
      ['releases_url', '/releases{/id}'],
      ['stargazers_url', '/stargazers'],
      ['statuses_url', '/statuses/{sha}'],
      ['subscribers_url', '/subscribers'],
      ['subscription_url', '/subscription'],
      ['tags_url', '/tags'],
      ['teams_url', '/teams'],
      ['trees_url', '/git/trees{/sha}'],
    ].map(([key, suffix]) => [key, `${api}${suffix}`]),
  );
  return {
    id: repo.id,
    node_id: `R_${repo.id}`,
    name: repo.name,
    full_name: `${repo.owner}/${repo.name}`,
    owner: {
      login: repo.owner,
      id: repo.id + 1,
      node_id: `O_${repo.id + 1}`,
      avatar_url: `https://avatars.githubusercontent.com/u/${repo.id + 1}?v=4`,
      gravatar_id: '',
      url: user,
      html_url: `https://github.com/${repo.owner}`,
      followers_url: `${user}/followers`,
      following_url: `${user}/following{/other_user}`,
      gists_url: `${user}/gists{/gist_id}`,
      starred_url: `${user}/starred{/owner}{/repo}`,
      subscriptions_url: `${user}/subscriptions`,
      organizations_url: `${user}/orgs`,
      repos_url: `${user}/repos`,
      events_url: `${user}/events{/privacy}`,
      received_events_url: `${user}/received_events`,
      type: 'Organization',
      site_admin: false,
    },
    private: true,
    html_url: html,
    description: 'Engineering telemetry records',
    fork: false,
    url: api,
    ...templated,
    clone_url: `${html}.git`,
    git_url: `git://github.com/${repo.owner}/${repo.name}.git`,
    ssh_url: `git@github.com:${repo.owner}/${repo.name}.git`,
    svn_url: html,
    mirror_url: null,
    homepage: null,
    language: null,
    forks: 0,
    forks_count: 0,
    stargazers_count: 0,
    watchers_count: 0,
    watchers: 0,
    size: repo.empty ? 0 : 1,
    default_branch: repo.defaultBranch,
    open_issues: 0,
    open_issues_count: 0,
    has_issues: true,
    has_projects: false,
    has_wiki: false,
    has_pages: false,
    has_discussions: false,
    archived: false,
    disabled: false,
    visibility: 'private',
    license: null,
    pushed_at: '2026-11-01T00:00:00Z',
    created_at: '2024-01-01T00:00:00Z',
    updated_at: '2026-11-01T00:00:00Z',
    permissions: { admin: false, maintain: false, push: repo.push, triage: true, pull: true },
    network_count: 0,
    subscribers_count: 1,
  };
}
