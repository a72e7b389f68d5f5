import { defineGroup, flag, optionalText, text } from '../env-variable.ts';

export const storageVariables = defineGroup({
  title: 'Storage',
  about:
    'An embedded SQLite file in the data dir by default; MongoDB when `MONGODB_URI` is set (see [MongoDB](operations.md#mongodb)).',
  variables: {
    TESSERA_DATA_DIR: {
      ...text('./data'),
      description: 'embedded store (`tessera.sqlite`) and development secrets',
      allowed: 'a directory path',
    },
    MONGODB_URI: {
      ...optionalText(),
      description:
        'use MongoDB instead of SQLite; connection options (and credentials) go in the URI',
      default: 'unset: SQLite',
      allowed: 'a MongoDB connection string',
    },
    MONGODB_DB: {
      ...text('tessera', {
        regex: /^[^/\\. "$*<>:|?]{1,63}$/,
        message: 'a MongoDB database name (no / \\ . space " $ * < > : | ?)',
      }),
      description: 'the MongoDB database',
      allowed: '1–63 characters, none of `/\\. "$*<>:|?` nor a space',
    },
    TESSERA_MONGODB_ENSURE_INDEXES: {
      ...flag(true),
      description: 'create missing MongoDB indexes at startup; `false`: run `tessera migrate`',
    },
  },
  rules: [],
});
