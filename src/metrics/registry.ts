import { checkSuite } from './check-suite';
import { codeReviewInvolvement } from './code-review-involvement';
import { commitsPerPr } from './commits-per-pr';
import { documentationUpdated } from './documentation-updated';
import { pullRequest } from './pull-request';
import { releaseVersions } from './release-versions';
import type { Metric } from './types';
import { workflowJob } from './workflow-job';

/** Every metric the collector knows. Adding a metric = adding its folder and one line here. */
// biome-ignore lint/suspicious/noExplicitAny: the registry holds metrics of different output types
export const metrics: readonly Metric<any>[] = [
  workflowJob,
  checkSuite,
  releaseVersions,
  pullRequest,
  codeReviewInvolvement,
  commitsPerPr,
  documentationUpdated,
];

/** The set of triggers at least one metric listens to: everything else is acknowledged and dropped. */
export function collectedTriggers(list: readonly Metric<unknown>[] = metrics): Set<string> {
  return new Set(list.flatMap((m) => m.triggers));
}
