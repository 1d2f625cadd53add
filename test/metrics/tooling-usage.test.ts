import { parseTooling, snapshotTooling, type ToolingUsageOutput } from '../../src/metrics/tooling-usage';
import type { SignedEvent } from '../../src/pipeline/types';
import { setFiles } from '../fake-github/routes/contents';
import { addCommits } from '../fake-github/routes/deployments';
import { expectDocumentedExample } from '../support/metrics-doc';
import { collectRecords } from './collect';
import { useFakeGitHub } from './github-fixture';

const fixture = useFakeGitHub();

const PACKAGE_JSON = JSON.stringify({
  name: 'web',
  engines: { node: '>=20.19' },
  packageManager: 'pnpm@9.12.0+sha512.abc',
  dependencies: { zod: '4.6.7' },
  devDependencies: { jest: '^30.5.2', typescript: '7.0.2' },
});
const CI = `name: CI
on: [push]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: "actions/setup-node@v4" # pinned major
      - uses: ./.github/actions/local
      - uses: docker://alpine:3.20
      - run: npm test
`;
const RELEASE = `jobs:
  release:
    steps:
      - name: checkout
        uses: actions/checkout@v3
      - uses: github/codeql-action/init@v3
`;
const DOCKERFILE = `FROM --platform=linux/amd64 node:20-alpine AS build
RUN npm ci
FROM build AS test
FROM gcr.io/distroless/nodejs20-debian12@sha256:0123
COPY --from=build /app /app
`;

function seedRepo() {
  const { world } = fixture();
  const repo = world.addRepo('Codertocat', 'Hello-World');
  const [head] = addCommits(world, repo, 1, { start: '2026-10-31T09:00:00Z' });
  setFiles(repo, {
    'package.json': PACKAGE_JSON,
    '.nvmrc': 'v20.19.0\n',
    Dockerfile: DOCKERFILE,
    '.github/workflows/ci.yml': CI,
    '.github/workflows/release.yaml': RELEASE,
    '.github/CODEOWNERS': '* @octo-org/platform\n',
    'services/api/package.json': JSON.stringify({ dependencies: { express: '5.1.0' } }),
    'README.md': '# Hello\n',
    // The documentation skeleton's configuration, as its installer writes it (version filled in).
    'deven-skeleton-install.config.json': '{\n  "version": "2.1.0",\n  "documentationDirectory": "docs"\n}\n',
  });
  fixture().takeRequests();
  return { world, repo, sha: head!.sha as string };
}

function scheduled(payload: Record<string, unknown>, receivedAt = '2026-11-01T03:00:00.000Z'): SignedEvent {
  return {
    trigger: 'schedule::tooling-usage',
    source: 'schedule',
    event: 'tooling-usage',
    deliveryId: 'schedule-tooling-usage-2026-11-01',
    receivedAt,
    collectedBy: 'schedule',
    payload,
  };
}

const EXPECTED_TOOLS = {
  'actions:actions/checkout': 'v3, v4',
  'actions:actions/setup-node': 'v4',
  'actions:github/codeql-action/init': 'v3',
  'deven:documentation-skeleton': '2.1.0',
  'docker:alpine': '3.20',
  'docker:gcr.io/distroless/nodejs20-debian12': 'sha256:0123',
  'docker:node': '20-alpine',
  node: '20.19.0, >=20.19',
  'npm:jest': '^30.5.2',
  'npm:typescript': '7.0.2',
  'npm:zod': '4.6.7',
  pnpm: '9.12.0',
};

