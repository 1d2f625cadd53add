import type { Command } from 'commander';

export interface ServeOptions {
  port?: string;
  data?: string;
  store: string;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('Run the local collector: POST /telemetry on PORT, records in TELEMETRY_DATA_DIR.')
    .option('--port <port>', 'port to listen on (overrides PORT)')
    .option('--data <dir>', 'data directory (overrides TELEMETRY_DATA_DIR)')
    .option(
      '--store <kind>',
      'where records go: "file" (the data directory) or "github" (config dataRepository, token DATA_REPOSITORY_TOKEN or GITHUB_TOKEN)',
      'file',
    )
    .action(async (options: ServeOptions) => {
      const { serveAction } = await import('../actions/serve');
      await serveAction(options);
    });
}
