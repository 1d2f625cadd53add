import { readFile } from 'node:fs/promises';
import picomatch from 'picomatch';
import { z } from 'zod';

/** Records no team rule matched. */
export const NO_TEAM = '(no team)';

const globs = z.array(z.string().min(1)).min(1);

/**
 * The teams file (docs/REPORTS.md): an ordered list of rules; a record belongs to the first rule that
 * matches it. `repos` are globs over `owner/repo`. The optional selectors narrow a rule to part of a
 * monorepo: a rule with selectors matches a record of its repositories only when one selector matches.
 */
export const teamsFileSchema = z
  .object({
    teams: z
      .array(
        z
          .object({
            name: z.string().min(1).max(100),
            repos: globs,
            /** Workflow file paths (`.github/workflows/web-*.yml`): workflow runs and their jobs. */
            paths: globs.optional(),
            /** Pull-request and incident labels (`area/web`). */
            labels: globs.optional(),
            /** Deployment environments (`web-*`): deployments and deployment failures. */
            environments: globs.optional(),
            /** The `service` of pushed deployments and incidents. */
            services: globs.optional(),
          })
          .strict(),
      )
      .min(1),
  })
  .strict();

export type TeamsFile = z.infer<typeof teamsFileSchema>;

/** What a record offers to the selectors; absent attributes never match. */
export interface TeamSubject {
  owner: string;
  repo: string;
  path?: string | null;
  labels?: readonly string[];
  environment?: string | null;
  service?: string | null;
}

type Matcher = (value: string) => boolean;

interface CompiledRule {
  name: string;
  repo: Matcher;
  paths?: Matcher;
  labels?: Matcher;
  environments?: Matcher;
  services?: Matcher;
}

export class TeamsError extends Error {
  override readonly name = 'TeamsError';
}

/** Maps records to teams; without a teams file every record is in NO_TEAM. */
export class TeamResolver {
  private readonly rules: CompiledRule[];

  constructor(file?: TeamsFile) {
    const compile = (patterns: string[] | undefined): Matcher | undefined =>
      patterns ? picomatch(patterns, { nocase: true, dot: true }) : undefined;
    this.rules = (file?.teams ?? []).map((team) => ({
      name: team.name,
      repo: compile(team.repos) as Matcher,
      paths: compile(team.paths),
      labels: compile(team.labels),
      environments: compile(team.environments),
      services: compile(team.services),
    }));
  }

  get names(): string[] {
    return [...new Set(this.rules.map((r) => r.name))];
  }

  get enabled(): boolean {
    return this.rules.length > 0;
  }

  /** Whether any rule has this selector: attributes no rule looks at need not tell records apart. */
  uses(selector: 'paths' | 'labels' | 'environments' | 'services'): boolean {
    return this.rules.some((rule) => rule[selector] !== undefined);
  }

  teamOf(subject: TeamSubject): string {
    const repository = `${subject.owner}/${subject.repo}`;
    for (const rule of this.rules) {
      if (!rule.repo(repository)) continue;
      const selective = rule.paths || rule.labels || rule.environments || rule.services;
      if (!selective) return rule.name;
      if (rule.paths && subject.path && rule.paths(subject.path)) return rule.name;
      if (rule.environments && subject.environment && rule.environments(subject.environment))
        return rule.name;
      if (rule.services && subject.service && rule.services(subject.service)) return rule.name;
      if (rule.labels && subject.labels?.some((label) => rule.labels?.(label))) return rule.name;
    }
    return NO_TEAM;
  }
}

/** Reads and validates a teams file; the error names the file and every bad setting. */
export async function loadTeams(path: string): Promise<TeamResolver> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new TeamsError(`cannot read teams file ${path}: ${(error as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new TeamsError(`teams file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = teamsFileSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const keys = 'keys' in issue && Array.isArray(issue.keys) ? ` ${issue.keys.join(', ')}` : '';
      return `  ${issue.path.join('.') || '(root)'}:${keys} ${issue.message}`;
    });
    throw new TeamsError(`invalid teams file ${path}:\n${problems.join('\n')}`);
  }
  return new TeamResolver(parsed.data);
}
