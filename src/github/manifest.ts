import type { TelemetryConfig } from '../config/config';
import { jobs as jobRegistry } from '../jobs/registry';
import type { Job } from '../jobs/types';
import { collectedTriggers, metrics as metricRegistry } from '../metrics/registry';
import type { Metric } from '../metrics/types';
import {
  type Access,
  type AppPermissions,
  BASE_PERMISSIONS,
  githubEventsOf,
  unionPermissions,
} from './permissions';

/** Which App a manifest or a check is for: the one reading sources (and maybe writing data), or a data-only App. */
export type AppRole = 'source' | 'data';

export interface Requirements {
  /** The union: every permission at the highest access anything asks for. */
  permissions: Record<string, Access>;
  /** Who asks for each permission, by name (e.g. `metric pull-request (read)`, `job backfill (schedule nightly) (read)`). */
  neededBy: Record<string, string[]>;
  /** Webhook events the App must subscribe to: exactly the events the metrics collect. */
  events: string[];
}

export interface Registries {
  // biome-ignore lint/suspicious/noExplicitAny: the registries hold definitions of different types
  metrics: readonly Metric<any>[];
  // biome-ignore lint/suspicious/noExplicitAny: see above
  jobs: readonly Job<any>[];
}

const DEFAULT_REGISTRIES: Registries = { metrics: metricRegistry, jobs: jobRegistry };

/**
 * What an App in `role` needs for this configuration: for the source App the union over every metric
 * (all are collected) and every scheduled job run (its own calls, for its input), plus `contents: write`
 * when the same App writes the data repository (`githubAuth.data: "app"`); for a data-only App
 * (`githubAuth.data: "data-app"`) `contents: write` and no events. `metadata: read` always.
 */
export function appRequirements(
  config: TelemetryConfig,
  role: AppRole,
  registries: Registries = DEFAULT_REGISTRIES,
): Requirements {
  const asks: { who: string; permissions: AppPermissions }[] = [
    { who: 'GitHub (every App)', permissions: BASE_PERMISSIONS },
  ];
  const data = { who: 'the data repository (store)', permissions: { contents: 'write' } as AppPermissions };
  if (role === 'data') {
    asks.push(data);
  } else {
    for (const metric of registries.metrics)
      asks.push({ who: `metric ${metric.name}`, permissions: metric.permissions });
    for (const schedule of config.schedules) {
      const job = registries.jobs.find((j) => j.name === schedule.job);
      if (!job?.permissions) continue;
      const input = job.input.safeParse(schedule.input);
      if (!input.success) continue; // `config check` reports the bad input itself
      asks.push({
        who: `job ${job.name} (schedule ${schedule.name})`,
        permissions: job.permissions(input.data),
      });
    }
    if (config.githubAuth.data === 'app') asks.push(data);
  }
  const permissions = unionPermissions(asks.map((a) => a.permissions));
  const neededBy: Record<string, string[]> = {};
  for (const { who, permissions: set } of asks) {
    for (const [name, access] of Object.entries(set)) {
      neededBy[name] = [...(neededBy[name] ?? []), `${who} (${access})`];
    }
  }
  const events = role === 'data' ? [] : githubEventsOf(collectedTriggers(registries.metrics));
  return { permissions, neededBy, events };
}

export interface ManifestOptions {
  role: AppRole;
  /** The collector's `POST /telemetry` URL (stack output WebhookUrl); required for the source App. */
  webhookUrl?: string;
  /** The App's homepage; default the data repository's page, else the webhook URL. */
  url?: string;
  /** The App's name on GitHub (unique across GitHub); default `telemetry-<instance>` (`-data` for a data App). */
  name?: string;
  /** Where GitHub sends the browser after creating the App, with the `code` to exchange for its key. */
  redirectUrl?: string;
}

/** A GitHub App manifest (GitHub's "Registering a GitHub App from a manifest"): POST it to GitHub's form. */
export interface AppManifest {
  name: string;
  url: string;
  description: string;
  public: false;
  hook_attributes?: { url: string; active: boolean };
  redirect_url?: string;
  default_permissions: Record<string, Access>;
  default_events: string[];
}

export class ManifestError extends Error {
  override readonly name = 'ManifestError';
}

export function appManifest(
  config: TelemetryConfig,
  options: ManifestOptions,
  registries: Registries = DEFAULT_REGISTRIES,
): AppManifest {
  const needs = appRequirements(config, options.role, registries);
  if (options.role === 'source' && !options.webhookUrl) {
    throw new ManifestError(
      "the App's webhook needs the collector's URL: pass --webhook-url (the stack output WebhookUrl, or http(s)://HOST/telemetry locally)",
    );
  }
  const repository = config.dataRepository
    ? `https://github.com/${config.dataRepository.owner}/${config.dataRepository.name}`
    : undefined;
  const url = options.url ?? repository ?? options.webhookUrl;
  if (!url) throw new ManifestError('the App needs a homepage: pass --url');
  return {
    name: options.name ?? `telemetry-${config.instance}${options.role === 'data' ? '-data' : ''}`,
    url,
    description:
      options.role === 'data'
        ? 'github-telemetry: commits metric records to the data repository.'
        : 'github-telemetry: collects engineering telemetry (CI, deployments, pull requests) from webhooks and the REST API.',
    public: false,
    ...(options.webhookUrl && options.role === 'source'
      ? { hook_attributes: { url: options.webhookUrl, active: true } }
      : {}),
    ...(options.redirectUrl ? { redirect_url: options.redirectUrl } : {}),
    default_permissions: needs.permissions,
    default_events: needs.events,
  };
}
