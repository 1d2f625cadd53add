import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

/** The `telemetry` command as installed (`bin` of package.json). */
export const CLI = join(__dirname, '..', '..', 'bin', 'telemetry-cli.cjs');

export interface ServeProcess {
  child: ChildProcess;
  /** The URL of POST /telemetry, from the collector's "listening" log line. */
  url: string;
  stderr: () => string;
  /** What the collector printed on stdout until it listened (its start-up log lines). */
  stdout: () => string;
}

/** Starts `telemetry serve [args]` as a real process (what `npm start` runs); resolves once it listens. */
export function serveProcess(env: Record<string, string>, args: string[] = []): Promise<ServeProcess> {
  const child = spawn(process.execPath, [CLI, 'serve', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    let stdout = '';
    const onData = (chunk: Buffer) => {
      stdout += chunk;
      const match = /"message":"listening","url":"([^"]+)"/.exec(stdout);
      if (match?.[1]) {
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        const startup = stdout;
        resolve({ child, url: match[1], stderr: () => stderr, stdout: () => startup });
      }
    };
    child.stdout?.on('data', onData);
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
}
