import { z } from 'zod';

/**
 * The parts of GitHub's Git Data API answers the GitHubRepoStore reads, validated at the boundary (loose
 * objects: GitHub adds fields freely). A malformed answer becomes a clear, retriable write error instead
 * of an `undefined` deep inside a commit.
 */
const sha = z.string().regex(/^[0-9a-f]{40}$/, 'a 40-hex git object id');

export const repositoryAnswer = z.looseObject({
  default_branch: z.string().min(1).optional(),
  permissions: z.looseObject({ push: z.boolean().optional() }).optional(),
});

export const refAnswer = z.looseObject({ object: z.looseObject({ sha }) });

/** GET /git/matching-refs/{ref}: every ref whose name starts with it. */
export const matchingRefsAnswer = z.array(z.looseObject({ ref: z.string(), object: z.looseObject({ sha }) }));

/** POST /git/trees, POST /git/commits: the new object's id. */
export const createdAnswer = z.looseObject({ sha });

export const commitAnswer = z.looseObject({ sha, tree: z.looseObject({ sha }) });

export const treeAnswer = z.looseObject({
  sha,
  truncated: z.boolean(),
  tree: z.array(
    z.looseObject({ path: z.string().min(1), mode: z.string().min(1), type: z.string().min(1), sha }),
  ),
});

export const blobAnswer = z.looseObject({ content: z.string(), encoding: z.enum(['base64', 'utf-8']) });

/** GET /repos/{owner}/{repo}/commits: when each commit was committed, and its message (its writes). */
export const commitListAnswer = z.array(
  z.looseObject({
    sha,
    commit: z.looseObject({
      committer: z.looseObject({ date: z.string().optional() }).nullable(),
      message: z.string().optional(),
    }),
  }),
);
