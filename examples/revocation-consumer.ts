/**
 * A resource server that accepts Tessera's JWT access tokens and refuses revoked ones within
 * seconds, by following Tessera's events (docs/events.md "Consuming events").
 *
 *   KAFKA_BROKERS=localhost:9092 TESSERA_ISSUER=http://localhost:3000 \
 *   API_AUDIENCE=https://photos.example.com/api PORT=4000 \
 *   npm run example:consumer
 *
 *   curl -H "Authorization: Bearer $ACCESS_TOKEN" localhost:4000/photos
 *
 * A cluster with TLS and SASL takes the variables Tessera reads (docs/configuration.md):
 * KAFKA_SSL=true, KAFKA_SSL_CA_FILE, KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD.
 *
 * Outside this repository, import from 'tessera/events' the same way (after `npm run build`).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

import { createRemoteJWKSet, jwtVerify } from 'jose';
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';
import { createRevocationList, tryParseTesseraEvent } from 'tessera/events';

const env = (name: string, fallback?: string): string => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`set ${name}`);
  return value;
};
const issuer = env('TESSERA_ISSUER');
const audience = env('API_AUDIENCE');
const jwksUrl = new URL(`${issuer}/jwks`);
let jwks = createRemoteJWKSet(jwksUrl);

// --- The part every resource server needs: follow the events, keep the deny-list. ---
const revoked = createRevocationList();
// TLS verifies the brokers' certificates (against only the CA file when one is given).
const caFile = process.env.KAFKA_SSL_CA_FILE;
const ssl =
  process.env.KAFKA_SSL === 'true' && (caFile ? { ca: [readFileSync(caFile, 'utf8')] } : true);
const mechanism = process.env.KAFKA_SASL_MECHANISM;
const sasl =
  mechanism &&
  ({
    mechanism,
    username: env('KAFKA_SASL_USERNAME'),
    password: env('KAFKA_SASL_PASSWORD'),
  } as SASLOptions);
const kafka = new Kafka({
  clientId: 'photos-api',
  brokers: env('KAFKA_BROKERS').split(','),
  ...(ssl ? { ssl } : {}),
  ...(sasl ? { sasl } : {}),
  logLevel: logLevel.WARN,
});
// A group of its own per instance: every instance must see every revocation.
const consumer = kafka.consumer({ groupId: `photos-api-${randomUUID()}`, maxWaitTimeInMs: 200 });
await consumer.connect();
// From the beginning: a fresh instance rebuilds the deny-list from the topic's retention.
await consumer.subscribe({ topic: env('KAFKA_TOPIC', 'tessera.events'), fromBeginning: true });
await consumer.run({
  eachMessage: async ({ message }) => {
    const event = tryParseTesseraEvent(message.value);
    if (event) revoked.apply(event);
    // A key removed from JWKS in an emergency: stop trusting cached keys now, not at max-age.
    if (event?.type === 'tessera.keys.rotated' && event.data.removed.length > 0) {
      jwks = createRemoteJWKSet(jwksUrl);
    }
  },
});
// --- End of the part every resource server needs. ---

const server = createServer((req, res) => {
  const reply = (status: number, body: Record<string, unknown>) => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  };
  const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
  if (!token) return reply(401, { error: 'invalid_token', error_description: 'no bearer token' });
  // RFC 9068: an access token JWT has typ at+jwt, our issuer, our audience.
  jwtVerify(token, jwks, { issuer, audience, typ: 'at+jwt' }).then(
    ({ payload }) => {
      // Revoked by `jti`, issued to a client that has been deleted since, or issued to a client
      // before an administrator revoked all its tokens (its `iat` at or before that second).
      if (revoked.isAccessTokenRevoked(payload)) {
        return reply(401, { error: 'invalid_token', error_description: 'the token was revoked' });
      }
      return reply(200, { photos: [], sub: payload.sub });
    },
    () => reply(401, { error: 'invalid_token', error_description: 'the token is not valid' }),
  );
});
server.listen(Number(env('PORT', '4000')), '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  console.log(JSON.stringify({ msg: 'photos api listening', port }));
});

const stop = () => {
  server.close();
  void consumer.disconnect().then(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
