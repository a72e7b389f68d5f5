/**
 * Builds dist/ once per test run (scripts/build.ts: tsc -p tsconfig.build.json, then the sign-in
 * pages' templates and stylesheet), so the CLI tests run the real built `tessera` binary even on
 * a fresh clone.
 */
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

export default function buildOnce(): void {
  const root = resolve(import.meta.dirname, '..');
  const started = performance.now();
  execFileSync(process.execPath, [resolve(root, 'scripts/build.ts')], {
    cwd: root,
    stdio: 'inherit',
  });
  console.log(`build: dist/ up to date in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
