import { isBetter } from '../../src/pipeline/record';
import type { MetricRecord, SignedEvent } from '../../src/pipeline/types';
import { FileStore } from '../../src/store/file-store';
import { pipelineRun, pushHarness, signedPush } from '../push/harness';
import { collectAll } from '../support/collect';
import { expectDocumentedExample } from '../support/metrics-doc';
import { storedRecords } from '../support/stored-records';
import { listFiles, tempDir } from '../support/temp';

/** Items go through the real push handler (signature, validation), as a sender's request would. */
async function pushed(items: unknown[], sender = 'jenkins'): Promise<SignedEvent[]> {
  const secret = sender === 'jenkins' ? 'jenkins-secret' : 'gitlab-new';
  const { send, enqueued } = pushHarness();
  const response = await send(signedPush('pipeline-run', { items }, { sender, secret }));
  expect(response.status).toBe(202);
  return enqueued;
}

async function recordsOf(items: unknown[], sender?: string): Promise<MetricRecord[]> {
  const events = await pushed(items, sender);
  return (await Promise.all(events.map((e) => collectAll(e)))).flat();
}

const start = pipelineRun({ status: 'in_progress', finished_at: undefined });
const end = pipelineRun({
  status: 'failure',
  branch: 'main',
  sha: '9F2C1E0B7A3D4C5E6F708192A3B4C5D6E7F80912',
  actor: 'release-bot',
  url: 'https://jenkins.example.com/job/billing-build/812/',
});

describe('pipeline-run metric', () => {
  it('makes one record per run with its durations; the end of a run is documented in METRICS.md', async () => {
    const [record, ...rest] = await recordsOf([end]);
    expect(rest).toEqual([]);
    expect(record).toMatchObject({
      metric: 'pipeline-run',
      trigger: 'push::pipeline-run',
      collected_by: 'push',
      delivery_id: 'jenkins-billing-build-812',
      owner: 'octo-org',
      repo: 'billing',
      occurred_at: '2026-11-01T11:52:10.000Z',
      status: 'complete',
      revision: '2026-11-01T11:58:42.000Z#2',
      output: {
        sender: 'jenkins',
        id: 'jenkins-billing-build-812',
        repository: 'octo-org/billing',
        pipeline: 'billing-build',
        status: 'failure',
        final: true,
        sha: '9f2c1e0b7a3d4c5e6f708192a3b4c5d6e7f80912',
        duration_ms: 392_000, // 11:52:10 → 11:58:42
        queue_ms: 130_000, // 11:50:00 → 11:52:10
      },
    });
    expectDocumentedExample(record as MetricRecord);
  });

  it('gives the start and the end of a run one id; the end wins whichever arrives first', async () => {
    const [started] = await recordsOf([start]);
    const [ended] = await recordsOf([end]);
    const [otherSender] = await recordsOf([end], 'gitlab');
    expect(started?.id).toBe(ended?.id);
    expect(otherSender?.id).not.toBe(ended?.id);
    expect(started?.output).toMatchObject({ status: 'in_progress', final: false, duration_ms: null });
    expect(isBetter(ended as MetricRecord, started as MetricRecord)).toBe(true);
    expect(isBetter(started as MetricRecord, ended as MetricRecord)).toBe(false);
    expect(isBetter(ended as MetricRecord, ended as MetricRecord)).toBe(false);

    for (const order of [
      [started, ended],
      [ended, started],
    ]) {
      const dir = await tempDir();
      try {
        const store = new FileStore(dir.path);
        for (const record of order) await store.write([record as MetricRecord]);
        const files = await listFiles(dir.path);
        const entry = `hot/pipeline-run/2026/11/01/11/52/${ended?.id}.idx`;
        // One index entry; a pack per write that stored something (the start first: the end is better).
        expect(files.filter((f) => f.endsWith('.idx'))).toEqual([entry]);
        expect(files.filter((f) => f.endsWith('.ndjson'))).toHaveLength(order[0] === started ? 2 : 1);
        // The entry holds the end's standing, its revision ranking it above the start.
        expect(ended?.revision).not.toBe(started?.revision);
        expect(JSON.parse((await store.readFile(entry)) as string)).toEqual({
          status: 'complete',
          revision: ended?.revision,
        });
        const [stored, ...more] = await storedRecords(dir.path);
        expect(more).toEqual([]);
        expect(stored?.output).toMatchObject({ status: 'failure', duration_ms: 392_000 });
      } finally {
        await dir.remove();
      }
    }
  });

  it('files a run reported only when it ended by finished_at, with no duration', async () => {
    const [record] = await recordsOf([pipelineRun({ started_at: undefined, queued_at: undefined })]);
    expect(record).toMatchObject({
      occurred_at: '2026-11-01T11:58:42.000Z',
      output: { started_at: null, duration_ms: null, queue_ms: null },
    });
  });
});
