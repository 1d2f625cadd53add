import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * `npm run bench [-- NAME...]`: runs bench/NAME.bench.ts (all of them without a name). Each benchmark exports
 * `run(): Promise<Record<string, unknown>>`; its figures are printed and written to bench/results/NAME.json
 * together with the machine they were measured on.
 */
export interface BenchModule {
  run(): Promise<Record<string, unknown>>;
}

async function main(): Promise<void> {
  const available = readdirSync(__dirname)
    .filter((f) => f.endsWith('.bench.ts'))
    .map((f) => f.slice(0, -'.bench.ts'.length))
    .sort();
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const unknown = wanted.filter((w) => !available.includes(w));
  if (unknown.length > 0) {
    process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')}; available: ${available.join(', ')}\n`);
    process.exit(2);
  }
  mkdirSync(join(__dirname, 'results'), { recursive: true });
  for (const name of wanted.length > 0 ? wanted : available) {
    process.stdout.write(`\n== bench ${name} ==\n`);
    const module = (await import(join(__dirname, `${name}.bench.ts`))) as BenchModule;
    const started = Date.now();
    const figures = await module.run();
    const result = {
      benchmark: name,
      measured_at: new Date().toISOString(),
      machine: machine(),
      wall_s: Math.round((Date.now() - started) / 100) / 10,
      ...figures,
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    // A partial run (a scenario alone, a shorter duration) is a quick look: it never replaces the figures.
    const file = join(__dirname, 'results', `${name}${figures.partial_run ? '.partial' : ''}.json`);
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  }
}

function machine(): Record<string, unknown> {
  const os = require('node:os') as typeof import('node:os');
  return {
    node: process.version,
    cpus: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    memory_gb: Math.round(os.totalmem() / 2 ** 30),
  };
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
