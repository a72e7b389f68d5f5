import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

import type { OutboxBacklog } from '../ports/outbox.ts';
import type { SigningAlg, SigningKeyRecord, SigningKeyState } from '../ports/signing-keys.ts';
import { withTimeout } from '../runtime/with-timeout.ts';

/**
 * Tessera's Prometheus metrics. One Registry instance per Tessera, built by the composition root
 * and passed to whoever records (never prom-client's global default registry), so tests can run
 * several instances side by side. Every label takes values from a small fixed set: raw paths,
 * client ids, usernames and the like never become label values. docs/operations.md "Metrics"
 * lists every metric.
 */
export interface TesseraMetrics {
  readonly registry: Registry;
  readonly http: HttpMetrics;
  readonly tokens: TokenMetrics;
  readonly store: StoreMetrics;
  /** Hooks for the sign-in issue (hosted login pages). */
  readonly logins: LoginMetrics;
  /** Hooks for the events issue (outbox relay). */
  readonly outbox: OutboxMetrics;
  readonly keys: KeyMetrics;
}

export interface HttpMetrics {
  /** `route` is a route template (`/token`, `/auth/:uid`) or `unmatched`, never a raw path. */
  observe(method: string, route: string, status: number, seconds: number): void;
}

export interface TokenMetrics {
  /** A token endpoint response that issued tokens (oidc-provider `grant.success`). */
  issued(grantType: string): void;
  /** A token endpoint refusal (oidc-provider `grant.error`); `error` is the OAuth error code. */
  refused(grantType: string, error: string): void;
  /**
   * A response served by a lean path: `token` client credentials (lean-client-credentials.ts),
   * `refresh` a refresh at /token (lean-refresh-token.ts), `introspection` (lean-introspection.ts).
   */
  servedLean(endpoint: 'token' | 'refresh' | 'introspection'): void;
}

/** `unavailable`: the adapter threw StoreUnavailableError; `failed`: anything else. */
export type StoreErrorKind = 'unavailable' | 'failed';

export interface StoreMetrics {
  failed(port: string, operation: string, kind: StoreErrorKind): void;
}

/** Why a sign-in was refused. Extend the union when the sign-in flow needs another reason. */
export type LoginFailureReason = 'invalid_credentials' | 'locked' | 'disabled' | 'throttled';

export interface LoginMetrics {
  succeeded(): void;
  failed(reason: LoginFailureReason): void;
  /** An account (or source) was locked out after too many failures. */
  lockedOut(): void;
}

export interface OutboxMetrics {
  /**
   * Registers how to read the backlog. It is read at scrape time (bounded), so the age keeps
   * growing while a relay is stuck instead of freezing at its last report.
   */
  trackBacklog(read: () => Promise<OutboxBacklog>): void;
  published(count: number): void;
  publishFailed(): void;
}

export interface KeyMetrics {
  /** Registers where the keys this replica signs with are read from (at scrape time). */
  trackKeys(read: () => readonly SigningKeyRecord[]): void;
}

export interface MetricsOptions {
  readonly clock?: () => number;
  /** How long a scrape waits for the outbox backlog before reporting the last values. */
  readonly backlogTimeoutMs?: number;
}

