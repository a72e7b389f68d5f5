#!/usr/bin/env node
// The `tessera` bin. Plain JavaScript that any Node can parse, because `npx tessera` starts it
// with the machine's own node: when that is older than 24 (which Tessera needs, DESIGN.md
// section 9), it runs itself again under the Node 24 that scripts/node24.sh provides.
// Under Node 24 it runs the compiled CLI (npm run build, done by `npm install`), or the
// TypeScript sources directly when no build exists.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const self = fileURLToPath(import.meta.url);
const root = join(dirname(self), '..');
const major = Number(process.versions.node.split('.')[0]);

if (major < 24) {
  if (process.env.TESSERA_NODE24_REEXEC === '1') {
    process.stderr.write(
      `tessera: needs Node.js 24, and scripts/node24.sh gave ${process.version}\n`,
    );
    process.exit(1);
  }
  const result = spawnSync(
    'sh',
    [join(root, 'scripts', 'node24.sh'), 'node', self, ...process.argv.slice(2)],
    { stdio: 'inherit', env: { ...process.env, TESSERA_NODE24_REEXEC: '1' } },
  );
  if (result.error) {
    process.stderr.write(`tessera: cannot start Node.js 24: ${result.error.message}\n`);
    process.exit(1);
  }
  process.exit(result.status ?? 1);
} else {
  const built = join(root, 'dist', 'src', 'cli', 'main.js');
  const entry = existsSync(built) ? built : join(root, 'src', 'cli', 'main.ts');
  await import(pathToFileURL(entry).href);
}
