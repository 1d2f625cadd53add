import picomatch from 'picomatch';
import { toUtcIso } from '../../time';
import {
  closedPullRequestDraft,
  headSha,
  isMergedPullRequest,
  parseClosedPullRequest,
  readPullRequestData,
} from '../closed-pull-request';
import type { Metric } from '../types';

/**
 * `documentation-updated`: one record per merged pull request. Natural key: pull request id + closed_at.
 * occurred_at = closed_at (= merged_at). API-derived fields are null when the files could not be read.
 */
export interface DocumentationUpdatedOutput {
  pull_request_id: string;
  number: number;
  base_branch: string;
  /** The pull request's head commit when merged (join key to check-suite, workflow-job, workflow-run). */
  head_sha: string | null;
  merged_at: string;
  /** The globs matched against (settings `metrics.documentationGlobs`). */
  globs: string[];
  /** Whether any changed file matches a documentation glob; null when the files could not be read. */
  documentation_updated: boolean | null;
  /** Changed files, from the payload's count. */
  changed_files: number;
  /** Changed files GitHub listed (GitHub lists at most 3,000); null when unread. */
  files_listed: number | null;
  /** Changed files matching a documentation glob. */
  documentation_files: number | null;
  /** Lines added and deleted in documentation files. */
  documentation_additions: number | null;
  documentation_deletions: number | null;
  /** The matching paths (all of them), in GitHub's order. */
  documentation_paths: string[] | null;
}

/** A matcher for the configured globs; dot files count (`.github/README.md`). */
const matchers = new Map<string, (path: string) => boolean>();
function matcherFor(globs: readonly string[]): (path: string) => boolean {
  const key = JSON.stringify(globs);
  let matcher = matchers.get(key);
  if (!matcher) {
    matcher = picomatch([...globs], { dot: true });
    matchers.set(key, matcher);
  }
  return matcher;
}

export const documentationUpdated: Metric<DocumentationUpdatedOutput> = {
  name: 'documentation-updated',
  description:
    'One record per merged pull request: whether documentation changed (configurable globs), over all changed files.',
  triggers: ['github::pull_request.closed'],
  permissions: { pull_requests: 'read' },
  matches: isMergedPullRequest,
  async collect(event, ctx) {
    const payload = parseClosedPullRequest(event);
    const pr = payload.pull_request;
    const globs = ctx.settings.documentationGlobs;
    const data = await readPullRequestData(ctx, payload);
    const docs = data.ok ? data.value.files.filter((f) => matcherFor(globs)(f.path)) : null;
    return [
      closedPullRequestDraft(payload, data, {
        pull_request_id: pr.id,
        number: pr.number,
        base_branch: pr.base.ref,
        head_sha: headSha(payload),
        merged_at: toUtcIso(pr.merged_at ?? pr.closed_at),
        globs: [...globs],
        documentation_updated: docs ? docs.length > 0 : null,
        changed_files: pr.changed_files ?? (data.ok ? data.value.files.length : 0),
        files_listed: data.ok ? data.value.files.length : null,
        documentation_files: docs ? docs.length : null,
        documentation_additions: docs ? docs.reduce((n, f) => n + f.additions, 0) : null,
        documentation_deletions: docs ? docs.reduce((n, f) => n + f.deletions, 0) : null,
        documentation_paths: docs ? docs.map((f) => f.path) : null,
      }),
    ];
  },
};
