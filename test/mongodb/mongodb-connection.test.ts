import { MongoNetworkError, MongoServerError, MongoServerSelectionError } from 'mongodb';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';

import { createMongoClient } from '../../adapters/mongodb/mongo-client.ts';
import { trackAvailability } from '../../adapters/mongodb/store-availability.ts';
import { guardStoreErrors, toStoreError } from '../../adapters/mongodb/store-errors.ts';
import { StoreUnavailableError } from '../../src/ports/storage.ts';

describe('the MongoDB connection settings', () => {
  it('fails fast by default: short server selection, connect and socket timeouts', async () => {
    const client = createMongoClient('mongodb://db.example.com:27017');
    expect(client.options).toMatchObject({
      appName: 'tessera',
      serverSelectionTimeoutMS: 5_000,
      connectTimeoutMS: 5_000,
      socketTimeoutMS: 10_000,
      maxPoolSize: 100,
    });
    await client.close();
  });

  it('lets options in the connection string win over the defaults, in any letter case', async () => {
    const client = createMongoClient(
      'mongodb://a.example.com,b.example.com/?replicaSet=rs0&serverselectiontimeoutms=1500&maxPoolSize=20&tls=true',
    );
    expect(client.options).toMatchObject({
      serverSelectionTimeoutMS: 1_500,
      maxPoolSize: 20,
      replicaSet: 'rs0',
      tls: true,
      connectTimeoutMS: 5_000,
    });
    await client.close();
  });
});

describe('MongoDB error mapping', () => {
  it('turns an unreachable store into StoreUnavailableError and keeps the cause', () => {
    const selection = new MongoServerSelectionError('Server selection timed out after 5000 ms', {
      type: 'Unknown',
    } as never);
    const mapped = toStoreError(selection);
    expect(mapped).toBeInstanceOf(StoreUnavailableError);
    expect((mapped as Error).cause).toBe(selection);
    expect(toStoreError(new MongoNetworkError('connection reset'))).toBeInstanceOf(
      StoreUnavailableError,
    );
    expect(
      toStoreError(new MongoServerError({ code: 11600, errmsg: 'interrupted at shutdown' })),
    ).toBeInstanceOf(StoreUnavailableError);
  });

  it('also recognises a socket error the driver let through unwrapped', () => {
    const epipe = Object.assign(new Error('This socket has been ended by the other party'), {
      code: 'EPIPE',
    });
    expect(toStoreError(epipe)).toBeInstanceOf(StoreUnavailableError);
  });

  it('leaves request errors alone', () => {
    const duplicate = new MongoServerError({ code: 11000, errmsg: 'E11000 duplicate key' });
    expect(toStoreError(duplicate)).toBe(duplicate);
  });

  it('applies the mapping to every method of a port and reports each outage and recovery once', async () => {
    const logged: string[] = [];
    const logger = pino(
      { level: 'info' },
      { write: (line: string) => logged.push((JSON.parse(line) as { msg: string }).msg) },
    );
    let down = true;
    const port = guardStoreErrors(
      {
        async get(): Promise<string> {
          if (down) throw new MongoNetworkError('connection 3 to 127.0.0.1:27017 closed');
          return 'found';
        },
        async put(value: string) {
          return value.toUpperCase();
        },
      },
      { availability: trackAvailability({ logger }) },
    );
    await expect(port.get()).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(port.get()).rejects.toBeInstanceOf(StoreUnavailableError);
    down = false;
    await expect(port.get()).resolves.toBe('found');
    await expect(port.put('ok')).resolves.toBe('OK');
    expect(logged).toEqual([
      'MongoDB is unreachable; requests needing the store answer 503',
      'MongoDB is reachable again',
    ]);
  });

  it('cuts off an operation that never settles, as unreachable', async () => {
    const port = guardStoreErrors(
      { hang: () => new Promise<never>(() => undefined) },
      { timeoutMs: 20 },
    );
    await expect(port.hang()).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it('maps errors without an availability listener too', async () => {
    const port = guardStoreErrors({
      async get(): Promise<string> {
        throw new MongoNetworkError('connection 3 to 127.0.0.1:27017 closed');
      },
      async put(value: string) {
        return value.toUpperCase();
      },
    });
    await expect(port.get()).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(port.put('ok')).resolves.toBe('OK');
  });
});
