#!/usr/bin/env node
// The `telemetry` command. The CLI is TypeScript run through tsx, so a clone works with `npm install` alone
// (no build step to forget).
require('tsx/cjs');
require('./cli.ts');