/**
 * Seconds. Token requests take about a millisecond when the store is local and tens of
 * milliseconds with a remote one; hashing a password takes ~50–100 ms.
 */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function createMetrics(options: MetricsOptions = {}): TesseraMetrics {
  const clock = options.clock ?? Date.now;
  const registry = new Registry();
  const registers = [registry];
  // Process CPU, memory, heap, GC, handles, and the event-loop lag (nodejs_eventloop_lag_*).
  collectDefaultMetrics({ register: registry });

  const httpRequests = new Counter({
    name: 'tessera_http_requests_total',
    help: 'HTTP responses by method, route template and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    registers,
  });
  const httpDuration = new Histogram({
    name: 'tessera_http_request_duration_seconds',
    help: 'Time from request to the end of the response, by method and route template.',
    labelNames: ['method', 'route'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });

  const tokensIssued = new Counter({
    name: 'tessera_tokens_issued_total',
    help: 'Token endpoint responses that issued tokens, by grant type.',
    labelNames: ['grant_type'] as const,
    registers,
  });
  const tokenErrors = new Counter({
    name: 'tessera_token_errors_total',
    help: 'Token endpoint refusals, by grant type and OAuth error code.',
    labelNames: ['grant_type', 'error'] as const,
    registers,
  });

  const leanResponses = new Counter({
    name: 'tessera_token_lean_responses_total',
    help: 'Token and introspection responses served by their lean paths, by endpoint.',
    labelNames: ['endpoint'] as const,
    registers,
  });

  const storeErrors = new Counter({
    name: 'tessera_store_errors_total',
    help: 'Store calls that failed, by port, operation and kind (unavailable or failed).',
    labelNames: ['port', 'operation', 'kind'] as const,
    registers,
  });

  const logins = new Counter({
    name: 'tessera_logins_total',
    help: 'Sign-in attempts by result: succeeded, or the reason they were refused.',
    labelNames: ['result'] as const,
    registers,
  });
  const lockouts = new Counter({
    name: 'tessera_lockouts_total',
    help: 'Lockouts started after repeated sign-in failures.',
    registers,
  });

  // Label children looked up once per (method, route, status): prom-client otherwise hashes
  // the label object on every observation, on every request.
  const httpChildren = new Map<
    string,
    { readonly requests: { inc(): void }; readonly duration: { observe(value: number): void } }
  >();
  // Grant types are a fixed set (provider-metrics.ts), so this map stays small.
  const issuedChildren = new Map<string, { inc(): void }>();
  return {
    registry,
    http: {
      observe(method, route, status, seconds) {
        const key = `${method} ${route} ${status}`;
        let children = httpChildren.get(key);
        if (!children) {
          children = {
            requests: httpRequests.labels({ method, route, status }),
            duration: httpDuration.labels({ method, route }),
          };
          httpChildren.set(key, children);
        }
        children.requests.inc();
        children.duration.observe(seconds);
      },
    },
    tokens: {
      issued(grantType) {
        let child = issuedChildren.get(grantType);
        if (!child) {
          child = tokensIssued.labels({ grant_type: grantType });
          issuedChildren.set(grantType, child);
        }
        child.inc();
      },
      refused: (grantType, error) => tokenErrors.inc({ grant_type: grantType, error }),
      servedLean: (endpoint) => leanResponses.inc({ endpoint }),
    },
    store: {
      failed: (port, operation, kind) => storeErrors.inc({ port, operation, kind }),
    },
    logins: {
      succeeded: () => logins.inc({ result: 'succeeded' }),
      failed: (reason) => logins.inc({ result: reason }),
      lockedOut: () => lockouts.inc(),
    },
    outbox: createOutboxMetrics(registry, clock, options.backlogTimeoutMs ?? 2000),
    keys: createKeyMetrics(registry, clock),
  };
}

function createOutboxMetrics(registry: Registry, clock: () => number, timeoutMs: number) {
  const registers = [registry];
  let read: (() => Promise<OutboxBacklog>) | undefined;
  let last: OutboxBacklog | undefined;
  let pending: Promise<void> | undefined;

  // Both gauges are refreshed by one read per scrape: whichever collects first starts it.
  const refresh = (): Promise<void> => {
    if (!read) return Promise.resolve();
    pending ??= withTimeout(read(), timeoutMs)
      .then(
        (backlog) => {
          last = backlog;
        },
        // A failing store is counted by the instrumented storage; keep the last known values.
        () => undefined,
      )
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };

  new Gauge({
    name: 'tessera_outbox_pending_events',
    // Each cluster worker reports the same store-wide value: take it once, not summed.
    aggregator: 'max',
    help: 'Events recorded in the outbox and not yet published to Kafka.',
    registers,
    async collect() {
      await refresh();
      if (last) this.set(last.pending);
    },
  });
  new Gauge({
    name: 'tessera_outbox_oldest_pending_age_seconds',
    aggregator: 'max',
    help: 'Age of the oldest unpublished outbox event (0 when none is pending).',
    registers,
    async collect() {
      await refresh();
      if (!last) return;
      this.set(
        last.oldestPendingAt === undefined
          ? 0
          : Math.max(0, (clock() - last.oldestPendingAt) / 1000),
      );
    },
  });
  const published = new Counter({
    name: 'tessera_outbox_published_total',
    help: 'Outbox events published to Kafka.',
    registers,
  });
  const publishErrors = new Counter({
    name: 'tessera_outbox_publish_errors_total',
    help: 'Failed attempts to publish outbox events to Kafka.',
    registers,
  });

  return {
    trackBacklog(source: () => Promise<OutboxBacklog>) {
      read = source;
    },
    published: (count: number) => published.inc(count),
    publishFailed: () => publishErrors.inc(),
  } satisfies OutboxMetrics;
}

function createKeyMetrics(registry: Registry, clock: () => number): KeyMetrics {
  let read: (() => readonly SigningKeyRecord[]) | undefined;
  const ALGS: readonly SigningAlg[] = ['RS256', 'ES256'];
  const STATES: readonly SigningKeyState[] = ['next', 'current', 'retired'];

  new Gauge({
    name: 'tessera_signing_keys',
    aggregator: 'max',
    help: 'Signing keys this replica has loaded, by algorithm and state.',
    labelNames: ['alg', 'state'] as const,
    registers: [registry],
    collect() {
      if (!read) return;
      const records = read();
      for (const alg of ALGS) {
        for (const state of STATES) {
          const count = records.filter((r) => r.alg === alg && r.state === state).length;
          this.set({ alg, state }, count);
        }
      }
    },
  });
  new Gauge({
    name: 'tessera_signing_key_age_seconds',
    aggregator: 'max',
    help: 'Seconds since the newest key of each algorithm entered its state (created, activated or retired).',
    labelNames: ['alg', 'state'] as const,
    registers: [registry],
    collect() {
      if (!read) return;
      this.reset();
      const now = clock();
      const youngest = new Map<string, { alg: SigningAlg; state: SigningKeyState; age: number }>();
      for (const record of read()) {
        const age = Math.max(0, (now - enteredStateAt(record)) / 1000);
        const key = `${record.alg}/${record.state}`;
        const known = youngest.get(key);
        if (!known || age < known.age)
          youngest.set(key, { alg: record.alg, state: record.state, age });
      }
      for (const { alg, state, age } of youngest.values()) this.set({ alg, state }, age);
    },
  });
  return {
    trackKeys(source) {
      read = source;
    },
  };
}

function enteredStateAt(record: SigningKeyRecord): number {
  if (record.state === 'current') return record.activatedAt ?? record.createdAt;
  if (record.state === 'retired') return record.retiredAt ?? record.createdAt;
  return record.createdAt;
}
