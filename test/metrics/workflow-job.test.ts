import { summarizeSteps } from '../../src/metrics/workflow-job';
import { collectAll } from '../support/collect';
import { expectDocumentedExample } from '../support/metrics-doc';
import { examplesOf, signedEventFrom } from '../support/webhooks';

describe('workflow-job metric', () => {
  const completed = examplesOf('workflow_job', 'completed');

  it('makes one record per real completed example, with times, queue time and duration', async () => {
    expect(completed.length).toBeGreaterThanOrEqual(2);
    for (const payload of completed) {
      const records = (await collectAll(signedEventFrom('workflow_job', payload))).filter(
        (r) => r.metric === 'workflow-job',
      );
      expect(records).toHaveLength(1);
      const job = payload.workflow_job as Record<string, unknown>;
      const [record] = records;
      expect(record).toMatchObject({
        owner: (payload.repository as { owner: { login: string } }).owner.login,
        repo: (payload.repository as { name: string }).name,
        status: 'complete',
        occurred_at: new Date(job.completed_at as string).toISOString(),
        output: {
          job_id: String(job.id),
          run_id: String(job.run_id),
          run_attempt: job.run_attempt,
          conclusion: job.conclusion,
          job_name: job.name,
          labels: job.labels,
          head_sha: job.head_sha,
          // 10:33:58 created → 10:34:58 started → 10:38:16 completed in both examples
          queue_ms: 60_000,
          duration_ms: 198_000,
        },
      });
      expect((record!.output as { steps: { count: number } }).steps.count).toBe(
        (job.steps as unknown[]).length,
      );
    }
  });

  it('gives a re-run (attempt 2) its own id and the same attempt the same id', async () => {
    const first = completed[0] as Record<string, unknown>;
    const rerun = structuredClone(first);
    (rerun.workflow_job as { run_attempt: number }).run_attempt = 2;
    const [a] = await collectAll(signedEventFrom('workflow_job', first));
    const [b] = await collectAll(signedEventFrom('workflow_job', rerun));
    const [again] = await collectAll(
      signedEventFrom('workflow_job', first, { deliveryId: 'another-delivery' }),
    );
    expect(a?.id).not.toBe(b?.id);
    expect(again?.id).toBe(a?.id);
  });

  it('summarises steps by conclusion: skipped is its own bucket, not a failure', () => {
    const job = completed[0]?.workflow_job as { steps: Parameters<typeof summarizeSteps>[0] };
    const summary = summarizeSteps(job.steps);
    const expected: Record<string, number> = {};
    for (const step of job.steps)
      expected[step.conclusion ?? 'none'] = (expected[step.conclusion ?? 'none'] ?? 0) + 1;
    expect(summary.by_conclusion).toEqual(expected);
    expect(summary.by_conclusion.skipped).toBeGreaterThan(0);
    expect(summary.slowest).toEqual({ name: 'Run yarn install', number: 6, duration_ms: 10_000 });
  });

  it('ignores jobs that are not completed and refuses a completed payload of the wrong shape', async () => {
    expect(
      await collectAll(
        signedEventFrom('workflow_job', examplesOf('workflow_job', 'in_progress')[0] as never),
      ),
    ).toEqual([]);
    const broken = structuredClone(completed[0]) as Record<string, unknown>;
    (broken.workflow_job as Record<string, unknown>).started_at = 'soon';
    await expect(collectAll(signedEventFrom('workflow_job', broken))).rejects.toThrow(
      'workflow_job.started_at',
    );
  });

  it('documents its example record in METRICS.md', async () => {
    const [record] = await collectAll(
      signedEventFrom('workflow_job', completed[0] as Record<string, unknown>),
    );
    expectDocumentedExample(record as never);
  });
});
