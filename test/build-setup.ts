/**
 * Builds dist/ once per test run (scripts/build.ts, incrementally: about a second when little
 * changed), so the CLI tests run the real built `tessera` binary even on a fresh clone.
 */
import { build } from '../scripts/build.ts';

export default function buildOnce(): void {
  const started = performance.now();
  build({ clean: false });
  console.log(`build: dist/ up to date in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
