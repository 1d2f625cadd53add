import picomatch from 'picomatch';
import type {
  DeploymentStatusFact,
  Fact,
  IncidentFact,
  PipelineRunFact,
  PullRequestFact,
  WorkflowJobFact,
  WorkflowRunFact,
} from './facts';
import type { ReportSettings } from './settings';
import { HOUR_MS } from './stats';
import type { TeamResolver } from './teams';

/**
 * The second stage: facts become the things the figures count. Statuses become deployments, opened and
 * closed records become incidents, failures and incidents become restore episodes, and every item gets its
 * team. Everything that relates records to each other (incident → deployment, revert → deployment, failure
 * → next success) happens here, over all records, so splitting by team or repository afterwards never
 * breaks a link.
 */

/** A production deployment with its final outcome. */
export interface Deployment {
  owner: string;
  repo: string;
  team: string;
  environment: string;
  deploymentId: string;
  sha: string;
  service: string | null;
  outcome: 'success' | 'failure';
  /** Time of the final success/failure status (epoch ms). */
  at: number;
  leadTimeMs: number | null;
  commitCount: number | null;
  /** Incidents attributed to this deployment (success only). */
  incidents: number;
  /** Reverts merged within the window after this deployment (success only). */
  reverts: number;
}

export interface Incident {
  owner: string;
  repo: string;
  team: string;
  openedAt: number;
  resolvedAt: number | null;
}

/** One stretch from failure to recovery: an incident, or failed deployment(s) until the next success. */
export interface RestoreEpisode {
  source: 'incident' | 'deployment';
  owner: string;
  repo: string;
  team: string;
  startedAt: number;
  /** Restore time in ms; null while unresolved at the window's end. */
  restoreMs: number | null;
}

export interface Teamed {
  team: string;
}

export interface Derived {
  deployments: Deployment[];
  incidents: Incident[];
  restores: RestoreEpisode[];
  pullRequests: (PullRequestFact & Teamed)[];
  jobs: (WorkflowJobFact & Teamed & { path: string | null })[];
  runs: (WorkflowRunFact & Teamed)[];
  /** Finished runs of other systems' pipelines (pushed `pipeline-run` records). */
  pipelineRuns: (PipelineRunFact & Teamed)[];
}

const SUCCESS = new Set(['success']);
const FAILURE = new Set(['failure', 'error']);

export function derive(facts: readonly Fact[], settings: ReportSettings, teams: TeamResolver): Derived {
  const statuses: DeploymentStatusFact[] = [];
  const incidentFacts: IncidentFact[] = [];
  const pullRequests: (PullRequestFact & Teamed)[] = [];
  const jobFacts: WorkflowJobFact[] = [];
  const runs: (WorkflowRunFact & Teamed)[] = [];
  const pipelineRuns: (PipelineRunFact & Teamed)[] = [];
  for (const fact of facts) {
    switch (fact.kind) {
      case 'deployment':
        statuses.push(fact);
        break;
      case 'incident':
        incidentFacts.push(fact);
        break;
      case 'pull-request':
        pullRequests.push({ ...fact, team: teams.teamOf({ ...fact }) });
        break;
      case 'workflow-job':
        jobFacts.push(fact);
        break;
      case 'workflow-run':
        runs.push({ ...fact, team: teams.teamOf({ ...fact }) });
        break;
      case 'pipeline-run':
        // A run still queued or in progress has no outcome yet: CI health counts finished runs, as GitHub's.
        if (fact.conclusion !== 'queued' && fact.conclusion !== 'in_progress')
          pipelineRuns.push({ ...fact, team: teams.teamOf({ owner: fact.owner, repo: fact.repo }) });
        break;
    }
  }

  // Jobs inherit their run's workflow file (for path rules); runs are keyed by repository and run id.
  const runPaths = new Map<string, string | null>();
  for (const run of runs) runPaths.set(`${run.owner}/${run.repo}#${run.runId}`, run.path);
  const jobs = jobFacts.map((job) => {
    const path = runPaths.get(`${job.owner}/${job.repo}#${job.runId}`) ?? null;
    return { ...job, path, team: teams.teamOf({ ...job, path }) };
  });

  const deployments = productionDeployments(statuses, settings, teams);
  const incidents = mergeIncidents(incidentFacts, teams);
  attributeChangeFailures(
    deployments,
    incidents.linked,
    pullRequests,
    settings.changeFailureWindowHours * HOUR_MS,
  );

  const restores: RestoreEpisode[] = incidents.list.map((incident) => ({
    source: 'incident',
    owner: incident.owner,
    repo: incident.repo,
    team: incident.team,
    startedAt: incident.openedAt,
    restoreMs: incident.resolvedAt === null ? null : incident.resolvedAt - incident.openedAt,
  }));
  restores.push(...deploymentRestores(deployments));

  return { deployments, incidents: incidents.list, restores, pullRequests, jobs, runs, pipelineRuns };
}

