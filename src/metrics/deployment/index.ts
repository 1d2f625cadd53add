import { z } from 'zod';
import { githubId, isoTime, parsePayload, repositorySchema } from '../../github/payloads';
import type { RecordError } from '../../pipeline/types';
import { durationMs, toUtcIso } from '../../time';
import { enrich } from '../enrich';
import { CONTENTS_CALL, readJsonField } from '../repository-file';
import { type Metric, type MetricContext, shared } from '../types';
import type { DeploymentOutput } from './output';

export type { DeploymentOutput } from './output';

const actor = z.looseObject({ login: z.string(), type: z.string().optional() }).nullable().optional();

/** The deployment object of `deployment` and `deployment_status` payloads. */
export const deploymentSchema = z.looseObject({
  id: githubId,
  sha: z.string(),
  ref: z.string(),
  task: z.string().default('deploy'),
  environment: z.string(),
  production_environment: z.boolean().optional(),
  creator: actor,
  created_at: isoTime,
});
export type DeploymentPayload = z.infer<typeof deploymentSchema>;

export const deploymentPayload = z.looseObject({
  action: z.literal('created'),
  deployment: deploymentSchema,
  repository: repositorySchema,
});

/** A login is a bot when GitHub says so (`type: "Bot"`) or by GitHub's `[bot]` suffix. */
export function isBot(user: { login: string; type?: string | undefined } | null | undefined): boolean {
  return !!user && (user.type === 'Bot' || user.login.endsWith('[bot]'));
}

export const LIST_DEPLOYMENTS = 'GET /repos/{owner}/{repo}/deployments';

/**
 * The deployment to the same environment created just before `deployment`. Deployments are listed newest
 * first, so the answer is almost always on the first page (one request); pages are read on only while every
 * deployment seen is newer than this one (a backfill of old deployments).
 */
export async function previousDeployment(
  ctx: MetricContext,
  owner: string,
  repo: string,
  deployment: DeploymentPayload,
): Promise<{ value: { id: string; created_at: string } | null; error?: RecordError }> {
  const result = await enrich(ctx, LIST_DEPLOYMENTS, (github) =>
    shared(ctx, `deployments:${owner}/${repo}:${deployment.environment}:${deployment.id}`, async () => {
      const pages = github.paginate.iterator(LIST_DEPLOYMENTS, {
        owner,
        repo,
        environment: deployment.environment,
        per_page: 10,
      });
      const created = Date.parse(deployment.created_at);
      const id = BigInt(deployment.id);
      for await (const page of pages) {
        for (const other of page.data) {
          if (String(other.id) === deployment.id) continue;
          const at = Date.parse(other.created_at);
          if (at < created || (at === created && BigInt(other.id) < id)) {
            return { id: String(other.id), created_at: toUtcIso(other.created_at) };
          }
        }
      }
      return null;
    }),
  );
  return result.ok ? { value: result.value } : { value: null, error: result.error };
}

/**
 * The version the deployed commit declares (`metrics.versionFile`, default package.json `version`): which
 * version went out. One request. A file or field that is not there is null, not an error, once the
 * repository is known to be readable (the deployments listing answered); any other failure is named.
 */
export async function deployedVersion(
  ctx: MetricContext,
  owner: string,
  repo: string,
  sha: string,
  repositoryReadable: boolean,
): Promise<{ value: string | null; error?: RecordError }> {
  const { path, field } = ctx.settings.versionFile;
  const result = await enrich(ctx, CONTENTS_CALL, (github) =>
    shared(ctx, `version:${owner}/${repo}@${sha}:${path}#${field}`, () =>
      readJsonField(github, { owner, repo, path, ref: sha }, field),
    ),
  );
  if (!result.ok) return { value: null, error: result.error };
  if (!result.value.present && !repositoryReadable) {
    return {
      value: null,
      error: { call: CONTENTS_CALL, status: 404, message: `${path} at ${sha}: the token cannot read it` },
    };
  }
  return { value: result.value.present ? result.value.value : null };
}

export const deployment: Metric<DeploymentOutput> = {
  name: 'deployment',
  description:
    'One record per created deployment: environment, ref, sha, version, creator, time since the previous one.',
  triggers: ['github::deployment.created'],
  permissions: { deployments: 'read' },
  async collect(event, ctx) {
    const { deployment: d, repository } = parsePayload(
      deploymentPayload,
      event.payload,
      'deployment payload',
    );
    const owner = repository.owner.login;
    const repo = repository.name;
    const previous = await previousDeployment(ctx, owner, repo, d);
    const version = await deployedVersion(ctx, owner, repo, d.sha, !previous.error);
    const errors = [previous.error, version.error].filter((e): e is RecordError => e !== undefined);
    const output: DeploymentOutput = {
      deployment_id: d.id,
      environment: d.environment,
      production: d.production_environment ?? null,
      ref: d.ref,
      sha: d.sha,
      task: d.task,
      creator: d.creator?.login ?? null,
      creator_is_bot: isBot(d.creator),
      created_at: toUtcIso(d.created_at),
      since_previous_ms: previous.value ? durationMs(previous.value.created_at, d.created_at) : null,
      previous_deployment_id: previous.value?.id ?? null,
      version: version.value,
      version_file: `${ctx.settings.versionFile.path}#${ctx.settings.versionFile.field}`,
    };
    return [
      {
        naturalKey: d.id,
        owner,
        repo,
        occurredAt: d.created_at,
        output,
        ...(errors.length > 0 ? { errors } : {}),
      },
    ];
  },
};
