import { openTestMongoStorage } from '../helpers/mongodb-storage.ts';
import { describeStorageContract } from './storage.contract.ts';

// FerretDB from the test setup, or the server MONGODB_URI names; a fresh database per storage.
describeStorageContract('mongodb', (clock) => openTestMongoStorage({ clock }));
