import { rm } from 'node:fs/promises';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startFerretDb } from '../../scripts/test-services/ferretdb.ts';
import type { FerretDbHandle } from '../../scripts/test-services/ferretdb.ts';
import { assertTcpAccepts } from '../../scripts/test-services/ports.ts';

// Fault drills stop the database under a live application; this proves the handle can do that
// and that one client outlives the outage. A private server keeps the shared one untouched.
describe('a FerretDB handle', () => {
  let ferretDb: FerretDbHandle;
  let client: MongoClient;

  beforeAll(async () => {
    ferretDb = await startFerretDb();
    client = new MongoClient(ferretDb.uri, { serverSelectionTimeoutMS: 10_000 });
    await client.connect();
  });

  afterAll(async () => {
    // Optional chaining: beforeAll may have failed before assigning them.
    await client?.close();
    await ferretDb?.stop();
    if (ferretDb) await rm(ferretDb.dataDir, { recursive: true, force: true });
  });

  it('keeps documents across a graceful stop and start on the same port', async () => {
    const notes = client.db('restart').collection<{ _id: string; text: string }>('graceful');
    await notes.insertOne({ _id: 'n1', text: 'before stop' });

    // Takes ~3 s: FerretDB gives connected clients a grace period before it exits.
    await ferretDb.stop();
    await expect(assertTcpAccepts(ferretDb.port)).rejects.toThrow(/ECONNREFUSED/);
    await ferretDb.start();

    expect(await notes.findOne({ _id: 'n1' })).toEqual({ _id: 'n1', text: 'before stop' });
  });

  it('keeps acknowledged documents across a kill and start', async () => {
    const notes = client.db('restart').collection<{ _id: string; text: string }>('crash');
    await notes.insertOne({ _id: 'n1', text: 'before crash' });

    await ferretDb.kill();
    await expect(assertTcpAccepts(ferretDb.port)).rejects.toThrow(/ECONNREFUSED/);
    await ferretDb.start();

    expect(await notes.findOne({ _id: 'n1' })).toEqual({ _id: 'n1', text: 'before crash' });
  });
});
