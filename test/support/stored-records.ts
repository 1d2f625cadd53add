import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseDataPath } from '../../src/data/layout';
import { packLines } from '../../src/data/packs';
import { compareStanding } from '../../src/pipeline/record';
import type { MetricRecord } from '../../src/pipeline/types';
import { listFiles } from './temp';

/**
 * The records a data directory holds, as a reader sees them: every hot pack line, hot file of the first
 * layouts and tombstone, one record per id (the best, in the readers' order `compareStanding`), sorted by id. `prefix`
 * narrows to files below it (e.g. `hot/workflow-job/`). Partitions are not read (tests read them with
 * `telemetry query`).
 */
export async function storedRecords(root: string, prefix = ''): Promise<MetricRecord[]> {
  const best = new Map<string, MetricRecord>();
  for (const path of await listFiles(root)) {
    const file = path.split('\\').join('/');
    if (!file.startsWith(prefix)) continue;
    const kind = parseDataPath(file)?.kind;
    const isTombstone = file.startsWith('tombstones/') && file.endsWith('.json');
    if (kind !== 'pack' && kind !== 'hot' && !isTombstone) continue;
    const text = await readFile(join(root, file), 'utf8');
    const lines = kind === 'pack' ? packLines(text).map((l) => l.text) : [text];
    for (const line of lines) {
      const record = JSON.parse(line) as MetricRecord | null;
      if (record === null || typeof record !== 'object' || typeof record.id !== 'string') continue;
      const seen = best.get(record.id);
      if (!seen || compareStanding(record, seen) > 0) best.set(record.id, record);
    }
  }
  return [...best.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
}
