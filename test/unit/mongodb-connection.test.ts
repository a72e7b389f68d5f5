import { MongoNetworkError, MongoServerError, MongoServerSelectionError } from 'mongodb';
import { describe, expect, it } from 'vitest';

import { createMongoClient } from '../../adapters/mongodb/mongo-client.ts';
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

  it('leaves request errors alone', () => {
    const duplicate = new MongoServerError({ code: 11000, errmsg: 'E11000 duplicate key' });
    expect(toStoreError(duplicate)).toBe(duplicate);
  });

  it('applies the mapping to every method of a port', async () => {
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
