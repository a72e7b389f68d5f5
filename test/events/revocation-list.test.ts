import { describe, expect, it } from 'vitest';

import { toCloudEvent } from '../../src/events/cloud-event.ts';
import { parseTesseraEvent, type TesseraEvent } from '../../src/events/consumer.ts';
import {
  createEventFactory,
  throwInvalidEvent,
  type NewEvent,
} from '../../src/events/event-factory.ts';
import { createRevocationList } from '../../src/events/revocation-list.ts';
import { createTestClock } from '../contracts/storage-fixture.ts';

const START = Date.UTC(2026, 0, 1);
const seconds = (ms: number) => Math.floor(ms / 1000);

/** A list on a hand-moved clock, and events as a consumer parses them off the topic. */
function setUp() {
  const clock = createTestClock(START);
  const newEvent = createEventFactory({
    source: 'https://id.example.com',
    clock,
    onInvalid: throwInvalidEvent,
  });
  const received = (event: NewEvent): TesseraEvent =>
    parseTesseraEvent(JSON.stringify(toCloudEvent(newEvent(event))));
  return { clock, list: createRevocationList({ clock }), received };
}

const clientDeleted = (clientId: string, tokensValidUntil?: number): NewEvent => ({
  type: 'tessera.client.deleted',
  subject: clientId,
  data: {
    client_id: clientId,
    ...(tokensValidUntil === undefined ? {} : { tokens_valid_until: tokensValidUntil }),
  },
});

const jwtRevoked = (jti: string, exp: number): NewEvent => ({
  type: 'tessera.token.revoked',
  subject: 'acct_1',
  data: {
    token_type: 'access_token',
    format: 'jwt',
    jti,
    client_id: 'cl_app',
    sub: 'acct_1',
    grant_id: 'g1',
    exp,
    reason: 'revocation_endpoint',
  },
});

const clientTokensRevoked = (
  clientId: string,
  issuedBefore: number,
  tokensValidUntil: number,
): NewEvent => ({
  type: 'tessera.client.tokens_revoked',
  subject: clientId,
  data: {
    client_id: clientId,
    issued_before: issuedBefore,
    tokens_valid_until: tokensValidUntil,
  },
});

