import { z } from 'zod';
import { forEachLimited } from '../../concurrency';
import type { GitHubClient } from '../../github/client';
import { parsePayload } from '../../github/payloads';
import type { RecordError } from '../../pipeline/types';
import { enrich } from '../enrich';
import { jsonFieldOf } from '../repository-file';
import { defaultMetricSettings, type MetricSettings } from '../settings';
import type { Metric, MetricContext } from '../types';
import type { ToolConfigFile, ToolingUsageOutput } from './output';
import { parseTooling, type ToolingKind, toolingKind } from './parse';

export type { ToolConfigFile, ToolingUsageOutput } from './output';
export { parseTooling, type ToolingKind, toolingKind } from './parse';

export const COMMIT_CALL = 'GET /repos/{owner}/{repo}/commits/{ref}';
export const CONTENTS_CALL = 'GET /repos/{owner}/{repo}/contents/{path}';

export interface ToolingSnapshot {
  output: ToolingUsageOutput;
  /** Calls that failed: a snapshot with errors is stored as a partial record. */
  errors: RecordError[];
}

/**
 * The natural key of a tooling-usage record: repository + source (+ sender for pushes) + UTC day, so there is
 * at most one record per repository, source and day (see output.ts). Shared with the push collector.
 */
export function toolingNaturalKey(parts: {
  owner: string;
  repo: string;
  source: ToolingUsageOutput['source'];
  sender?: string | null;
  at: string;
}): string {
  const day = new Date(parts.at).toISOString().slice(0, 10);
  const sender = parts.source === 'push' ? `:${parts.sender ?? ''}` : '';
  const repository = `${parts.owner}/${parts.repo}`.toLowerCase();
  return `${repository}:${parts.source}${sender}:${day}`;
}

type Listing = { type: string; path: string }[];
type FileBody = { type: string; encoding?: string; content?: string; size?: number };

const isMissing = (error: RecordError) => error.status === 404;

/**
 * Reads the configured tooling files of `owner/repo` at `ref` (default: the default branch) through the
 * contents API and returns what they say. One request resolves the ref to a commit (so every file is read at
 * the same commit), one lists each directory involved (the root for root files), one reads each file found:
 * about 5 requests for a typical repository. Absent files are simply absent (404 after the repository was
 * read); anything else that fails is named in `errors`.
 */
