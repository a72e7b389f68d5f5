/**
 * `npm run build`: compiles the runtime code (tsconfig.build.json: src, adapters, keys) to
 * dist/ — entry dist/src/main.js — from a clean slate, so no file of an older build survives
 * into an image. Relative `.ts` imports become `.js` (rewriteRelativeImportExtensions). The
 * hosted pages' templates and stylesheet, which tsc does not see, are copied beside the code
 * that reads them.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
rmSync(resolve(root, 'dist'), { recursive: true, force: true });

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const result = spawnSync(process.execPath, [tsc, '-p', resolve(root, 'tsconfig.build.json')], {
  cwd: root,
  stdio: 'inherit',
});
if (result.status !== 0) process.exit(result.status ?? 1);

/** Runtime files that are not TypeScript, relative to the repository (and to dist/). */
const ASSETS = ['src/interactions/views', 'src/interactions/assets'];
for (const asset of ASSETS) {
  cpSync(resolve(root, asset), resolve(root, 'dist', asset), { recursive: true });
}
