import type Provider from 'oidc-provider';
import { describe, expect, it, vi } from 'vitest';

import { installClientInstanceReuse } from '../../src/provider/client-instances.ts';

/** A stand-in for provider.Client: `find` builds a new instance per call, as a cold LRU would. */
function fakeClientModel(metadataById: Map<string, object>) {
  const model = {
    adapter: { find: vi.fn(async (id: string) => metadataById.get(id)) },
    find: vi.fn(async (id: unknown) => {
      const metadata = await model.adapter.find(id as string);
      return metadata ? { builtFrom: metadata } : undefined;
    }),
  };
  return model;
}

describe('client instance reuse', () => {
  it('reuses the instance built from the same metadata object without building again', async () => {
    const metadata = new Map([['svc', { client_id: 'svc' }]]);
    const model = fakeClientModel(metadata);
    const build = model.find;
    installClientInstanceReuse({ Client: model } as unknown as Provider);

    const first = await model.find('svc');
    const second = await model.find('svc');
    expect(second).toBe(first);
    expect(build).toHaveBeenCalledTimes(1);
  });

  it('builds a new instance once the adapter returns a new metadata object', async () => {
    const metadata = new Map([['svc', { client_id: 'svc', scope: 'a' }]]);
    const model = fakeClientModel(metadata);
    installClientInstanceReuse({ Client: model } as unknown as Provider);

    const before = await model.find('svc');
    const changed = { client_id: 'svc', scope: 'b' };
    metadata.set('svc', changed);
    const after = await model.find('svc');
    expect(after).not.toBe(before);
    expect(after).toEqual({ builtFrom: changed });
    expect(await model.find('svc')).toBe(after);
  });

  it('answers undefined for unknown and malformed ids, asking the adapter at most once', async () => {
    const model = fakeClientModel(new Map());
    const build = model.find;
    installClientInstanceReuse({ Client: model } as unknown as Provider);

    expect(await model.find('nobody')).toBeUndefined();
    expect(model.adapter.find).toHaveBeenCalledTimes(1);
    expect(await model.find('')).toBeUndefined();
    expect(await model.find(42)).toBeUndefined();
    expect(model.adapter.find).toHaveBeenCalledTimes(1);
    expect(build).not.toHaveBeenCalled();
  });
});
