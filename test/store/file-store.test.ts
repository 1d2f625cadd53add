import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { recordPath } from '../../src/pipeline/record';
import type { MetricRecord } from '../../src/pipeline/types';
import { FileStore } from '../../src/store/file-store';
import { collectAll } from '../support/collect';
import { listFiles, tempDir } from '../support/temp';
import { example, signedEventFrom } from '../support/webhooks';

async function realRecord(): Promise<MetricRecord> {
  const [record] = await collectAll(signedEventFrom('workflow_job', example('workflow_job', 'completed')));
  return record as MetricRecord;
}

describe('FileStore', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(() => dir.remove());

  it('writes each record as pretty JSON at its layout path and nothing else', async () => {
    const record = await realRecord();
    const store = new FileStore(dir.path);
    expect(await store.write([record])).toEqual({ written: [record.id], unchanged: [] });
    expect(await listFiles(dir.path)).toEqual([recordPath(record)]);
    const text = await readFile(join(dir.path, recordPath(record)), 'utf8');
    expect(JSON.parse(text)).toEqual(record);
    expect(text.endsWith('}\n')).toBe(true);
  });

  it('is idempotent: the same record again (or a worse one) changes nothing', async () => {
    const record = await realRecord();
    const store = new FileStore(dir.path);
    await store.write([record]);
    const path = join(dir.path, recordPath(record));
    const before = await readFile(path, 'utf8');
    const partial: MetricRecord = {
      ...record,
      status: 'partial',
      errors: [{ call: 'GET /x', message: 'down' }],
    };
    expect(await store.write([record, partial])).toEqual({ written: [], unchanged: [record.id, record.id] });
    expect(await readFile(path, 'utf8')).toBe(before);
  });

  it('lets a complete record replace a partial one ("better record wins"), within a batch too', async () => {
    const record = await realRecord();
    const partial: MetricRecord = {
      ...record,
      status: 'partial',
      errors: [{ call: 'GET /x', message: 'down' }],
    };
    const store = new FileStore(dir.path);
    await store.write([partial]);
    expect(await store.write([record])).toEqual({ written: [record.id], unchanged: [] });
    expect(JSON.parse(await readFile(join(dir.path, recordPath(record)), 'utf8')).status).toBe('complete');

    const other = new FileStore(join(dir.path, 'second'));
    expect(await other.write([partial, record])).toEqual({ written: [record.id], unchanged: [] });
  });

  it('repairs a file that is not JSON with a good record', async () => {
    const record = await realRecord();
    const store = new FileStore(dir.path);
    await store.write([record]);
    await writeFile(join(dir.path, recordPath(record)), '{ half a rec');
    expect((await store.write([record])).written).toEqual([record.id]);
  });

  it('writes atomically: no temporary file is left behind, even with 200 concurrent writers', async () => {
    const record = await realRecord();
    const store = new FileStore(dir.path);
    const records = Array.from({ length: 200 }, (_, i) => ({
      ...record,
      id: `workflow-job-${String(i).padStart(24, '0')}`,
    }));
    await Promise.all(records.map((r) => store.write([r, r])));
    const files = await listFiles(dir.path);
    expect(files).toHaveLength(200);
    expect(files.some((f) => f.includes('.tmp-'))).toBe(false);
  });

  it('reads and writes state files, and refuses paths outside the data directory', async () => {
    const store = new FileStore(dir.path);
    expect(await store.readFile('_state/cursor.json')).toBeUndefined();
    await store.writeFile('_state/cursor.json', '{"since":"2026-01-01"}\n');
    expect(await store.readFile('_state/cursor.json')).toBe('{"since":"2026-01-01"}\n');
    for (const evil of ['../outside.json', '/etc/passwd', '_state/../../x', 'a\0b']) {
      await expect(store.writeFile(evil, 'x')).rejects.toThrow(/store path/);
    }
    const escaping = { ...(await realRecord()), owner: '..', repo: '../../..', metric: '../x' };
    await store.write([escaping]);
    for (const file of await listFiles(dir.path)) expect(file.startsWith('..')).toBe(false);
  });
});