describe('snapshotTooling', () => {
  it('reads the configured files at one commit and merges their tools', async () => {
    const { sha } = seedRepo();
    const { output, errors } = await snapshotTooling(fixture().github, 'Codertocat', 'Hello-World');
    expect(errors).toEqual([]);
    expect(output.sha).toBe(sha);
    expect(output.source).toBe('repository-snapshot');
    expect(output.tools).toEqual(EXPECTED_TOOLS);
    expect(output.files).toEqual([
      { path: '.github/workflows/ci.yml', kind: 'workflow' },
      { path: '.github/workflows/release.yaml', kind: 'workflow' },
      { path: '.nvmrc', kind: 'nvmrc' },
      { path: 'deven-skeleton-install.config.json', kind: 'config' },
      { path: 'Dockerfile', kind: 'dockerfile' },
      { path: 'package.json', kind: 'package.json' },
    ]);
    expect(output.config_files).toEqual([
      {
        path: 'deven-skeleton-install.config.json',
        tool: 'deven:documentation-skeleton',
        present: true,
        parsable: true,
        version: '2.1.0',
      },
    ]);
    const requests = fixture().takeRequests();
    // 1 commit + 2 listings (root, .github/workflows) + 6 files; absent files cost nothing.
    expect(requests).toHaveLength(9);
    expect(requests.filter((r) => r.includes('/contents/.tool-versions'))).toEqual([]);
  });

  it('reads configured paths in sub-directories', async () => {
    seedRepo();
    const { output } = await snapshotTooling(fixture().github, 'Codertocat', 'Hello-World', undefined, {
      paths: ['services/api/package.json', 'services/web/package.json'],
      configFiles: [],
    });
    expect(output.tools).toEqual({ 'npm:express': '5.1.0' });
    expect(output.files).toEqual([{ path: 'services/api/package.json', kind: 'package.json' }]);
  });

  it('reads the configured tool configuration files and their version field (R8)', async () => {
    const { repo } = seedRepo();
    setFiles(repo, {
      // A monorepo's lerna.json (its release version), a broken skeleton config, a nested version field.
      'lerna.json': '{"version": "3.1.0", "npmClient": "pnpm"}',
      'deven-skeleton-install.config.json': '{"version": "2.1.0",',
      'tools/platform.json': JSON.stringify({ platform: { release: 7 } }),
    });
    const { output, errors } = await snapshotTooling(
      fixture().github,
      'Codertocat',
      'Hello-World',
      undefined,
      {
        paths: ['.nvmrc'],
        configFiles: [
          {
            path: 'deven-skeleton-install.config.json',
            tool: 'deven:documentation-skeleton',
            versionField: 'version',
          },
          { path: 'lerna.json', tool: 'lerna:release', versionField: 'version' },
          { path: 'tools/platform.json', tool: 'platform', versionField: 'platform.release' },
          { path: 'tools/absent.json', tool: 'absent', versionField: 'version' },
        ],
      },
    );
    expect(errors).toEqual([]);
    expect(output.config_files).toEqual([
      {
        path: 'deven-skeleton-install.config.json',
        tool: 'deven:documentation-skeleton',
        present: true,
        parsable: false,
        version: null,
      },
      { path: 'lerna.json', tool: 'lerna:release', present: true, parsable: true, version: '3.1.0' },
      { path: 'tools/platform.json', tool: 'platform', present: true, parsable: true, version: '7' },
      { path: 'tools/absent.json', tool: 'absent', present: false, parsable: null, version: null },
    ]);
    // Present counts as in use: "*" when no version could be read.
    expect(output.tools).toEqual({
      'deven:documentation-skeleton': '*',
      'lerna:release': '3.1.0',
      node: '20.19.0',
      platform: '7',
    });
  });

  it('a repository without the skeleton says so', async () => {
    const { repo } = seedRepo();
    repo.files.delete('deven-skeleton-install.config.json');
    const { output } = await snapshotTooling(fixture().github, 'Codertocat', 'Hello-World');
    expect(output.config_files).toEqual([
      {
        path: 'deven-skeleton-install.config.json',
        tool: 'deven:documentation-skeleton',
        present: false,
        parsable: null,
        version: null,
      },
    ]);
    expect(output.tools['deven:documentation-skeleton']).toBeUndefined();
  });

  it('names files too large for the contents API', async () => {
    const { repo } = seedRepo();
    setFiles(repo, { 'requirements.txt': `${'x'.repeat(1024 * 1024)}\n` });
    const { output, errors } = await snapshotTooling(fixture().github, 'Codertocat', 'Hello-World');
    expect(errors).toEqual([
      {
        call: 'GET /repos/{owner}/{repo}/contents/{path}',
        message: expect.stringContaining('requirements.txt'),
      },
    ]);
    expect(output.tools['npm:zod']).toBe('4.6.7');
  });
});

