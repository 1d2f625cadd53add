/** The report's output formats: `telemetry report --format` offers them without loading the renderers. */
export const FORMATS = ['table', 'json', 'csv', 'html'] as const;
export type ReportFormat = (typeof FORMATS)[number];
