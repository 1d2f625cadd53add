import { createStoreClient } from '../../src/github/client';
import { silentLogger } from '../../src/log/logger';
import { type StoreWorld, storeWorld, TOKEN, workflowJobRecords } from '../store/support';
import { responseSchema, validate } from './openapi-check';

/** Every endpoint routes/git.ts fakes, as GitHub's OpenAPI description names it. */
const OPERATIONS = [
  'GET /repos/{owner}/{repo}',
  'GET /repos/{owner}/{repo}/commits',
  'GET /repos/{owner}/{repo}/git/ref/{ref}',
  'POST /repos/{owner}/{repo}/git/refs',
  'PATCH /repos/{owner}/{repo}/git/refs/{ref}',
  'DELETE /repos/{owner}/{repo}/git/refs/{ref}',
  'GET /repos/{owner}/{repo}/git/matching-refs/{ref}',
  'GET /repos/{owner}/{repo}/git/commits/{commit_sha}',
  'POST /repos/{owner}/{repo}/git/commits',
  'GET /repos/{owner}/{repo}/git/trees/{tree_sha}',
  'POST /repos/{owner}/{repo}/git/trees',
  'GET /repos/{owner}/{repo}/git/blobs/{file_sha}',
  'POST /repos/{owner}/{repo}/git/blobs',
  'PUT /repos/{owner}/{repo}/contents/{path}',
];

/** Statuses GitHub may answer on any operation without listing them (rate limits, permissions, faults). */
const UNDOCUMENTED_OK = new Set([304, 403, 429, 500, 502]);

