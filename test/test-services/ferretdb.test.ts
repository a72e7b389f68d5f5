import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { describe, expect, it } from 'vitest';

import { mongodbUri } from '../helpers/services.ts';

interface Note {
  _id: string;
  text: string;
  tags: string[];
}

describe('the MongoDB test service', () => {
  it('stores a document and returns it unchanged', async () => {
    const client = new MongoClient(mongodbUri(), { serverSelectionTimeoutMS: 5_000 });
    // A database per test keeps parallel test files from seeing each other's data.
    const db = client.db(`smoke_${randomUUID().replaceAll('-', '')}`);
    const notes = db.collection<Note>('notes');
    const note: Note = { _id: 'n1', text: 'hello', tags: ['a', 'b'] };
    try {
      await notes.insertOne(note);

      expect(await notes.findOne({ _id: 'n1' })).toEqual(note);
    } finally {
      await db.dropDatabase();
      await client.close();
    }
  });
});
