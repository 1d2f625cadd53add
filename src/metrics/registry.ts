import { checkSuite } from './check-suite';
import { customMetric } from './custom-metric';
import { pushDeployment } from './push-deployment';
import { pushIncident } from './push-incident';
import { releaseVersions } from './release-versions';
import { toolingUsagePush } from './tooling-usage/push';
import type { Metric } from './types';
import { workflowJob } from './workflow-job';

/** Every metric the collector knows. Adding a metric = adding its folder and one line here. */
// biome-ignore lint/suspicious/noExplicitAny: the registry holds metrics of different output types
export const metrics: readonly Metric<any>[] = [
  workflowJob,
  checkSuite,
  releaseVersions,
  pushDeployment,
  pushIncident,
  toolingUsagePush,
  customMetric,
];

/** The set of triggers at least one metric listens to: everything else is acknowledged and dropped. */
export function collectedTriggers(list: readonly Metric<unknown>[] = metrics): Set<string> {
  return new Set(list.flatMap((m) => m.triggers));
}
