import type { TelemetryConfig } from '../config/config';
import { errorMessage, type Logger } from '../log/logger';
import type { GitHubApp } from './auth';
import { createGitHubClient } from './client';
import type { RoleAuths } from './credentials';
import { appRequirements } from './manifest';
import { missingPermissions } from './permissions';

export interface AppCheckResult {
  /** What was verified, one line each (printed by `config check`). */
  passed: string[];
  /** What is missing, one line each, naming the owner, the permission or event and who needs it. */
  problems: string[];
}

/** Owners the source App must be installed on: `githubAuth.owners` and every owner a schedule reads. */
export function sourceOwners(config: TelemetryConfig): string[] {
  const owners = new Map<string, string>();
  const add = (owner: unknown) => {
    if (typeof owner === 'string' && owner && !owners.has(owner.toLowerCase()))
      owners.set(owner.toLowerCase(), owner);
  };
  for (const owner of config.githubAuth.owners) add(owner);
  for (const schedule of config.schedules) {
    const input = schedule.input as { org?: unknown; repos?: unknown; repo?: unknown };
    add(input.org);
    if (typeof input.repo === 'string') add(input.repo.split('/')[0]);
    if (Array.isArray(input.repos))
      for (const repo of input.repos) if (typeof repo === 'string') add(repo.split('/')[0]);
  }
  return [...owners.values()];
}

/**
 * Verifies every GitHub App the configuration uses, against GitHub: the App authenticates (`GET /app` with
 * its JWT), it is installed on every owner it must read (and on the data repository's owner when it
 * writes there), and each of those installations grants the permissions and events the enabled metrics
 * and scheduled jobs need (`appRequirements`). Every problem names what is missing and who needs it.
 */
export async function checkApps(
  config: TelemetryConfig,
  auths: RoleAuths,
  options: { logger?: Logger } = {},
): Promise<AppCheckResult> {
  const result: AppCheckResult = { passed: [], problems: [] };
  const source = auths.source && 'app' in auths.source ? auths.source.app : undefined;
  const data = auths.data && 'app' in auths.data ? auths.data.app : undefined;
  const asToken = { ...config, githubAuth: { ...config.githubAuth, data: 'token' as const } };
  const checks: { app: GitHubApp; label: string; owners: string[]; role: 'source' | 'data' }[] = [];
  if (source) {
    const owners = sourceOwners(config);
    if (owners.length === 0) {
      result.problems.push(
        'githubAuth.source is "app" but no owner is named: list the organisations in githubAuth.owners',
      );
    }
    checks.push({ app: source, label: 'source', owners, role: 'source' });
  }
  if (data && config.dataRepository) {
    checks.push({
      app: data,
      label: data === source ? 'source (data repository)' : 'data',
      owners: [config.dataRepository.owner],
      role: 'data',
    });
  }

  for (const check of checks) {
    const github = createGitHubClient({
      app: check.app,
      baseUrl: config.github.apiUrl,
      retries: 0,
      rateLimitRetries: 0,
      throttle: false,
      ...(options.logger ? { logger: options.logger } : {}),
    });
    const name = `GitHub App ${check.app.appId} (${check.label})`;
    try {
      const answer = await github.request('GET /app');
      result.passed.push(
        `${name}: authenticates as "${(answer.data as { slug?: string } | null)?.slug ?? check.app.appId}"`,
      );
    } catch (error) {
      const status = (error as { status?: number }).status;
      result.problems.push(
        `${name}: cannot authenticate (${status ?? 'no answer'}: ${errorMessage(error)}); check the App id and that the private key is the App's`,
      );
      continue;
    }
    const installations = await check.app.listInstallations(github.request, true);
    const needs = appRequirements(check.role === 'source' ? asToken : config, check.role);
    for (const owner of check.owners) {
      const installation = installations.get(owner.toLowerCase());
      if (!installation) {
        result.problems.push(
          `${name}: not installed on "${owner}": install it there (the App's page, "Install App")`,
        );
        continue;
      }
      const missing = missingPermissions(needs.permissions, installation.permissions);
      for (const permission of missing) {
        const permissionName = permission.split(':')[0] as string;
        result.problems.push(
          `${name}: the installation on "${owner}" lacks ${permission}, needed by ${(needs.neededBy[permissionName] ?? []).join(', ')}`,
        );
      }
      const events = needs.events.filter((e) => !installation.events.includes(e));
      if (events.length > 0) {
        result.problems.push(
          `${name}: the installation on "${owner}" does not receive the events ${events.join(', ')}: subscribe the App to them (the manifest lists them)`,
        );
      }
      if (missing.length === 0 && events.length === 0) {
        result.passed.push(`${name}: installed on "${owner}" with every permission and event needed`);
      }
    }
  }
  return result;
}
