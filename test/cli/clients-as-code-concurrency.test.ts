import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { connectAdminApi, type AdminHttpClient } from '../../src/cli/admin-http-client.ts';
import { applyChanges, ApplyStoppedError } from '../../src/cli/config-as-code/config-apply.ts';
import { planChanges } from '../../src/cli/config-as-code/config-plan.ts';
import { fetchCurrentState } from '../../src/cli/config-as-code/config-state.ts';
import { issueToken } from '../helpers/admin-fixtures.ts';
import { STORAGE_BACKENDS, startTestTesseraOn } from '../helpers/storage-backends.ts';
import type { TestTessera } from '../helpers/test-tessera.ts';

/**
 * The window between apply's plan and its writes is too short to hit from outside, so the test
 * opens it: the admin API client apply uses lets another admin's change in before the first
 * write of the run, as a concurrent `tessera clients update` would.
 */
describe.each(STORAGE_BACKENDS)('tessera apply against a concurrent change on %s', (backend) => {
  let t: TestTessera;
  let api: AdminHttpClient;

  beforeAll(async () => {
    t = await startTestTesseraOn(backend);
    const { client } = await issueToken(t);
    api = connectAdminApi({ url: t.issuer, ...client });
  });
  afterAll(() => t.stop());

  it('stops at the object changed since the plan, shows the change, and applies nothing further', async () => {
    for (const id of ['first', 'second']) {
      await api.call('POST', '/clients', { body: { client_id: id, name: id, scope: 'a' } });
    }
    const file = {
      clients: {
        first: { client_id: 'first', name: 'first', scope: 'a b' },
        second: { client_id: 'second', name: 'second', scope: 'a b' },
      },
    };
    const plan = planChanges('tessera.yaml', file, await fetchCurrentState(api), { prune: false });
    expect(plan.changes.map((change) => change.action)).toEqual(['update', 'update']);

    let interfered = false;
    const racing: AdminHttpClient = {
      async call(method, path, options) {
        if (method === 'PATCH' && !interfered) {
          interfered = true;
          await api.call('PATCH', '/clients/first', {
            body: { scope: 'by someone else' },
            ifMatch: '*',
          });
        }
        return api.call(method, path, options);
      },
    };
    const stopped = await applyChanges(racing, 'tessera.yaml', plan.changes, {}).catch(
      (error: unknown) => error,
    );
    expect(stopped).toBeInstanceOf(ApplyStoppedError);
    const message = (stopped as ApplyStoppedError).message;
    expect(message).toContain('tessera.yaml: clients.first: changed since the plan');
    expect(message).toContain('Now at version 2');
    expect(message).toContain('scope: "by someone else" -> "a b"');
    expect((stopped as ApplyStoppedError).applied).toEqual([]);

    expect((await t.tessera.storage.clients.get('first'))?.metadata.scope).toBe('by someone else');
    const second = await t.tessera.storage.clients.get('second');
    expect(second).toMatchObject({ version: 1, metadata: expect.objectContaining({ scope: 'a' }) });
  });
});
