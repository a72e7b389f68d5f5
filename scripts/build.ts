/**
 * `npm run build`: compiles the runtime code (tsconfig.build.json: src, adapters, keys) to
 * dist/ — entry dist/src/main.js — from a clean slate, so no file of an older build survives
 * into an image. Relative `.ts` imports become `.js` (rewriteRelativeImportExtensions).
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
rmSync(resolve(root, 'dist'), { recursive: true, force: true });

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const result = spawnSync(process.execPath, [tsc, '-p', resolve(root, 'tsconfig.build.json')], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
