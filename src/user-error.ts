/**
 * An error whose message is meant for the person who runs or configures the collector: a wrong option or
 * setting, a missing credential, a GitHub App not installed where a command points. `telemetry` prints such a
 * message as one line (`telemetry: …`, exit code 2) instead of a stack. Each such error class extends this one,
 * wherever it lives, so the CLI recognises them all by one `instanceof` on this dependency-free module: knowing
 * an error class never loads its module (zod, Octokit) into a command that does not use it.
 */
export abstract class UserError extends Error {}
