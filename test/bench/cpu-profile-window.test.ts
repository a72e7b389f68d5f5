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
  readonly nodes: readonly {
    id: number;
    callFrame: { functionName: string };
    children?: readonly number[];
  }[];
  readonly samples: readonly number[];
}

/**
 * The function names on the stacks the profile sampled, callers included: a sample's own node is
 * often `spin` or `performance.now` under the phase's function, unless V8 has inlined them.
 */
function functionsOnSampledStacks(profile: CpuProfile): Set<string> {
  const nodeOf = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) parentOf.set(child, node.id);
  }
  const names = new Set<string>();
  for (const sample of new Set(profile.samples)) {
    for (let id: number | undefined = sample; id !== undefined; id = parentOf.get(id)) {
      names.add(nodeOf.get(id)?.callFrame.functionName ?? '');
    }
  }
  return names;
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
    const sampled = functionsOnSampledStacks(profile);
    expect(sampled).toContain('inside');
    expect(sampled).not.toContain('before');
    expect(sampled).not.toContain('after');
    expect(file).toBe(join(dir, `busy-${child.pid}-1.cpuprofile`));
  }, 60_000);
});
