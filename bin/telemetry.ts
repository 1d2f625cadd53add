import { createTelemetryApp } from '../lib/app';
import { loadConfig } from '../src/config/config';
import { findJob } from '../src/jobs/registry';
import { collectedTriggers } from '../src/metrics/registry';

// The CDK app (`npx cdk synth|deploy`): the one configuration (telemetry.config.json or TELEMETRY_CONFIG),
// the registered metrics' triggers and the registered jobs, into one TelemetryStack.
const { app } = createTelemetryApp({
  config: loadConfig(),
  collectedTriggers: [...collectedTriggers()],
  findJob,
});
app.synth();
