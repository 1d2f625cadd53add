import { z } from 'zod';

const RELATIVE_PATH = /^(?!\/)(?!.*(^|\/)\.\.?(\/|$))[^\0]+$/;
const FIELD_PATH = /^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/;

/** Settings that change what metrics collect. Part of the configuration file under `metrics`. */
export const metricSettingsSchema = z
  .object({
    /**
     * Word-boundary patterns that mark a workflow, job or step as a test (test-coverage metric): generic words
     * and the test runners whose step names often say nothing else ("Run cypress").
     */
    testNamePatterns: z
      .array(z.string().min(1))
      .default([
        'test',
        'tests',
        'testing',
        'e2e',
        'spec',
        'specs',
        'unit',
        'integration',
        'jest',
        'pytest',
        'cypress',
        'playwright',
        'puppeteer',
        'selenium',
        'mocha',
        'jasmine',
        'ava',
        'vitest',
      ]),
    /** Globs of documentation files (documentation-updated metric). */
    documentationGlobs: z.array(z.string().min(1)).default(['docs/**', '**/*.md', '**/*.mdx', '**/*.rst']),
    /**
     * Repositories (`owner/name`, case-insensitive) whose events make no record, from webhooks, backfills and
     * scheduled jobs alike. The configured data repository is always among them (added when the configuration
     * is read): its own workflow runs and pushes are the collector's doing, not telemetry, and recording them
     * into it would feed on itself.
     */
    ignoredRepositories: z
      .array(z.string().regex(/^[A-Za-z0-9-]{1,39}\/[A-Za-z0-9._-]{1,100}$/, 'owner/name'))
      .default([]),
    /**
     * The file and JSON field (dot path) that say which version a commit is (deployment metric): read at the
     * deployed commit, so the record says which version went out.
     */
    versionFile: z
      .object({
        path: z.string().regex(RELATIVE_PATH, 'a relative file path inside the repository, without . or ..'),
        field: z.string().regex(FIELD_PATH, 'a field name or dot path, e.g. version or tooling.version'),
      })
      .strict()
      .default({ path: 'package.json', field: 'version' }),
    /**
     * Tool configuration files the tooling-usage snapshot reads, each a JSON file whose `versionField` (dot
     * path) gives the version recorded under `tool`; the earlier collector's documentation skeleton is the
     * default.
     */
    toolConfigFiles: z
      .array(
        z
          .object({
            path: z
              .string()
              .regex(RELATIVE_PATH, 'a relative file path inside the repository, without . or ..'),
            tool: z
              .string()
              .regex(/^[A-Za-z0-9@._:/-]{1,100}$/, 'a tool name (letters, digits, @ . _ : / -)'),
            versionField: z
              .string()
              .regex(FIELD_PATH, 'a field name or dot path, e.g. version or tooling.version')
              .default('version'),
          })
          .strict(),
      )
      .default([
        {
          path: 'deven-skeleton-install.config.json',
          tool: 'deven:documentation-skeleton',
          versionField: 'version',
        },
      ]),
    /** Issue labels that mark an incident (incident metric). */
    incidentLabels: z.array(z.string().min(1)).default(['incident']),
    /**
     * Files the tooling-usage snapshot reads, relative to the repository root; an entry ending in `/` is a
     * directory whose files of a known kind are all read (not recursively).
     */
    toolingPaths: z
      .array(z.string().regex(RELATIVE_PATH, 'a relative path inside the repository, without . or ..'))
      .default([
        'package.json',
        '.nvmrc',
        '.node-version',
        '.tool-versions',
        '.python-version',
        'requirements.txt',
        'go.mod',
        'Dockerfile',
        '.github/workflows/',
      ]),
  })
  .strict();

export type MetricSettings = z.infer<typeof metricSettingsSchema>;

export const defaultMetricSettings: MetricSettings = metricSettingsSchema.parse({});

/** Whether `owner/name` is one of `ignoredRepositories` (GitHub names are case-insensitive). */
export function isIgnoredRepository(settings: MetricSettings, owner: string, name: string): boolean {
  const full = `${owner}/${name}`.toLowerCase();
  return settings.ignoredRepositories.some((r) => r.toLowerCase() === full);
}
