/**
 * V8 CPU profiles of a server's measured runs only (`--profile DIR`). `--cpu-prof` records a
 * process's whole life, so a scenario's seeding (the refresh scenarios' hundreds of sign-ins,
 * argon2 and all) and warm-up would be counted with the requests being measured. Instead each
 * server starts with its inspector on a loopback port, and the bench starts V8's profiler
 * (Chrome DevTools Protocol `Profiler.start`/`Profiler.stop`, over the WebSocket Node 24 has
 * built in) around each observed run (measure.ts `observe`), writing one `.cpuprofile` per run.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { findFreePort } from '../test-services/ports.ts';

/** Sampling interval, µs: --cpu-prof's default, so profiles compare with earlier ones. */
const SAMPLING_INTERVAL_US = 1000;

export interface ProfileWindow {
  /** Starts sampling; the profile covers what runs until `stop`. */
  start(): Promise<void>;
  /** Stops sampling and writes the profile (once the last open run ends); answers its path. */
  stop(): Promise<string>;
  close(): void;
}

/** Where a profiled server's inspector listens: NODE_OPTIONS for it, and the port. */
export async function inspectorOptions(): Promise<{ port: number; nodeOptions: string }> {
  const port = await findFreePort();
  return { port, nodeOptions: `--inspect=127.0.0.1:${port}` };
}

interface DevtoolsTarget {
  readonly webSocketDebuggerUrl: string;
}

/** Connects to the inspector on `port`; profiles written to `dir` named `<label>-<pid>-<n>`. */
export async function openProfileWindow(
  port: number,
  dir: string,
  label: string,
  pid: number,
): Promise<ProfileWindow> {
  const [target] = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as [
    DevtoolsTarget,
  ];
  const socket = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener('open', () => resolve(), { once: true });
    socket.addEventListener('error', () => reject(new Error('inspector connection failed')), {
      once: true,
    });
  });
  const pending = new Map<number, (result: Record<string, unknown>) => void>();
  socket.addEventListener('message', (event) => {
    const message = JSON.parse(String(event.data)) as {
      id?: number;
      result?: Record<string, unknown>;
    };
    if (message.id !== undefined) pending.get(message.id)?.(message.result ?? {});
  });
  let nextId = 1;
  const send = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<Record<string, unknown>>((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      socket.send(JSON.stringify({ id, method, params }));
    });
  await send('Profiler.enable');
  await send('Profiler.setSamplingInterval', { interval: SAMPLING_INTERVAL_US });
  let runs = 0;
  // Runs observed at once (cc-during-logins observes two loads together) share one window.
  let open = 0;
  let written = '';
  return {
    async start() {
      open += 1;
      if (open === 1) await send('Profiler.start');
    },
    async stop() {
      open -= 1;
      if (open > 0) return written;
      const { profile } = await send('Profiler.stop');
      runs += 1;
      written = join(dir, `${label}-${pid}-${runs}.cpuprofile`);
      writeFileSync(written, JSON.stringify(profile));
      return written;
    },
    close() {
      socket.close();
    },
  };
}
