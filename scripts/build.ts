/**
 * `npm run build`: compiles the runtime code (tsconfig.build.json: src, adapters, keys) to
 * dist/ — entry dist/src/main.js — from a clean slate, so no file of an older build survives
 * into an image. Relative `.ts` imports become `.js` (rewriteRelativeImportExtensions). Every
 * other file in those trees (views, stylesheets: anything code reads beside itself through
 * import.meta.url) is copied to the same place, and dist/.build-stamp records the build for
 * bin/cli-entry.js. Declarations are emitted for the `tessera/events` export only
 * (tsconfig.events.json). The test setup builds incrementally instead (`build({ clean: false })`).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const SOURCE_TREES = ['src', 'adapters', 'keys'];
const OUT = join(ROOT, 'dist');

export function build(options: { clean: boolean } = { clean: true }): void {
  if (options.clean) rmSync(OUT, { recursive: true, force: true });
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  // The incremental state lives in dist/, so it goes whenever dist/ does.
  const incremental = (name: string) =>
    options.clean ? [] : ['--incremental', '--tsBuildInfoFile', join(OUT, name)];
  for (const [config, buildInfo] of [
    ['tsconfig.build.json', '.tsbuildinfo'],
    ['tsconfig.events.json', '.tsbuildinfo-events'],
  ] as const) {
    execFileSync(process.execPath, [tsc, '-p', join(ROOT, config), ...incremental(buildInfo)], {
      cwd: ROOT,
      stdio: 'inherit',
    });
  }
  for (const tree of SOURCE_TREES) {
    for (const entry of readdirSync(join(ROOT, tree), { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || entry.name.endsWith('.ts')) continue;
      const source = join(entry.parentPath, entry.name);
      cpSync(source, join(OUT, relative(ROOT, source)), { force: true });
    }
  }
  // bin/cli-entry.js runs dist/ only while this is newer than every source file.
  writeFileSync(join(OUT, '.build-stamp'), `${new Date().toISOString()}\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === import.meta.filename) {
  try {
    build();
  } catch {
    // tsc has printed the errors.
    process.exit(1);
  }
}
