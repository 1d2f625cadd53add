import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { registerRedrive } from '../../lambda/cli/redrive-command';
import { buildProgram } from '../../src/cli/program';
import { configSchema } from '../../src/config/config';
import { parseJobInput, scheduleProblems } from '../../src/jobs/run-job';

const ROOT = join(__dirname, '..', '..');
const DOCS = [
  'README.md',
  'METRICS.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const text = (file: string) => readFileSync(join(ROOT, file), 'utf8');

/** Every `telemetry …` command the docs show: in code blocks and in inline code, `npx` or not. */
function documentedCommands(): { file: string; line: string }[] {
  const out: { file: string; line: string }[] = [];
  for (const file of DOCS) {
    for (const match of text(file).matchAll(/(?:npx |\$ |^|`)(telemetry (?:[a-z][^`\n#|]*)?)/gm)) {
      const line = (match[1] as string).replace(/\\$/, '').trim();
      // Prose ("telemetry report works the same…") is not a command: a command's next word is a command name.
      if (
        /^telemetry (serve|send|config|report|backfill|redeliver|job|redrive)\b/.test(line) ||
        line === 'telemetry'
      ) {
        out.push({ file, line });
      }
    }
  }
  return out;
}

/** Shell words, quotes removed. */
function words(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => (m[1] ?? m[2] ?? m[3]) as string);
}

function program(): Command {
  const p = buildProgram();
  registerRedrive(p);
  return p;
}

describe('every telemetry command in README.md and docs/*.md exists with the options it is shown with', () => {
  const commands = documentedCommands();

  it('finds the documented commands', () => {
    expect(commands.length).toBeGreaterThan(30);
  });

  it.each(commands.map((c) => [c.file, c.line]))('%s: %s', (_file, line) => {
    let command = program();
    const args = words(line).slice(1);
    while (args.length > 0) {
      const sub = command.commands.find((c) => c.name() === args[0]);
      if (!sub) break;
      command = sub;
      args.shift();
    }
    const known = new Set(command.options.flatMap((o) => [o.long, o.short]).filter(Boolean));
    known.add('--help');
    for (const arg of args) {
      if (!arg.startsWith('--')) continue;
      expect({ command: command.name(), option: arg, known: known.has(arg) }).toEqual({
        command: command.name(),
        option: arg,
        known: true,
      });
    }
  });
});

describe('the job inputs the docs show are accepted by their jobs', () => {
  it('every `schedules` example validates, as `telemetry config check` and the synth check it', () => {
    const blocks = DOCS.flatMap((file) =>
      [...text(file).matchAll(/```json\n(\{\s*"schedules"[\s\S]*?)```/g)].map((m) => ({
        file,
        json: m[1] as string,
      })),
    );
    expect(blocks.map((b) => b.file)).toEqual(expect.arrayContaining(['README.md', 'docs/DEPLOYMENT.md']));
    for (const { json } of blocks) {
      expect(scheduleProblems(configSchema.parse(JSON.parse(json)))).toEqual([]);
    }
  });

  it("DEPLOYMENT.md's manual invocation sends an input its job accepts", () => {
    const payloads = [...text('docs/DEPLOYMENT.md').matchAll(/--payload '([^']+)'/g)].map((m) =>
      JSON.parse(m[1] as string),
    );
    expect(payloads.length).toBeGreaterThan(0);
    for (const payload of payloads) expect(() => parseJobInput(payload.job, payload.input)).not.toThrow();
  });
});