export async function snapshotTooling(
  github: GitHubClient | undefined,
  owner: string,
  repo: string,
  ref?: string,
  options: { paths?: readonly string[]; configFiles?: MetricSettings['toolConfigFiles'] } = {},
): Promise<ToolingSnapshot> {
  const ctx: MetricContext = {
    ...(github ? { github } : {}),
    settings: defaultMetricSettings,
    now: () => new Date(),
  };
  const paths = options.paths ?? defaultMetricSettings.toolingPaths;
  const configFiles = options.configFiles ?? defaultMetricSettings.toolConfigFiles;
  const configs = new Map(configFiles.map((c) => [c.path.replace(/\/+$/, ''), c]));
  const output: ToolingUsageOutput = {
    source: 'repository-snapshot',
    sender: null,
    sha: null,
    tools: {},
    files: [],
    config_files: [],
  };
  const errors: RecordError[] = [];

  const commit = await enrich(ctx, COMMIT_CALL, async (gh) => {
    // Only the sha is needed: per_page=1 keeps the commit's (paginated) file list out of the answer.
    const { data } = await gh.request(COMMIT_CALL, { owner, repo, ref: ref ?? 'HEAD', per_page: 1 });
    return data.sha;
  });
  if (!commit.ok) return { output, errors: [commit.error] };
  const sha = commit.value;
  output.sha = sha;

  const read = (path: string) =>
    enrich(ctx, CONTENTS_CALL, async (gh) => {
      const { data } = await gh.request(CONTENTS_CALL, { owner, repo, path, ref: sha });
      return data as unknown;
    });

  // Which files exist: list every directory that holds a configured file, and every configured directory.
  const wantedFiles = new Set([...paths.filter((p) => !p.endsWith('/')), ...configs.keys()]);
  const directories = new Set<string>([
    ...[...wantedFiles].map((p) => p.split('/').slice(0, -1).join('/')),
    ...paths.filter((p) => p.endsWith('/')).map((p) => p.replace(/\/+$/, '')),
  ]);
  const wantedDirectories = new Set(paths.filter((p) => p.endsWith('/')).map((p) => p.replace(/\/+$/, '')));
  const found = new Map<string, ToolingKind | 'config'>();
  await forEachLimited([...directories], 4, async (directory) => {
    const listing = await read(directory);
    if (!listing.ok) {
      if (!isMissing(listing.error) || directory === '') errors.push(listing.error);
      return;
    }
    if (!Array.isArray(listing.value)) return;
    for (const entry of listing.value as Listing) {
      if (entry.type !== 'file') continue;
      if (configs.has(entry.path)) {
        found.set(entry.path, 'config');
        continue;
      }
      const kind = toolingKind(entry.path);
      if (kind && (wantedFiles.has(entry.path) || wantedDirectories.has(directory)))
        found.set(entry.path, kind);
    }
  });

  const versions = new Map<string, Set<string>>();
  const addVersion = (tool: string, version: string) => {
    const set = versions.get(tool) ?? new Set<string>();
    set.add(version);
    versions.set(tool, set);
  };
  const configRead = new Map<string, ToolConfigFile>();
  const files = [...found].sort(([a], [b]) => a.localeCompare(b));
  await forEachLimited(files, 4, async ([path, kind]) => {
    const config = configs.get(path);
    // A configuration file that is there but could not be read: present, nothing known about it.
    const unread = () => {
      if (config)
        configRead.set(path, { path, tool: config.tool, present: true, parsable: null, version: null });
    };
    const file = await read(path);
    if (!file.ok) {
      errors.push(file.error);
      unread();
      return;
    }
    const body = file.value as FileBody;
    if (body.encoding !== 'base64' || typeof body.content !== 'string') {
      errors.push({
        call: CONTENTS_CALL,
        message: `${path}: not read, the contents API does not inline files above 1 MB`,
      });
      unread();
      return;
    }
    const text = Buffer.from(body.content, 'base64').toString('utf8');
    if (kind === 'config' && config) {
      const field = jsonFieldOf(text, config.versionField);
      const version = field.present ? field.value : null;
      configRead.set(path, {
        path,
        tool: config.tool,
        present: true,
        parsable: field.present ? field.parsable : null,
        version,
      });
      // A configuration file that is there counts as the tool in use, with or without a version.
      addVersion(config.tool, version ?? '*');
      return;
    }
    if (kind === 'config') return;
    for (const [tool, version] of parseTooling(kind, text)) addVersion(tool, version);
  });
  // Every configured file, in configuration order: found and read, or absent at this commit.
  output.config_files = [...configs.entries()].map(
    ([path, c]) =>
      configRead.get(path) ?? {
        path,
        tool: c.tool,
        present: false,
        parsable: null,
        version: null,
      },
  );
  output.files = files.map(([path, kind]) => ({ path, kind }));
  // Several files may name the same tool (two workflows, two Dockerfiles): every distinct version, sorted.
  for (const tool of [...versions.keys()].sort()) {
    output.tools[tool] = [...(versions.get(tool) ?? [])].sort().join(', ');
  }
  return { output, errors };
}

const repositoryRef = z.union([
  z.string().regex(/^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/, 'owner/name'),
  z.looseObject({
    owner: z.union([z.string().min(1), z.looseObject({ login: z.string().min(1) })]),
    name: z.string().min(1),
  }),
]);

/** `schedule::tooling-usage` input: `{repository: "owner/name" | {owner, name}, ref?}`. */
export const toolingSchedulePayload = z.looseObject({
  repository: repositoryRef,
  ref: z.string().min(1).optional(),
});

export const toolingUsage: Metric<ToolingUsageOutput> = {
  name: 'tooling-usage',
  description:
    'A daily snapshot of the tooling a repository uses: manifests, runtimes, actions, base images.',
  triggers: ['schedule::tooling-usage'],
  permissions: { contents: 'read' },
  async collect(event, ctx) {
    const { repository, ref } = parsePayload(
      toolingSchedulePayload,
      event.payload,
      'tooling-usage schedule payload',
    );
    const [owner, repo] =
      typeof repository === 'string'
        ? (repository.split('/') as [string, string])
        : [typeof repository.owner === 'string' ? repository.owner : repository.owner.login, repository.name];
    const snapshot = await snapshotTooling(ctx.github, owner, repo, ref, {
      paths: ctx.settings.toolingPaths,
      configFiles: ctx.settings.toolConfigFiles,
    });
    return [
      {
        naturalKey: toolingNaturalKey({ owner, repo, source: 'repository-snapshot', at: event.receivedAt }),
        owner,
        repo,
        occurredAt: event.receivedAt,
        output: snapshot.output,
        ...(snapshot.errors.length > 0 ? { errors: snapshot.errors } : {}),
      },
    ];
  },
};
