import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { StoreUnavailableError } from '../../src/ports/storage.ts';
import { createCatalogChangePoller } from '../../src/storage/catalog-change-poller.ts';
import { createCapturedLogger } from '../helpers/captured-logger.ts';

const INTERVAL_MS = 1000;

/** A generation store the test moves, fails or holds by hand. */
function controllableGeneration() {
  const state = {
    value: 'g1',
    failure: undefined as Error | undefined,
    hold: undefined as Promise<void> | undefined,
    reads: 0,
  };
  return {
    state,
    store: {
      async read() {
        state.reads += 1;
        await state.hold;
        if (state.failure) throw state.failure;
        return state.value;
      },
    },
  };
}

describe('catalog change poller', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function startPoller() {
    const generation = controllableGeneration();
    const { logger, lines } = createCapturedLogger('info');
    let drops = 0;
    const poller = createCatalogChangePoller({
      generation: generation.store,
      onChange: () => {
        drops += 1;
      },
      intervalMs: INTERVAL_MS,
      logger,
    });
    poller.start();
    return { poller, generation, lines, drops: () => drops };
  }

  it('drops the cache at its first read, since entries cached before it may predate a change', async () => {
    const { poller, drops } = startPoller();
    await vi.advanceTimersByTimeAsync(0);
    expect(drops()).toBe(1);
    await poller.stop();
  });

  it('drops the cache within one interval of the generation moving, and not while it stays', async () => {
    const { poller, generation, drops } = startPoller();
    await vi.advanceTimersByTimeAsync(5 * INTERVAL_MS);
    expect(drops()).toBe(1);

    generation.state.value = 'g2';
    await vi.advanceTimersByTimeAsync(INTERVAL_MS);
    expect(drops()).toBe(2);
    await vi.advanceTimersByTimeAsync(5 * INTERVAL_MS);
    expect(drops()).toBe(2);
    await poller.stop();
  });

  it('logs one warning per outage however many reads fail, and one line when reads work again', async () => {
    const { poller, generation, lines, drops } = startPoller();
    await vi.advanceTimersByTimeAsync(0);
    generation.state.failure = new StoreUnavailableError('connection refused');
    await vi.advanceTimersByTimeAsync(10 * INTERVAL_MS);
    expect(generation.state.reads).toBeGreaterThanOrEqual(10);
    expect(lines.filter((line) => line.level === 40)).toHaveLength(1);

    generation.state.failure = undefined;
    generation.state.value = 'g2';
    await vi.advanceTimersByTimeAsync(INTERVAL_MS);
    expect(drops()).toBe(2);
    expect(lines.map((line) => line.msg)).toContain('catalog change polling works again');

    generation.state.failure = new StoreUnavailableError('connection refused');
    await vi.advanceTimersByTimeAsync(3 * INTERVAL_MS);
    expect(lines.filter((line) => line.level === 40)).toHaveLength(2);
    await poller.stop();
  });

  it('never reads twice at once while the store is slow to answer', async () => {
    const { poller, generation } = startPoller();
    let release = () => {};
    generation.state.hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    await vi.advanceTimersByTimeAsync(10 * INTERVAL_MS);
    expect(generation.state.reads).toBe(1);
    generation.state.hold = undefined;
    release();
    await vi.advanceTimersByTimeAsync(INTERVAL_MS);
    expect(generation.state.reads).toBe(2);
    await poller.stop();
  });

  it('reads no more and leaves no timer once stopped', async () => {
    const { poller, generation } = startPoller();
    await vi.advanceTimersByTimeAsync(2 * INTERVAL_MS);
    await poller.stop();
    const reads = generation.state.reads;
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(10 * INTERVAL_MS);
    expect(generation.state.reads).toBe(reads);
  });

  it('waits for a read in progress when stopped, and arms nothing after it', async () => {
    const { poller, generation } = startPoller();
    let release = () => {};
    generation.state.hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    await vi.advanceTimersByTimeAsync(0);
    let stopped = false;
    const stopping = poller.stop().then(() => {
      stopped = true;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(vi.getTimerCount()).toBe(0);
  });
});
