// Preloaded (`node -r`) into a benchmarked child process: on exit, writes the process's own peak resident
// set size (process.resourceUsage().maxRSS, KiB on Linux) to the file named by BENCH_MAX_RSS_FILE.
const { writeFileSync } = require('node:fs');

process.on('exit', () => {
  const file = process.env.BENCH_MAX_RSS_FILE;
  if (file) writeFileSync(file, String(process.resourceUsage().maxRSS));
});
