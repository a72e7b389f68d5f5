import {
  AggregatorRegistry,
  type MetricObjectWithValues,
  type MetricValue,
  type Registry,
} from 'prom-client';

/**
 * /metrics under TESSERA_WORKERS > 1. Each worker process has its own registry, and a scrape
 * reaches whichever worker the cluster hands the connection to, so a worker answering /metrics
 * asks the primary, which collects every worker's metrics over IPC and sums them with
 * prom-client's AggregatorRegistry (counters and histograms add up; gauges declare how they
 * aggregate, see create-metrics.ts).
 */

type Metrics = MetricObjectWithValues<MetricValue<string>>[];

type Message =
  | { readonly type: 'tessera:metrics:request'; readonly id: number }
  | { readonly type: 'tessera:metrics:collect'; readonly id: number }
  | { readonly type: 'tessera:metrics:collected'; readonly id: number; readonly metrics: Metrics }
  | { readonly type: 'tessera:metrics:aggregated'; readonly id: number; readonly text: string };

const isMessage = (value: unknown): value is Message =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as { type?: unknown }).type === 'string' &&
  (value as { type: string }).type.startsWith('tessera:metrics:');

/** How long a scrape waits for the other workers; a worker that does not answer is left out. */
const COLLECT_TIMEOUT_MS = 2000;

/** A worker's side: its index, and the link to the primary for metrics. */
export interface ClusterWorkerLink {
  /** 0 … TESSERA_WORKERS − 1; worker 0 runs the once-per-deployment duties (pruning, relay). */
  readonly index: number;
  /** Answers the primary's collection requests from `registry`; returns the scrape function. */
  attachRegistry(registry: Registry): () => Promise<string>;
}

/** The link of this process, a cluster worker forked by runClusterPrimary. */
export function createClusterWorkerLink(index: number): ClusterWorkerLink {
  return {
    index,
    attachRegistry(registry) {
      let nextId = 0;
      const waiting = new Map<number, (text: string) => void>();
      process.on('message', (message: unknown) => {
        if (!isMessage(message)) return;
        if (message.type === 'tessera:metrics:collect') {
          void registry.getMetricsAsJSON().then((metrics) => {
            process.send?.({ type: 'tessera:metrics:collected', id: message.id, metrics });
          });
        } else if (message.type === 'tessera:metrics:aggregated') {
          waiting.get(message.id)?.(message.text);
          waiting.delete(message.id);
        }
      });
      return () =>
        new Promise<string>((resolve) => {
          const id = (nextId += 1);
          // Should the primary not answer, this worker's own metrics are better than none.
          const fallback = setTimeout(() => {
            waiting.delete(id);
            resolve(registry.metrics());
          }, COLLECT_TIMEOUT_MS * 2);
          waiting.set(id, (text) => {
            clearTimeout(fallback);
            resolve(text);
          });
          process.send?.({ type: 'tessera:metrics:request', id });
        });
    },
  };
}

interface WorkerHandle {
  send(message: Message): void;
  on(event: 'message', listener: (message: unknown) => void): void;
}

/**
 * The primary's side: when a worker asks, collect from every live worker and answer with the
 * sum. Returns the function that wires up a freshly forked worker.
 */
export function createMetricsAggregator(workers: () => readonly WorkerHandle[]) {
  let nextId = 0;
  const collecting = new Map<number, (metrics: Metrics) => void>();

  const collectAll = async (): Promise<string> => {
    const answers = await Promise.all(
      workers().map(
        (worker) =>
          new Promise<Metrics | undefined>((resolve) => {
            const id = (nextId += 1);
            const timer = setTimeout(() => {
              collecting.delete(id);
              resolve(undefined);
            }, COLLECT_TIMEOUT_MS);
            collecting.set(id, (metrics) => {
              clearTimeout(timer);
              resolve(metrics);
            });
            worker.send({ type: 'tessera:metrics:collect', id });
          }),
      ),
    );
    const registry = AggregatorRegistry.aggregate(
      answers.filter((metrics): metrics is Metrics => metrics !== undefined),
    );
    return registry.metrics();
  };

  return function wire(worker: WorkerHandle): void {
    worker.on('message', (message) => {
      if (!isMessage(message)) return;
      if (message.type === 'tessera:metrics:collected') {
        collecting.get(message.id)?.(message.metrics);
        collecting.delete(message.id);
      } else if (message.type === 'tessera:metrics:request') {
        void collectAll().then((text) =>
          worker.send({ type: 'tessera:metrics:aggregated', id: message.id, text }),
        );
      }
    });
  };
}
