/**
 * `pull-request`: one record per closed pull request (merged or not). Natural key: pull request id +
 * closed_at (a reopened and closed-again pull request is a second record). occurred_at = closed_at.
 * All durations in ms, all times UTC ISO-8601; null where the stage did not happen.
 */
export interface PullRequestOutput {
  pull_request_id: string;
  number: number;
  title: string;
  author: string | null;
  author_is_bot: boolean;
  /** merged, or closed without merging. */
  outcome: 'merged' | 'closed';
  base_branch: string;
  head_branch: string;
  /** The head commit when closed: joins the pull request to its check suites, workflow runs and jobs. */
  head_sha: string | null;
  /** Merged into the repository's default branch (the DORA-relevant merges). */
  into_default_branch: boolean;
  labels: string[];
  /** Still a draft when closed. */
  draft: boolean;
  /** Opened as a draft; null when the timeline could not be read (partial record). */
  opened_as_draft: boolean | null;
  created_at: string;
  closed_at: string;
  merged_at: string | null;
  merge_commit_sha: string | null;
  first_commit_at: string | null;
  /** When it left draft (ready_for_review), null if it was never a draft or never left it. */
  ready_at: string | null;
  first_review_at: string | null;
  first_approval_at: string | null;
  /** Time spent as a draft, in ms (0 when never a draft). */
  time_in_draft_ms: number | null;
  additions: number;
  deletions: number;
  changed_files: number;
  /** The REST count of the payload (authoritative: GitHub lists at most 250 commits). */
  commits: number;
  /** Submitted reviews by others than the author; null when the API could not be read (partial record). */
  reviews: number | null;
  /** Cycle-time stages, in ms. */
  stages: {
    /** first commit → opened */
    coding_ms: number | null;
    /** opened (or ready, for drafts) → first review */
    pickup_ms: number | null;
    /** first review → first approval */
    review_ms: number | null;
    /** first approval (or first review, or opened) → merged/closed */
    merge_ms: number | null;
    /** first commit (or opened) → merged/closed */
    cycle_ms: number | null;
  };
}
