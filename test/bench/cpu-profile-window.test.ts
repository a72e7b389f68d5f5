import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { inspectorOptions, openProfileWindow } from '../../scripts/bench/cpu-profile.ts';

/**
 * A process that keeps its CPU busy in a function named after the phase the test puts it in,
 * and reports each busy slice, so the test waits for work done rather than for time to pass.
 */
const BUSY_CHILD = `
let phase = 'before';
const spin = () => { const end = performance.now() + 3; while (performance.now() < end); };
const slices = {
  before() { spin(); }, inside() { spin(); }, after() { spin(); },
};
process.on('message', (next) => { phase = next; });
setInterval(() => { slices[phase](); process.send(phase); }, 1);
`;

interface CpuProfile {
  readonly nodes: readonly { id: number; callFrame: { functionName: string } }[];
  readonly samples: readonly number[];
}

/** Resolves once the child has reported `count` busy slices of `phase`. */
const slicesOf = (child: ChildProcess, phase: string, count: number) =>
  new Promise<void>((resolve) => {
    let seen = 0;
    const onMessage = (message: unknown) => {
      if (message === phase && (seen += 1) === count) {
        child.off('message', onMessage);
        resolve();
      }
    };
    child.on('message', onMessage);
  });

describe('bench CPU profiles (--profile)', () => {
  let child: ChildProcess | undefined;
  let dir: string | undefined;
  afterEach(() => {
    child?.kill();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('cover only what runs between start and stop, not the process before or after', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-profile-'));
    const inspector = await inspectorOptions();
    const script = join(dir, 'busy.cjs');
    writeFileSync(script, BUSY_CHILD);
    child = fork(script, [], {
      execArgv: [inspector.nodeOptions],
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    });
    await slicesOf(child, 'before', 50);
    const window = await openProfileWindow(inspector.port, dir, 'busy', child.pid ?? 0);
    // Every `before` slice has run once an `inside` one has: all of them before the window.
    const firstInside = slicesOf(child, 'inside', 1);
    child.send('inside');
    await firstInside;

    await window.start();
    await slicesOf(child, 'inside', 50);
    const file = await window.stop();
    const after = slicesOf(child, 'after', 50);
    child.send('after');
    await after;
    window.close();

    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    const nameOf = new Map(profile.nodes.map((node) => [node.id, node.callFrame.functionName]));
    const sampled = new Set(profile.samples.map((id) => nameOf.get(id)));
    expect(sampled).toContain('inside');
    expect(sampled).not.toContain('before');
    expect(sampled).not.toContain('after');
    expect(file).toBe(join(dir, `busy-${child.pid}-1.cpuprofile`));
  }, 60_000);
});
