import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import type { Logger } from '../../src/log/logger';

/**
 * A function's logger: Powertools writes one JSON object per line with the Lambda request id, the cold-start
 * flag and the keys of the current invocation (the delivery id); `log` is the same logger in the shape the
 * core (src/log/logger.ts) expects.
 */
export interface LambdaLogger {
  powertools: PowertoolsLogger;
  log: Logger;
  /** Starts an invocation: `keys` (e.g. `delivery_id`) ride on every line until the next invocation. */
  start(context: Context | undefined, keys?: Record<string, string | undefined>): void;
}

export function createLambdaLogger(powertools: PowertoolsLogger = new PowertoolsLogger()): LambdaLogger {
  const level =
    (name: 'debug' | 'info' | 'warn' | 'error') => (message: string, fields?: Record<string, unknown>) =>
      fields ? powertools[name](message, fields) : powertools[name](message);
  return {
    powertools,
    log: { debug: level('debug'), info: level('info'), warn: level('warn'), error: level('error') },
    start(context, keys = {}) {
      powertools.resetKeys();
      if (context) powertools.addContext(context);
      const present = Object.fromEntries(Object.entries(keys).filter(([, v]) => v !== undefined));
      if (Object.keys(present).length > 0) powertools.appendKeys(present);
    },
  };
}
