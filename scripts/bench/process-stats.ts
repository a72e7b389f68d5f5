/**
 * CPU time and resident memory of a server process and its children (cluster workers, argon2
 * worker threads are threads and count in their process), read from /proc so the load
 * generator's own work never counts (Linux only, as this benchmark is).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();
const PAGE_BYTES = 4096;

/** The process and every descendant, found through /proc/<pid>/task/<tid>/children. */
function processTree(pid: number): number[] {
  const pids = [pid];
  for (let i = 0; i < pids.length; i += 1) {
    const parent = pids[i] as number;
    try {
      const children = readFileSync(`/proc/${parent}/task/${parent}/children`, 'utf8');
      for (const child of children.split(' ')) if (child.trim()) pids.push(Number(child));
    } catch {
      // The process exited meanwhile.
    }
  }
  return pids;
}

/** Sums `read` over the process tree, skipping processes that exited meanwhile. */
function sumOverTree(pid: number, read: (each: number) => number): number {
  let sum = 0;
  for (const each of processTree(pid)) {
    try {
      sum += read(each);
    } catch {
      // Exited meanwhile.
    }
  }
  return sum;
}

/** User + system CPU ticks of one /proc stat file. */
function statTicks(path: string): number {
  const stat = readFileSync(path, 'utf8');
  // Fields after the command name (which may hold spaces) start at ") ".
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
}

/** User + system CPU milliseconds the process tree has used so far. */
export function cpuMs(pid: number): number {
  const ticks = sumOverTree(pid, (each) => statTicks(`/proc/${each}/stat`));
  return (ticks * 1000) / CLOCK_TICKS;
}

/** CPU milliseconds one process's threads have used so far, by what the threads do. */
export interface ThreadCpuMs {
  /** The event loop: JavaScript, and the syscalls it makes. */
  readonly main: number;
  /** worker_threads (`WorkerThread`): in Tessera, the argon2 pool's. */
  readonly workers: number;
  /** The rest: V8's GC helpers (`V8Worker`), libuv's pool (WebCrypto signing), and so on. */
  readonly other: number;
}

export function threadCpuMs(pid: number): ThreadCpuMs {
  const ticks = { main: 0, workers: 0, other: 0 };
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const used = statTicks(`/proc/${pid}/task/${tid}/stat`);
      const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      if (Number(tid) === pid) ticks.main += used;
      else if (name === 'WorkerThread') ticks.workers += used;
      else ticks.other += used;
    } catch {
      // The thread ended meanwhile.
    }
  }
  const ms = (count: number) => (count * 1000) / CLOCK_TICKS;
  return { main: ms(ticks.main), workers: ms(ticks.workers), other: ms(ticks.other) };
}

/** Resident set size of the process tree, MiB. */
export function rssMb(pid: number): number {
  const pages = sumOverTree(pid, (each) =>
    Number(readFileSync(`/proc/${each}/statm`, 'utf8').split(' ')[1]),
  );
  return (pages * PAGE_BYTES) / 1024 / 1024;
}

/** Samples RSS every `intervalMs` until stopped; reports the peak and every sample. */
export function sampleRss(
  pid: number,
  intervalMs = 250,
): { stop(): { peakMb: number; samples: { atMs: number; mb: number }[] } } {
  const started = performance.now();
  const samples: { atMs: number; mb: number }[] = [];
  const sample = () => samples.push({ atMs: performance.now() - started, mb: rssMb(pid) });
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return { peakMb: Math.max(...samples.map((s) => s.mb)), samples };
    },
  };
}
