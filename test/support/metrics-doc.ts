import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MetricRecord } from '../../src/pipeline/types';

const METRICS_MD = join(__dirname, '..', '..', 'METRICS.md');

/**
 * Keeps the example records in METRICS.md honest: each metric's test hands the record it produced from a
 * real payload, and the block between `<!-- example:NAME -->` and `<!-- /example:NAME -->` must hold exactly
 * that record (`name` tells apart two examples of one metric, e.g. tooling-usage from a push). Run `UPDATE_DOCS=1 npx jest` to rewrite the blocks after a deliberate change.
 */
export function expectDocumentedExample(record: MetricRecord<unknown>, name: string = record.metric): void {
  const open = `<!-- example:${name} -->`;
  const close = `<!-- /example:${name} -->`;
  const block = `${open}\n\`\`\`json\n${JSON.stringify(record, null, 2)}\n\`\`\`\n${close}`;
  const text = readFileSync(METRICS_MD, 'utf8');
  const start = text.indexOf(open);
  const end = text.indexOf(close);
  if (start < 0 || end < start) throw new Error(`METRICS.md has no ${open} … ${close} block for ${name}`);
  const current = text.slice(start, end + close.length);
  if (current === block) return;
  if (process.env.UPDATE_DOCS === '1') {
    writeFileSync(METRICS_MD, text.slice(0, start) + block + text.slice(end + close.length));
    return;
  }
  throw new Error(`the example record of ${name} in METRICS.md is stale: run UPDATE_DOCS=1 npx jest`);
}
