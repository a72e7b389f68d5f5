// Which `tessera` CLI to run: the compiled one in dist/ when it is up to date, otherwise the
// TypeScript sources (Node 24 runs them directly). Plain JavaScript, no dependencies: the bin
// loads it before it knows which Node it runs on.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const SOURCE_TREES = ['src', 'adapters', 'keys'];

/** Written by scripts/build.ts when a build finishes. */
export const BUILD_STAMP = join('dist', '.build-stamp');

function newestSourceChange(root) {
  let newest = 0;
  for (const tree of SOURCE_TREES) {
    const dir = join(root, tree);
    if (!existsSync(dir)) continue;
    for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
      if (entry.isFile()) {
        newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
      }
    }
  }
  return newest;
}

/**
 * The entry module and whether it is the build. A checkout whose sources changed after the last
 * `npm run build` runs the sources, so a stale dist/ is never used; an installation without
 * sources (the container image) runs dist/.
 */
export function chooseCliEntry(root) {
  const built = join(root, 'dist', 'src', 'cli', 'main.js');
  const source = join(root, 'src', 'cli', 'main.ts');
  if (!existsSync(source)) return { entry: built, built: true };
  const stamp = join(root, BUILD_STAMP);
  if (
    existsSync(built) &&
    existsSync(stamp) &&
    statSync(stamp).mtimeMs >= newestSourceChange(root)
  ) {
    return { entry: built, built: true };
  }
  return { entry: source, built: false };
}
