import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { packRecords } from '../../src/data/packs';
import type { MetricRecord } from '../../src/pipeline/types';
import { senderHealth } from '../../src/senders/health';
import { tempDir } from '../support/temp';

/** Accepted push records as `telemetry senders` counts them, from hot packs and older hot files. */
test('counts the push records of every pack line and of older hot files, once per id; a bad line is left out', async () => {
  const dir = await tempDir();
  try {
    const now = Date.parse('2026-10-10T12:00:00Z');
    const record = (id: string, status: 'partial' | 'complete', receivedAt: string) =>
      ({
        id: `pipeline-run-${id}`,
        schema_version: 1,
        metric: 'pipeline-run',
        trigger: 'push::pipeline-run',
        collected_by: 'push',
        delivery_id: `d-${id}`,
        owner: 'acme',
        repo: 'api',
        occurred_at: '2026-10-10T08:00:00.000Z',
        received_at: receivedAt,
        collected_at: receivedAt,
        status,
        errors: [],
        collector_version: '0.1.0',
        output: { sender: 'jenkins', id },
      }) as unknown as MetricRecord;
    const write = (path: string, content: string) => {
      mkdirSync(dirname(join(dir.path, path)), { recursive: true });
      writeFileSync(join(dir.path, path), content);
    };
    // Two writes: 1 and 2 (partial), then 2 made complete (in a second pack).
    for (const records of [
      [
        record('1', 'complete', '2026-10-10T09:00:00.000Z'),
        record('2', 'partial', '2026-10-10T09:00:00.000Z'),
      ],
      [record('2', 'complete', '2026-10-10T10:00:00.000Z')],
    ])
      for (const pack of packRecords(records)) write(pack.path, pack.content);
    write(
      'hot/pipeline-run/2026/10/10/08/00000000000000bad.ndjson',
      `not json\n${JSON.stringify(record('3', 'complete', '2026-10-09T08:00:00.000Z'))}\n`,
    );
    write(
      'hot/pipeline-run/2026/10/10/0800/pipeline-run-4.json',
      JSON.stringify(record('4', 'complete', '2026-10-01T08:00:00.000Z')),
    );
    const health = await senderHealth(dir.path, { now });
    const jenkins = health.senders.find((s) => s.sender === 'jenkins');
    expect(jenkins).toMatchObject({
      accepted: { last_24h: 2, last_7d: 3 }, // 3 was received 28 h before now, 4 nine days before
      last_accepted_at: '2026-10-10T10:00:00.000Z',
    });
  } finally {
    await dir.remove();
  }
});
