import { loadConfig } from '../../config/config';
import { type AppRole, appManifest, ManifestError } from '../../github/manifest';
import type { AppManifestOptions } from '../commands/app';
import { CliError } from '../errors';

/** `telemetry app manifest`: the GitHub App manifest (JSON) of the configured metrics and jobs. */
export function appManifestAction(options: AppManifestOptions): void {
  if (options.role !== 'source' && options.role !== 'data') {
    throw new CliError(`--role must be "source" or "data", got ${JSON.stringify(options.role)}`);
  }
  const config = loadConfig(options.file ? { file: options.file } : {});
  try {
    const manifest = appManifest(config, {
      role: options.role as AppRole,
      ...(options.webhookUrl ? { webhookUrl: options.webhookUrl } : {}),
      ...(options.url ? { url: options.url } : {}),
      ...(options.name ? { name: options.name } : {}),
      ...(options.redirectUrl ? { redirectUrl: options.redirectUrl } : {}),
    });
    process.stdout.write(`${JSON.stringify(manifest, null, 2)}\n`);
  } catch (error) {
    if (error instanceof ManifestError) throw new CliError(error.message);
    throw error;
  }
}
