import { StoreUnavailableError, type Storage } from '../ports/storage.ts';
import type { StoreMetrics } from './create-metrics.ts';

/**
 * Wraps every port of a store so that each rejected (or thrown) call is counted by port and
 * operation, whichever adapter is behind it. Ports report conflicts as return values, not
 * errors (src/ports/*), so every rejection here is a real failure. Results and errors pass
 * through untouched; the only cost on success is one extra promise reaction.
 */
export function instrumentStorage<S extends Storage>(storage: S, metrics: StoreMetrics): S {
  // The storage's own methods (ping, close) count as port "storage"; each port by its name.
  return instrument(storage, 'storage', metrics, (port, name) => instrument(port, name, metrics));
}

/** A proxy whose methods count failures; object-valued properties go through `nested`. */
function instrument<T extends object>(
  target: T,
  portName: string,
  metrics: StoreMetrics,
  nested?: (value: object, name: string) => object,
): T {
  const wrapped = new Map<string, unknown>();
  return new Proxy(target, {
    get(object, property, receiver) {
      const value: unknown = Reflect.get(object, property, receiver);
      if (typeof property !== 'string') return value;
      if (typeof value === 'function') {
        let fn = wrapped.get(property);
        if (!fn) {
          const method = (value as (...args: unknown[]) => unknown).bind(object);
          fn = countFailures(method, portName, property, metrics);
          wrapped.set(property, fn);
        }
        return fn;
      }
      if (nested && value !== null && typeof value === 'object') {
        let port = wrapped.get(property);
        if (!port) {
          port = nested(value, property);
          wrapped.set(property, port);
        }
        return port;
      }
      return value;
    },
  });
}

function countFailures(
  fn: (...args: unknown[]) => unknown,
  port: string,
  operation: string,
  metrics: StoreMetrics,
): (...args: unknown[]) => unknown {
  const record = (error: unknown) => {
    metrics.failed(
      port,
      operation,
      error instanceof StoreUnavailableError ? 'unavailable' : 'failed',
    );
  };
  return (...args) => {
    let result: unknown;
    try {
      result = fn(...args);
    } catch (error) {
      record(error);
      throw error;
    }
    if (result instanceof Promise) {
      return result.catch((error: unknown) => {
        record(error);
        throw error;
      });
    }
    return result;
  };
}
