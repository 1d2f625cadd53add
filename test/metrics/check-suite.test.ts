import { collectAll } from '../support/collect';
import { expectDocumentedExample } from '../support/metrics-doc';
import { examplesOf, signedEventFrom } from '../support/webhooks';

describe('check-suite metric', () => {
  const completed = examplesOf('check_suite', 'completed');

  it('makes one record per real completed example', async () => {
    expect(completed.length).toBeGreaterThanOrEqual(2);
    for (const payload of completed) {
      const suite = payload.check_suite as Record<string, unknown>;
      const records = (await collectAll(signedEventFrom('check_suite', payload))).filter(
        (r) => r.metric === 'check-suite',
      );
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({
        status: 'complete',
        occurred_at: '2019-05-15T15:21:14.000Z',
        output: {
          suite_id: String(suite.id),
          conclusion: suite.conclusion,
          head_sha: suite.head_sha,
          head_branch: suite.head_branch,
          created_at: '2019-05-15T15:20:31.000Z',
          completed_at: '2019-05-15T15:21:14.000Z',
          duration_ms: 43_000, // 15:20:31 → 15:21:14
          pull_requests: (suite.pull_requests as { number: number }[]).map((p) => p.number),
        },
      });
    }
  });

  it('records the app that ran the checks when the payload names it', async () => {
    const withApp = completed.find(
      (p) => (p.check_suite as { app?: { slug?: string } }).app?.slug === 'github-actions',
    );
    const [record] = await collectAll(signedEventFrom('check_suite', withApp as Record<string, unknown>));
    expect((record!.output as { app: { slug: string } }).app.slug).toBe('github-actions');
  });

  it('says whether the suite came through a GitHub App installation (R11)', async () => {
    // The completed examples come from a repository webhook; GitHub adds `installation` when it delivers the
    // same event to an installed app (as in the real `requested` example of this very suite).
    const requested = examplesOf('check_suite', 'requested')[0] as { installation: { id: number } };
    const viaApp = structuredClone(completed[0]) as Record<string, unknown>;
    viaApp.installation = requested.installation;
    const [direct] = await collectAll(
      signedEventFrom('check_suite', completed[0] as Record<string, unknown>),
    );
    const [installed] = await collectAll(signedEventFrom('check_suite', viaApp));
    expect(direct?.output).toMatchObject({ via_app_installation: false, installation_id: null });
    expect(installed?.output).toMatchObject({ via_app_installation: true, installation_id: '957387' });
  });

  it('ignores requested and rerequested suites', async () => {
    for (const action of ['requested', 'rerequested']) {
      for (const payload of examplesOf('check_suite', action)) {
        expect(await collectAll(signedEventFrom('check_suite', payload))).toEqual([]);
      }
    }
  });

  it('documents its example record in METRICS.md', async () => {
    const [record] = await collectAll(
      signedEventFrom('check_suite', completed[0] as Record<string, unknown>),
    );
    expectDocumentedExample(record as never);
  });
});
