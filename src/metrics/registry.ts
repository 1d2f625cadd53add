import { checkSuite } from './check-suite';
import { codeReviewInvolvement } from './code-review-involvement';
import { commitsPerPr } from './commits-per-pr';
import { customMetric } from './custom-metric';
import { deployment } from './deployment';
import { deploymentStatus } from './deployment-status';
import { documentationUpdated } from './documentation-updated';
import { incident } from './incident';
import { pipelineRun } from './pipeline-run';
import { pullRequest } from './pull-request';
import { pushDeployment } from './push-deployment';
import { pushIncident } from './push-incident';
import { releaseVersions } from './release-versions';
import { testCoverage } from './test-coverage';
import { toolingUsage } from './tooling-usage';
import { toolingUsagePush } from './tooling-usage/push';
import type { Metric } from './types';
import { workflowJob } from './workflow-job';
import { workflowRun } from './workflow-run';

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
  pipelineRun,
  workflowRun,
  testCoverage,
  incident,
  deployment,
  deploymentStatus,
  toolingUsage,
  pullRequest,
  codeReviewInvolvement,
  commitsPerPr,
  documentationUpdated,
];

/** The set of triggers at least one metric listens to: everything else is acknowledged and dropped. */
export function collectedTriggers(list: readonly Metric<unknown>[] = metrics): Set<string> {
  return new Set(list.flatMap((m) => m.triggers));
}