describe('tooling-usage', () => {
  it('makes one record per repository and day from a scheduled event', async () => {
    seedRepo();
    const [record] = await collectRecords<ToolingUsageOutput>(
      scheduled({ repository: 'Codertocat/Hello-World' }),
      'tooling-usage',
      { github: fixture().github },
    );
    expect(record?.status).toBe('complete');
    expect(record?.collected_by).toBe('schedule');
    expect(record?.occurred_at).toBe('2026-11-01T03:00:00.000Z');
    expect(record?.output.tools).toEqual(EXPECTED_TOOLS);
    expectDocumentedExample(record!);

    const later = await collectRecords(
      scheduled(
        { repository: { owner: { login: 'codertocat' }, name: 'hello-world' } },
        '2026-11-01T22:00:00.000Z',
      ),
      'tooling-usage',
      { github: fixture().github },
    );
    expect(later[0]?.id).toBe(record?.id); // same repository, same day
    const nextDay = await collectRecords(
      scheduled({ repository: 'Codertocat/Hello-World' }, '2026-11-02T03:00:00.000Z'),
      'tooling-usage',
      { github: fixture().github },
    );
    expect(nextDay[0]?.id).not.toBe(record?.id);
  });

  it('is partial without a token, and says when the repository cannot be read', async () => {
    const [noToken] = await collectRecords<ToolingUsageOutput>(
      scheduled({ repository: 'Codertocat/Hello-World' }),
      'tooling-usage',
    );
    expect(noToken?.status).toBe('partial');
    expect(noToken?.errors).toEqual([
      {
        call: 'GET /repos/{owner}/{repo}/commits/{ref}',
        message: expect.stringContaining('no GitHub token'),
      },
    ]);
    expect(noToken?.output).toMatchObject({ sha: null, tools: {}, files: [] });

    const [hidden] = await collectRecords<ToolingUsageOutput>(
      scheduled({ repository: 'octo-org/private' }),
      'tooling-usage',
      {
        github: fixture().github,
      },
    );
    expect(hidden?.errors[0]).toMatchObject({ status: 404, message: expect.stringContaining('cannot read') });
  });

  it('rejects a schedule payload without a repository, naming the field', async () => {
    await expect(collectRecords(scheduled({ repo: 'x' }), 'tooling-usage')).rejects.toThrow(/repository/);
  });
});

describe('tooling parsers', () => {
  it('reads .tool-versions, requirements and go.mod', () => {
    expect(parseTooling('tool-versions', '# asdf\nnodejs 20.11.1\npython 3.12.1 3.11.7\n')).toEqual([
      ['node', '20.11.1'],
      ['python', '3.12.1'],
      ['python', '3.11.7'],
    ]);
    expect(
      parseTooling(
        'requirements',
        'Django==5.1.2\nrequests[socks]>=2.31,<3 ; python_version>"3.8"\n-r base.txt\nzope.interface\n',
      ),
    ).toEqual([
      ['pip:django', '5.1.2'],
      ['pip:requests', '>=2.31,<3'],
      ['pip:zope-interface', '*'],
    ]);
    expect(
      parseTooling(
        'go.mod',
        'module x\n\ngo 1.22\ntoolchain go1.22.4\nrequire golang.org/x/mod v0.20.0\nrequire (\n\tgithub.com/a/b v1.2.3 // indirect\n)\n',
      ),
    ).toEqual([
      ['go', '1.22'],
      ['go-toolchain', '1.22.4'],
      ['go:golang.org/x/mod', 'v0.20.0'],
      ['go:github.com/a/b', 'v1.2.3'],
    ]);
  });

  it('gives nothing for a broken package.json', () => {
    expect(parseTooling('package.json', '{ not json')).toEqual([]);
  });
});
