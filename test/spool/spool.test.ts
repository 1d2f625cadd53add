import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SignedEvent } from '../../src/pipeline/types';
import { nodeSpoolFiles, Spool, type SpoolFiles, SpoolWriteError } from '../../src/spool/spool';
import { tempDir } from '../support/temp';
import { example, signedEventFrom } from '../support/webhooks';

const event = (id: string): SignedEvent => ({
  trigger: 'github::workflow_job.completed',
  source: 'github',
  event: 'workflow_job',
  action: 'completed',
  deliveryId: id,
  receivedAt: '2026-11-01T12:00:00.000Z',
  collectedBy: 'webhook',
  payload: { id: Number(id.replace(/\D/g, '') || 1), note: 'é ✓' },
});
const item = (id: string) => ({ key: 'github', event: event(id) });

/** node:fs with switches that make the next writes or fsyncs fail like a full disk, and counts fsyncs. */
function faultyFiles() {
  const state = { failWrite: false, failSync: false, syncs: 0 };
  const enospc = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  const files: SpoolFiles = {
    ...nodeSpoolFiles,
    async openSegment(path, size) {
      const handle = await nodeSpoolFiles.openSegment(path, size);
      return {
        async write(data) {
          if (state.failWrite) {
            // A full disk takes part of the write, then refuses the rest: the tail is torn.
            await handle.write(data.subarray(0, Math.floor(data.length / 2)));
            throw enospc();
          }
          await handle.write(data);
        },
        async datasync() {
          state.syncs += 1;
          if (state.failSync) throw enospc();
          await handle.datasync();
        },
        close: () => handle.close(),
      };
    },
  };
  return { files, state };
}

describe('the spool', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  const opened: Spool[] = [];
  /** Opens the spool as a (re)started process would; the test's end closes every one. */
  async function open(options: Parameters<typeof Spool.open>[1] = {}) {
    const result = await Spool.open(dir.path, options);
    opened.push(result.spool);
    return result;
  }
  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(async () => {
    for (const spool of opened.splice(0)) await spool.close();
    await dir.remove();
  });

  it('replays at start-up every acknowledged entry not marked done, byte for byte, and nothing done', async () => {
    const real = signedEventFrom('workflow_job', example('workflow_job', 'completed'));
    const { spool } = await open();
    const entries = await spool.append([item('d1'), { key: 'push:jenkins', event: real }, item('d3')]);
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3]);
    await spool.complete([1]);
    // No close: the process dies here (a SIGKILL leaves exactly these files behind).
    const again = await open();
    expect(again.replay.map((e) => [e.seq, e.key, e.event.deliveryId])).toEqual([
      [2, 'push:jenkins', real.deliveryId],
      [3, 'github', 'd3'],
    ]);
    expect(again.replay[0]?.event).toEqual(real);
    // New entries continue the numbering in a new segment.
    const [next] = await again.spool.append([item('d4')]);
    expect(next?.seq).toBe(4);
    await again.spool.complete([2, 3, 4]);
    await again.spool.close();
    expect(await readdir(dir.path)).toEqual([]);
    expect((await open()).replay).toEqual([]);
  });

  it('a torn or corrupt tail (a crash in the middle of a write) ends the segment; what came before replays', async () => {
    const { spool } = await open();
    const first = await spool.append([item('a1'), item('a2')]);
    const [third] = await spool.append([item('a3')]);
    const [segment] = (await readdir(dir.path)).sort();
    const file = join(dir.path, segment as string);
    const offsets = [0, first[0]?.bytes ?? 0, (first[0]?.bytes ?? 0) + (first[1]?.bytes ?? 0)];
    const end = (offsets[2] as number) + (third?.bytes ?? 0);
    // The last frame's final bytes never reached the disk: the zero fill shows through.
    const bytes = await readFile(file);
    bytes.fill(0, end - 5, end);
    await writeFile(file, bytes);
    expect((await open()).replay.map((e) => e.event.deliveryId)).toEqual(['a1', 'a2']);

    // One byte flipped inside the second frame's payload: its checksum no longer holds.
    const at = (offsets[1] as number) + 8 + 5;
    bytes[at] = (bytes[at] as number) ^ 0xff;
    await writeFile(file, bytes);
    expect((await open()).replay.map((e) => e.event.deliveryId)).toEqual(['a1']);
  });

  it('segments are zero-filled up front, so an fsync after a write never changes the file size', async () => {
    const { spool } = await open({ segmentBytes: 64 * 1024 });
    await spool.append([item('z1')]);
    const [segment] = (await readdir(dir.path)).sort();
    expect((await readFile(join(dir.path, segment as string))).length).toBe(64 * 1024);
  });

  it('a done file left without its segment (a crash between the two unlinks) never marks a new segment done', async () => {
    await writeFile(join(dir.path, 'seg-0000000001.done'), '1\n2\n');
    const { spool } = await open();
    await spool.append([item('n1'), item('n2')]);
    expect((await open()).replay.map((e) => e.event.deliveryId)).toEqual(['n1', 'n2']);
  });

  it('group commit: 200 concurrent appends share a handful of fsyncs', async () => {
    const { files, state } = faultyFiles();
    const { spool } = await open({ files });
    const all = await Promise.all(Array.from({ length: 200 }, (_, i) => spool.append([item(`g${i}`)])));
    expect(all.flat()).toHaveLength(200);
    expect(state.syncs).toBeLessThanOrEqual(3);
    expect((await open()).replay).toHaveLength(200);
  });

  it('disk full: the append is refused and the spool says why; it recovers in a new segment, no torn frame hides later entries', async () => {
    const { files, state } = faultyFiles();
    const { spool } = await open({ files });
    await spool.append([item('before')]);
    state.failWrite = true;
    await expect(spool.append([item('refused')])).rejects.toBeInstanceOf(SpoolWriteError);
    expect(spool.unhealthy).toBe('spool cannot write: ENOSPC: no space left on device, write');
    state.failWrite = false;
    state.failSync = true;
    await expect(spool.append([item('unsynced')])).rejects.toThrow('spool cannot write: ENOSPC');
    state.failSync = false;
    await spool.append([item('after')]);
    expect(spool.unhealthy).toBeUndefined();
    const replayed = (await open()).replay.map((e) => e.event.deliveryId);
    // Every acknowledged entry survives; a write whose fsync failed was never acknowledged (it may replay).
    expect(replayed).toEqual(expect.arrayContaining(['before', 'after']));
    expect(replayed).not.toContain('refused');
  });

  it('rotates segments and deletes each one once all its entries are done', async () => {
    const { spool } = await open({ segmentBytes: 300 });
    const entries = [];
    for (let i = 0; i < 6; i++) entries.push(...(await spool.append([item(`r${i}`)])));
    // Three segments hold entries (a fourth, empty, is being zero-filled for the next rotation).
    expect(spool.segmentCount).toBe(3);
    const logs = async () => (await readdir(dir.path)).filter((f) => f.endsWith('.log')).sort();
    const [first, second, third] = await logs();
    await spool.complete(entries.slice(0, 4).map((e) => e.seq));
    expect(spool.segmentCount).toBe(1);
    const left = await logs();
    expect(left).toContain(third);
    expect(left).not.toContain(first);
    expect(left).not.toContain(second);
    expect((await open()).replay.map((e) => e.event.deliveryId)).toEqual(['r4', 'r5']);
  });
});