describe('the revocation list (tessera/events)', () => {
  it("denies every token of a deleted client until its tokens_valid_until, and only that client's", () => {
    const { clock, list, received } = setUp();
    expect(list.apply(received(clientDeleted('cl_gone', seconds(START) + 3600)))).toBe(true);

    expect(list.isClientDeleted('cl_gone')).toBe(true);
    expect(list.isAccessTokenRevoked({ jti: 'any', client_id: 'cl_gone' })).toBe(true);
    expect(list.isAccessTokenRevoked({ jti: 'any', client_id: 'cl_other' })).toBe(false);

    clock.advance(3600 * 1000);
    expect(list.isClientDeleted('cl_gone')).toBe(false);
    expect(list.isAccessTokenRevoked({ jti: 'any', client_id: 'cl_gone' })).toBe(false);
  });

  it("forgets a deleted client's entry once it has passed", () => {
    const { clock, list, received } = setUp();
    list.apply(received(clientDeleted('cl_gone', seconds(START) + 60)));
    clock.advance(61_000);
    // Entries are swept every thousand additions.
    for (let index = 0; index < 1000; index += 1) {
      list.apply(received(jwtRevoked(`jti-${index}`, seconds(START) + 3600)));
    }
    expect(list.size).toBe(1000);
  });

  it('denies the tokens of a client deleted by an older Tessera for the fallback TTL from the deletion', () => {
    const { clock, list, received } = setUp();
    const event = received(clientDeleted('cl_old'));
    clock.advance(3_600_000);
    // Read from the topic an hour after the deletion: denied for the rest of the fallback day.
    expect(list.apply(event)).toBe(true);
    clock.advance(22 * 3_600_000);
    expect(list.isClientDeleted('cl_old')).toBe(true);
    clock.advance(3_600_000);
    expect(list.isClientDeleted('cl_old')).toBe(false);
  });

  it('ignores a client deletion whose tokens have all expired already', () => {
    const { list, received } = setUp();
    expect(list.apply(received(clientDeleted('cl_gone', seconds(START) - 1)))).toBe(false);
    expect(list.size).toBe(0);
  });

  it('denies a revoked jti through the same check, and a token without a jti', () => {
    const { list, received } = setUp();
    list.apply(received(jwtRevoked('jti-1', seconds(START) + 60)));
    expect(list.isAccessTokenRevoked({ jti: 'jti-1', client_id: 'cl_app' })).toBe(true);
    expect(list.isAccessTokenRevoked({ jti: 'jti-2', client_id: 'cl_app' })).toBe(false);
    expect(list.isAccessTokenRevoked({ client_id: 'cl_app' })).toBe(true);
  });

  it("denies a client's tokens issued up to its revocation, and not those issued after", () => {
    const { list, received } = setUp();
    const revokedAt = seconds(START) - 10;
    expect(
      list.apply(received(clientTokensRevoked('cl_leaked', revokedAt, revokedAt + 3600))),
    ).toBe(true);

    const token = (iat: number, clientId = 'cl_leaked') => ({
      jti: `j-${iat}`,
      client_id: clientId,
      iat,
    });
    expect(list.isAccessTokenRevoked(token(revokedAt - 100))).toBe(true);
    expect(list.isAccessTokenRevoked(token(revokedAt))).toBe(true);
    expect(list.isAccessTokenRevoked(token(revokedAt + 1))).toBe(false);
    expect(list.isAccessTokenRevoked(token(revokedAt - 100, 'cl_other'))).toBe(false);
    expect(list.isAccessTokenRevoked({ jti: 'j', client_id: 'cl_leaked' })).toBe(true);
    expect(list.isIssuedBeforeClientRevocation('cl_leaked', revokedAt)).toBe(true);
    expect(list.isClientDeleted('cl_leaked')).toBe(false);
  });

  it('stops denying them once the longest access-token TTL has passed, and forgets the entry', () => {
    const { clock, list, received } = setUp();
    list.apply(received(clientTokensRevoked('cl_leaked', seconds(START), seconds(START) + 60)));
    const old = { jti: 'j', client_id: 'cl_leaked', iat: seconds(START) - 1 };
    clock.advance(59_000);
    expect(list.isAccessTokenRevoked(old)).toBe(true);
    clock.advance(1_000);
    expect(list.isAccessTokenRevoked(old)).toBe(false);
    for (let index = 0; index < 1000; index += 1) {
      list.apply(received(jwtRevoked(`jti-${index}`, seconds(START) + 3600)));
    }
    expect(list.size).toBe(1000);
  });

  it('keeps the later revocation of a client, whichever order the events arrive in', () => {
    const first = clientTokensRevoked('cl_leaked', seconds(START) + 10, seconds(START) + 3610);
    const second = clientTokensRevoked('cl_leaked', seconds(START) + 20, seconds(START) + 3620);
    for (const order of [
      [first, second],
      [second, first],
    ]) {
      const { list, received } = setUp();
      for (const event of order) list.apply(received(event));
      expect(list.isIssuedBeforeClientRevocation('cl_leaked', seconds(START) + 20)).toBe(true);
      expect(list.isIssuedBeforeClientRevocation('cl_leaked', seconds(START) + 21)).toBe(false);
      expect(list.apply(received(first))).toBe(false);
      expect(list.size).toBe(1);
    }
  });

  it('ignores a revocation of all tokens whose tokens have all expired already', () => {
    const { list, received } = setUp();
    const event = clientTokensRevoked('cl_old', seconds(START) - 7200, seconds(START) - 1);
    expect(list.apply(received(event))).toBe(false);
    expect(list.size).toBe(0);
  });
});
