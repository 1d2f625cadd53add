import { z } from 'zod';
import { githubId, isoTime, parsePayload, repositorySchema } from '../../github/payloads';
import type { SignedEvent } from '../../pipeline/types';
import { durationMs, toUtcIso } from '../../time';
import type { MetricSettings } from '../settings';
import type { Metric } from '../types';
import type { IncidentOutput } from './output';

export type { IncidentOutput } from './output';

const label = z.union([z.string(), z.looseObject({ name: z.string() })]);
const labelName = (l: z.infer<typeof label>) => (typeof l === 'string' ? l : l.name);

export const incidentPayload = z.looseObject({
  action: z.enum(['opened', 'labeled', 'closed']),
  issue: z.looseObject({
    id: githubId,
    number: z.number().int(),
    title: z.string(),
    body: z.string().nullable().optional(),
    labels: z.array(label).default([]),
    created_at: isoTime,
    closed_at: isoTime.nullable().optional(),
    html_url: z.string().optional(),
    pull_request: z.unknown().optional(),
  }),
  label: z.looseObject({ name: z.string() }).optional(),
  repository: repositorySchema,
});

// `reopened` is not listed: its `opened` record would have the same natural key as the first one.
const TRIGGERS = ['opened', 'labeled', 'closed'].map((a) => `github::issues.${a}`);

function isIncidentLabel(name: string, settings: MetricSettings): boolean {
  return settings.incidentLabels.some((l) => l.toLowerCase() === name.toLowerCase());
}

/**
 * opened/closed: the issue carries an incident label. labeled: the label just added is an incident
 * label (adding any other label to an incident changes nothing we record). Pull requests never match.
 */
function isIncidentEvent(event: SignedEvent, settings: MetricSettings): boolean {
  const issue = event.payload.issue as { labels?: unknown; pull_request?: unknown } | undefined;
  if (!issue || issue.pull_request) return false;
  if (event.action === 'labeled') {
    const added = (event.payload.label as { name?: unknown } | undefined)?.name;
    return typeof added === 'string' && isIncidentLabel(added, settings);
  }
  const labels = Array.isArray(issue.labels) ? issue.labels : [];
  return labels.some((l) => {
    const name = typeof l === 'string' ? l : (l as { name?: unknown } | null)?.name;
    return typeof name === 'string' && isIncidentLabel(name, settings);
  });
}

/** `severity:high`, `severity/high`, `severity-high` → "high"; `sev1`, `SEV-2`, `sev 3` → "sev1" / "sev2" / "sev3". */
export function severityOf(labels: readonly string[]): string | null {
  for (const name of labels) {
    const named = /^severity\s*[:/=-]\s*(.+)$/i.exec(name.trim());
    if (named?.[1]) return named[1].trim().toLowerCase();
    const numbered = /^sev\s*[-_ ]?\s*(\d)$/i.exec(name.trim());
    if (numbered?.[1]) return `sev${numbered[1]}`;
  }
  return null;
}

/**
 * Best effort, from the title then the body: a commit URL (`…/commit/<sha>`), else `sha <hex>` / `commit
 * <hex>`, else a bare 7-40 hex word holding both a digit and a letter (so "1234567" or "deadbeef"-like words
 * are not taken for a sha unless labelled). Deployments: a deployments URL (`…/deployments/<id>`) or
 * "deployment <id>" / "deployment #<id>" / "deployment id: <id>".
 */
export function linkedReferences(text: string): { sha: string | null; deploymentId: string | null } {
  const sha =
    /\/commits?\/([0-9a-f]{7,40})\b/i.exec(text)?.[1] ??
    /\b(?:sha|commit)\s*[:#]?\s*([0-9a-f]{7,40})\b/i.exec(text)?.[1] ??
    text.match(/\b[0-9a-f]{7,40}\b/gi)?.find((w) => /\d/.test(w) && /[a-f]/i.test(w)) ??
    null;
  const deploymentId =
    /\/deployments\/(\d+)\b/i.exec(text)?.[1] ??
    /\bdeployment\s*(?:id)?\s*[:#]?\s*(\d{1,20})\b/i.exec(text)?.[1] ??
    null;
  return { sha: sha ? sha.toLowerCase() : null, deploymentId };
}

export const incident: Metric<IncidentOutput> = {
  name: 'incident',
  description: 'Issues labelled as incidents: one record when opened (or labelled), one when closed.',
  triggers: TRIGGERS,
  permissions: { issues: 'read' },
  matches: (event, settings) => TRIGGERS.includes(event.trigger) && isIncidentEvent(event, settings),
  async collect(event) {
    const { action, issue, repository } = parsePayload(incidentPayload, event.payload, 'issues payload');
    const labels = issue.labels.map(labelName);
    const links = linkedReferences(`${issue.title}\n${issue.body ?? ''}`);
    const closedAt = issue.closed_at ?? (action === 'closed' ? event.receivedAt : null);
    const draft = (kind: 'opened' | 'closed') => ({
      naturalKey: `${issue.id}:${kind}`,
      owner: repository.owner.login,
      repo: repository.name,
      occurredAt: kind === 'closed' && closedAt ? closedAt : issue.created_at,
      output: {
        issue_id: issue.id,
        number: issue.number,
        title: issue.title,
        event: kind,
        labels,
        severity: severityOf(labels),
        opened_at: toUtcIso(issue.created_at),
        closed_at: kind === 'closed' && closedAt ? toUtcIso(closedAt) : null,
        time_to_restore_ms: kind === 'closed' ? durationMs(issue.created_at, closedAt) : null,
        linked_sha: links.sha,
        linked_deployment_id: links.deploymentId,
        url: issue.html_url ?? null,
      },
    });
    if (action === 'closed') return [draft('closed')];
    // Labelled as an incident after it was closed (a post-mortem label): both halves are known now.
    if (action === 'labeled' && issue.closed_at) return [draft('opened'), draft('closed')];
    return [draft('opened')];
  },
};
