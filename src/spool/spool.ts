import { writeSync } from 'node:fs';
import { appendFile, mkdir, open, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { SignedEvent } from '../pipeline/types';

/**
 * The durable spool of the local collector: every accepted delivery is appended to a segment file under
 * `<data>/_spool/` and fsync'd before the HTTP answer says 2xx; what is still in the spool at start-up is
 * replayed; an entry is marked done only after its records are stored or it is dead-lettered, and a segment
 * file is deleted once every entry in it is done. docs/ARCHITECTURE.md ("The spool") has the guarantees.
 *
 * - Segment `seg-<n>.log`: zero-filled to its size when created, then written front to back with frames `[u32 length][u32 crc32][JSON {s, k, e}]` (sequence number, fair
 *   share key, event). A torn or corrupt tail (a crash during a write) ends the segment on replay: those bytes
 *   were never fsync'd, so never acknowledged.
 * - Group commit: appends arriving while a write is in progress wait for the next one, so concurrent deliveries
 *   share one `write` + `fdatasync`.
 * - `seg-<n>.done`: sequence numbers of finished entries, one a line, appended without fsync. Losing it in a
 *   crash only makes replay process finished entries again, which is idempotent (deterministic record ids,
 *   the better record wins).
 * - After a failed write or fsync nothing more is appended to that segment (its tail may be torn); the next
 *   append opens a new one.
 */

export interface SpoolEntry {
  seq: number;
  /** Fair-share key: `github` or `push:<sender>`. */
  key: string;
  event: SignedEvent;
  /** Frame size on disk: what the entry counts against the memory bound. */
  bytes: number;
}

/** An entry serialised and numbered, not yet written. */
export interface PreparedEntry extends SpoolEntry {
  frame: Buffer;
}

/** The file system calls the spool makes: node:fs/promises, replaceable in tests to inject disk faults. */
export interface SpoolFiles {
  mkdir(path: string): Promise<void>;
  readdir(path: string): Promise<string[]>;
  readFile(path: string): Promise<Buffer | undefined>;
  appendFile(path: string, data: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** Creates a new segment file, zero-filled to `size` bytes and fsync'd, for writing from offset 0. */
  openSegment(path: string, size: number): Promise<SpoolHandle>;
}

export interface SpoolHandle {
  write(data: Buffer): Promise<void>;
  datasync(): Promise<void>;
  close(): Promise<void>;
}

export const nodeSpoolFiles: SpoolFiles = {
  async mkdir(path) {
    await mkdir(path, { recursive: true });
  },
  readdir: (path) => readdir(path),
  async readFile(path) {
    try {
      return await readFile(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  },
  appendFile: (path, data) => appendFile(path, data),
  async unlink(path) {
    try {
      await unlink(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  },
  async openSegment(path, size) {
    const handle = await open(path, 'wx+');
    // Zero-filled and fsync'd up front (as databases do with their logs): later writes overwrite allocated
    // blocks without changing the file's size, so each fdatasync flushes just those blocks and needs no
    // journal commit, which on a busy file system would also flush every other file's pending metadata.
    const zeros = Buffer.alloc(Math.min(size, 1024 * 1024));
    for (let at = 0; at < size; at += zeros.length) {
      await handle.write(zeros, 0, Math.min(zeros.length, size - at), at);
    }
    await handle.datasync();
    let position = 0;
    return {
      // Written synchronously: copying a batch (tens of KB) into the page cache takes microseconds, while a
      // trip through libuv's thread pool would queue behind the store's file operations and delay the fsync.
      async write(data) {
        let offset = 0;
        while (offset < data.length) {
          const written = writeSync(handle.fd, data, offset, data.length - offset, position);
          offset += written;
          position += written;
        }
      },
      datasync: () => handle.datasync(),
      close: () => handle.close(),
    };
  },
};

export interface SpoolOptions {
  /** Start a new segment file once the current one holds this many bytes. */
  segmentBytes?: number;
  files?: SpoolFiles;
}

interface Segment {
  number: number;
  /** Sequence numbers appended (acknowledged) and not yet done. */
  live: Set<number>;
  /** No more appends: deleted as soon as `live` is empty. */
  sealed: boolean;
}

interface PendingAppend {
  frames: Buffer[];
  entries: SpoolEntry[];
  resolve: (entries: SpoolEntry[]) => void;
  reject: (error: Error) => void;
}

const HEADER_BYTES = 8;
const SEGMENT = /^seg-(\d{10})\.log$/;
const DONE = /^seg-(\d{10})\.done$/;

export class Spool {
  private readonly files: SpoolFiles;
  private readonly segmentBytes: number;
  private readonly segments = new Map<number, Segment>();
  private readonly segmentOf = new Map<number, number>();
  private current: { segment: Segment; handle: SpoolHandle; size: number } | undefined;
  private nextSegment = 1;
  private nextSeq = 1;
  private queue: PendingAppend[] = [];
  private flushing: Promise<void> | undefined;
  private doneChain: Promise<void> = Promise.resolve();
  private failure: string | undefined;
  private closed = false;
  /** The segment after the current one, being zero-filled. */
  private spare: Promise<{ number: number; handle: SpoolHandle }> | undefined;

  private constructor(
    readonly dir: string,
    options: SpoolOptions,
  ) {
    this.files = options.files ?? nodeSpoolFiles;
    this.segmentBytes = options.segmentBytes ?? 8 * 1024 * 1024;
  }

  /** Opens (creating) the spool in `dir` and returns the entries a previous run acknowledged but did not finish. */
  static async open(
    dir: string,
    options: SpoolOptions = {},
  ): Promise<{ spool: Spool; replay: SpoolEntry[] }> {
    const spool = new Spool(dir, options);
    const replay = await spool.recover();
    return { spool, replay };
  }

  /** Why appends fail right now (the last write or fsync failed), or undefined when they work. */
  get unhealthy(): string | undefined {
    return this.failure;
  }

  /** Segment files on disk that still hold unfinished entries (for /healthz and the summary log). */
  get segmentCount(): number {
    return this.segments.size;
  }

  /**
   * Serialises the events into frames (numbering them) without writing anything: the caller learns their
   * exact size, checks its bounds, then hands them to `write`. Serialised once, written once.
   */
  prepare(items: readonly { key: string; event: SignedEvent }[]): PreparedEntry[] {
    return items.map(({ key, event }) => {
      const seq = this.nextSeq++;
      const frame = encodeFrame(seq, key, event);
      return { seq, key, event, bytes: frame.length, frame };
    });
  }

  /** `prepare` then `write`. */
  append(items: readonly { key: string; event: SignedEvent }[]): Promise<SpoolEntry[]> {
    return this.write(this.prepare(items));
  }

  /**
   * Appends prepared entries and resolves once they are on disk (written and fdatasync'd): only then may the
   * delivery be acknowledged. Rejects when the write or the fsync fails; nothing is acknowledged then.
   */
  write(prepared: readonly PreparedEntry[]): Promise<SpoolEntry[]> {
    if (this.closed) return Promise.reject(new Error('spool is closed'));
    const frames = prepared.map((p) => p.frame);
    const entries: SpoolEntry[] = prepared.map(({ seq, key, event, bytes }) => ({ seq, key, event, bytes }));
    return new Promise((resolve, reject) => {
      this.queue.push({ frames, entries, resolve, reject });
      // One flush loop at a time; it picks up whatever was queued meanwhile before it ends (synchronously
      // with clearing `flushing`, so no append is ever left behind).
      this.flushing ??= this.flush();
    });
  }

  /** Marks entries finished (stored or dead-lettered); deletes segments with nothing left to do. */
  complete(seqs: readonly number[]): Promise<void> {
    const lines = new Map<number, string[]>();
    const emptied: number[] = [];
    for (const seq of seqs) {
      const number = this.segmentOf.get(seq);
      if (number === undefined) continue;
      this.segmentOf.delete(seq);
      const segment = this.segments.get(number);
      if (!segment) continue;
      segment.live.delete(seq);
      if (segment.sealed && segment.live.size === 0) emptied.push(number);
      else lines.set(number, [...(lines.get(number) ?? []), String(seq)]);
    }
    for (const number of emptied) this.segments.delete(number);
    const work = this.doneChain.then(async () => {
      for (const [number, seqList] of lines) {
        if (emptied.includes(number)) continue;
        await this.files
          .appendFile(this.path(number, 'done'), `${seqList.join('\n')}\n`)
          .catch(() => undefined);
      }
      for (const number of emptied) await this.removeSegment(number);
    });
    this.doneChain = work.catch(() => undefined);
    return work;
  }

  /**
   * Waits for pending appends and done-marks, then closes the segment file; a segment with nothing left to do
   * is deleted. Unfinished entries stay for the next start.
   */
  async close(): Promise<void> {
    this.closed = true;
    await this.flushing;
    await this.doneChain;
    await this.seal();
    await this.doneChain;
    const spare = await this.spare?.catch(() => undefined);
    this.spare = undefined;
    if (spare) {
      await spare.handle.close().catch(() => undefined);
      await this.removeSegment(spare.number).catch(() => undefined);
    }
  }

  private async flush(): Promise<void> {
    await Promise.resolve();
    for (;;) {
      if (this.queue.length === 0) {
        this.flushing = undefined;
        return;
      }
      const batch = this.queue;
      this.queue = [];
      const data = Buffer.concat(batch.flatMap((p) => p.frames));
      try {
        const current = await this.writable();
        await current.handle.write(data);
        await current.handle.datasync();
        current.size += data.length;
        for (const pending of batch) {
          for (const entry of pending.entries) {
            current.segment.live.add(entry.seq);
            this.segmentOf.set(entry.seq, current.segment.number);
          }
        }
        this.failure = undefined;
        if (current.size >= this.segmentBytes) await this.seal();
        for (const pending of batch) pending.resolve(pending.entries);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        this.failure = `spool cannot write: ${message}`;
        // The tail of this segment may be torn: never append after it.
        await this.seal().catch(() => undefined);
        for (const pending of batch) pending.reject(new SpoolWriteError(this.failure));
      }
    }
  }

  private async writable(): Promise<{ segment: Segment; handle: SpoolHandle; size: number }> {
    if (this.current) return this.current;
    const next = this.spare ?? this.createSegment();
    this.spare = undefined;
    const { number, handle } = await next;
    const segment: Segment = { number, live: new Set(), sealed: false };
    this.segments.set(number, segment);
    this.current = { segment, handle, size: 0 };
    // The next segment is zero-filled in the background, so a rotation does not hold acknowledgements up.
    if (!this.closed) {
      const spare = this.createSegment();
      spare.catch(() => undefined);
      this.spare = spare;
    }
    return this.current;
  }

  private createSegment(): Promise<{ number: number; handle: SpoolHandle }> {
    const number = this.nextSegment++;
    return this.files
      .openSegment(this.path(number, 'log'), this.segmentBytes)
      .then((handle) => ({ number, handle }));
  }

  private async seal(): Promise<void> {
    const current = this.current;
    if (!current) return;
    this.current = undefined;
    current.segment.sealed = true;
    await current.handle.close().catch(() => undefined);
    if (current.segment.live.size === 0) {
      this.segments.delete(current.segment.number);
      this.doneChain = this.doneChain
        .then(() => this.removeSegment(current.segment.number))
        .catch(() => undefined);
    }
  }

  /**
   * The `.done` file goes first: a crash between the two unlinks leaves a segment without done marks, whose
   * entries are replayed (idempotent), never a `.done` file that could mark a later segment's entries done.
   */
  private async removeSegment(number: number): Promise<void> {
    await this.files.unlink(this.path(number, 'done'));
    await this.files.unlink(this.path(number, 'log'));
  }

  private async recover(): Promise<SpoolEntry[]> {
    await this.files.mkdir(this.dir);
    const names = await this.files.readdir(this.dir);
    // Done marks without their segment (left by an older version or a failed unlink) must never apply to a
    // new segment that gets the same number.
    for (const name of names) {
      const orphan = DONE.exec(name)?.[1];
      if (orphan !== undefined && !names.includes(`seg-${orphan}.log`))
        await this.files.unlink(join(this.dir, name));
    }
    const numbers = names
      .map((name) => SEGMENT.exec(name)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    const replay: SpoolEntry[] = [];
    for (const number of numbers) {
      this.nextSegment = Math.max(this.nextSegment, number + 1);
      const data = (await this.files.readFile(this.path(number, 'log'))) ?? Buffer.alloc(0);
      const doneText = (await this.files.readFile(this.path(number, 'done')))?.toString('utf8') ?? '';
      const done = new Set(
        doneText
          .split('\n')
          .filter((l) => /^\d+$/.test(l))
          .map(Number),
      );
      const segment: Segment = { number, live: new Set(), sealed: true };
      for (const entry of decodeFrames(data)) {
        this.nextSeq = Math.max(this.nextSeq, entry.seq + 1);
        if (done.has(entry.seq) || this.segmentOf.has(entry.seq)) continue;
        segment.live.add(entry.seq);
        this.segmentOf.set(entry.seq, number);
        replay.push(entry);
      }
      if (segment.live.size === 0) await this.removeSegment(number);
      else this.segments.set(number, segment);
    }
    return replay;
  }

  private path(number: number, kind: 'log' | 'done'): string {
    return join(this.dir, `seg-${String(number).padStart(10, '0')}.${kind}`);
  }
}

/** Thrown by `append` when the spool cannot write: the caller answers 503 with Retry-After. */
export class SpoolWriteError extends Error {
  override readonly name = 'SpoolWriteError';
  readonly retryAfterSeconds = 30;
}

function encodeFrame(seq: number, key: string, event: SignedEvent): Buffer {
  const payload = Buffer.from(JSON.stringify({ s: seq, k: key, e: event }), 'utf8');
  const frame = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  frame.writeUInt32BE(payload.length, 0);
  frame.writeUInt32BE(crc32(payload), 4);
  payload.copy(frame, HEADER_BYTES);
  return frame;
}

/** Every intact frame of a segment, in order; stops at the first torn or corrupt one or at the zero fill. */
export function decodeFrames(data: Buffer): SpoolEntry[] {
  const entries: SpoolEntry[] = [];
  let offset = 0;
  while (offset + HEADER_BYTES <= data.length) {
    const length = data.readUInt32BE(offset);
    // The zero-filled rest of a preallocated segment.
    if (length === 0) break;
    const checksum = data.readUInt32BE(offset + 4);
    const end = offset + HEADER_BYTES + length;
    if (end > data.length) break;
    const payload = data.subarray(offset + HEADER_BYTES, end);
    if (crc32(payload) !== checksum) break;
    let parsed: { s: number; k: string; e: SignedEvent };
    try {
      parsed = JSON.parse(payload.toString('utf8'));
    } catch {
      break;
    }
    entries.push({ seq: parsed.s, key: parsed.k, event: parsed.e, bytes: end - offset });
    offset = end;
  }
  return entries;
}
