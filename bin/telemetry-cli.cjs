#!/usr/bin/env node
// The `telemetry` command. The CLI is TypeScript run through tsx, so a clone works with `npm install` alone
// (no build step to forget).
// The local collector's file system work (record files, the spool's fdatasync) runs on libuv's thread pool;
// its default of 4 threads makes an acknowledgement's fsync queue behind record writes. Set before any use.
process.env.UV_THREADPOOL_SIZE ??= '16';
require('tsx/cjs');
require('./cli.ts');
