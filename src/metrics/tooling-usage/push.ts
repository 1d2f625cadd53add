import { parsePayload } from '../../github/payloads';
import { splitRepository, toolingUsageItem } from '../../push/kinds';
import { toUtcIso } from '../../time';
import { pushSender } from '../push-deployment';
import type { Metric } from '../types';
import { toolingNaturalKey } from './index';
import type { ToolingUsageOutput } from './output';

/**
 * The push side of `tooling-usage` (the repository-snapshot side is built from the GitHub API by a scheduled
 * job). Same metric name and output, `source: "push"`; natural key repository + source + sender + UTC day.
 */
export const toolingUsagePush: Metric<ToolingUsageOutput> = {
  name: 'tooling-usage',
  description: 'Tooling a repository uses, pushed by another system (X-Telemetry-Event: tooling-usage).',
  triggers: ['push::tooling-usage'],
  permissions: {},
  async collect(event) {
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
