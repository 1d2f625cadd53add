import { loadConfig } from '../../config/config';
import { parseSenderSecrets } from '../../push/secrets';
import { type SendersOverview, senderHealth } from '../../senders/health';
import type { SendersCommandOptions } from '../commands/senders';
import { existingDataDirectory } from '../data-directory';

/** `telemetry senders`: the health of the pushing systems, as a table or JSON. */
export async function sendersAction(options: SendersCommandOptions): Promise<void> {
  process.stdout.write(await runSenders(options));
}

export async function runSenders(options: SendersCommandOptions, now = Date.now()): Promise<string> {
  const config = loadConfig();
  const dataDir = existingDataDirectory(options.data ?? config.server.dataDir);
  let local: string[] = [];
  try {
    local = [...parseSenderSecrets(process.env.TELEMETRY_SENDER_SECRETS).keys()];
  } catch {
    // A malformed variable is `serve`'s to report; here it only adds names.
    local = [];
  }
  const overview = await senderHealth(dataDir, { now, known: [...config.senders.watch, ...local] });
  return options.format === 'json' ? `${JSON.stringify(overview, null, 2)}\n` : renderSenders(overview);
}

export function renderSenders(overview: SendersOverview): string {
  const rows = [
    [
      'sender',
      'last accepted',
      'last refused',
      'accepted 24h/7d',
      'refused 24h/7d',
      'retracted (unmatched)',
      'most frequent error',
    ],
  ];
  for (const s of overview.senders) {
    rows.push([
      s.sender,
      s.last_accepted_at ?? '–',
      s.last_refused ? `${s.last_refused.at} (${s.last_refused.status} ${s.last_refused.kind})` : '–',
      `${s.accepted.last_24h}/${s.accepted.last_7d}`,
      `${s.refused.last_24h}/${s.refused.last_7d}`,
      `${s.retracted.items} (${s.retracted.unmatched})`,
      s.top_errors[0] ? `${s.top_errors[0].error} (${s.top_errors[0].count})` : '–',
    ]);
  }
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const out = [line(rows[0] as string[]), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const r of rows.slice(1)) out.push(line(r));
  if (overview.senders.length === 0) out.push('(no sender has pushed yet)');
  out.push('');
  out.push(
    `unauthenticated requests (counted, never stored): ${overview.unauthenticated.last_24h} today, ${overview.unauthenticated.last_7d} in 7 days`,
  );
  const errors = overview.senders.filter((s) => s.top_errors.length > 1);
  for (const s of errors) {
    out.push('', `${s.sender}: most frequent errors (7 days)`);
    for (const e of s.top_errors) out.push(`  ${e.count}  ${e.error}`);
  }
  return `${out.join('\n')}\n`;
}
