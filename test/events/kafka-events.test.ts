import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { EVENT_TYPES } from '../../src/events/event-types.ts';
import { parseTesseraEvent, type TesseraEvent } from '../../src/events/consumer.ts';
import { callTokenEndpoint } from '../helpers/jwt-access-tokens.ts';
import { registerClient, relyingParty } from '../helpers/oauth-fixtures.ts';
import { BrowserSession } from '../helpers/browser-session.ts';
import { collectEvents, createTopic, type EventCollector } from '../helpers/kafka-events.ts';
import { kafkaBrokers } from '../helpers/services.ts';
import {
  authorizationRequest,
  createUser,
  formValue,
  postRefresh,
  registerAppClient,
  signInAndRedeem,
  submitLogin,
} from '../helpers/sign-in-fixtures.ts';
import { STORAGE_BACKENDS, startTestTesseraOn } from '../helpers/storage-backends.ts';
import type { TestTessera } from '../helpers/test-tessera.ts';

const API = 'https://photos.example.com/api';

/** The documented message key of each event: the user, the client, or what else it is about. */
function expectedKey(event: TesseraEvent): string {
  switch (event.type) {
    case 'tessera.keys.rotated':
      return 'tessera.signing-keys';
    case 'tessera.token.revoked':
    case 'tessera.grant.revoked':
      return event.data.sub ?? event.data.client_id;
    default:
      return event.subject;
  }
}

