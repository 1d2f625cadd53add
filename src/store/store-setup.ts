import type { z } from 'zod';
import { errorMessage, type Logger } from '../log/logger';
import { refAnswer, repositoryAnswer } from './git-answers';
import { parseAnswer, type RequestPolicy, statusOf } from './request-policy';

/** A start-up check failed: the message says what is wrong and how to fix it. */
export class StoreSetupError extends Error {
  override readonly name = 'StoreSetupError';
}

export interface GitIdentity {
  name: string;
  email: string;
}

/** What the start-up checks need to know about the store they check. */
export interface SetupTarget {
  requests: RequestPolicy;
  owner: string;
  repo: string;
  branch: string;
  logger: Logger;
  author: GitIdentity;
  committer: GitIdentity;
  /** Path of the README the first commit of an empty repository holds (inside the data folder). */
  readmePath: string;
  /** Counts the other writers' spending of the last hour (not fatal when it fails). */
  syncBudget: () => Promise<number>;
}

/**
 * Start-up checks: the repository exists and the token can see it, the token can push, the branch exists.
 * An empty repository or a missing branch is created only with `createBranch` (the first commit holds a
 * README in the data folder); otherwise the error says how to create it.
 */
export async function verifyDataRepository(
  target: SetupTarget,
  options: { createBranch?: boolean } = {},
): Promise<void> {
  const where = `${target.owner}/${target.repo}`;
  let repository: z.infer<typeof repositoryAnswer>;
  try {
    const read = await target.requests.call('GET /repos/{owner}/{repo}', {}, false);
    repository = parseAnswer(repositoryAnswer, read.data, `GET /repos/${where}`);
  } catch (error) {
    const status = statusOf(error);
    if (status === 404)
      throw new StoreSetupError(
        `data repository ${where} does not exist or the token cannot see it: check dataRepository.owner/name and give the token access to it`,
      );
    if (status === 401) throw new StoreSetupError(`the token was refused by GitHub (401) reading ${where}`);
    throw new StoreSetupError(`cannot read data repository ${where}: ${errorMessage(error)}`);
  }
  // Installation tokens of GitHub Apps get no `permissions`: then the first write tells.
  if (repository.permissions && repository.permissions.push !== true)
    throw new StoreSetupError(
      `the token can read ${where} but cannot write to it: give it "Contents: read and write" (fine-grained token or GitHub App) or the "repo" scope (classic token)`,
    );

  const exists = await branchExists(target, where, repository.default_branch ?? 'main', options);
  if (!exists) return;
  try {
    await target.syncBudget();
  } catch (error) {
    // Not fatal: the pacer then starts afresh (until the next sync) and GitHub's 403s still hold it back.
    target.logger.warn('could not read the last hour of commits: write budget starts afresh', {
      error: errorMessage(error),
    });
  }
}

/** True when the branch exists; creates it (or the first commit) when allowed, else explains how. */
async function branchExists(
  target: SetupTarget,
  where: string,
  fallback: string,
  options: { createBranch?: boolean },
): Promise<boolean> {
  try {
    await target.requests.call(
      'GET /repos/{owner}/{repo}/git/ref/{ref}',
      { ref: `heads/${target.branch}` },
      false,
    );
    return true;
  } catch (error) {
    const status = statusOf(error);
    if (status === 409) {
      if (!options.createBranch)
        throw new StoreSetupError(
          `data repository ${where} is empty: create its first commit (on github.com "Add a README", or push any commit to ${target.branch}), or set store.createBranch to true to let the collector create it`,
        );
      await createFirstCommit(target);
      return false;
    }
    if (status !== 404)
      throw new StoreSetupError(`cannot read branch ${target.branch} of ${where}: ${errorMessage(error)}`);
  }
  if (!options.createBranch)
    throw new StoreSetupError(
      `branch ${target.branch} does not exist in ${where} (default branch: ${fallback}): create it, set dataRepository.branch to an existing branch, or set store.createBranch to true to let the collector branch it from ${fallback}`,
    );
  const base = await target.requests.call(
    'GET /repos/{owner}/{repo}/git/ref/{ref}',
    { ref: `heads/${fallback}` },
    false,
  );
  const sha = parseAnswer(refAnswer, base.data, `GET ref heads/${fallback}`).object.sha;
  await target.requests.call(
    'POST /repos/{owner}/{repo}/git/refs',
    { ref: `refs/heads/${target.branch}`, sha },
    true,
  );
  target.logger.info('data branch created', { repository: where, branch: target.branch, from: fallback });
  return false;
}

/** The first commit of an empty repository (the Git Data API refuses to work on one): a README. */
async function createFirstCommit(target: SetupTarget): Promise<void> {
  const text =
    '# Telemetry data\n\nMetric records written by github-telemetry: one JSON file per record, see docs/DATA.md.\n';
  await target.requests.call(
    'PUT /repos/{owner}/{repo}/contents/{path}',
    {
      path: target.readmePath,
      message: 'telemetry: create the data repository',
      content: Buffer.from(text).toString('base64'),
      branch: target.branch,
      author: target.author,
      committer: target.committer,
    },
    true,
  );
  target.logger.info('data repository initialised', {
    repository: `${target.owner}/${target.repo}`,
    branch: target.branch,
  });
}
