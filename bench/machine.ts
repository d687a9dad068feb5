import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

/** What the numbers were measured on. */
export interface Machine {
  date: string;
  cpu: string;
  logicalCores: number;
  node: string;
  v8: string;
  platform: string;
  /** Node flags that change what runs (e.g. --experimental-wasm-relaxed-simd). */
  execArgv: string[];
  /** CPU the process is pinned to, if any (taskset). */
  affinity: string;
  /** 1-minute load average when the run started: other work on a shared machine skews timings. */
  loadAverage: number;
}

export function describeMachine(): Machine {
  let cpu = cpus()[0]?.model ?? 'unknown';
  let affinity = 'all';
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    cpu = /^model name\s*:\s*(.+)$/m.exec(info)?.[1] ?? cpu;
    const flags = /^flags\s*:\s*(.+)$/m.exec(info)?.[1].split(' ') ?? [];
    const simd = ['avx2', 'fma', 'avx512f'].filter((f) => flags.includes(f));
    if (simd.length) cpu += ` (${simd.join(', ')})`;
    affinity = /^Cpus_allowed_list:\s*(.+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? affinity;
  } catch {
    // not Linux: keep os.cpus()
  }
  return {
    date: new Date().toISOString(),
    cpu,
    logicalCores: cpus().length,
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform}-${process.arch}`,
    execArgv: process.execArgv,
    affinity,
    loadAverage: loadavg()[0],
  };
}

/** CPU time of the whole machine (/proc/stat, all cores) and of this process, to tell others' load apart. */
export function cpuSample(): { busy: number; total: number; ours: number; wall: number } | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = fields[3] + fields[4];
    const total = fields.reduce((a, b) => a + b, 0);
    const { user, system } = process.cpuUsage();
    return { busy: total - idle, total, ours: (user + system) / 1e6, wall: performance.now() / 1000 };
  } catch {
    return undefined; // not Linux
  }
}

/** Average cores busy with other processes between two samples. */
export function otherCores(a: ReturnType<typeof cpuSample>, b: ReturnType<typeof cpuSample>): number | undefined {
  if (!a || !b || b.total === a.total) return undefined;
  const busyCores = ((b.busy - a.busy) / (b.total - a.total)) * cpus().length;
  const ourCores = (b.ours - a.ours) / (b.wall - a.wall);
  return Math.max(0, busyCores - ourCores);
}

/**
 * Waits (at most `seconds`) until other processes leave the cores free (under 0.2 cores busy
 * over half a second), so a measurement of threads is not one of the neighbours.
 */
export async function waitForIdle(seconds: number): Promise<void> {
  const until = performance.now() + seconds * 1000;
  while (performance.now() < until) {
    const a = cpuSample();
    await new Promise((r) => setTimeout(r, 500));
    const others = otherCores(a, cpuSample());
    if (others === undefined || others < 0.2) return;
  }
}
