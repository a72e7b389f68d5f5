/**
 * The full, memory-reducing garbage collection an idle server asks of V8
 * (docs/decisions/0009-idle-memory-reclaim.md).
 *
 * V8 sizes its young generation by the allocation rate: under load the semi-spaces grow to
 * 128 MB, and when the load stops nothing shrinks them, because a collection only runs when
 * something allocates. An ordinary full collection (`gc()`) gives the pages back to V8's pool but
 * not to the system; only the "last resort" flavour (V8's CollectAllAvailableGarbage, what a heap
 * snapshot and a memory-pressure notification run) releases the pooled pages and shrinks every
 * space. Node has no API for it besides the `gc` extension, which `--expose-gc` installs in new
 * contexts: set at run time and fetched from a fresh context, it stays out of the global scope
 * of Tessera's own context.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

interface GcOptions {
  readonly type: 'major';
  readonly execution: 'sync';
  readonly flavor: 'last-resort';
}
type Gc = (options: GcOptions) => void;

export interface MemoryReclaim {
  /** Runs the collection on this thread (tens of ms); returns RSS before and after, bytes. */
  reclaim(): { readonly rssBefore: number; readonly rssAfter: number };
}

/** The collector is loaded at the first reclaim: a server that is never idle never loads it. */
export function createMemoryReclaim(): MemoryReclaim {
  let gc: Gc | undefined;
  return {
    reclaim() {
      if (!gc) {
        setFlagsFromString('--expose-gc');
        gc = runInNewContext('gc') as Gc;
      }
      const rssBefore = process.memoryUsage.rss();
      gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
      return { rssBefore, rssAfter: process.memoryUsage.rss() };
    },
  };
}
