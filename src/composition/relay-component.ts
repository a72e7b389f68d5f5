import type { Logger } from 'pino';

import type { Config } from '../config/config.ts';
import type { OutboxReadiness } from '../http/health-routes.ts';
import type { ShutdownSteps } from '../lifecycle/shutdown-steps.ts';
import type { StartedComponent } from '../lifecycle/startup.ts';
import type { OutboxMetrics } from '../metrics/create-metrics.ts';
import type { Storage } from '../ports/storage.ts';
import { createBacklogReader } from '../relay/backlog-reader.ts';
import { openRelay, type PublisherFactory } from './open-relay.ts';
import type { OutboxRelay } from '../relay/outbox-relay.ts';

export interface RelayComponentDeps {
  readonly storage: Storage;
  readonly metrics: OutboxMetrics;
  readonly logger: Logger;
  readonly clock: () => number;
  readonly holderId: string;
  /** The Kafka publisher's factory, loaded when KAFKA_BROKERS is set (open-relay.ts). */
  readonly createPublisher: PublisherFactory | undefined;
  /** False in every cluster worker but worker 0: one relay per replica is enough. */
  readonly runsSingletonDuties: boolean;
  /** Where the relay's flush is registered, to run once in-flight requests have drained. */
  readonly shutdownSteps: ShutdownSteps;
}

/** The outbox relay of this replica, when KAFKA_BROKERS names one and this process runs it. */
export interface RelayComponent extends StartedComponent {
  readonly relay: OutboxRelay | undefined;
  /** The outbox part of /readyz; undefined without a relay. */
  readonly readiness: OutboxReadiness | undefined;
  start(): void;
}

export function buildRelayComponent(config: Config, deps: RelayComponentDeps): RelayComponent {
  const relay = deps.runsSingletonDuties ? openRelay(config, deps) : undefined;
  if (!relay) {
    return { name: 'outbox relay', relay, readiness: undefined, start() {}, abort() {} };
  }
  const backlog = createBacklogReader(deps.storage.outbox, { maxAgeMs: 2_000 });
  deps.metrics.trackBacklog(backlog);
  // After in-flight requests have drained, so the events they recorded are flushed too.
  deps.shutdownSteps.add('outbox relay', () => relay.stop({ flush: true }));
  let started = false;
  return {
    name: 'outbox relay',
    relay,
    readiness: {
      backlog,
      relayState: () => relay.state(),
      maxBacklog: config.outbox.readyMaxBacklog,
      clock: deps.clock,
    },
    start() {
      started = true;
      relay.start();
    },
    // Events stay in the outbox for the next start; a relay never started holds no lease.
    abort: () => (started ? relay.stop() : undefined),
  };
}
