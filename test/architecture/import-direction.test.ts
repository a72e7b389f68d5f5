import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { ESLint, type Linter } from 'eslint';
import importX, { createNodeResolver } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
// The rule exactly as `npm run lint` applies it (eslint.config.js is JavaScript, outside tsc).
const { importDirection } = (await import(pathToFileURL(join(root, 'eslint.config.js')).href)) as {
  importDirection: Linter.RuleEntry;
};

// Only the direction rule, so a file that does not exist can be linted: each case is a one-line
// module placed (by its path) in a layer, importing a real file of another layer.
const eslint = new ESLint({
  cwd: root,
  overrideConfigFile: true,
  overrideConfig: [
    {
      files: ['**/*.ts'],
      languageOptions: { parser: tseslint.parser },
      plugins: { 'import-x': importX },
      settings: { 'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts'] })] },
      rules: { 'import-x/no-restricted-paths': importDirection },
    },
  ],
});

async function importMessages(fromFile: string, specifier: string): Promise<string[]> {
  const [result] = await eslint.lintText(`import '${specifier}';\n`, {
    filePath: join(root, fromFile),
  });
  return result!.messages.map((message) => message.message);
}

describe('the import direction lint rule', () => {
  it.each([
    ['a port', 'src/ports/example.ts', '../config/config.ts'],
    ['a port', 'src/ports/example.ts', '../../adapters/sqlite/account-store.ts'],
    ['a runtime helper', 'src/runtime/example.ts', '../services/app-error.ts'],
    ['an adapter', 'adapters/kafka/example.ts', '../../src/config/config.ts'],
    ['an adapter', 'adapters/sqlite/example.ts', '../../keys/key-schedule.ts'],
    ['keys/', 'keys/example.ts', '../src/services/app-error.ts'],
    ['keys/', 'keys/example.ts', '../src/events/event-factory.ts'],
    ['keys/', 'keys/example.ts', '../adapters/sqlite/account-store.ts'],
    ['the HTTP layer', 'src/http/example.ts', '../../adapters/sqlite/account-store.ts'],
    ['a service', 'src/services/example.ts', '../../adapters/mongodb/account-store.ts'],
    ['a service', 'src/services/example.ts', '../http/issuer-origin.ts'],
    ['a service', 'src/services/example.ts', '../provider/create-provider.ts'],
  ])('refuses %s (%s) importing %s', async (_layer, file, specifier) => {
    const messages = await importMessages(file, specifier);
    expect(messages.length).toBeGreaterThan(0);
    for (const message of messages) expect(message).toMatch(/restricted zone/);
  });

  it.each([
    ['adapters/sqlite/example.ts', '../../src/ports/accounts.ts'],
    ['adapters/kafka/example.ts', '../../src/runtime/backoff.ts'],
    ['keys/example.ts', '../src/ports/signing-keys.ts'],
    ['src/services/example.ts', '../ports/accounts.ts'],
    ['src/services/example.ts', '../../keys/key-schedule.ts'],
    ['src/storage/example.ts', '../../adapters/sqlite/account-store.ts'],
    ['src/composition/example.ts', '../../adapters/kafka/kafka-publisher.ts'],
    ['src/provider/example.ts', '../services/app-error.ts'],
  ])('lets %s import %s', async (file, specifier) => {
    expect(await importMessages(file, specifier)).toEqual([]);
  });
});
