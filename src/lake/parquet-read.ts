import * as zlib from 'node:zlib';
import { parquetReadObjects } from 'hyparquet';
import { recordFromRow } from '../data/rows';
import type { MetricRecord } from '../pipeline/types';

type Decompress = (input: Uint8Array, outputLength: number) => Uint8Array;
type NodeZstd = (input: Uint8Array) => Buffer;

let loading: Promise<Decompress> | undefined;

/**
 * zstd decompression: Node's own where the runtime has it (Node ≥ 22.15, so the Lambda runtime), else
 * fzstd (pure JS, 8 KB). Not the WASM module the writer may compress with: decompressing through the same
 * WASM instance corrupted the pages it compressed next (seen on Node 20 in one process).
 */
function zstdDecompressor(): Promise<Decompress> {
  loading ??= (async () => {
    const native = (zlib as unknown as { zstdDecompressSync?: NodeZstd }).zstdDecompressSync;
    if (native) return (input) => new Uint8Array(native(input));
    const { decompress } = await import('fzstd');
    return (input, outputLength) => decompress(input, new Uint8Array(outputLength));
  })();
  return loading;
}

const text = new TextDecoder();

/**
 * The records of one lake file (written by `writeParquet`), read in pure JS (hyparquet), so the compaction
 * job runs in a Lambda without DuckDB's native module. JSON columns are handed over as text and times as
 * `Date`, as `recordFromRow` (src/data/rows.ts) takes them from DuckDB.
 */
export async function readParquetRecords(bytes: Uint8Array): Promise<MetricRecord[]> {
  const decompress = await zstdDecompressor();
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const rows = await parquetReadObjects({
    file,
    compressors: { ZSTD: decompress },
    parsers: { jsonFromBytes: (value: Uint8Array) => text.decode(value) },
  });
  return rows.map((row) => recordFromRow(row as Record<string, unknown>) as MetricRecord);
}