describe.each(STORAGE_BACKENDS)('events on Kafka (%s store)', (backend) => {
  let t: TestTessera;
  let collector: EventCollector;

  beforeAll(async () => {
    const brokers = kafkaBrokers();
    const topic = await createTopic(brokers);
    t = await startTestTesseraOn(backend, {
      KAFKA_BROKERS: brokers,
      KAFKA_TOPIC: topic,
      TESSERA_OUTBOX_POLL_MS: '50',
    });
    collector = await collectEvents(brokers, topic);
  });
  afterAll(async () => {
    await collector.stop();
    await t.stop();
  });

  /** Makes Tessera record at least one event of every type, through its real entry points. */
  async function produceEveryType(): Promise<void> {
    const aliceId = await createUser(t);
    await t.tessera.accounts.unlock(aliceId);
    await t.tessera.resourceServers.create({ audience: API, scopes: ['photos:read'] });
    const resource = await t.tessera.resourceServers.findByAudience(API);
    await t.tessera.resourceServers.update(resource!.id, {
      scopes: ['photos:read', 'photos:write'],
    });
    const app = await registerAppClient(t, {
      public: true,
      scope: 'openid offline_access photos:read',
    });
    await t.tessera.clients.update(app.clientId, { name: 'Photo Gallery 2' });

    // Sign-in failure, then success with refresh-token reuse (tokens and grant revoked), logout.
    const failing = new BrowserSession();
    const request = await authorizationRequest(app, { params: { scope: 'openid' } });
    const loginPage = await failing.follow(request.url.href, t.issuer);
    await submitLogin(failing, t, loginPage.page, 'alice', 'not the password');
    const { tokens, browser } = await signInAndRedeem(t, app, undefined, {
      params: { scope: 'openid offline_access photos:read', prompt: 'consent', resource: API },
    });
    await oidc.refreshTokenGrant(app.rp, tokens.refresh_token!);
    const reuse = await postRefresh(t, app, tokens.refresh_token!);
    expect(reuse.body.error).toBe('invalid_grant');
    const confirm = await browser.request(`${t.issuer}/session/end`);
    await browser.follow(`${t.issuer}/session/end/confirm`, t.issuer, {
      form: { xsrf: formValue(confirm.body, 'xsrf'), logout: 'yes' },
    });

    const service = await t.tessera.clients.create({
      name: 'Billing',
      metadata: { grant_types: ['client_credentials'] },
    });
    await t.tessera.clients.addSecret(service.client.clientId);
    await t.tessera.clients.revokeTokens(service.client.clientId);
    await t.tessera.clients.delete(service.client.clientId);
    await t.tessera.resourceServers.delete(resource!.id);
    await t.tessera.signingKeyAdmin.rotate({ force: true });

    // Second factors: recovery codes made, removed, then a reset.
    await t.tessera.factors.generateRecoveryCodes(aliceId);
    await t.tessera.factors.remove(aliceId, `recovery:${aliceId}`, 'user');
    await t.tessera.factors.reset(aliceId);
  }

  it('publishes every event type under its documented key, as a schema-valid CloudEvent', async () => {
    await produceEveryType();
    const recorded = await t.tessera.storage.outbox.listRecent({ limit: 1000 });
    await collector.until((messages) => {
      const seen = new Set(messages.map((message) => message.id));
      return recorded.every((event) => seen.has(event.id));
    });

    const received = collector.messages.map((message) => ({
      message,
      event: parseTesseraEvent(message.value),
    }));
    expect(new Set(received.map(({ event }) => event.type))).toEqual(new Set(EVENT_TYPES));
    for (const { message, event } of received) {
      expect(message.headers['content-type']).toBe('application/cloudevents+json');
      expect(message.key).toBe(expectedKey(event));
      expect(event.partitionkey).toBe(message.key);
      expect(event.source).toBe(t.issuer);
    }
  });

  it('marks what it published, and /readyz reports the relay and an empty backlog', async () => {
    const { client } = await t.tessera.clients.create({ name: 'One more', metadata: {} });
    const [created] = await t.tessera.storage.outbox.listRecent({
      type: 'tessera.client.created',
      limit: 1,
    });
    expect(created?.subject).toBe(client.clientId);
    await collector.until((messages) => messages.some((message) => message.id === created!.id));
    await expect.poll(async () => (await t.tessera.storage.outbox.backlog()).pending).toBe(0);
    await expect
      .poll(async () => (await fetch(`${t.issuer}/readyz`)).json())
      .toEqual({
        status: 'ready',
        outbox: { relay: 'publishing', pending: 0, oldest_pending_age_seconds: 0 },
      });
  });

  it("publishes a JWT's revocation, and a client's revocation of all its tokens, as consumers read them", async () => {
    const service = await registerClient(t, { name: 'Reports', scope: 'photos:read' });
    await t.tessera.resourceServers.create({ audience: `${API}/v2`, scopes: ['photos:read'] });
    const rp = await relyingParty(t, service);
    const issue = async () =>
      (await oidc.clientCredentialsGrant(rp, { resource: `${API}/v2`, scope: 'photos:read' }))
        .access_token;
    const revokedJwt = await issue();
    await issue();
    const { jti, exp } = decodeJwt(revokedJwt);

    expect((await callTokenEndpoint(t.issuer, 'revocation', service, revokedJwt)).status).toBe(200);
    const revokedAll = await t.tessera.clients.revokeTokens(service.clientId);

    const received = () =>
      collector.messages
        .filter((message) => message.key === service.clientId)
        .map((message) => parseTesseraEvent(message.value));
    await collector.until(() =>
      received().some((event) => event.type === 'tessera.client.tokens_revoked'),
    );
    expect(received().map((event) => [event.type, event.data])).toEqual([
      ['tessera.client.created', expect.objectContaining({ client_id: service.clientId })],
      [
        'tessera.token.revoked',
        {
          token_type: 'access_token',
          format: 'jwt',
          jti,
          exp,
          client_id: service.clientId,
          sub: null,
          grant_id: null,
          reason: 'revocation_endpoint',
        },
      ],
      [
        'tessera.client.tokens_revoked',
        {
          client_id: service.clientId,
          issued_before: revokedAll.issuedBefore,
          tokens_valid_until: revokedAll.tokensValidUntil,
        },
      ],
    ]);
  });
});
