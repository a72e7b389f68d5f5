import { describe, expect, it } from 'vitest';

import { createMetrics } from '../../src/metrics/create-metrics.ts';
import { instrumentStorage } from '../../src/metrics/instrument-storage.ts';
import { StoreUnavailableError, type Storage } from '../../src/ports/storage.ts';
import { parsePrometheusText, sampleValue } from '../helpers/prometheus-text.ts';

/** A store whose client port fails on demand; the other ports are never called here. */
function fakeStorage(behaviour: { get: () => Promise<unknown> }): Storage {
  class ClientPort {
    readonly calls: string[] = [];
    async get(id: string) {
      this.calls.push(id);
      return behaviour.get();
    }
  }
  return {
    kind: 'sqlite',
    clients: new ClientPort(),
    async ping() {
      throw new StoreUnavailableError('no answer');
    },
    async close() {},
  } as unknown as Storage;
}

const errorsOf = async (
  metrics: ReturnType<typeof createMetrics>,
  labels: Record<string, string>,
) =>
  sampleValue(
    parsePrometheusText(await metrics.registry.metrics()),
    'tessera_store_errors_total',
    labels,
  );

describe('instrumentStorage', () => {
  it('passes results through and counts nothing when calls succeed', async () => {
    const metrics = createMetrics();
    const storage = instrumentStorage(fakeStorage({ get: async () => ({ id: 1 }) }), metrics.store);
    expect(await storage.clients.get('c1')).toEqual({ id: 1 });
    expect(storage.kind).toBe('sqlite');
    expect(await errorsOf(metrics, {})).toBeUndefined();
  });

  it('counts a rejected call by port and operation, and rethrows the same error', async () => {
    const metrics = createMetrics();
    const failure = new Error('disk full');
    const storage = instrumentStorage(
      fakeStorage({ get: () => Promise.reject(failure) }),
      metrics.store,
    );
    await expect(storage.clients.get('c1')).rejects.toBe(failure);
    await expect(storage.clients.get('c2')).rejects.toBe(failure);
    expect(await errorsOf(metrics, { port: 'clients', operation: 'get', kind: 'failed' })).toBe(2);
  });

  it('counts an unreachable store as kind "unavailable", on the storage’s own methods too', async () => {
    const metrics = createMetrics();
    const storage = instrumentStorage(
      fakeStorage({ get: () => Promise.reject(new StoreUnavailableError('down')) }),
      metrics.store,
    );
    await expect(storage.clients.get('c1')).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(storage.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(
      await errorsOf(metrics, { port: 'clients', operation: 'get', kind: 'unavailable' }),
    ).toBe(1);
    expect(
      await errorsOf(metrics, { port: 'storage', operation: 'ping', kind: 'unavailable' }),
    ).toBe(1);
  });

  it('keeps `this` for ports built as classes', async () => {
    const metrics = createMetrics();
    const raw = fakeStorage({ get: async () => undefined });
    const storage = instrumentStorage(raw, metrics.store);
    await storage.clients.get('c9');
    expect((raw.clients as unknown as { calls: string[] }).calls).toEqual(['c9']);
  });
});
