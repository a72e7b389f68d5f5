/**
 * How long a helper waits before it calls an outcome a failure: a process that never logs
 * "listening", a CLI run that never exits, a condition that never comes. Only a failing test ever
 * waits this long, so it is sized for a machine that several test runs share (a process start
 * that takes 1 s alone can take 20 s there), never for the happy path. What a test proves must
 * not depend on it; vitest.config.ts gives each test longer than this.
 */
export const PATIENCE_MS = 45_000;
