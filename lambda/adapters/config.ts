import { ConfigError, configSchema, type TelemetryConfig } from '../../src/config/config';
import { ENV, requireEnv } from './environment';

/**
 * The configuration the CDK app validated at synth time, handed to the worker and schedule functions as
 * JSON. It is validated again here (with the same schema), so a hand-edited variable fails with a clear error.
 */
export function configFromEnvironment(env: NodeJS.ProcessEnv = process.env): TelemetryConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(requireEnv(ENV.config, env));
  } catch (error) {
    throw new ConfigError(`${ENV.config} is not valid JSON: ${(error as Error).message}`);
  }
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError(`invalid configuration in ${ENV.config}: ${problems.join('; ')}`);
  }
  return result.data;
}
