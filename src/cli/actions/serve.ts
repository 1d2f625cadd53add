import { randomBytes } from 'node:crypto';
import { configFile, loadConfig } from '../../config/config';
import { localGitHubSecrets, readLocalSecrets } from '../../config/secrets';
import { createStoreClient } from '../../github/client';
import { roleAuths } from '../../github/credentials';
import { errorMessage, jsonLogger } from '../../log/logger';
import { createPushHandler } from '../../push/handler';
import { staticSenderSecrets } from '../../push/secrets';
import { startLocalCollector } from '../../server/server';
import { githubRepoStoreFromConfig } from '../../store/github-repo-store';
import type { Store } from '../../store/types';
import type { ServeOptions } from '../commands/serve';
import { CliError, dataRepositoryMissing } from '../errors';

/** `telemetry serve`: starts the local collector; SIGINT or SIGTERM drains it and ends the process. */
export async function serveAction(options: ServeOptions): Promise<void> {
  const env = {
    ...process.env,
    ...(options.port ? { PORT: options.port } : {}),
    ...(options.data ? { TELEMETRY_DATA_DIR: options.data } : {}),
  };
  const config = loadConfig({ env });
  const secrets = readLocalSecrets(env);
  const logger = jsonLogger();
  const senders = secrets.senderSecrets;
  if (senders.size === 0) {
    process.stderr.write(
      'No TELEMETRY_SENDER_SECRETS set: pushes from other systems are refused (see docs/PUSH.md).\n',
    );
  }
  let webhookSecrets = secrets.webhookSecrets;
  if (webhookSecrets.length === 0) {
    const generated = randomBytes(20).toString('hex');
    webhookSecrets = [generated];
    process.stderr.write(
      `No TELEMETRY_WEBHOOK_SECRET set: generated one for this run:\n\n  export TELEMETRY_WEBHOOK_SECRET=${generated}\n\nUse it as the webhook secret in GitHub (and in the shell where you run \`telemetry send\`);\nset the variable before \`npm start\` to keep the same secret across restarts.\n\n`,
    );
  }
  const auths = roleAuths(config, localGitHubSecrets(secrets));
  if (!auths.source) {
    process.stderr.write('No GITHUB_TOKEN set: records that need the GitHub API are stored as partial.\n');
  }
  let store: Store | undefined;
  if (options.store === 'github') {
    if (!config.dataRepository) throw dataRepositoryMissing(config, configFile({ env }));
    if (!auths.data)
      throw new CliError(
        '--store github needs a token that can write to the data repository: set DATA_REPOSITORY_TOKEN (or GITHUB_TOKEN), or use the GitHub App (githubAuth.data)',
      );
    const github = createStoreClient({
      ...auths.data,
      baseUrl: config.github.apiUrl,
      logger,
    });
    const repoStore = githubRepoStoreFromConfig(config, { github, logger });
    try {
      await repoStore.verify({ createBranch: config.store.createBranch });
    } catch (error) {
      throw new CliError(errorMessage(error));
    }
    store = repoStore;
    logger.info('storing in the data repository', {
      repository: `${repoStore.owner}/${repoStore.repo}`,
      branch: repoStore.branch,
      path: repoStore.root,
    });
  } else if (options.store !== 'file') {
    throw new CliError(`--store must be "file" or "github", got ${JSON.stringify(options.store)}`);
  }
  const collector = await startLocalCollector({
    config,
    ...(store ? { store } : {}),
    webhookSecrets,
    ...(auths.source ? { githubAuth: auths.source } : {}),
    logger,
    push: createPushHandler({
      senderSecrets: staticSenderSecrets(senders),
      maxSkewSeconds: config.push.maxSkewSeconds,
      logger,
    }),
  }).catch((error: NodeJS.ErrnoException) => {
    const where = `${config.server.host}:${config.server.port}`;
    if (error.code === 'EADDRINUSE') {
      throw new CliError(
        `port ${config.server.port} is already in use (another collector?): stop it, or choose another port with --port ${config.server.port + 1} (or PORT=${config.server.port + 1})`,
      );
    }
    if (error.code === 'EACCES' || error.code === 'EADDRNOTAVAIL') {
      throw new CliError(
        `cannot listen on ${where} (${error.code}): choose another port (--port, PORT) or host (HOST)`,
      );
    }
    throw error;
  });
  logger.info('listening', {
    url: collector.url,
    durable: config.server.spool,
    ...(collector.replayed > 0 ? { replayed: collector.replayed } : {}),
    ...(store ? {} : { data_dir: config.server.dataDir }),
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    const drainMs = config.server.drainTimeoutSeconds * 1000;
    logger.info('stopping: draining the queue', {
      signal,
      queued: collector.queue.size,
      drain_timeout_s: config.server.drainTimeoutSeconds,
    });
    // Whatever happens (a store call that hangs), the process exits shortly after the drain time;
    // everything acknowledged is in the spool for the next start.
    setTimeout(() => {
      logger.error('stop timed out: exiting; the spool keeps what was not stored', { signal });
      process.exit(1);
    }, drainMs + 5000).unref();
    collector.close(drainMs).then(
      (drained) => {
        logger.info('stopped', {
          signal,
          drained,
          ...(drained ? {} : { left_in_spool: collector.queue.size }),
        });
        process.exit(0);
      },
      (error) => {
        logger.error('stop failed', { error: String(error) });
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}
