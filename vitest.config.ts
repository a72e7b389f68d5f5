import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'test/**/*.test.ts',
      'src/**/*.test.ts',
      'adapters/**/*.test.ts',
      'keys/**/*.test.ts',
    ],
    globalSetup: ['test/build-setup.ts', 'test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Each file gets its own worker; the machine has 2 cores and the suite starts real servers.
    pool: 'forks',
    maxWorkers: 2,
  },
});
