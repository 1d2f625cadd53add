import { parquetReadObjects } from 'hyparquet';
import { recordFromRow } from '../data/rows';
import { zstdDecompressor } from '../data/zstd';
import type { MetricRecord } from '../pipeline/types';

/**
 * The records of one lake file (written by `writeParquet`), read in pure JS (hyparquet, with the writer's
 * zstd: Node's own on the Lambda runtime), so the compaction function runs without DuckDB's native module.
 */
export async function readParquetRecords(bytes: Uint8Array): Promise<MetricRecord[]> {
  const decompress = await zstdDecompressor();
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const rows = await parquetReadObjects({ file, compressors: { ZSTD: decompress } });
  return rows.map((row) => recordFromRow(row as Record<string, unknown>, 'parsed') as MetricRecord);
}
