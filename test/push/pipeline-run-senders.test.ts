import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { configSchema } from '../../src/config/config';
import { silentLogger } from '../../src/log/logger';
import type { MetricRecord } from '../../src/pipeline/types';
import { createPushHandler } from '../../src/push/handler';
import { parseSenderSecrets, staticSenderSecrets } from '../../src/push/secrets';
import { type LocalCollector, startLocalCollector } from '../../src/server/server';
import { storedRecords } from '../support/stored-records';
import { listFiles, tempDir } from '../support/temp';

const run = promisify(execFile);
const CLI = join(__dirname, '..', '..', 'bin', 'telemetry-cli.cjs');
const PUSH_MD = readFileSync(join(__dirname, '..', '..', 'docs', 'PUSH.md'), 'utf8');

/** The fenced block between `<!-- snippet:NAME -->` and `<!-- /snippet:NAME -->` in docs/PUSH.md. */
function snippet(name: string): string {
  const match = new RegExp(
    `<!-- snippet:${name} -->\\n\`\`\`\\w+\\n([\\s\\S]*?)\`\`\`\\n<!-- /snippet:${name} -->`,
  ).exec(PUSH_MD);
  if (!match?.[1]) throw new Error(`docs/PUSH.md has no snippet:${name} block`);
  return match[1];
}

/** The shell script inside a YAML block scalar that starts after the line matching `opener`. */
function yamlScript(text: string, opener: RegExp): string {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => opener.test(l));
  const own = /^ */.exec(lines[start] as string)?.[0].length ?? 0;
  const body: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.trim() && (/^ */.exec(line)?.[0].length ?? 0) <= own) break;
    body.push(line);
  }
  const indent = Math.min(...body.filter((l) => l.trim()).map((l) => /^ */.exec(l)?.[0].length ?? 0));
  return `${body.map((l) => l.slice(indent)).join('\n')}\n`;
}

const isoSeconds = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

