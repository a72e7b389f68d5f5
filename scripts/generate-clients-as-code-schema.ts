/**
 * `npm run clients:schema`: writes docs/clients-as-code.schema.json from the zod schemas of the
 * admin API (src/admin/config-file-schema.ts), the same document `tessera schema` prints.
 * test/cli/clients-as-code-schema.test.ts fails while the committed file differs from it.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { renderConfigFileJsonSchema } from '../src/admin/config-file-schema.ts';

export const CLIENTS_AS_CODE_SCHEMA_PATH = resolve(
  import.meta.dirname,
  '..',
  'docs',
  'clients-as-code.schema.json',
);

if (process.argv[1] && resolve(process.argv[1]) === import.meta.filename) {
  writeFileSync(CLIENTS_AS_CODE_SCHEMA_PATH, renderConfigFileJsonSchema());
  console.log(`wrote ${CLIENTS_AS_CODE_SCHEMA_PATH}`);
}