describe('the fake Git Data API answers as GitHub documents it (OpenAPI)', () => {
  let world: StoreWorld;
  afterAll(async () => {
    await world.close();
  });

  it('every answer of every faked endpoint conforms to its documented response schema', async () => {
    world = await storeWorld();
    const github = createStoreClient({ token: TOKEN, baseUrl: world.fake.baseUrl, logger: silentLogger });
    const quietly = (p: Promise<unknown>) => p.catch(() => undefined);
    const repo = { owner: 'acme', repo: 'telemetry-data' };

    // What the store does: start-up checks, batches, a lost race, cursors.
    const store = world.store();
    await store.verify();
    await store.write(await workflowJobRecords(5, { months: 2 }));
    world.git.injectRace();
    await store.write(await workflowJobRecords(3, { firstId: 9_000_000 }));
    await store.writeFile('_state/cursor.json', '{"page":2}\n');
    await world.store().readFile('_state/cursor.json');
    await world.store({ branch: 'other' }).verify({ createBranch: true });

    // Other answers: successes the store does not need, and GitHub's error bodies.
    const blob = await github.request('POST /repos/{owner}/{repo}/git/blobs', {
      ...repo,
      content: 'aGk=',
      encoding: 'base64',
    });
    await github
      .request('GET /repos/{owner}/{repo}/git/trees/{tree_sha}', {
        ...repo,
        tree_sha: 'main',
        recursive: '1',
      })
      .catch(() => undefined);
    const head = await github.request('GET /repos/{owner}/{repo}/git/ref/{ref}', {
      ...repo,
      ref: 'heads/main',
    });
    const commit = await github.request('GET /repos/{owner}/{repo}/git/commits/{commit_sha}', {
      ...repo,
      commit_sha: head.data.object.sha,
    });
    await github.request('GET /repos/{owner}/{repo}/git/trees/{tree_sha}', {
      ...repo,
      tree_sha: commit.data.tree.sha,
      recursive: '1',
    });
    await github.request('GET /repos/{owner}/{repo}/git/blobs/{file_sha}', {
      ...repo,
      file_sha: blob.data.sha,
    });
    await quietly(github.request('GET /repos/{owner}/{repo}', { owner: 'acme', repo: 'missing' }));
    await quietly(
      github.request('GET /repos/{owner}/{repo}/git/ref/{ref}', { ...repo, ref: 'heads/missing' }),
    );
    await quietly(
      github.request('GET /repos/{owner}/{repo}/git/commits/{commit_sha}', {
        ...repo,
        commit_sha: '0'.repeat(40),
      }),
    );
    await quietly(
      github.request('GET /repos/{owner}/{repo}/git/blobs/{file_sha}', { ...repo, file_sha: '0'.repeat(40) }),
    );
    await quietly(
      github.request('POST /repos/{owner}/{repo}/git/trees', {
        ...repo,
        tree: [{ path: '../x', mode: '100644', type: 'blob', content: 'x' }],
      }),
    );
    await quietly(
      github.request('POST /repos/{owner}/{repo}/git/commits', {
        ...repo,
        message: 'm',
        tree: '0'.repeat(40),
      }),
    );
    await quietly(
      github.request('POST /repos/{owner}/{repo}/git/refs', {
        ...repo,
        ref: 'refs/heads/main',
        sha: head.data.object.sha,
      }),
    );
    await quietly(
      github.request('PATCH /repos/{owner}/{repo}/git/refs/{ref}', {
        ...repo,
        ref: 'heads/main',
        sha: commit.data.parents[0]!.sha,
        force: false,
      }),
    );
    // What compaction does with hot branches: list them by prefix, delete one; deleting it again is refused.
    await github.request('GET /repos/{owner}/{repo}/git/matching-refs/{ref}', {
      ...repo,
      ref: 'heads/main-hot/',
    });
    await github.request('DELETE /repos/{owner}/{repo}/git/refs/{ref}', { ...repo, ref: 'heads/other' });
    await quietly(
      github.request('DELETE /repos/{owner}/{repo}/git/refs/{ref}', { ...repo, ref: 'heads/other' }),
    );

    // An empty repository: 409 on the Git Data API; the contents API makes its first commit.
    await world.git.createRepo('acme', 'empty', { empty: true });
    const empty = { owner: 'acme', repo: 'empty' };
    await quietly(github.request('GET /repos/{owner}/{repo}/git/ref/{ref}', { ...empty, ref: 'heads/main' }));
    await quietly(github.request('POST /repos/{owner}/{repo}/git/trees', { ...empty, tree: [] }));
    await github.request('PUT /repos/{owner}/{repo}/contents/{path}', {
      ...empty,
      path: 'docs/README.md',
      message: 'first',
      content: 'aGk=',
    });
    await github.request('PUT /repos/{owner}/{repo}/contents/{path}', {
      ...empty,
      path: 'docs/README.md',
      message: 'second',
      content: 'aGkh',
    });

    const problems: string[] = [];
    const seen = new Set<string>();
    const statuses = new Set<string>();
    for (const answer of world.fake.lastResponses) {
      const operation = `${answer.method} ${answer.route}`;
      seen.add(operation);
      statuses.add(`${operation} ${answer.status}`);
      const schema = responseSchema(answer.method, answer.route, answer.status);
      if (!schema) {
        if (!UNDOCUMENTED_OK.has(answer.status))
          problems.push(`${operation}: status ${answer.status} is not documented`);
        continue;
      }
      for (const problem of validate(answer.body, schema))
        problems.push(`${operation} ${answer.status}: ${problem}`);
    }
    expect(problems).toEqual([]);
    expect([...seen].sort()).toEqual([...OPERATIONS].sort());
    // The error answers were exercised too, not only the happy path.
    for (const expected of [
      'GET /repos/{owner}/{repo} 404',
      'GET /repos/{owner}/{repo}/git/ref/{ref} 409',
      'PATCH /repos/{owner}/{repo}/git/refs/{ref} 422',
      'POST /repos/{owner}/{repo}/git/trees 422',
      'POST /repos/{owner}/{repo}/git/refs 422',
      'DELETE /repos/{owner}/{repo}/git/refs/{ref} 204',
      'DELETE /repos/{owner}/{repo}/git/refs/{ref} 422',
      'GET /repos/{owner}/{repo}/git/matching-refs/{ref} 200',
      'PUT /repos/{owner}/{repo}/contents/{path} 200',
      'PUT /repos/{owner}/{repo}/contents/{path} 201',
    ])
      expect(statuses).toContain(expected);
  });

  it('the checker itself rejects a body that breaks the schema', () => {
    const schema = responseSchema('GET', '/repos/{owner}/{repo}/git/ref/{ref}', 200) as Record<
      string,
      unknown
    >;
    expect(
      validate(
        { ref: 'refs/heads/main', node_id: 'x', url: 'u', object: { type: 'commit', sha: 'a', url: 'u' } },
        schema,
      ),
    ).toEqual([]);
    expect(
      validate({ ref: 'refs/heads/main', url: 'u', object: { type: 'commit', sha: 1 } }, schema),
    ).toEqual([
      '$.node_id: required but missing',
      '$.object.url: required but missing',
      '$.object.sha: expected string, got number',
    ]);
  });
});
