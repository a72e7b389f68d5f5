import type { Config } from '../config/config.ts';
import { protectLegacyRecords } from '../provider/legacy-record-protection.ts';
import { createRecordSealer } from '../provider/model-record-protection.ts';

/**
 * The data migrations of this version, in order (src/storage/data-migrations.ts). Its own module,
 * apart from migrate-storage.ts, so that the server imports it without the MongoDB driver: a
 * SQLite Tessera never loads `mongodb` (docs/benchmarks.md "Performance", idle memory).
 */
export const dataMigrationsFor = (config: Config) => [
  protectLegacyRecords(createRecordSealer(config.secrets.keyEncryptionKey)),
];
