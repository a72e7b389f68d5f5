#!/usr/bin/env node
// The `tessera` bin. Plain JavaScript that any Node can parse, because `npx tessera` starts it
// with the machine's own node: when that is older than 24 (which Tessera needs,
// docs/development.md#nodejs-24), it runs itself again under the Node 24 that scripts/node24.sh
// provides.
// Under Node 24 it runs the compiled CLI when `npm run build` is up to date, otherwise the
// TypeScript sources directly (bin/cli-entry.js).
import { spawnSync } from 'node:child_process';
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
  const { chooseCliEntry } = await import('./cli-entry.js');
  await import(pathToFileURL(chooseCliEntry(root).entry).href);
}
