/**
 * `npm run events:schema`: writes docs/events.schema.json from the zod definitions in
 * src/events/event-schema.ts. test/events/event-schema.test.ts fails while the committed
 * file differs from what this would write.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { eventJsonSchema } from '../src/events/event-schema.ts';

export const EVENT_SCHEMA_PATH = resolve(import.meta.dirname, '..', 'docs', 'events.schema.json');

export function renderEventJsonSchema(): string {
  return `${JSON.stringify(eventJsonSchema(), null, 2)}\n`;
}

if (process.argv[1] && resolve(process.argv[1]) === import.meta.filename) {
  writeFileSync(EVENT_SCHEMA_PATH, renderEventJsonSchema());
  console.log(`wrote ${EVENT_SCHEMA_PATH}`);
}
