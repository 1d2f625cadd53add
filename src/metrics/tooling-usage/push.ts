import { parsePayload } from '../../github/payloads';
import { splitRepository, toolingUsageItem } from '../../push/kinds';
import { toUtcIso } from '../../time';
import { pushSender } from '../push-deployment';
import { RETRACT_TRIGGER, retracts, tombstones } from '../retraction';
import type { Metric } from '../types';
import { toolingNaturalKey } from './index';
import type { ToolingUsageOutput } from './output';

/**
 * The push side of `tooling-usage` (the repository-snapshot side is built from the GitHub API by a scheduled
 * job). Same metric name and output, `source: "push"`; natural key repository + source + sender + UTC day.
 */
/**
 * The natural key of a retracted tooling-usage push: the id the answer gave it, `owner/name@YYYY-MM-DD`.
 * Anything else names no record (nothing to retract).
 */
function toolingRetractionKeys(sender: string, id: string): string[] {
  const match = /^([^/@]+)\/([^/@]+)@(\d{4}-\d{2}-\d{2})$/.exec(id);
  if (!match) return [];
  const [, owner = '', repo = '', day = ''] = match;
  if (Number.isNaN(Date.parse(`${day}T00:00:00Z`))) return [];
  return [toolingNaturalKey({ owner, repo, source: 'push', sender, at: `${day}T00:00:00Z` })];
}

export const toolingUsagePush: Metric<ToolingUsageOutput> = {
  name: 'tooling-usage',
  description: 'Tooling a repository uses, pushed by another system (X-Telemetry-Event: tooling-usage).',
  triggers: ['push::tooling-usage', RETRACT_TRIGGER],
  matches: (event) => event.trigger !== RETRACT_TRIGGER || retracts(event, 'tooling-usage'),
  permissions: {},
  async collect(event) {
    if (event.trigger === RETRACT_TRIGGER)
      return tombstones(event, (id) => toolingRetractionKeys(event.sender ?? '', id));
    const sender = pushSender(event);
    const item = parsePayload(toolingUsageItem, event.payload, 'pushed tooling usage');
    const { owner, repo } = splitRepository(item.repository);
    const observedAt = toUtcIso(item.observed_at ?? event.receivedAt);
    const tools: Record<string, string> = {};
    for (const name of Object.keys(item.tools).sort()) tools[name] = item.tools[name] as string;
    return [
      {
        naturalKey: toolingNaturalKey({ owner, repo, source: 'push', sender, at: observedAt }),
        owner,
        repo,
        occurredAt: observedAt,
        output: {
          source: 'push',
          sender,
          sha: item.sha?.toLowerCase() ?? null,
          tools,
          files: [],
          config_files: [],
        },
      },
    ];
  },
};
