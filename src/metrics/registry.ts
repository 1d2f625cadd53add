import { checkSuite } from './check-suite';
import { deployment } from './deployment';
import { deploymentStatus } from './deployment-status';
import { incident } from './incident';
import { releaseVersions } from './release-versions';
import { testCoverage } from './test-coverage';
import { toolingUsage } from './tooling-usage';
import type { Metric } from './types';
import { workflowJob } from './workflow-job';
import { workflowRun } from './workflow-run';

/** Every metric the collector knows. Adding a metric = adding its folder and one line here. */
// biome-ignore lint/suspicious/noExplicitAny: the registry holds metrics of different output types
export const metrics: readonly Metric<any>[] = [
  workflowJob,
  checkSuite,
  releaseVersions,
  workflowRun,
  testCoverage,
  incident,
  deployment,
  deploymentStatus,
  toolingUsage,
];

/** The set of triggers at least one metric listens to: everything else is acknowledged and dropped. */
export function collectedTriggers(list: readonly Metric<unknown>[] = metrics): Set<string> {
  return new Set(list.flatMap((m) => m.triggers));
}
