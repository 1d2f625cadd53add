import type { WorkflowRunOutput } from '../../src/metrics/workflow-run';
import { expectDocumentedExample } from '../support/metrics-doc';
import { examplesOf, signedEventFrom } from '../support/webhooks';
import { collectRecords } from './collect';

const completed = () => examplesOf('workflow_run', 'completed');
const withPath = () =>
  completed().find((p) => (p.workflow_run as { path?: string }).path) as Record<string, unknown>;

describe('workflow-run', () => {
  it('records a completed run from a real payload', async () => {
    const payload = withPath();
    const [record] = await collectRecords<WorkflowRunOutput>(
      signedEventFrom('workflow_run', payload),
      'workflow-run',
    );
    expect(record).toBeDefined();
    expect(record?.trigger).toBe('github::workflow_run.completed');
    expect(record?.owner).toBe('octo-org');
    expect(record?.output).toMatchObject({
      run_id: '289782451',
      run_attempt: 1,
      run_number: 163,
      workflow_id: '2823525',
      workflow_name: null, // the payload's name is "": no name
      workflow_path: '.github/workflows/test.yml',
      event: 'repository_dispatch',
      conclusion: 'success',
      head_branch: 'master',
      actor: 'Codertocat',
      created_at: '2020-10-05T16:33:24.000Z',
      run_started_at: '2020-10-05T16:33:49.000Z',
      completed_at: '2020-10-05T16:33:49.000Z',
      queue_ms: 25_000,
      duration_ms: 0,
    });
    expect(record?.occurred_at).toBe('2020-10-05T16:33:49.000Z');
    expect(record?.status).toBe('complete');
    expectDocumentedExample(record!);
  });

  it('measures duration from run_started_at to completion and lists pull requests', async () => {
    const payload = completed().find(
      (p) => ((p.workflow_run as { pull_requests: unknown[] }).pull_requests ?? []).length > 0,
    ) as { workflow_run: Record<string, unknown> };
    payload.workflow_run.updated_at = '2020-10-05T16:41:19Z';
    const [record] = await collectRecords<WorkflowRunOutput>(
      signedEventFrom('workflow_run', payload),
      'workflow-run',
    );
    expect(record?.output.duration_ms).toBe(7.5 * 60_000);
    expect(record?.output.pull_requests).toEqual([2]);
  });

  it('makes a re-run (attempt 2) a distinct record without a queue time', async () => {
    const first = withPath() as { workflow_run: Record<string, unknown> };
    const second = structuredClone(first);
    second.workflow_run.run_attempt = 2;
    second.workflow_run.run_started_at = '2020-10-05T17:00:00Z';
    second.workflow_run.updated_at = '2020-10-05T17:02:00Z';
    const [a] = await collectRecords<WorkflowRunOutput>(
      signedEventFrom('workflow_run', first),
      'workflow-run',
    );
    const [b] = await collectRecords<WorkflowRunOutput>(
      signedEventFrom('workflow_run', second),
      'workflow-run',
    );
    expect(a?.id).not.toBe(b?.id);
    expect(b?.output.run_attempt).toBe(2);
    // created_at is still the first attempt's: created → started would count the whole first attempt.
    expect(b?.output.queue_ms).toBeNull();
    expect(b?.output.duration_ms).toBe(120_000);
  });

  it('still records an odd "completed" example without a conclusion or path', async () => {
    const odd = completed().find((p) => !(p.workflow_run as { path?: string }).path) as Record<
      string,
      unknown
    >;
    const [record] = await collectRecords<WorkflowRunOutput>(
      signedEventFrom('workflow_run', odd),
      'workflow-run',
    );
    expect(record?.output).toMatchObject({
      conclusion: null,
      workflow_path: null,
      workflow_name: 'Manually triggered workflow',
      event: 'workflow_dispatch',
      actor: null,
    });
  });

  it('ignores requested runs', async () => {
    const [requested] = examplesOf('workflow_run', 'requested');
    expect(await collectRecords(signedEventFrom('workflow_run', requested!), 'workflow-run')).toEqual([]);
  });
});
