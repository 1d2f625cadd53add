/**
 * GitHub App permissions as GitHub names them (`default_permissions` of an App manifest, `permissions` of an
 * installation): `pull_requests: read`, `contents: write`. Each metric and job declares what it needs
 * (`Metric.permissions`, `Job.permissions`); the manifest and `config check` take the union.
 */
export type Access = 'read' | 'write';
export type AppPermissions = Readonly<Record<string, Access>>;

/** Every App gets `metadata: read` (GitHub makes it mandatory); listing repositories needs nothing more. */
export const BASE_PERMISSIONS: AppPermissions = { metadata: 'read' };

/**
 * The permission a GitHub App needs to receive each webhook event the collector listens to (GitHub's
 * "Webhook events and payloads": "Availability for GitHub Apps"). `installation` and
 * `installation_repositories` need none: every App receives them.
 */
export const EVENT_PERMISSIONS: Readonly<Record<string, string>> = {
  check_run: 'checks',
  check_suite: 'checks',
  create: 'contents',
  delete: 'contents',
  deployment: 'deployments',
  deployment_status: 'deployments',
  issues: 'issues',
  issue_comment: 'issues',
  pull_request: 'pull_requests',
  pull_request_review: 'pull_requests',
  push: 'contents',
  release: 'contents',
  workflow_job: 'actions',
  workflow_run: 'actions',
};

const RANK: Record<Access, number> = { read: 1, write: 2 };

/** The union of permission sets: each permission at the highest access any set asks for, names sorted. */
export function unionPermissions(sets: Iterable<AppPermissions>): Record<string, Access> {
  const out: Record<string, Access> = {};
  for (const set of sets) {
    for (const [name, access] of Object.entries(set)) {
      const current = out[name];
      if (!current || RANK[access] > RANK[current]) out[name] = access;
    }
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

/** What `granted` lacks of `needed`, one `name: access` per missing or too weak permission. */
export function missingPermissions(
  needed: AppPermissions,
  granted: Readonly<Record<string, string>>,
): string[] {
  return Object.entries(needed)
    .filter(([name, access]) => {
      const has = granted[name] as Access | undefined;
      return !has || (RANK[has] ?? 0) < RANK[access];
    })
    .map(([name, access]) => `${name}: ${access}`);
}

/** The GitHub webhook events triggers come from (`github::workflow_job.completed` → `workflow_job`), sorted. */
export function githubEventsOf(triggers: Iterable<string>): string[] {
  const events = [...triggers]
    .filter((t) => t.startsWith('github::'))
    .map((t) => t.slice('github::'.length).split('.')[0] as string);
  return [...new Set(events)].sort();
}
