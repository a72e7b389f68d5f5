import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

import { CLIENTS_AS_CODE_SCHEMA_PATH } from '../../scripts/generate-clients-as-code-schema.ts';
import {
  configFileSchema,
  renderConfigFileJsonSchema,
} from '../../src/admin/config-file-schema.ts';
import { runTessera } from '../helpers/cli-runner.ts';

const PAGE = resolve(import.meta.dirname, '../../docs/clients-as-code.md');

describe('the clients-as-code schema', () => {
  it('is committed as docs/clients-as-code.schema.json exactly as npm run clients:schema writes it', () => {
    expect(readFileSync(CLIENTS_AS_CODE_SCHEMA_PATH, 'utf8')).toBe(renderConfigFileJsonSchema());
  });

  it('is what tessera schema prints', async () => {
    const run = await runTessera(['schema']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(readFileSync(CLIENTS_AS_CODE_SCHEMA_PATH, 'utf8'));
  });

  it('describes the fields the admin API takes, refusing unknown ones and secrets', () => {
    const schema = JSON.parse(renderConfigFileJsonSchema());
    // Each section is an object of entries, or null (an empty YAML section).
    type Entries = {
      additionalProperties: boolean;
      properties: Record<string, unknown>;
      required: string[];
    };
    const entriesOf = (section: { anyOf: { type: string; additionalProperties?: Entries }[] }) =>
      section.anyOf.find((branch) => branch.type === 'object')?.additionalProperties;
    const client = entriesOf(schema.properties.clients);
    expect(client?.additionalProperties).toBe(false);
    expect(Object.keys(client?.properties ?? {})).toEqual(
      expect.arrayContaining(['client_id', 'name', 'redirect_uris', 'secret_from_env']),
    );
    expect(client?.properties).not.toHaveProperty('client_secret');
    expect(client?.properties).not.toHaveProperty('config_key');
    const server = entriesOf(schema.properties.resource_servers);
    expect(server?.required).toEqual(['audience', 'scopes']);
  });

  it('accepts the example file of docs/clients-as-code.md', () => {
    const example = /```yaml\n([\s\S]*?)```/.exec(readFileSync(PAGE, 'utf8'))?.[1];
    const parsed = configFileSchema.safeParse(parse(example ?? ''));
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
    expect(Object.keys(parsed.data?.clients ?? {})).toEqual(['reporting', 'web']);
  });
});
