import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { BrowserSession } from '../helpers/browser-session.ts';
import { runTessera } from '../helpers/cli-runner.ts';
import { collectEvents, createTopic, type EventCollector } from '../helpers/kafka-events.ts';
import { kafkaBrokers } from '../helpers/services.ts';
import { formAction, formValue } from '../helpers/sign-in-fixtures.ts';
import { spawnTessera, waitFor, type TesseraProcess } from '../helpers/tessera-process.ts';

/** A bound that only ends a hung step: every step runs real processes on a shared machine. */
const PATIENCE_MS = 60_000;

/**
 * The README's "A five-minute tour", step by step, with the commands it shows: the CLI as it is
 * run there, and plain HTTP requests where the tour uses curl and a browser. Each step builds on
 * the one before, as in the README.
 */
describe("the README's five-minute tour", () => {
  const API = 'https://orders.example.com';
  const REDIRECT_URI = 'http://127.0.0.1:8080/callback';
  const PASSWORD = 'correct horse battery staple';
  let dataDir: string;
  let server: TesseraProcess;
  let admin: Record<string, string>;
  let collector: EventCollector | undefined;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'tessera-tour-'));
    // Nothing but a data dir: development secrets are generated, as on a first `npm start`.
    server = await spawnTessera({ TESSERA_DATA_DIR: dataDir });
  });
  afterAll(async () => {
    await collector?.stop();
    server.child.kill('SIGTERM');
    await server.exited;
    rmSync(dataDir, { recursive: true, force: true });
  });

  const tessera = (args: string[], stdin?: string) =>
    runTessera(args, admin, stdin === undefined ? {} : { stdin });

  it(
    'gives a new service a JWT for a registered API with nothing but the CLI and curl',
    async () => {
      // ADMIN=$(npx tessera init --json), then its client_id and client_secret exported.
      const init = await runTessera(['init', '--json'], { TESSERA_DATA_DIR: dataDir });
      expect(init.code).toBe(0);
      admin = {
        TESSERA_URL: server.url,
        TESSERA_CLIENT_ID: init.json().client_id,
        TESSERA_CLIENT_SECRET: init.json().client_secret,
      };

      const api = await tessera([
        'resources',
        'create',
        '--name',
        'Orders',
        '--audience',
        API,
        '--scope',
        'orders:read orders:write',
      ]);
      expect(api.code).toBe(0);
      const billing = await tessera([
        'clients',
        'create',
        '--name',
        'billing',
        '--scope',
        'orders:read',
        '--json',
      ]);
      expect(billing.code).toBe(0);
      const { client_id: billingId, client_secret: billingSecret } = billing.json();
      const basic = `Basic ${Buffer.from(`${billingId}:${billingSecret}`).toString('base64')}`;

      const issued = await fetch(`${server.url}/token`, {
        method: 'POST',
        headers: { authorization: basic },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          resource: API,
          scope: 'orders:read',
        }),
      });
      expect(issued.status).toBe(200);
      const token = ((await issued.json()) as { access_token: string }).access_token;
      const { payload, protectedHeader } = await jwtVerify(
        token,
        createRemoteJWKSet(new URL(`${server.url}/jwks`)),
        { issuer: server.url, audience: API, typ: 'at+jwt' },
      );
      expect(protectedHeader.alg).toBe('ES256');
      expect(payload).toMatchObject({ client_id: billingId, scope: 'orders:read' });

      const introspection = await fetch(`${server.url}/token/introspection`, {
        method: 'POST',
        headers: { authorization: basic },
        body: new URLSearchParams({ token }),
      });
      expect(await introspection.json()).toMatchObject({
        active: true,
        client_id: billingId,
        aud: API,
        scope: 'orders:read',
      });
    },
    PATIENCE_MS,
  );

  it(
    'signs a person in on the hosted pages and hands the code to the redirect URI',
    async () => {
      const user = await tessera(
        [
          'users',
          'create',
          '--username',
          'alice',
          '--name',
          'Alice Liddell',
          '--email',
          'alice@example.com',
          '--password-stdin',
          '--json',
        ],
        PASSWORD,
      );
      expect(user.code).toBe(0);
      const web = await tessera([
        'clients',
        'create',
        '--name',
        'Web app',
        '--public',
        '--grant-type',
        'authorization_code',
        '--redirect-uri',
        REDIRECT_URI,
        '--scope',
        'openid profile email',
        '--json',
      ]);
      expect(web.code).toBe(0);
      const webId: string = web.json().client_id;

      // VERIFIER and CHALLENGE as the tour makes them with openssl: base64url, no padding.
      const verifier = randomBytes(32).toString('base64url');
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      const authorizationUrl =
        `${server.url}/auth?response_type=code&client_id=${webId}` +
        `&scope=openid%20profile%20email&redirect_uri=${REDIRECT_URI}` +
        `&code_challenge=${challenge}&code_challenge_method=S256&state=tour`;

      const browser = new BrowserSession();
      const login = await browser.follow(authorizationUrl, server.url);
      expect(login.page.body).toContain('name="password"');
      const consent = await browser.follow(
        new URL(formAction(login.page.body, '/login'), server.url).href,
        server.url,
        {
          form: { csrf: formValue(login.page.body, 'csrf'), username: 'alice', password: PASSWORD },
        },
      );
      expect(consent.page.body).toContain('Web app');
      const back = await browser.follow(
        new URL(formAction(consent.page.body, '/confirm'), server.url).href,
        server.url,
        { form: { csrf: formValue(consent.page.body, 'csrf') } },
      );
      const callback = back.leftTo!;
      expect(`${callback.origin}${callback.pathname}`).toBe(REDIRECT_URI);
      expect(callback.searchParams.get('state')).toBe('tour');

      const exchanged = await fetch(`${server.url}/token`, {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          client_id: webId,
          code: callback.searchParams.get('code')!,
          redirect_uri: REDIRECT_URI,
          code_verifier: verifier,
        }),
      });
      expect(exchanged.status).toBe(200);
      const tokens = (await exchanged.json()) as { id_token: string; access_token: string };
      expect(decodeJwt(tokens.id_token)).toMatchObject({
        sub: user.json().id,
        aud: webId,
        acr: 'urn:tessera:acr:single-factor',
        amr: ['pwd'],
      });
      const userinfo = await fetch(`${server.url}/me`, {
        headers: { authorization: `Bearer ${tokens.access_token}` },
      });
      expect(await userinfo.json()).toMatchObject({
        sub: user.json().id,
        name: 'Alice Liddell',
        preferred_username: 'alice',
        email: 'alice@example.com',
      });
    },
    PATIENCE_MS,
  );

  it(
    'lists the event of every step, pending while no Kafka is configured',
    async () => {
      const listed = await tessera(['events', 'list', '--json']);
      expect(listed.code).toBe(0);
      const events: { type: string; published_at: string | null }[] = listed.json().items;
      expect(events.map((event) => event.type)).toEqual([
        'tessera.login.succeeded',
        'tessera.client.created',
        'tessera.account.created',
        'tessera.client.created',
        'tessera.resource_server.created',
        'tessera.client.created',
      ]);
      expect(events.every((event) => event.published_at === null)).toBe(true);
    },
    PATIENCE_MS,
  );

  it(
    'publishes the events recorded so far once restarted with KAFKA_BROKERS',
    async () => {
      const recorded: { id: string }[] = (await tessera(['events', 'list', '--json'])).json().items;
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
      // The tour's broker and default topic (tessera.events); a topic of its own here, since the
      // test broker is shared.
      const brokers = kafkaBrokers();
      const topic = await createTopic(brokers);
      server = await spawnTessera({
        TESSERA_DATA_DIR: dataDir,
        KAFKA_BROKERS: brokers,
        KAFKA_TOPIC: topic,
      });
      admin = { ...admin, TESSERA_URL: server.url };

      collector = await collectEvents(brokers, topic);
      const delivered = collector;
      await delivered.until(
        (messages) =>
          recorded.every((event) => messages.some((message) => message.id === event.id)),
        PATIENCE_MS,
      );
      // The relay marks a batch published once Kafka has acknowledged it, so shortly after.
      const published = await waitFor(
        async () => {
          const events: { published_at: string | null }[] = (
            await tessera(['events', 'list', '--json'])
          ).json().items;
          return events.every((event) => event.published_at !== null) ? events : undefined;
        },
        PATIENCE_MS,
        250,
      );
      expect(published).toHaveLength(recorded.length);
    },
    PATIENCE_MS * 3,
  );
});
