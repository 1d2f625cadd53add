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

  it('lists every step with name, number, conclusion, start, end and duration (R3)', async () => {
    // The real failing "linters" job, with its last step still running when the job was cancelled around it
    // (GitHub then sends a step without conclusion or end time).
    const payload = structuredClone(completed[0]) as {
      workflow_job: { steps: { conclusion: string | null; completed_at: string | null }[] };
    };
    const last = payload.workflow_job.steps.at(-1)!;
    last.conclusion = null;
    last.completed_at = null;
    const [record] = (await collectAll(signedEventFrom('workflow_job', payload as never))).filter(
      (r) => r.metric === 'workflow-job',
    );
    const list = (record!.output as { steps: { list: Record<string, unknown>[] } }).steps.list;
    expect(list).toHaveLength(12);
    expect(list.slice(4, 8)).toEqual([
      {
        name: 'Run actions/cache@v2',
        number: 5,
        conclusion: 'success',
        started_at: '2021-08-05T10:26:12.000Z',
        completed_at: '2021-08-05T10:26:15.000Z',
        duration_ms: 3_000,
      },
      {
        name: 'Run yarn install',
        number: 6,
        conclusion: 'success',
        started_at: '2021-08-05T10:26:15.000Z',
        completed_at: '2021-08-05T10:26:25.000Z',
        duration_ms: 10_000,
      },
      expect.objectContaining({ number: 7, conclusion: 'success', duration_ms: 2_000 }),
      expect.objectContaining({ number: 8, conclusion: 'failure', duration_ms: 1_000 }),
    ]);
    expect(list.at(-1)).toMatchObject({
      number: 17,
      conclusion: null,
      completed_at: null,
      duration_ms: null,
    });
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
