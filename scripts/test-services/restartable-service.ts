import { spawnLogged } from './process.ts';
import type { LoggedProcess, SpawnLoggedOptions } from './process.ts';
import { waitUntilReady } from './wait-until-ready.ts';

export interface RestartableServiceOptions {
  name: string;
  /** The same command, ports and data on every start. */
  spawn: SpawnLoggedOptions;
  probe: () => Promise<void>;
  startupTimeoutMs: number;
  stopGraceMs: number;
  probeIntervalMs?: number;
}

/** Start/stop/kill of one service process, as fault drills drive it. */
export interface RestartableService {
  /** Spawns the process and resolves once `probe` passes; no-op while it runs. */
  start(): Promise<void>;
  /** SIGTERM, SIGKILL after the grace period; resolves once exited. No-op when stopped. */
  stop(): Promise<void>;
  /** SIGKILL, as a crash would; resolves once exited. */
  kill(): Promise<void>;
  /** The process started last (it may have exited since), or undefined before any start. */
  pid(): number | undefined;
}

export function createRestartableService(options: RestartableServiceOptions): RestartableService {
  let current: LoggedProcess | undefined;
  // Two overlapping start() calls must not spawn two servers fighting over one port.
  let starting: Promise<void> | undefined;

  const launch = async (): Promise<void> => {
    const started = await spawnLogged(options.spawn);
    current = started;
    await waitUntilReady({
      name: options.name,
      process: started,
      probe: options.probe,
      timeoutMs: options.startupTimeoutMs,
      ...(options.probeIntervalMs === undefined ? {} : { intervalMs: options.probeIntervalMs }),
    });
  };

  return {
    start: () => {
      if (starting !== undefined) return starting;
      if (current?.isRunning()) return Promise.resolve();
      starting = launch().finally(() => {
        starting = undefined;
      });
      return starting;
    },
    stop: async () => {
      await current?.stop(options.stopGraceMs);
    },
    kill: async () => {
      await current?.kill();
    },
    pid: () => current?.pid,
  };
}
