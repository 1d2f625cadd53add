import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { CliError } from './errors';

/** `dir` (relative to the working directory) as an absolute path, or a CliError when it is not a directory. */
export function existingDataDirectory(dir: string): string {
  const path = resolve(dir);
  let isDirectory = false;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch {
    isDirectory = false;
  }
  if (!isDirectory) throw new CliError(`data directory ${path} does not exist or is not a directory`);
  return path;
}
