import { type Duck, openDuck } from '../../src/data/duckdb';
import { createCiTables, settleCi } from '../../src/report/ci';
import { appendFacts, createFactTables, type FactOffer, settleFacts } from '../../src/report/fact-tables';
import type { DeploymentStatusFact, IncidentFact, PullRequestFact } from '../../src/report/facts';
import { type ReportFigures, reportFigures } from '../../src/report/figures';
import { defaultReportSettings } from '../../src/report/settings';
import { TeamResolver, teamsFileSchema } from '../../src/report/teams';

/*
 * The figures step alone (src/report/figures.ts), over fact tables filled as the reader fills them. What the
 * hand-built dataset of report.test.ts cannot show: records at the same millisecond are ordered by their
 * deployment key, so the figures never depend on the order the records were read in.
 */
const H = 3_600_000;
const T = Date.parse('2026-10-10T12:00:00Z');
const WINDOW = { start: Date.parse('2026-10-01T00:00:00Z'), end: Date.parse('2026-11-01T00:00:00Z') };
const SETTINGS = { ...defaultReportSettings, productionEnvironments: ['*-production'] };
const TEAMS = new TeamResolver(
  teamsFileSchema.parse({
    teams: [
      { name: 'blue', repos: ['acme/api'], environments: ['blue-*'], labels: ['area/blue'] },
      { name: 'green', repos: ['acme/api'], environments: ['green-*'] },
    ],
  }),
);

function status(deployment: string, state: string, environment: string, at: number): DeploymentStatusFact {
  return {
    kind: 'deployment',
    owner: 'acme',
    repo: 'api',
    at,
    deployment: `github:${deployment}`,
    deploymentId: deployment,
    state,
    environment,
    production: null,
    sha: `${deployment.padStart(7, '0')}${'0'.repeat(33)}`,
    service: null,
    leadTimeMs: state === 'success' ? H : null,
    commitCount: state === 'success' ? 1 : null,
  };
}

function incident(id: string, openedAt: number, labels: string[] = []): IncidentFact {
  return {
    kind: 'incident',
    owner: 'acme',
    repo: 'api',
    at: openedAt,
    incident: `issue:${id}`,
    openedAt,
    resolvedAt: openedAt + H,
    labels,
    service: null,
    linkedSha: null,
    linkedDeploymentId: null,
  };
}

function pullRequest(labels: string[]): PullRequestFact {
  return {
    kind: 'pull-request',
    owner: 'acme',
    repo: 'api',
    at: T,
    merged: true,
    revert: false,
    intoDefault: true,
    bot: false,
    labels,
    reviewed: true,
    size: 12,
    coding: H,
    pickup: H,
    review: H,
    merge: H,
    cycle: 4 * H,
  };
}

async function figuresOf(facts: FactOffer['fact'][]): Promise<ReportFigures> {
  const duck: Duck = await openDuck({ memoryLimit: '256MB' });
  try {
    await createFactTables(duck);
    await appendFacts(
      duck,
      facts.map((fact, i) => ({ id: `r${i}`, revision: null, complete: true, metric: 'test', fact })),
    );
    await settleFacts(duck);
    await createCiTables(duck);
    await settleCi(duck, TEAMS);
    return await reportFigures(duck, { settings: SETTINGS, window: WINDOW, teams: TEAMS });
  } finally {
    duck.close();
  }
}

describe('report figures in SQL', () => {
  // Two successful production deployments of one repository finish at the same millisecond (blue first by
  // key: github:1 < github:2); an incident without a link opens an hour later. Deployment 3 reports
  // success and failure at the same millisecond.
  const facts: FactOffer['fact'][] = [
    status('1', 'success', 'blue-production', T),
    status('2', 'success', 'green-production', T),
    status('3', 'success', 'blue-production', T + 2 * H),
    status('3', 'failure', 'blue-production', T + 2 * H),
    incident('9', T + H),
  ];

  it('gives the same figures whatever order the records were read in', async () => {
    const forward = await figuresOf(facts);
    const backward = await figuresOf([...facts].reverse());
    expect(backward).toEqual(forward);
  });

  it('attributes an incident to the deployment last in (time, key) order when two finish together', async () => {
    const figures = await figuresOf(facts);
    expect(figures.all.dora.change_failure_rate).toMatchObject({ deployments: 3, followed_by_incident: 1 });
    expect(figures.by_team.green?.dora.change_failure_rate.followed_by_incident).toBe(1);
    expect(figures.by_team.blue?.dora.change_failure_rate.followed_by_incident).toBe(0);
  });

  it('takes a failure over a success reported at the same millisecond as the outcome', async () => {
    const figures = await figuresOf(facts);
    expect(figures.all.dora.change_failure_rate.failed).toBe(1);
    expect(figures.all.dora.deployment_frequency.deployments).toBe(2);
    // The failure opens a restore episode nothing closes.
    expect(figures.all.dora.time_to_restore.from_deployments).toMatchObject({ count: 0 });
    expect(figures.all.dora.time_to_restore.unresolved).toBe(1);
  });

  it('matches team labels as a set: order and repeats do not matter', async () => {
    const figures = await figuresOf([
      pullRequest(['bug', 'area/blue']),
      pullRequest(['area/blue', 'bug', 'area/blue']),
      pullRequest(['bug']),
    ]);
    expect(figures.by_team.blue?.flow.merged).toBe(2);
    expect(figures.by_team['(no team)']?.flow.merged).toBe(1);
    expect(Object.keys(figures.by_team)).toEqual(['blue', 'green', '(no team)']);
  });
});
