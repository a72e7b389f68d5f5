import { EventEmitter } from 'node:events';
import { getHeapSpaceStatistics } from 'node:v8';

import { describe, expect, it } from 'vitest';

import { loadConfig } from '../../src/config/load-config.ts';
import { buildIdleReclaim } from '../../src/composition/idle-reclaim-component.ts';
import { createIdleDetector } from '../../src/lifecycle/idle-detector.ts';
import { createMemoryReclaim } from '../../src/lifecycle/memory-reclaim.ts';
import { createCapturedLogger } from '../helpers/captured-logger.ts';
import { testSecrets } from '../helpers/test-tessera.ts';
import { createTestClock } from '../contracts/storage-fixture.ts';

const CHECK_MS = 5_000;
const policy = { quietRequestsPerS: 1, quietForMs: 30_000 };

/** A detector on a test clock, checked every CHECK_MS with `rate` requests/s since the last. */
function detectorOnTestClock() {
  const clock = createTestClock();
  const detector = createIdleDetector(policy, clock);
  let served = 0;
  return {
    /** Runs `checks` checks at `ratePerS`; returns at which of them (1-based) it said reclaim. */
    run(checks: number, ratePerS: number): number[] {
      const reclaimedAt: number[] = [];
      for (let check = 1; check <= checks; check += 1) {
        clock.advance(CHECK_MS);
        served += (ratePerS * CHECK_MS) / 1000;
        if (detector.observe(served)) reclaimedAt.push(check);
      }
      return reclaimedAt;
    },
  };
}

describe('the idle detector', () => {
  it('says reclaim once the quiet after traffic has lasted quietForMs, and only once', () => {
    const idle = detectorOnTestClock();
    expect(idle.run(12, 500)).toEqual([]);
    // 30 s of quiet is six 5-second checks; the quiet then goes on for ten minutes.
    expect(idle.run(120, 0)).toEqual([6]);
  });

  it('never says reclaim while traffic flows', () => {
    expect(detectorOnTestClock().run(720, 2)).toEqual([]);
  });

  it('counts probes and scrapes (at most 1 request/s) as quiet', () => {
    const idle = detectorOnTestClock();
    idle.run(4, 300);
    expect(idle.run(6, 1)).toEqual([6]);
  });

  it('starts the quiet over when traffic comes back before it lasted long enough', () => {
    const idle = detectorOnTestClock();
    idle.run(4, 300);
    expect(idle.run(5, 0)).toEqual([]);
    expect(idle.run(1, 300)).toEqual([]);
    expect(idle.run(6, 0)).toEqual([6]);
  });

  it('reclaims again after the next spell of traffic', () => {
    const idle = detectorOnTestClock();
    idle.run(4, 300);
    expect(idle.run(6, 0)).toEqual([6]);
    idle.run(2, 50);
    expect(idle.run(6, 0)).toEqual([6]);
  });

  it('counts start-up as traffic: a server never used reclaims once, quietForMs after start', () => {
    expect(detectorOnTestClock().run(60, 0)).toEqual([6]);
  });
});

describe('the idle memory reclaim of a process', () => {
  function component(env: Record<string, string>) {
    const clock = createTestClock();
    const server = new EventEmitter();
    const { logger, lines } = createCapturedLogger('info');
    const reclaims: number[] = [];
    const checks: (() => void)[] = [];
    const built = buildIdleReclaim(loadConfig({ ...testSecrets(), ...env }), {
      server,
      clock,
      logger,
      memory: {
        reclaim() {
          reclaims.push(clock());
          return { rssBefore: 300 * 1048576, rssAfter: 120 * 1048576 };
        },
      },
      every(ms, check) {
        expect(ms).toBe(CHECK_MS);
        checks.push(check);
        return () => checks.splice(0);
      },
    });
    /** Serves `requests` over one check interval, then runs the check. */
    const interval = (requests: number) => {
      for (let i = 0; i < requests; i += 1) server.emit('request');
      clock.advance(CHECK_MS);
      for (const check of checks) check();
    };
    return { built, server, interval, reclaims, lines };
  }

  it('counts the requests the server answers and reclaims once they stop', () => {
    const { built, interval, reclaims, lines } = component({ TESSERA_IDLE_RECLAIM_AFTER: '30' });
    built.start();
    for (let i = 0; i < 10; i += 1) interval(1000);
    expect(reclaims).toHaveLength(0);
    for (let i = 0; i < 6; i += 1) interval(0);
    expect(reclaims).toHaveLength(1);
    expect(lines.at(-1)).toMatchObject({
      msg: 'quiet after traffic: memory returned to the system',
      rssBeforeMb: 300,
      rssAfterMb: 120,
    });
  });

  it('does nothing with TESSERA_IDLE_RECLAIM_AFTER=0', () => {
    const { built, server, interval, reclaims } = component({ TESSERA_IDLE_RECLAIM_AFTER: '0' });
    built.start();
    expect(server.listenerCount('request')).toBe(0);
    for (let i = 0; i < 20; i += 1) interval(0);
    expect(reclaims).toHaveLength(0);
  });

  it('stops listening and checking when stopped', () => {
    const { built, server, interval, reclaims } = component({ TESSERA_IDLE_RECLAIM_AFTER: '30' });
    built.start();
    expect(server.listenerCount('request')).toBe(1);
    built.stop();
    expect(server.listenerCount('request')).toBe(0);
    for (let i = 0; i < 20; i += 1) interval(0);
    expect(reclaims).toHaveLength(0);
  });

  it("shrinks V8's grown young generation and gives its pages back to the system", () => {
    // Objects that live through a few scavenges, as under load, grow the semi-spaces to their
    // maximum; an ordinary full collection leaves them so (RSS stays), the memory-reducing one
    // shrinks them and unmaps the pages.
    let live: object[] = [];
    for (let i = 0; i < 2_000_000; i += 1) {
      live.push({ i, text: `x${i}`, list: [i] });
      if (live.length > 200_000) live = live.slice(100_000);
    }
    live = [];
    expect(newSpaceMb()).toBeGreaterThanOrEqual(32);
    const { rssBefore, rssAfter } = createMemoryReclaim().reclaim();
    expect(newSpaceMb()).toBeLessThanOrEqual(8);
    expect((rssBefore - rssAfter) / 1048576).toBeGreaterThan(32);
  });
});

const newSpaceMb = () =>
  (getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? 0) /
  1048576;
