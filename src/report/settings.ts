import { z } from 'zod';

/** Settings of `telemetry report`. Part of the configuration file under `report` (docs/REPORTS.md). */
export const reportSettingsSchema = z
  .object({
    /**
     * Environments that count as production (picomatch globs, case-insensitive), e.g. `["production",
     * "prod", "*-production"]`. A deployment whose record says `production: true` counts whatever its name.
     */
    productionEnvironments: z.array(z.string().min(1)).min(1).default(['production', 'prod']),
    /**
     * A successful deployment followed within this many hours by an incident or a revert in the same
     * repository counts as a change failure.
     */
    changeFailureWindowHours: z
      .number()
      .positive()
      .max(24 * 90)
      .default(24),
    /** Pull requests whose title matches this (case-insensitive regular expression) are reverts. */
    revertTitlePattern: z
      .string()
      .min(1)
      .refine(
        (value) => {
          try {
            new RegExp(value, 'i');
            return true;
          } catch {
            return false;
          }
        },
        { message: 'must be a valid regular expression' },
      )
      .default('^revert\\b'),
    /** How many entries the top lists (slowest workflows, ...) show. */
    topListSize: z.number().int().min(1).max(100).default(10),
  })
  .strict();

export type ReportSettings = z.infer<typeof reportSettingsSchema>;

export const defaultReportSettings: ReportSettings = reportSettingsSchema.parse({});
