import picomatch from 'picomatch';
import { z } from 'zod';
import { parsePayload, repositorySchema } from '../github/payloads';
import { isIgnoredRepository, type MetricSettings } from '../metrics/settings';
import { checkBudget, type ListingContext, listPages, type Rest } from './listing';

export const repositorySelection = {
  /** Organisation (or user) whose repositories are read; optional when `repos` names them all. */
  org: z
    .string()
    .regex(/^[A-Za-z0-9-]{1,39}$/, 'a GitHub organisation name')
    .optional(),
  /** `owner/name`, or `name` inside `org`. */
  repos: z
    .array(z.string().regex(/^([A-Za-z0-9-]{1,39}\/)?[A-Za-z0-9._-]{1,100}$/, 'owner/name or name'))
    .default([]),
  /** Glob patterns on the repository name (picomatch), applied to the organisation's list. */
  include: z.array(z.string().min(1)).default([]),
  exclude: z.array(z.string().min(1)).default([]),
  includeArchived: z.boolean().default(false),
  includeForks: z.boolean().default(false),
};

export type RepositorySelection = {
  org?: string | undefined;
  repos: string[];
  include: string[];
  exclude: string[];
  includeArchived: boolean;
  includeForks: boolean;
};

/** The repository object webhook payloads carry (the REST repository, as GitHub sends it in `repository`). */
export type Repository = Rest & { name: string; full_name: string; owner: { login: string } };

/**
 * Resolves the repositories a job covers: the listed ones (one request each), or every repository of the
 * organisation (paged) filtered by include/exclude globs; archived repositories and forks only when asked.
 */
export async function selectRepositories(
  ctx: ListingContext,
  selection: RepositorySelection,
): Promise<Repository[]> {
  if (selection.repos.length > 0) {
    const out: Repository[] = [];
    for (const spec of selection.repos) {
      const [owner, name] = spec.includes('/') ? spec.split('/', 2) : [selection.org, spec];
      if (!owner || !name)
        throw new Error(`repository ${spec} needs an owner: write owner/name or pass --org`);
      checkBudget(ctx);
      const answer = await ctx.github.request('GET /repos/{owner}/{repo}', { owner, repo: name });
      out.push(asRepository(answer.data));
    }
    return out;
  }
  if (!selection.org) throw new Error('name an organisation (org) or at least one repository (repos)');
  const include = selection.include.length > 0 ? picomatch(selection.include, { nocase: true }) : () => true;
  const exclude = selection.exclude.length > 0 ? picomatch(selection.exclude, { nocase: true }) : () => false;
  const out: Repository[] = [];
  for await (const page of listPages(ctx, 'GET /orgs/{org}/repos', { org: selection.org, type: 'all' })) {
    if (page === 'not-modified') break;
    for (const item of page.items) {
      const repo = asRepository(item);
      if (repo.archived && !selection.includeArchived) continue;
      if (repo.fork && !selection.includeForks) continue;
      if (!include(repo.name) || exclude(repo.name)) continue;
      out.push(repo);
    }
  }
  return out.sort((a, b) => a.full_name.localeCompare(b.full_name));
}

function asRepository(value: unknown): Repository {
  parsePayload(repositorySchema, value, 'repository');
  return value as Repository;
}

/** The selection without the repositories the metrics ignore (the data repository first of all): no request is spent on them. */
export function withoutIgnored(
  repositories: readonly Repository[],
  settings: MetricSettings,
): { kept: Repository[]; ignored: string[] } {
  const kept: Repository[] = [];
  const ignored: string[] = [];
  for (const repo of repositories) {
    if (isIgnoredRepository(settings, repo.owner.login, repo.name)) ignored.push(repo.full_name);
    else kept.push(repo);
  }
  return { kept, ignored };
}
