import { createTelemetryApp } from '../lib/app';
import { ConfigError, loadConfig } from '../src/config/config';
import { findJob } from '../src/jobs/registry';
import { collectedTriggers } from '../src/metrics/registry';

// The CDK app (`npx cdk synth|deploy`, `npm run synth`): the one configuration (telemetry.config.json or
// TELEMETRY_CONFIG), the registered metrics' triggers and the registered jobs, into one TelemetryStack.
try {
  const { app } = createTelemetryApp({
    config: loadConfig(),
    collectedTriggers: [...collectedTriggers()],
    findJob,
  });
  app.synth();
} catch (error) {
  // A configuration mistake is the operator's to fix: say what, without a stack trace.
  if (
    error instanceof ConfigError ||
    (error instanceof Error && error.message.startsWith('invalid schedules'))
  ) {
    process.stderr.write(`telemetry: ${error.message}\n`);
    process.exit(1);
  }
  throw error;
}
