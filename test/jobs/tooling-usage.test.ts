import { toolingUsage } from '../../src/jobs/tooling-usage';
import type { Metric } from '../../src/metrics/types';
import { setFiles } from '../fake-github/routes/contents';
import { addCommits } from '../fake-github/routes/deployments';
import { indexedRecords, type JobWorld, startJobWorld, tempDir } from './setup';

/** Stands in for the tooling-usage metric: the job's contract is only its trigger and `{ repository }`. */
const snapshot: Metric<{ full_name: string }> = {
  name: 'tooling-usage',
  description: 'test stand-in',
  triggers: ['schedule::tooling-usage'],
  permissions: { contents: 'read' },
  matches: (event) => event.trigger === 'schedule::tooling-usage',
  async collect(event, ctx) {
    const repository = event.payload.repository as {
      name: string;
      full_name: string;
      owner: { login: string };
    };
    return [
      {
        naturalKey: `${repository.full_name}:${ctx.now().toISOString().slice(0, 10)}`,
        owner: repository.owner.login,
        repo: repository.name,
        occurredAt: ctx.now().toISOString(),
        output: { full_name: repository.full_name },
      },
    ];
  },
};

describe('tooling-usage job', () => {
  let env: JobWorld;
  beforeAll(async () => {
    env = await startJobWorld();
    for (const name of ['api', 'web', 'legacy', 'docs'])
      env.world.addRepo('acme', name, name === 'legacy' ? { archived: true } : {});
  });
  afterAll(() => env.stop());

  it('sends one schedule::tooling-usage event per selected repository, once per day', async () => {
    const dir = await tempDir();
    try {
      const input = toolingUsage.input.parse({ org: 'acme', exclude: ['docs'] });
      const first = await toolingUsage.run(input, env.context(dir.path, { metrics: [snapshot] }));
      expect(first.counts).toMatchObject({ repositories: 2, records: 2, written: 2 });
      const names = [...(await indexedRecords(dir.path, 'hot/tooling-usage/')).values()].map((r) => r.record);
      expect(names.map((r) => r.output.full_name).sort()).toEqual(['acme/api', 'acme/web']);
      expect(
        names.every((r) => r.collected_by === 'schedule' && r.trigger === 'schedule::tooling-usage'),
      ).toBe(true);

      const again = await toolingUsage.run(input, env.context(dir.path, { metrics: [snapshot] }));
      expect(again.counts).toMatchObject({ records: 2, written: 0, unchanged: 2 });
    } finally {
      await dir.remove();
    }
  });

  it('snapshots each repository with the registered tooling-usage metric', async () => {
    const dir = await tempDir();
    try {
      const repo = env.world.addRepo('acme', 'shop');
      addCommits(env.world, repo, 1, { start: '2026-11-19T09:00:00Z' });
      setFiles(repo, {
        'package.json': JSON.stringify({ devDependencies: { jest: '30.5.2' }, engines: { node: '>=20' } }),
        '.github/workflows/ci.yml': 'jobs:\n  test:\n    steps:\n      - uses: actions/checkout@v4\n',
      });
      const result = await toolingUsage.run(
        toolingUsage.input.parse({ repos: ['acme/shop'] }),
        env.context(dir.path),
      );
      expect(result.counts).toMatchObject({ repositories: 1, records: 1, written: 1, failed: 0 });
      const [record, ...more] = [...(await indexedRecords(dir.path, 'hot/tooling-usage/')).values()].map(
        (r) => r.record,
      );
      expect(more).toEqual([]);
      expect(record).toMatchObject({ status: 'complete', collected_by: 'schedule' });
      expect(record?.output.tools).toMatchObject({ 'npm:jest': '30.5.2', 'actions:actions/checkout': 'v4' });
    } finally {
      await dir.remove();
    }
  });

  it('says so when no metric collects the snapshot trigger', async () => {
    const dir = await tempDir();
    try {
      const result = await toolingUsage.run(
        toolingUsage.input.parse({ org: 'acme' }),
        env.context(dir.path, { metrics: [] }),
      );
      expect(result.message).toMatch(/no metric collects schedule::tooling-usage/);
    } finally {
      await dir.remove();
    }
  });
});
