import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
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
const PUSH_MD = readFileSync(join(__dirname, '..', '..', 'docs', 'PUSH.md'), 'utf8');

/** The fenced block between `<!-- snippet:NAME -->` and `<!-- /snippet:NAME -->` in docs/PUSH.md. */
function snippet(name: string): string {
  const match = new RegExp(
    `<!-- snippet:${name} -->\\n\`\`\`\\w+\\n([\\s\\S]*?)\`\`\`\\n<!-- /snippet:${name} -->`,
  ).exec(PUSH_MD);
  if (!match?.[1]) throw new Error(`docs/PUSH.md has no snippet:${name} block`);
  return match[1];
}

/** Removes the common leading indentation, as a YAML block scalar does. */
function dedent(lines: string[]): string {
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => /^ */.exec(l)?.[0].length ?? 0));
  return `${lines.map((l) => l.slice(indent)).join('\n')}\n`;
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
  return dedent(body);
}

describe('the copy-paste senders of docs/PUSH.md, run against the local collector', () => {
  jest.setTimeout(60_000);
  let dir: { path: string; remove: () => Promise<void> };
  let work: { path: string; remove: () => Promise<void> };
  let collector: LocalCollector;
  const secret = 'shell-secret-0f3a9c';

  beforeAll(async () => {
    for (const tool of ['bash', 'curl', 'openssl']) {
      await run('which', [tool]).catch(() => {
        throw new Error(`${tool} is needed to run the documented shell sender`);
      });
    }
    dir = await tempDir();
    work = await tempDir();
    collector = await startLocalCollector({
      config: configSchema.parse({ server: { port: 0, host: '127.0.0.1', dataDir: dir.path } }),
      webhookSecrets: ['unused'],
      logger: silentLogger,
      push: createPushHandler({
        senderSecrets: staticSenderSecrets(
          parseSenderSecrets(
            `shell-ci=${secret},github-actions=${secret},gitlab=${secret},jenkins=${secret}`,
          ),
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

  const minutesAgo = (n: number) => new Date(Date.now() - n * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');

  async function bash(script: string, env: Record<string, string>, sender = 'shell-ci') {
    return run('bash', ['-euo', 'pipefail', '-c', script], {
      cwd: work.path,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        TELEMETRY_URL: collector.url,
        TELEMETRY_SENDER: sender,
        TELEMETRY_SENDER_SECRET: secret,
        ...env,
      },
    });
  }

  async function records(metric: string): Promise<MetricRecord[]> {
    await collector.queue.drain();
    return storedRecords(dir.path, `hot/${metric}/`);
  }

  const deploymentEnv = {
    PIPELINE_ID: 'pipeline-88213',
    REPOSITORY: 'octo-org/billing',
    COMMIT_SHA: '9f2c1e0b7a3d4c5e6f708192a3b4c5d6e7f80912',
    STARTED_AT: minutesAgo(6),
    FINISHED_AT: minutesAgo(0),
  };
  // The snippet stamps `finished_at` with `date -u`: pinned here, so that the resend below is the same
  // deployment even when the two sends fall in different minutes (its index entry's minute folder).
  const deploymentScript = `date() { command date -d "$FINISHED_AT" "$@"; }\n${snippet('function')}${snippet('deployment')}`;

  it('pushes a deployment with the shell function: it appears as a push-deployment record', async () => {
    const { stdout } = await bash(deploymentScript, deploymentEnv);
    expect(JSON.parse(stdout)).toEqual({ outcome: 'queued', results: [{ index: 0, id: 'pipeline-88213' }] });
    const [record, ...more] = await records('push-deployment');
    expect(more).toEqual([]);
    expect(record).toMatchObject({
      metric: 'push-deployment',
      collected_by: 'push',
      trigger: 'push::deployment',
      owner: 'octo-org',
      repo: 'billing',
      delivery_id: 'pipeline-88213',
      status: 'complete',
      output: {
        sender: 'shell-ci',
        id: 'pipeline-88213',
        environment: 'production',
        sha: deploymentEnv.COMMIT_SHA,
        status: 'success',
        started_at: deploymentEnv.STARTED_AT.replace('Z', '.000Z'),
      },
    });
    expect(record?.output.duration_ms).toBeGreaterThanOrEqual(6 * 60_000 - 1000);
  });

  it('pushes an incident with the shell function: opened and resolved push-incident records', async () => {
    const env = {
      INCIDENT_ID: 'INC-2041',
      REPOSITORY: 'octo-org/billing',
      OPENED_AT: minutesAgo(50),
      RESOLVED_AT: minutesAgo(8),
    };
    const { stdout } = await bash(snippet('function') + snippet('incident'), env);
    expect(JSON.parse(stdout)).toEqual({ outcome: 'queued', results: [{ index: 0, id: 'INC-2041' }] });
    const stored = await records('push-incident');
    expect(stored.map((r) => [r.output.event, r.output.time_to_restore_ms])).toEqual(
      expect.arrayContaining([
        ['opened', null],
        ['resolved', 42 * 60_000],
      ]),
    );
    expect(stored).toHaveLength(2);
  });

  it('resending the same deployment changes nothing in the data directory', async () => {
    const before = await listFiles(dir.path);
    await bash(deploymentScript, deploymentEnv);
    await collector.queue.drain();
    expect(await listFiles(dir.path)).toEqual(before);
  });

  it('fails the step (curl exit 22) and prints the reason when the secret is wrong', async () => {
    const failure = await bash(snippet('function') + snippet('deployment'), {
      ...deploymentEnv,
      TELEMETRY_SENDER_SECRET: 'not-the-secret',
    }).catch((error: { code: number; stdout: string }) => error);
    expect(failure).toMatchObject({ code: 22 });
    expect(JSON.parse((failure as { stdout: string }).stdout)).toEqual({
      error: 'unknown sender or invalid signature',
      outcome: 'rejected',
    });
  });

  it('the GitHub Actions step runs as written (its run: script, with the variables Actions sets)', async () => {
    const script = yamlScript(snippet('github-actions'), /^\s+run: \|$/);
    const { stdout } = await bash(
      script,
      {
        STATUS: 'failure',
        GITHUB_RUN_ID: '11762345',
        GITHUB_RUN_ATTEMPT: '2',
        GITHUB_REPOSITORY: 'octo-org/web',
        GITHUB_SHA: 'a'.repeat(40),
        GITHUB_SERVER_URL: 'https://github.com',
      },
      'github-actions',
    );
    expect(JSON.parse(stdout).results).toEqual([{ index: 0, id: '11762345-2' }]);
    const stored = await records('push-deployment');
    expect(stored.find((r) => r.output.sender === 'github-actions')?.output).toMatchObject({
      status: 'failure',
      url: 'https://github.com/octo-org/web/actions/runs/11762345',
    });
  });

  it('the GitLab CI job runs as written (its after_script, with the variables GitLab sets)', async () => {
    const script = yamlScript(snippet('gitlab-ci'), /^\s+- \|$/);
    const { stdout } = await bash(
      script,
      {
        CI_JOB_STATUS: 'canceled',
        CI_JOB_ID: '7781',
        CI_PROJECT_ROOT_NAMESPACE: 'octo-org',
        CI_PROJECT_NAME: 'payments',
        CI_ENVIRONMENT_NAME: 'production',
        CI_COMMIT_SHA: 'b'.repeat(40),
        CI_JOB_STARTED_AT: minutesAgo(3),
        CI_JOB_URL: 'https://gitlab.example.com/octo-org/payments/-/jobs/7781',
      },
      'gitlab',
    );
    expect(JSON.parse(stdout).results).toEqual([{ index: 0, id: '7781' }]);
    const stored = await records('push-deployment');
    expect(stored.find((r) => r.output.sender === 'gitlab')).toMatchObject({
      repo: 'payments',
      output: { status: 'cancelled', environment: 'production' },
    });
  });

  it("the Jenkins stage's shell runs as written (Groovy ''' string, with the variables Jenkins sets)", async () => {
    const groovy = /sh '''\n([\s\S]*?)'''/.exec(snippet('jenkins'))?.[1] ?? '';
    // Groovy turns a backslash before a newline inside ''' into a line continuation.
    const script = groovy.replace(/\\\n/g, '');
    const { stdout } = await bash(
      script,
      {
        RESULT: 'SUCCESS',
        BUILD_TAG: 'jenkins-billing-deploy-812',
        REPOSITORY: 'octo-org/billing',
        GIT_COMMIT: 'c'.repeat(40),
        BUILD_URL: 'https://jenkins.example.com/job/billing-deploy/812/',
      },
      'jenkins',
    );
    expect(JSON.parse(stdout).results).toEqual([{ index: 0, id: 'jenkins-billing-deploy-812' }]);
    const stored = await records('push-deployment');
    expect(stored.find((r) => r.output.sender === 'jenkins')?.output).toMatchObject({ status: 'success' });
  });

  it('every CI sender carries the tested shell function line for line', () => {
    const lines = snippet('function')
      .split('\n')
      .filter((l) => l.trim() && !l.trim().startsWith('#'))
      .map((l) => l.trim());
    for (const name of ['github-actions', 'gitlab-ci', 'jenkins']) {
      const text = snippet(name)
        .split('\n')
        .map((l) => l.trim());
      for (const line of lines)
        expect({ name, line, present: text.includes(line) }).toEqual({ name, line, present: true });
    }
  });
});
