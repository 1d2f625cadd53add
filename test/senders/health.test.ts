import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { partitionFolder } from '../../src/data/layout';
import { type PackFile, packRecords } from '../../src/data/packs';
import { writeParquet } from '../../src/data/parquet';
import type { MetricRecord } from '../../src/pipeline/types';
import { senderHealth } from '../../src/senders/health';
import { tempDir } from '../support/temp';

/** A push record of sender `jenkins`, as the collector stores it. */
const record = (id: string, status: 'partial' | 'complete', receivedAt: string, revision?: string) =>
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
    ...(revision === undefined ? {} : { revision }),
    output: { sender: 'jenkins', id },
  }) as unknown as MetricRecord;

const writer = (root: string) => (path: string, content: Uint8Array | string) => {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), content);
};

/** Accepted push records as `telemetry senders` counts them, from hot packs and older hot files. */
test('counts the push records of every pack line and of older hot files, once per id; a bad line is left out', async () => {
  const dir = await tempDir();
  try {
    const now = Date.parse('2026-10-10T12:00:00Z');
    const write = writer(dir.path);
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

test('skips a pack line that is JSON but no record (null, a number, an array)', async () => {
  const dir = await tempDir();
  try {
    const write = writer(dir.path);
    const line = JSON.stringify(record('1', 'complete', '2026-10-10T09:00:00.000Z'));
    write('hot/pipeline-run/2026/10/10/08/00000000000000nul.ndjson', `null\n5\n[]\n"x"\n${line}\n`);
    write('hot/pipeline-run/2026/10/10/0800/pipeline-run-2.json', 'null');
    const health = await senderHealth(dir.path, { now: Date.parse('2026-10-10T12:00:00Z') });
    expect(health.senders.find((s) => s.sender === 'jenkins')).toMatchObject({
      accepted: { last_24h: 1, last_7d: 1 },
      last_accepted_at: '2026-10-10T09:00:00.000Z',
    });
  } finally {
    await dir.remove();
  }
});

/**
 * An id left as {partial, revision b} and {complete, revision a} (a crash or two concurrent writes):
 * `isBetter` orders them neither way; `telemetry senders` keeps the complete one as every reader does
 * (`compareStanding`), whichever is met first, hot or in a partition. The versions' receipts tell which.
 */
test('counts the complete version of an id left as {partial, b} and {complete, a}, whatever the order', async () => {
  const now = Date.parse('2026-10-10T12:00:00Z');
  const partial = record('1', 'partial', '2026-10-10T10:00:00.000Z', 'b');
  const complete = record('1', 'complete', '2026-10-10T09:00:00.000Z', 'a');
  const [p] = packRecords([partial]);
  const [c] = packRecords([complete]);
  for (const layout of ['packs', 'packs reversed', 'partition'] as const) {
    const dir = await tempDir();
    try {
      const write = writer(dir.path);
      if (layout === 'partition') {
        const [part] = await writeParquet('pipeline-run', [complete]);
        write(
          `${partitionFolder('pipeline-run', '2026-10-10')}/0000000000000000-000.parquet`,
          part as Uint8Array,
        );
        write((p as PackFile).path, (p as PackFile).content);
      } else {
        // The partial version's pack named to sort first, then last: readers meet packs in path order.
        const first = layout === 'packs' ? p : c;
        const second = layout === 'packs' ? c : p;
        const folder = (p as PackFile).path.slice(0, (p as PackFile).path.lastIndexOf('/'));
        write(`${folder}/0000000000000001.ndjson`, (first as PackFile).content);
        write(`${folder}/0000000000000002.ndjson`, (second as PackFile).content);
      }
      const health = await senderHealth(dir.path, { now });
      expect(health.senders.find((s) => s.sender === 'jenkins')).toMatchObject({
        accepted: { last_24h: 1, last_7d: 1 },
        last_accepted_at: '2026-10-10T09:00:00.000Z',
      });
    } finally {
      await dir.remove();
    }
  }
});