/** Groups statuses by deployment, keeps production ones, and takes the latest success/failure as outcome. */
function productionDeployments(
  statuses: readonly DeploymentStatusFact[],
  settings: ReportSettings,
  teams: TeamResolver,
): Deployment[] {
  const isProductionName = picomatch(settings.productionEnvironments, { nocase: true, dot: true });
  const groups = new Map<string, DeploymentStatusFact[]>();
  for (const status of statuses) {
    const group = groups.get(status.deployment);
    if (group) group.push(status);
    else groups.set(status.deployment, [status]);
  }
  const deployments: Deployment[] = [];
  for (const group of groups.values()) {
    const production = group.some((s) => s.production === true || isProductionName(s.environment));
    if (!production) continue;
    let final: DeploymentStatusFact | undefined;
    for (const status of group) {
      if (!SUCCESS.has(status.state) && !FAILURE.has(status.state)) continue;
      if (!final || status.at >= final.at) final = status;
    }
    if (!final) continue;
    const outcome = SUCCESS.has(final.state) ? 'success' : 'failure';
    deployments.push({
      owner: final.owner,
      repo: final.repo,
      team: teams.teamOf({ ...final }),
      environment: final.environment,
      deploymentId: final.deploymentId,
      sha: final.sha,
      service: final.service,
      outcome,
      at: final.at,
      leadTimeMs: outcome === 'success' ? final.leadTimeMs : null,
      commitCount: final.commitCount,
      incidents: 0,
      reverts: 0,
    });
  }
  return deployments.sort((a, b) => a.at - b.at);
}

interface LinkedIncident extends Incident {
  linkedSha: string | null;
  linkedDeploymentId: string | null;
}

/** Joins the opened and closed (resolved) records of each incident. */
function mergeIncidents(
  facts: readonly IncidentFact[],
  teams: TeamResolver,
): { list: Incident[]; linked: LinkedIncident[] } {
  const merged = new Map<string, IncidentFact>();
  for (const fact of facts) {
    const key = `${fact.owner}/${fact.repo}#${fact.incident}`;
    const seen = merged.get(key);
    if (!seen) {
      merged.set(key, { ...fact, labels: [...fact.labels] });
      continue;
    }
    seen.openedAt = Math.min(seen.openedAt, fact.openedAt);
    seen.resolvedAt = seen.resolvedAt ?? fact.resolvedAt;
    seen.labels = [...new Set([...seen.labels, ...fact.labels])];
    seen.service = seen.service ?? fact.service;
    seen.linkedSha = seen.linkedSha ?? fact.linkedSha;
    seen.linkedDeploymentId = seen.linkedDeploymentId ?? fact.linkedDeploymentId;
  }
  const linked: LinkedIncident[] = [];
  for (const fact of merged.values()) {
    linked.push({
      owner: fact.owner,
      repo: fact.repo,
      team: teams.teamOf({ ...fact }),
      openedAt: fact.openedAt,
      resolvedAt: fact.resolvedAt,
      linkedSha: fact.linkedSha,
      linkedDeploymentId: fact.linkedDeploymentId,
    });
  }
  linked.sort((a, b) => a.openedAt - b.openedAt);
  return { list: linked.map(({ linkedSha: _s, linkedDeploymentId: _d, ...incident }) => incident), linked };
}

/**
 * A successful deployment is a change failure when an incident names it (deployment id, or a sha it
 * shipped), or, without such a link, when an incident opens or a revert merges in the same repository
 * within `windowMs` after it and it is the latest successful deployment there.
 */
function attributeChangeFailures(
  deployments: Deployment[],
  incidents: readonly LinkedIncident[],
  pullRequests: readonly PullRequestFact[],
  windowMs: number,
): void {
  const successesByRepo = new Map<string, Deployment[]>();
  for (const deployment of deployments) {
    if (deployment.outcome !== 'success') continue;
    const key = `${deployment.owner}/${deployment.repo}`;
    const list = successesByRepo.get(key);
    if (list) list.push(deployment);
    else successesByRepo.set(key, [deployment]);
  }
  const latestBefore = (owner: string, repo: string, at: number): Deployment | undefined => {
    const list = successesByRepo.get(`${owner}/${repo}`) ?? [];
    let found: Deployment | undefined;
    for (const deployment of list) {
      if (deployment.at > at) break;
      found = deployment;
    }
    return found && at - found.at <= windowMs ? found : undefined;
  };

  for (const incident of incidents) {
    const candidates = successesByRepo.get(`${incident.owner}/${incident.repo}`) ?? [];
    let target: Deployment | undefined;
    if (incident.linkedDeploymentId) {
      target = candidates.find((d) => d.deploymentId === incident.linkedDeploymentId);
    }
    if (!target && incident.linkedSha && incident.linkedSha.length >= 7) {
      const sha = incident.linkedSha.toLowerCase();
      target = candidates
        .filter((d) => d.at <= incident.openedAt && d.sha.toLowerCase().startsWith(sha))
        .pop();
    }
    target ??= latestBefore(incident.owner, incident.repo, incident.openedAt);
    if (target) target.incidents += 1;
  }
  for (const pr of pullRequests) {
    if (!pr.revert || !pr.intoDefault) continue;
    const target = latestBefore(pr.owner, pr.repo, pr.at);
    if (target) target.reverts += 1;
  }
}

/** Failed deployment(s) → the next success to the same repository and environment: one episode. */
function deploymentRestores(deployments: readonly Deployment[]): RestoreEpisode[] {
  const open = new Map<string, Deployment>();
  const episodes: RestoreEpisode[] = [];
  for (const deployment of deployments) {
    const key = `${deployment.owner}/${deployment.repo}@${deployment.environment}`;
    const failure = open.get(key);
    if (deployment.outcome === 'failure') {
      if (!failure) open.set(key, deployment);
      continue;
    }
    if (failure) {
      episodes.push(episode(failure, deployment.at - failure.at));
      open.delete(key);
    }
  }
  for (const failure of open.values()) episodes.push(episode(failure, null));
  return episodes;
}

function episode(failure: Deployment, restoreMs: number | null): RestoreEpisode {
  return {
    source: 'deployment',
    owner: failure.owner,
    repo: failure.repo,
    team: failure.team,
    startedAt: failure.at,
    restoreMs,
  };
}
