import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { CONFIG_DOC_PATH, renderConfigDoc } from '../../scripts/generate-config-doc.ts';
import { ENV_GROUPS, envSchema } from '../../src/config/env-schema.ts';

describe('the configuration reference', () => {
  it('is committed as docs/configuration.md exactly as npm run config:doc writes it', async () => {
    expect(
      readFileSync(CONFIG_DOC_PATH, 'utf8'),
      'docs/configuration.md is stale: run `npm run config:doc` and commit the result',
    ).toBe(await renderConfigDoc());
  });

  it('defines each variable Tessera reads in exactly one group, and documents it once', async () => {
    const defined = ENV_GROUPS.flatMap((group) => Object.keys(group.variables));
    expect(defined.toSorted()).toEqual(Object.keys(envSchema.shape).toSorted());
    const reference = await renderConfigDoc();
    for (const variable of defined) {
      expect(reference.match(new RegExp(`^\\| \`${variable}\` `, 'gm')), variable).toHaveLength(1);
    }
  });

  it('names only defined variables in the rules', () => {
    for (const group of ENV_GROUPS) {
      for (const rule of group.rules) expect(Object.keys(group.variables)).toContain(rule.variable);
    }
  });
});