describe('pipeline-run senders of docs/PUSH.md, run against the local collector', () => {
  jest.setTimeout(90_000);
  let dir: { path: string; remove: () => Promise<void> };
  let work: { path: string; remove: () => Promise<void> };
  let collector: LocalCollector;
  const secret = 'pipeline-secret-7d21e0';

  beforeAll(async () => {
    dir = await tempDir();
    work = await tempDir();
    collector = await startLocalCollector({
      config: configSchema.parse({ server: { port: 0, host: '127.0.0.1', dataDir: dir.path } }),
      webhookSecrets: ['unused'],
      logger: silentLogger,
      push: createPushHandler({
        senderSecrets: staticSenderSecrets(
          parseSenderSecrets(`jenkins=${secret},gitlab=${secret},circleci=${secret}`),
        ),
        logger: silentLogger,
      }),
    });
  });

  afterAll(async () => {
    await collector?.close();
    await dir?.remove();
    await work?.remove();
  });

  async function bash(script: string, env: Record<string, string>) {
    return run('bash', ['-euo', 'pipefail', '-c', script], {
      cwd: work.path,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        TELEMETRY_URL: collector.url,
        TELEMETRY_SENDER_SECRET: secret,
        ...env,
      },
    });
  }

  async function records(): Promise<MetricRecord[]> {
    await collector.queue.drain();
    return storedRecords(dir.path, 'hot/pipeline-run/');
  }

  async function report(): Promise<{
    ci: { by_source: { source: string; runs: number; p50_ms: number }[] };
  }> {
    const since = new Date(Date.now() - 2 * 86_400_000).toISOString().slice(0, 10);
    const until = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const { stdout } = await run(
      process.execPath,
      [CLI, 'report', '--data', dir.path, '--since', since, '--until', until, '--format', 'json'],
      { env: { ...process.env } },
    );
    return JSON.parse(stdout);
  }

  it('Jenkins: reportRun in its first stage and in post { always } make one run with its duration in CI health', async () => {
    // The Groovy function's ''' string as the shell gets it: a backslash before a newline continues the line.
    const groovy = /sh '''\n([\s\S]*?)'''/.exec(snippet('jenkins-pipeline-run'))?.[1] ?? '';
    const script = groovy.replace(/\\\n/g, '');
    expect(snippet('jenkins-pipeline-run')).toContain("reportRun('in_progress')");
    expect(snippet('jenkins-pipeline-run')).toContain('reportRun(currentBuild.currentResult)');
    // The build started 7 minutes ago, on a whole second (Jenkins gives milliseconds).
    const startedMs = Math.floor(Date.now() / 1000) * 1000 - 7 * 60_000;
    const env = {
      TELEMETRY_SENDER: 'jenkins',
      REPOSITORY: 'octo-org/billing',
      STARTED_MS: String(startedMs),
      BUILD_TAG: 'jenkins-billing-build-812',
      JOB_NAME: 'billing-build',
      GIT_COMMIT: 'c'.repeat(40),
      BUILD_URL: 'https://jenkins.example.com/job/billing-build/812/',
    };
    const started = await bash(script, { ...env, RUN_RESULT: 'in_progress' });
    expect(JSON.parse(started.stdout)).toEqual({
      outcome: 'queued',
      results: [{ index: 0, id: 'jenkins-billing-build-812' }],
    });
    const [running, ...none] = await records();
    expect(none).toEqual([]);
    expect(running?.output).toMatchObject({ status: 'in_progress', duration_ms: null, final: false });
    expect((await report()).ci.by_source).toEqual([]); // a run in progress has no outcome yet

    const ended = await bash(script, { ...env, RUN_RESULT: 'SUCCESS' });
    expect(JSON.parse(ended.stdout).results).toEqual([{ index: 0, id: 'jenkins-billing-build-812' }]);
    const [record, ...more] = await records();
    expect(more).toEqual([]);
    expect(record?.id).toBe(running?.id);
    // The end replaced the start at the record's one index entry (the start stays in its pack, outranked).
    const entries = (await listFiles(dir.path)).filter(
      (f) => f.startsWith('hot/pipeline-run/') && f.endsWith('.idx'),
    );
    expect(entries).toHaveLength(1);
    expect(record?.output).toMatchObject({
      sender: 'jenkins',
      pipeline: 'billing-build',
      status: 'success',
      sha: 'c'.repeat(40),
      started_at: new Date(startedMs).toISOString(),
    });
    const duration = Number(record?.output.duration_ms);
    expect(duration).toBeGreaterThanOrEqual(7 * 60_000);
    expect(duration).toBeLessThan(7 * 60_000 + 60_000);

    const sources = (await report()).ci.by_source;
    expect(sources).toEqual([
      { source: 'jenkins', runs: 1, p50_ms: duration, p90_ms: duration, failure_rate: 0 },
    ]);
  });

  it('GitLab CI: the .pre and .post jobs run as written and converge on one failed pipeline run', async () => {
    const script = yamlScript(snippet('gitlab-ci-pipeline-run'), /^\s+- \|$/);
    const createdAt = isoSeconds(Date.now() - 12 * 60_000);
    const env = {
      TELEMETRY_SENDER: 'gitlab',
      CI_PIPELINE_ID: '99120',
      CI_PROJECT_ROOT_NAMESPACE: 'octo-org',
      CI_PROJECT_NAME: 'payments',
      CI_COMMIT_REF_NAME: 'main',
      CI_COMMIT_SHA: 'b'.repeat(40),
      GITLAB_USER_LOGIN: 'mona',
      CI_PIPELINE_URL: 'https://gitlab.example.com/octo-org/payments/-/pipelines/99120',
      CI_PIPELINE_CREATED_AT: createdAt,
    };
    const text = snippet('gitlab-ci-pipeline-run');
    expect(text).toMatch(/telemetry-pipeline-started:[\s\S]*stage: \.pre[\s\S]*RUN_STATUS: in_progress/);
    expect(text).toMatch(/telemetry-pipeline-failed:[\s\S]*when: on_failure[\s\S]*RUN_STATUS: failure/);
    await bash(script, { ...env, RUN_STATUS: 'in_progress' });
    await bash(script, { ...env, RUN_STATUS: 'failure' });
    const gitlab = (await records()).filter((r) => r.output.sender === 'gitlab');
    expect(gitlab).toHaveLength(1);
    expect(gitlab[0]).toMatchObject({
      owner: 'octo-org',
      repo: 'payments',
      output: { id: '99120', pipeline: 'payments', status: 'failure', branch: 'main', actor: 'mona' },
    });
    expect(Number(gitlab[0]?.output.duration_ms)).toBeGreaterThanOrEqual(12 * 60_000);
  });

  it('CircleCI: the reusable command runs as written (parameters filled in) and reports start and end', async () => {
    const text = snippet('circleci-pipeline-run');
    const command = yamlScript(text, /^\s+command: \|$/);
    const env = {
      TELEMETRY_SENDER: 'circleci',
      CIRCLE_WORKFLOW_JOB_ID: '5d9e8c1a-2f1b-4c3d-9e8f-0a1b2c3d4e5f',
      CIRCLE_PROJECT_USERNAME: 'octo-org',
      CIRCLE_PROJECT_REPONAME: 'web',
      CIRCLE_JOB: 'build',
      CIRCLE_BRANCH: 'feature/x',
      CIRCLE_SHA1: 'd'.repeat(40),
      CIRCLE_USERNAME: 'hubot',
      CIRCLE_BUILD_URL: 'https://app.circleci.com/pipelines/github/octo-org/web/7/workflows/w/jobs/11',
    };
    // The snippet keeps the start time in /tmp (one job per container); here in the test's own folder.
    const script = command.replaceAll('/tmp/', `${work.path}/`);
    expect(script).not.toContain('<<');
    await bash(script, { ...env, RUN_STATUS: 'in_progress' });
    expect((await readFile(join(work.path, 'telemetry-started-at'), 'utf8')).trim()).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
    );
    await bash(script, { ...env, RUN_STATUS: 'success' });
    const circle = (await records()).filter((r) => r.output.sender === 'circleci');
    expect(circle).toHaveLength(1);
    expect(circle[0]).toMatchObject({
      repo: 'web',
      output: { status: 'success', branch: 'feature/x', pipeline: 'build', final: true },
    });
    expect(text).toMatch(/status: failure\n\s+when: on_fail/);

    const sources = (await report()).ci.by_source.map((r) => [r.source, r.runs]);
    expect(sources).toEqual([
      ['circleci', 1],
      ['gitlab', 1],
      ['jenkins', 1],
    ]);
  });
});
