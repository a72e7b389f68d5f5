import { defineConfig } from 'vitest/config';

import { PATIENCE_MS } from './test/helpers/patience.ts';

export default defineConfig({
  test: {
    include: [
      'test/**/*.test.ts',
      'src/**/*.test.ts',
      'adapters/**/*.test.ts',
      'keys/**/*.test.ts',
    ],
    globalSetup: ['test/build-setup.ts', 'test/global-setup.ts'],
    // Limits on a test's own duration only end a hung test: they must never decide one that
    // works. The suite runs real servers and processes on 2 cores, often beside another run, so
    // they leave room for several times the unloaded duration; drills set longer ones themselves.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // expect.poll's default (1 s) is a deadline on the machine's speed; waitFor's is the same.
    expect: { poll: { timeout: PATIENCE_MS } },
    // Each file gets its own worker; the machine has 2 cores and the suite starts real servers.
    pool: 'forks',
    maxWorkers: 2,
  },
});
