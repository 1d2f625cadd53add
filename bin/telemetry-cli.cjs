#!/usr/bin/env node
// The `telemetry` command. The CLI is TypeScript run through tsx, so a clone works with `npm install` alone
// (no build step to forget). Both of tsx's hooks are registered: `require` (the static imports) and `import()`
// (the commands that load a module on first use, such as `redrive`).
const { register } = require('node:module');
const { pathToFileURL } = require('node:url');
require('tsx/cjs');
register('tsx/esm', { parentURL: pathToFileURL(__filename), data: {} });
require('./cli.ts');
